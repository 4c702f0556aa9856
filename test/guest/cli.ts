/**
 * Runs any command in the ZFS guest: `npm run guest -- [--pool NAME:SIZE]... -- CMD...`
 * e.g. `npm run guest -- --pool tank:1G -- zpool status`. Exits with the command's status.
 */
import { runInGuest, type GuestPool } from './run.js';

const argv = process.argv.slice(2);
const pools: GuestPool[] = [];
let i = 0;
for (; i < argv.length && argv[i] !== '--'; i++) {
  if (argv[i] === '--pool' && argv[i + 1]) {
    const [name, size] = (argv[++i] as string).split(':');
    pools.push({ name: name as string, size: size ?? '1G' });
  } else {
    process.stderr.write(`usage: npm run guest -- [--pool NAME:SIZE]... -- COMMAND...\n`);
    process.exit(2);
  }
}
const command = argv.slice(i + 1);
if (command.length === 0) command.push('sh', '-c', 'zpool status; zfs list');

const result = await runInGuest({ command, pools });
process.stderr.write(
  `guest: boot ${result.bootSeconds?.toFixed(1) ?? '?'} s, modprobe zfs ${result.modprobeSeconds?.toFixed(1) ?? '?'} s, ` +
    `wall ${result.wallSeconds.toFixed(1)} s, exit ${result.exitCode ?? 'none'}\n`,
);
if (result.failure) process.stderr.write(`guest: ${result.failure}\n`);
process.exit(result.exitCode ?? 1);
