/**
 * `npm test`: build, then every check where it belongs, in two lanes that run
 * side by side (see lanes()): type-check and API docs; `unit` on the host
 * under Node 20 and again under Node 18 (the oldest zcp supports) and 24;
 * `harness` on the host (it boots guests to test the harness and the power
 * cut); the Debian package built and checked (lintian, its man page,
 * its units) and the npm tarball installed without a compiler; the C++ unit tests of the parsers under ASan/UBSan and a short
 * libFuzzer pass over each parser; the addon under AddressSanitizer in the
 * guest; `zfs` inside the qemu guest with the real OpenZFS kernel module, in
 * two boots (test/zfs/shards.ts); `debian` on the real Debian root, whose
 * disk `boot` then boots four times (the last under its systemd, with zcp's
 * .deb installed by apt); the demo
 * (the README's main command). Ends with one summary line counting every
 * test of every run. (scripts/setup.sh, which installs the machine's
 * packages, runs before this.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { bootKernel, buildInitramfs, findKernel, projectRoot } from './guest/boot-files.js';
import { GUEST_JOB_DIR, runInGuest } from './guest/run.js';
import { TEST_POOLS } from './zfs/pools.js';
import { ZFS_SHARDS } from './zfs/shards.js';
import { ensureNode } from './other-node.js';
import { bootProjectEnv, runDebianProject } from './debian/run-guest.js';

const reports = join(projectRoot, '.cache', 'reports');
const FUZZ_SECONDS = 15;
const vitest = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');

interface RunSummary {
  label: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Why the run failed as a whole (no report, crash, non-zero exit). */
  problem?: string;
  /** Each failed test with its message's first line: the summary is what a CI log keeps. */
  failures?: string[];
  seconds: number;
}
const runs: RunSummary[] = [];

/**
 * Output of steps that run side by side: each line goes out whole, with the
 * step's tag in front, as soon as it is complete (a CI log cut by a time
 * limit still shows where each step was).
 */
function tagged(tag: string): { write: (c: Buffer | string) => void; end: () => void } {
  let rest = '';
  // A chunk may end inside a character (vitest's ✓ is three bytes): the decoder keeps it for the next one.
  const decoder = new StringDecoder('utf8');
  const flush = (line: string) => process.stdout.write(`[${tag}] ${line}\n`);
  return {
    write(c) {
      const lines = (rest + (typeof c === 'string' ? c : decoder.write(c))).split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const l of lines) flush(l);
    },
    end() {
      if (rest) flush(rest);
      rest = '';
    },
  };
}

function step(tag: string, title: string): void {
  process.stdout.write(`\n=== [${tag}] ${title}\n`);
}

/** Runs a command in the project with its output tagged; true if it exited 0. */
function sh(tag: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  // One writer per stream: each keeps its own partial line and character.
  const out = tagged(tag);
  const err = tagged(tag);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.on('data', out.write);
    child.stderr.on('data', err.write);
    child.on('error', (e) => {
      err.write(`cannot start ${cmd}: ${e.message}\n`);
      resolve(false);
    });
    child.on('close', (code) => {
      out.end();
      err.end();
      resolve(code === 0);
    });
  });
}

function readReport(label: string, file: string, exitOk: boolean, seconds: number, why?: string): void {
  if (!existsSync(file)) {
    runs.push({ label, passed: 0, failed: 0, skipped: 0, problem: why ?? 'no test report was written', seconds });
    return;
  }
  const r = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numTotalTestSuites: number;
    success: boolean;
    testResults?: { name?: string; message?: string; assertionResults?: { status: string; fullName: string; failureMessages?: string[] }[] }[];
  };
  const failures: string[] = [];
  for (const file of r.testResults ?? []) {
    for (const a of file.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      const first = (a.failureMessages?.[0] ?? '').split('\n')[0]!.slice(0, 300);
      failures.push(`${a.fullName}: ${first}`);
    }
    // A file that failed to load has no tests, only a message.
    if (file.message && !(file.assertionResults ?? []).length) failures.push(`${file.name ?? '?'}: ${file.message.split('\n')[0]!.slice(0, 300)}`);
  }
  const summary: RunSummary = {
    label,
    passed: r.numPassedTests,
    failed: r.numFailedTests,
    skipped: r.numPendingTests + r.numTodoTests,
    seconds,
    ...(failures.length ? { failures } : {}),
  };
  if (!exitOk || !r.success) summary.problem = why ?? 'the run failed (see its output above)';
  if (r.numPassedTests + r.numFailedTests === 0) summary.problem = 'no tests ran';
  runs.push(summary);
}

function vitestArgs(project: string, reportFile: string, files: readonly string[] = []): string[] {
  return [vitest, 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...files];
}

/** A vitest project on the host, under the given Node binary. */
async function runHost(project: string, label: string, node: string, env: Record<string, string> = {}): Promise<void> {
  const file = join(reports, `${label.replace(/\W+/g, '-').replace(/-$/, '')}.json`);
  rmSync(file, { force: true });
  step(label, spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim());
  const t0 = Date.now();
  const ok = await sh(label, node, vitestArgs(project, file), { ...process.env, ...env });
  readReport(label, file, ok, (Date.now() - t0) / 1000);
}

/** A check that is not a vitest project: one pass or one failure in the count. */
async function runCheck(label: string, what: string, args: string[]): Promise<void> {
  step(label, what);
  const t0 = Date.now();
  const ok = await sh(label, 'npx', args);
  const seconds = (Date.now() - t0) / 1000;
  runs.push({ label, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, seconds, ...(ok ? {} : { problem: 'see its output above' }) });
}

/** Counts a guest run of a vitest project: its report from the job folder, and any skipped test as a failure (a test that needs ZFS must run). */
function countGuestRun(label: string, report: string, result: { jobDir: string; exitCode: number | null; wallSeconds: number; failure?: string }, timing: string): void {
  const hostReport = join(result.jobDir, 'report.json');
  if (existsSync(hostReport)) copyFileSync(hostReport, report);
  process.stdout.write(`[${label}] guest: ${timing}, whole run ${result.wallSeconds.toFixed(1)} s\n`);
  readReport(label, report, result.exitCode === 0, result.wallSeconds, result.failure);
  const summary = runs[runs.length - 1];
  if (summary && summary.skipped > 0) summary.problem = `${summary.skipped} guest test(s) skipped or todo: they must run`;
}

/** One shard of the `zfs` project in a guest boot of its own, with its own pools. */
async function runGuest(shard: number): Promise<void> {
  const label = `zfs ${shard + 1}/${ZFS_SHARDS.length} (guest)`;
  step(label, `real zfs.ko in a qemu guest, pools ${TEST_POOLS.map((p) => `${p.name} (${p.size})`).join(', ')}`);
  const file = join(reports, `zfs-guest-${shard + 1}.json`);
  rmSync(file, { force: true });
  const out = tagged(label);
  try {
    const result = await runInGuest({
      // --expose-gc reaches the test worker too: the leak test collects before it measures.
      command: ['node', '--expose-gc', ...vitestArgs('zfs', `${GUEST_JOB_DIR}/report.json`, ZFS_SHARDS[shard])],
      pools: [...TEST_POOLS],
      // About 12 min a shard on a quiet host, twice that when the host is busy
      // (the emulated kernel's txg syncs slow most); a hang still ends well inside CI's 90 min.
      timeoutMs: 45 * 60_000,
      onOutput: out.write,
    });
    out.end();
    countGuestRun(label, file, result, `boot ${result.bootSeconds?.toFixed(1) ?? '?'} s, modprobe zfs ${result.modprobeSeconds?.toFixed(1) ?? '?'} s`);
  } catch (e) {
    runs.push({ label, passed: 0, failed: 0, skipped: 0, problem: (e as Error).message, seconds: 0 });
  }
}

/**
 * The `debian` project: the real Debian root (built on the host first, or
 * cached) in a guest boot of its own; then the `boot` project boots the disk
 * it left four times (the root unpacked once for all).
 */
async function runDebianAndBoots(): Promise<void> {
  const label = 'debian (guest)';
  step(label, 'a real bookworm root (mmdebstrap, cached by its inputs) on ZFS, real apt and dpkg');
  const file = join(reports, 'debian-guest.json');
  rmSync(file, { force: true });
  const out = tagged(label);
  let disk: string | undefined;
  try {
    const result = await runDebianProject(vitestArgs('debian', `${GUEST_JOB_DIR}/report.json`), { onOutput: out.write, keepDisk: true });
    out.end();
    disk = result.disk;
    countGuestRun(label, file, result, `root build ${result.buildSeconds.toFixed(0)} s (0: cached), boot ${result.bootSeconds?.toFixed(1) ?? '?'} s`);
    if (result.exitCode === 0) {
      await runHost('boot', 'boots (real root)', process.execPath, bootProjectEnv(result));
    } else {
      runs.push({ label: 'boots (real root)', passed: 0, failed: 0, skipped: 0, problem: 'not run: the debian project, which makes their disk, failed', seconds: 0 });
    }
  } catch (e) {
    runs.push({ label, passed: 0, failed: 0, skipped: 0, problem: (e as Error).message, seconds: 0 });
  } finally {
    if (disk) rmSync(dirname(disk), { recursive: true, force: true });
  }
}

/**
 * Steps run in two lanes at once, each lane one step after another: two
 * guests of one emulated CPU each side by side (or a guest beside host work)
 * do 1.4 times the work of one guest of two CPUs alone (measured: the audit's
 * data-loss tests 107 s alone, twice in 150 s side by side).
 * ZCP_TEST_LANES=1 runs them all in one lane, with two CPUs a guest.
 */
async function lanes(all: (() => Promise<void>)[][]): Promise<void> {
  if (process.env.ZCP_TEST_LANES === '1') {
    for (const s of all.flat()) await s();
    return;
  }
  // One emulated CPU a guest while two may run at once (see guestCpus in test/guest/run.ts).
  process.env.ZCP_GUEST_CPUS ??= '1';
  await Promise.all(all.map(async (lane) => {
    for (const s of lane) await s();
  }));
}

/** The order of the summary, whichever lane finished first. */
const ORDER = ['unit (node 20)', 'unit (node 18)', 'unit (node 24)', 'packages (.deb, npm)', 'guest harness', 'c++ (asan+ubsan)', 'fuzz (libFuzzer)', 'asan (guest)', ...ZFS_SHARDS.map((_, i) => `zfs ${i + 1}/${ZFS_SHARDS.length} (guest)`), 'debian (guest)', 'boots (real root)', 'demo (guest)'];

async function main(): Promise<number> {
  const t0 = Date.now();
  mkdirSync(reports, { recursive: true });

  step('build', 'native addon (node-gyp, incremental) and TypeScript');
  // configure again: the ABI check joins the build once setup.sh has installed the ZFS headers.
  const built =
    (await sh('build', 'npx', ['node-gyp', 'configure'])) && (await sh('build', 'npx', ['node-gyp', 'build'])) && (await sh('build', 'npm', ['run', '--silent', 'build:js']));
  if (!built) {
    process.stdout.write('\nbuild failed: no tests run\n0 passed, 1 failed\n');
    return 1;
  }
  // What the lanes share, made once before they start: the guest's kernel and initramfs, the other Nodes.
  const kernel = findKernel();
  bootKernel(kernel);
  buildInitramfs(kernel.version);
  const others = { 18: ensureNode(18), 24: ensureNode(24) };

  let typed = true;
  await lanes([
    [
      () => runGuest(0),
      () => runDebianAndBoots(),
    ],
    [
      async () => {
        step('typecheck', 'src, tests, bench, scripts; API docs build without warnings');
        typed = (await sh('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])) && (await sh('typecheck', 'npx', ['typedoc', '--logLevel', 'Warn']));
      },
      () => runHost('unit', 'unit (node 20)', process.execPath),
      // The oldest Node zcp supports (Debian 12's) and the newest.
      ...([18, 24] as const).map((major) => async () => {
        const node = others[major];
        if (node.ok) await runHost('unit', `unit (node ${major})`, node.path);
        else runs.push({ label: `unit (node ${major})`, passed: 0, failed: 0, skipped: 0, problem: node.reason, seconds: 0 });
      }),
      () => runHost('package', 'packages (.deb, npm)', process.execPath),
      () => runCheck('c++ (asan+ubsan)', 'native/pkgdb C++ unit tests under AddressSanitizer and UBSan', ['tsx', 'test/native/run.ts']),
      // A short pass per target in every run (corpus replay plus new inputs); `npm run fuzz` is the long one.
      () => runCheck('fuzz (libFuzzer)', `every parser fuzz target for ${FUZZ_SECONDS} s`, ['tsx', 'test/fuzz/run.ts', '--seconds', String(FUZZ_SECONDS)]),
      () => runHost('harness', 'guest harness', process.execPath),
      () => runCheck('asan (guest)', 'the addon under AddressSanitizer/LeakSanitizer', ['tsx', 'test/asan/run.ts']),
      () => runGuest(1),
      // The README's main command must keep working: it fails on any unexpected exit status of a zcp step.
      () => runCheck('demo (guest)', 'npm run demo: the apt-clone story with the real zcp command', ['tsx', 'scripts/demo.ts']),
    ],
  ]);

  step('summary', `${((Date.now() - t0) / 1000).toFixed(0)} s`);
  runs.sort((a, b) => ORDER.indexOf(a.label) - ORDER.indexOf(b.label));
  for (const r of runs) {
    process.stdout.write(
      `${r.label.padEnd(18)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''} (${r.seconds.toFixed(1)} s)` +
        `${r.problem ? `\n${' '.repeat(19)}FAILED: ${r.problem}` : ''}\n`,
    );
    for (const f of r.failures ?? []) process.stdout.write(`${' '.repeat(19)}- ${f}\n`);
  }
  if (!typed) process.stdout.write('typecheck/docs     FAILED (see above)\n');
  const passed = runs.reduce((n, r) => n + r.passed, 0);
  // A run that broke as a whole counts as one failure, so it can't hide.
  const failed = runs.reduce((n, r) => n + r.failed + (r.problem && r.failed === 0 ? 1 : 0), 0) + (typed ? 0 : 1);
  const skipped = runs.reduce((n, r) => n + r.skipped, 0);
  process.stdout.write(
    `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (all runs, ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
  );
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
