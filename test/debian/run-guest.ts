/**
 * Runs the `debian` vitest project in the guest: builds (or takes from the
 * cache) the real Debian root on the host, gives the guest a fresh disk image
 * for its pool, and boots it once for the whole project. test/run-all.ts
 * calls this; by hand, with vitest's own arguments after `--`:
 *
 *   npm run --silent build:js && npx tsx test/debian/run-guest.ts -- test/debian/apt.test.ts -t install
 *
 * and with `--boot` first, the four boots of test/boot follow on its disk.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GuestResult, runInGuest } from '../guest/run.js';
import { BOOT_ENVIRONMENT_FILE } from './layout.js';
import { debianRoot } from './root-image.js';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

export interface DebianRun extends GuestResult {
  /** Seconds the root build took (0: cached). */
  buildSeconds: number;
  /** With keepDisk: the pool's disk image as the project left it (exported), for test/boot to boot; the caller removes its folder. */
  disk?: string;
}

/** What the `boot` project needs of a run made with keepDisk: its disk, and the boot environment scenario 5 left there. */
export function bootProjectEnv(run: DebianRun): Record<string, string> {
  return { ZCP_BOOT_DISK: run.disk ?? '', ZCP_BOOT_BE: join(run.jobDir, BOOT_ENVIRONMENT_FILE) };
}

/** One guest boot running `node VITEST_ARGS...` on the real root, on a fresh disk image. */
export async function runDebianProject(
  vitestArgs: string[],
  opts: { timeoutMs?: number; onOutput?: (chunk: Buffer) => void; keepDisk?: boolean; env?: Record<string, string> } = {},
): Promise<DebianRun> {
  const info = debianRoot();
  const dir = mkdtempSync(join(tmpdir(), 'zcp-debian-'));
  const disk = join(dir, 'pool.img');
  writeFileSync(disk, '');
  truncateSync(disk, 6 * 1024 ** 3); // sparse: only what the pool writes takes space
  try {
    const result = await runInGuest({
      command: ['node', ...vitestArgs],
      disks: [disk],
      env: { ...opts.env, ZCP_DEBIAN_ROOT: join(dirname(info.tar), 'root.json') },
      cwd: PROJECT,
      timeoutMs: opts.timeoutMs ?? 45 * 60_000,
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    });
    return { ...result, buildSeconds: info.seconds, ...(opts.keepDisk ? { disk } : {}) };
  } finally {
    if (!opts.keepDisk) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // --boot: then the four boots of test/boot on the disk the project left (as npm test runs them).
  const boot = process.argv[2] === '--boot';
  const extra = process.argv.slice(boot ? 3 : 2).filter((a, i) => !(i === 0 && a === '--'));
  const vitest = join(PROJECT, 'node_modules/vitest/vitest.mjs');
  const r = await runDebianProject([vitest, 'run', '--project', 'debian', ...extra], { keepDisk: boot });
  process.stderr.write(`debian guest: exit ${r.exitCode}, root build ${r.buildSeconds.toFixed(0)} s, boot ${r.bootSeconds?.toFixed(1) ?? '?'} s, wall ${r.wallSeconds.toFixed(1)} s${r.failure ? `: ${r.failure}` : ''}\n`);
  process.exitCode = r.exitCode ?? 1;
  if (boot && r.disk) {
    const b = spawnSync(process.execPath, [vitest, 'run', '--project', 'boot'], {
      cwd: PROJECT,
      stdio: 'inherit',
      env: { ...process.env, ...bootProjectEnv(r) },
    });
    rmSync(dirname(r.disk), { recursive: true, force: true });
    if (r.exitCode === 0) process.exitCode = b.status ?? 1;
  }
}
