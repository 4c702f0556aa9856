/**
 * Mounting a boot environment somewhere to change it (apt-clone's "Upgrade
 * Checkpoint": the running system untouched), and the kernel file systems a
 * chroot into it needs. Every mount made is undone in reverse order, also
 * when a later one fails.
 * @module
 */
import { execFile } from 'node:child_process';
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { realDirectory, writeFileInRoot } from '../fs/in-root.js';

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
const POLICY_RC_D = '#!/bin/sh\n# zcp: no daemons start in a system entered with chroot (taken away afterwards)\nexit 101\n';

export class Mounts {
  private readonly done: string[] = [];
  private readonly files: string[] = [];

  /**
   * Mounts `dataset` at `rel` under `root` (made if missing; every component
   * a real directory, never a link: a boot environment's own `var -> /etc`
   * must not put a mount over the host's /etc).
   */
  async zfs(dataset: string, root: string, rel = ''): Promise<void> {
    const dir = realDirectory(root, rel.replace(/^\/+/, '')); // rel is under root even when written /var
    const [program, args] = zfsMountArgs(dataset, dir);
    await exec(program, args);
    this.done.push(dir);
  }

  /** /proc, /sys, /dev and /dev/pts inside `dir`, for a chroot (Linux), and a policy-rc.d. */
  async forChroot(dir: string): Promise<void> {
    this.policyRcD(dir);
    const binds: [string, string[]][] = [
      ['proc', ['-t', 'proc', 'proc']],
      ['sys', ['--bind', '/sys']],
      ['dev', ['--bind', '/dev']],
      ['dev/pts', ['--bind', '/dev/pts']],
    ];
    for (const [where, how] of binds) {
      const target = realDirectory(dir, where); // a planted `dev -> /etc` is refused, not mounted over
      await exec('mount', [...how, target]);
      this.done.push(target);
    }
  }

  /**
   * A `policy-rc.d` that answers 101 ("action forbidden") inside a system
   * entered with chroot, as debootstrap and container builders do: its
   * maintainer scripts' invoke-rc.d and deb-systemd-invoke then start no
   * daemon of a system that is not running. Only when there is none; taken
   * away by undo() if it is still zcp's.
   */
  policyRcD(dir: string): void {
    const path = `${realDirectory(dir, 'usr/sbin')}/policy-rc.d`;
    if (lstatSync(path, { throwIfNoEntry: false })) return;
    writeFileInRoot(dir, 'usr/sbin/policy-rc.d', POLICY_RC_D, 0o755);
    this.files.push(path);
  }

  /** Unmounts everything, newest first; a busy one is detached lazily (Linux) rather than left. */
  async undo(): Promise<void> {
    for (const f of this.files.splice(0)) {
      try {
        if (readFileSync(f, 'utf8') === POLICY_RC_D) unlinkSync(f);
      } catch {
        /* gone already */
      }
    }
    while (this.done.length) {
      const dir = this.done.pop()!;
      await exec('umount', [dir]).catch(() => (process.platform === 'linux' ? exec('umount', ['-l', dir]) : undefined));
    }
  }
}
