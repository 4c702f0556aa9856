/**
 * Mounting a boot environment somewhere to change it (apt-clone's "Upgrade
 * Checkpoint": the running system untouched), and the kernel file systems a
 * chroot into it needs. Every mount made is undone in reverse order, also
 * when a later one fails.
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

function exec(program: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { env: { ...process.env, LC_ALL: 'C' } }, (err, _out, stderr) => (err ? reject(new Error(`${program} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve()));
  });
}

/** The platform's way to mount a ZFS dataset at a directory whatever its mountpoint property says. */
function zfsMountArgs(dataset: string, dir: string): [string, string[]] {
  if (process.platform === 'linux') return ['mount', ['-t', 'zfs', '-o', 'zfsutil', dataset, dir]];
  if (process.platform === 'sunos') return ['mount', ['-F', 'zfs', dataset, dir]];
  return ['mount', ['-t', 'zfs', dataset, dir]]; // FreeBSD
}

/** Mounts made so far, undone last-first. */
export class Mounts {
  private readonly done: string[] = [];

  /** Mounts `dataset` at `dir` (made if missing). */
  async zfs(dataset: string, dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const [program, args] = zfsMountArgs(dataset, dir);
    await exec(program, args);
    this.done.push(dir);
  }

  /** /proc, /sys, /dev and /dev/pts inside `dir`, for a chroot (Linux). */
  async forChroot(dir: string): Promise<void> {
    const binds: [string, string[]][] = [
      ['proc', ['-t', 'proc', 'proc']],
      ['sys', ['--bind', '/sys']],
      ['dev', ['--bind', '/dev']],
      ['dev/pts', ['--bind', '/dev/pts']],
    ];
    for (const [where, how] of binds) {
      const target = join(dir, where);
      mkdirSync(target, { recursive: true });
      await exec('mount', [...how, target]);
      this.done.push(target);
    }
  }

  /** Unmounts everything, newest first; a busy one is detached lazily (Linux) rather than left. */
  async undo(): Promise<void> {
    while (this.done.length) {
      const dir = this.done.pop()!;
      await exec('umount', [dir]).catch(() => (process.platform === 'linux' ? exec('umount', ['-l', dir]) : undefined));
    }
  }
}
