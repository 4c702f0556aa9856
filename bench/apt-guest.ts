/**
 * Guest half of the apt hook benchmark, on the real Debian 12 root the tests
 * use (test/debian: built on the host, unpacked onto ZFS in the guest):
 * `apt-get install` of one small local package inside the root, without and
 * with zcp's apt hook (a checkpoint before dpkg runs, the transaction ended
 * after it), in the same boot; then where the hook's time goes: a zcp
 * process starting, each hook phase as apt runs it (a process of its own),
 * and, in-process, the steps of each phase. The package is removed with
 * dpkg between runs (no apt, so no hook): every run installs the same thing.
 * Then `zcp apt upgrade` (in place, and `-s` into a boot environment)
 * against plain `apt-get upgrade` of the same real upgrades (bookworm's
 * updates and security, downloaded into the root's archive cache when it was
 * built), each from the same state: a checkpoint taken before the first, and
 * rolled back to after each run.
 * Writes apt-hook.json into the job folder.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoints } from '../src/index.js';
import { hookBegin, hookEnd } from '../src/hooks/transaction.js';
import { readDpkgStatus } from '../src/pkgdb/dpkg.js';
import { packageDiff } from '../src/checkpoint/packages.js';
import { Transactions } from '../src/transaction/transactions.js';
import { ALTROOT, enterable, installRoot, partitionDisk } from '../test/debian/layout.js';
import { parseSimulatedUpgrade, type RootImage } from '../test/debian/root-image.js';
import { buildDeb } from '../test/support/systems.js';
import type { Row } from './checkpoint-guest.js';
import { stats } from './stats.js';

const N = Number(process.env.ZCP_BENCH_APT_N ?? 7);
/** Each upgrade takes a minute or more under the emulator: fewer runs. */
const N_UPGRADE = Number(process.env.ZCP_BENCH_UPGRADE_N ?? 3);
const CASE = 'apt-get install of one small package (real Debian 12 root)';

function ran(argv: string[], env: NodeJS.ProcessEnv = {}): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...env } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}
const timed = (argv: string[], env: NodeJS.ProcessEnv = {}) => ran(argv, env).ms;

/** zcp from outside the root (`--root`), as the tests drive it: for setting up and restoring, never timed. */
const CLI = fileURLToPath(new URL('../dist/cli/main.cjs', import.meta.url));
const outside = (...args: string[]) => JSON.parse(ran([process.execPath, CLI, '--root', ALTROOT, ...args, '--json']).stdout) as Record<string, unknown>;

async function time(n: number, fn: () => unknown, between?: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
    await between?.();
  }
  return out;
}

const info = JSON.parse(readFileSync(process.env.ZCP_DEBIAN_ROOT!, 'utf8')) as RootImage;
installRoot(partitionDisk(), info.tar);
const inside = enterable();
const rows: Row[] = [];
try {
  copyFileSync(buildDeb('zcp-bench', '1.0', { 'usr/share/zcp-bench/v': '1\n' }), join(ALTROOT, 'tmp/zcp-bench_1.0_all.deb'));
  const install = () => timed(['chroot', ALTROOT, 'apt-get', 'install', '-y', '-q', '/tmp/zcp-bench_1.0_all.deb']);
  const remove = () => timed(['chroot', ALTROOT, 'dpkg', '-r', 'zcp-bench']);
  const zcp = (...args: string[]) => ['chroot', ALTROOT, ...inside.zcp, ...args];

  // A first run of each warms the caches (apt's, the page cache, the module graph).
  install();
  remove();
  const plain = await time(N, install, remove);
  timed(zcp('hook', 'install', 'apt'));
  install();
  remove();
  const hooked = await time(N, install, remove);
  timed(zcp('hook', 'remove', 'apt'));
  rows.push({ case: CASE, tool: 'apt-get with the zcp hook', role: 'zcp', stats: stats(hooked) });
  rows.push({ case: CASE, tool: 'apt-get without it', role: 'command', stats: stats(plain) });

  // Where the added time goes: the hook's two processes as apt starts them, and a zcp that does nothing.
  const PHASES = 'the apt hook, phase by phase (ms)';
  rows.push({ case: PHASES, tool: 'a node process that does nothing (node -e 0)', stats: stats(await time(N, () => timed(['chroot', ALTROOT, inside.zcp[0]!, '-e', '0']))) });
  rows.push({ case: PHASES, tool: 'a zcp process that does nothing (zcp --version)', stats: stats(await time(N, () => timed(zcp('--version')))) });
  const pre: number[] = [];
  const post: number[] = [];
  for (let i = 0; i < N; i++) {
    pre.push(timed(zcp('hook', 'pre', 'apt')));
    post.push(timed(zcp('hook', 'post', 'apt')));
  }
  rows.push({ case: PHASES, tool: 'zcp hook pre apt (a process)', stats: stats(pre) });
  rows.push({ case: PHASES, tool: 'zcp hook post apt (a process)', stats: stats(post) });

  // In-process, the steps of each phase (the library on the same root, from outside it).
  const cps = await Checkpoints.open({ root: ALTROOT });
  const tx = new Transactions(cps);
  const steps: Record<string, number[]> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    (steps[name] ??= []).push(performance.now() - t0);
    return r;
  };
  for (let i = 0; i < N; i++) {
    const c = await step('pre: checkpoint and history entry (hookBegin)', () => hookBegin(cps, 'apt', `bench ${i}`, undefined, process.pid));
    await step('post: the history read', () => tx.history());
    await step('post: the checkpoint list', () => cps.list());
    await step('post: the live dpkg status', () => readDpkgStatus(ALTROOT));
    await step('post: the package diff (the checkpoint\'s status and the live one)', () => packageDiff(cps.system, c.id));
    await step('post: the whole of it (hookEnd)', () => hookEnd(cps, 'apt'));
  }
  for (const [name, ms] of Object.entries(steps)) rows.push({ case: 'the apt hook, in-process steps (ms)', tool: name, stats: stats(ms) });

  // zcp apt upgrade against apt-get upgrade: the same upgrades from the same state, interleaved run by run.
  const upgrades = parseSimulatedUpgrade(ran(['chroot', ALTROOT, 'apt-get', '-s', '-q', 'upgrade']).stdout).length;
  if (upgrades === 0) throw new Error('the root has no upgrades on offer: its archive cache holds the newer versions it was built with');
  const UPGRADE = `upgrade of ${upgrades} real packages (bookworm to its updates and security), each run from the same state`;
  const base = (outside('create', '-m', 'bench: before the upgrades').checkpoint as { id: string }).id;
  const restore = () => outside('rollback', base, '--yes');
  const times = { plain: [] as number[], inPlace: [] as number[], intoClone: [] as number[] };
  for (let i = 0; i < N_UPGRADE; i++) {
    times.plain.push(timed(['chroot', ALTROOT, 'apt-get', '-y', '-q', 'upgrade']));
    restore();
    times.inPlace.push(timed(zcp('apt', '--yes', 'upgrade', '-q')));
    restore();
    const t0 = performance.now();
    const clone = JSON.parse(ran(zcp('apt', '-s', '--yes', '--json', 'upgrade', '-q')).stdout) as { bootEnvironment: { name: string } };
    times.intoClone.push(performance.now() - t0);
    outside('destroy', clone.bootEnvironment.name, '--yes');
    restore();
  }
  rows.push({ case: UPGRADE, tool: 'zcp apt upgrade (in place)', role: 'zcp', stats: stats(times.inPlace) });
  rows.push({ case: UPGRADE, tool: 'zcp apt -s upgrade (into a boot environment: the clone and its mounts counted in)', role: 'zcp', stats: stats(times.intoClone) });
  rows.push({ case: UPGRADE, tool: 'apt-get upgrade', role: 'command', stats: stats(times.plain) });
} finally {
  inside.leave();
}
writeFileSync(join(process.env.ZCP_JOB_DIR ?? '.', 'apt-hook.json'), `${JSON.stringify({ iterations: N, rows }, null, 2)}\n`);
for (const r of rows) process.stdout.write(`${r.case} | ${r.tool} | median ${r.stats.median.toFixed(0)} ms\n`);
