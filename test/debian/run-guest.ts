/**
 * Runs the `debian` vitest project in the guest: builds (or takes from the
 * cache) the real Debian root on the host, gives the guest a fresh disk image
 * for its pool, and boots it once for the whole project. test/run-all.ts
 * calls this; by hand, with vitest's own arguments after `--`:
 *
 *   npm run --silent build:js && npx tsx test/debian/run-guest.ts -- test/debian/apt.test.ts -t install
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GuestResult, runInGuest } from '../guest/run.js';
import { debianRoot } from './root-image.js';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

/** One guest boot running `node VITEST_ARGS...` on the real root; the seconds the root build took (0: cached). */
export async function runDebianProject(vitestArgs: string[], timeoutMs = 60 * 60_000): Promise<GuestResult & { buildSeconds: number }> {
  const info = debianRoot();
  const dir = mkdtempSync(join(tmpdir(), 'zcp-debian-'));
  const disk = join(dir, 'pool.img');
  writeFileSync(disk, '');
  truncateSync(disk, 6 * 1024 ** 3); // sparse: only what the pool writes takes space
  try {
    const result = await runInGuest({
      command: ['node', ...vitestArgs],
      disks: [disk],
      env: { ZCP_DEBIAN_ROOT: join(dirname(info.tar), 'root.json') },
      cwd: PROJECT,
      timeoutMs,
    });
    return { ...result, buildSeconds: info.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const extra = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
  const vitest = join(PROJECT, 'node_modules/vitest/vitest.mjs');
  const r = await runDebianProject([vitest, 'run', '--project', 'debian', ...extra]);
  process.stderr.write(`debian guest: exit ${r.exitCode}, root build ${r.buildSeconds.toFixed(0)} s, boot ${r.bootSeconds?.toFixed(1) ?? '?'} s, wall ${r.wallSeconds.toFixed(1)} s${r.failure ? `: ${r.failure}` : ''}\n`);
  process.exitCode = r.exitCode ?? 1;
}
