import { execFileSync } from 'node:child_process';

/** Runs a zfs/zpool command (the oracle) and returns its stdout. */
export function run(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let counter = 0;
/** A dataset name not used before in this process. */
export function fresh(pool: string, prefix = 'ds'): string {
  counter += 1;
  return `${pool}/${prefix}${process.pid}x${counter}`;
}

/** Creates filesystems with the zfs command and returns their names. */
export function createFilesystems(...names: string[]): string[] {
  for (const n of names) run('zfs', 'create', '-p', n);
  return names;
}
