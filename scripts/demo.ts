/**
 * `npm run demo`: boots the ZFS guest with a file-backed pool and runs
 * scripts/demo-guest.ts there: apt-clone's story and an RPM-style rollback,
 * told with the real zcp command.
 */
import { runInGuest } from '../test/guest/run.js';

process.stdout.write('zcp demo: booting a qemu guest with the real OpenZFS kernel module (pool "demo" on a 1 GiB file)...\n');
const result = await runInGuest({
  command: ['node', '--import', 'tsx', 'scripts/demo-guest.ts'],
  pools: [{ name: 'demo', size: '1G' }],
  timeoutMs: 10 * 60_000,
});
process.stdout.write(
  `\nzcp demo: guest booted in ${result.bootSeconds?.toFixed(1) ?? '?'} s, whole demo ${result.wallSeconds.toFixed(1)} s\n`,
);
if (result.failure) process.stderr.write(`zcp demo: ${result.failure}\n`);
process.exitCode = result.exitCode ?? 1;
