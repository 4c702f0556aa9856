/**
 * `npm run demo`: boots the ZFS guest with a file-backed pool and runs
 * scripts/demo-guest.ts there: apt-clone's story and an RPM-style rollback,
 * told with the real zcp command.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { runInGuest } from '../test/guest/run.js';

// The guest half bundled into one file here, so the guest starts it with
// plain node (tsx compiling it in the emulated guest took seconds).
const root = fileURLToPath(new URL('..', import.meta.url));
const guestHalf = `${root}.cache/demo-guest.mjs`; // one level below the root, as scripts/ is: its paths to dist/ hold
await build({
  entryPoints: [`${root}scripts/demo-guest.ts`],
  outfile: guestHalf,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
process.stdout.write('zcp demo: booting a qemu guest with the real OpenZFS kernel module (pool "demo" on a 1 GiB file)...\n');
const result = await runInGuest({
  command: ['node', guestHalf],
  cwd: root,
  pools: [{ name: 'demo', size: '1G' }],
  timeoutMs: 10 * 60_000,
});
process.stdout.write(
  `\nzcp demo: guest booted in ${result.bootSeconds?.toFixed(1) ?? '?'} s, whole demo ${result.wallSeconds.toFixed(1)} s\n`,
);
if (result.failure) process.stderr.write(`zcp demo: ${result.failure}\n`);
process.exitCode = result.exitCode ?? 1;
