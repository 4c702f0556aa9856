/**
 * How apt-get is run on a system at a directory: directly when it is the
 * running system (/); entered with chroot when the system has an apt-get of
 * its own (a full root, a boot environment mounted aside: its own apt,
 * dpkg and maintainer scripts, /proc, /sys and /dev mounted in); otherwise
 * the host's apt-get pointed at it with apt's Dir and dpkg's --root (an
 * image or container root without apt).
 * @module
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Mounts } from '../checkpoint/mount.js';

/** Where the host's apt-get and dpkg work when pointed at a root: apt's Dir and dpkg's --root. */
export function rootOptions(root: string): string[] {
  const r = root.replace(/\/+$/, '');
  return ['-o', `Dir=${r}`, '-o', `Dir::State::status=${r}/var/lib/dpkg/status`, '-o', `DPkg::Options::=--root=${r}`];
}

/** True when `dir` holds an apt-get of its own. */
export function hasOwnApt(dir: string): boolean {
  try {
    lstatSync(join(dir, 'usr/bin/apt-get'));
    return true;
  } catch {
    return false;
  }
}

/** The argv that starts apt `program` (apt-get, apt-cache) on the system at `dir`, before its own arguments. */
export function aptProgram(dir: string, program: string): string[] {
  if (dir === '/' || dir === '') return [program];
  if (hasOwnApt(dir)) return ['chroot', dir, program];
  return [program, ...rootOptions(dir)];
}

/** The argv that runs `apt-get ARGS` on the system at `dir`; the kernel file systems a chroot needs go into `mounts`. */
export async function aptCommand(dir: string, args: readonly string[], mounts: Mounts): Promise<string[]> {
  const argv = [...aptProgram(dir, 'apt-get'), ...args];
  if (argv[0] === 'chroot') await mounts.forChroot(dir);
  return argv;
}
