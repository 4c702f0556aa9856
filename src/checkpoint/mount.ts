/**
 * Mounting a boot environment somewhere to change it (apt-clone's "Upgrade
 * Checkpoint": the running system untouched), and the kernel file systems a
 * chroot into it needs. Every mount made is undone in reverse order, also
 * when a later one fails.
 * @module
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { realDirectory, writeFileInRoot } from '../fs/in-root.js';
import { runChecked } from '../subprocess.js';
import { mountTable } from '../fs/mount-table.js';

/** Runs a mount or umount. @throws {@link CommandError} `COMMAND_FAILED`, `COMMAND_NOT_FOUND`. */
async function exec(program: string, args: string[]): Promise<void> {
  await runChecked([program, ...args]);
}

/** The platform's way to mount a ZFS dataset at a directory whatever its mountpoint property says. */
function zfsMountArgs(dataset: string, dir: string): [string, string[]] {
  if (process.platform === 'linux') return ['mount', ['-t', 'zfs', '-o', 'zfsutil', dataset, dir]];
  if (process.platform === 'sunos') return ['mount', ['-F', 'zfs', dataset, dir]];
  return ['mount', ['-t', 'zfs', dataset, dir]]; // FreeBSD
}

const POLICY_RC_D = '#!/bin/sh\n# zcp: no daemons start in a system entered with chroot (taken away afterwards)\nexit 101\n';

/** The platform's bind mount (a directory shown at a second place): Linux's --bind, FreeBSD's nullfs, illumos' lofs. */
function bindArgs(source: string, dir: string): [string, string[]] {
  if (process.platform === 'linux') return ['mount', ['--bind', source, dir]];
  if (process.platform === 'sunos') return ['mount', ['-F', 'lofs', '-o', 'ro', source, dir]];
  return ['mount', ['-t', 'nullfs', '-o', 'ro', source, dir]];
}

/** The platform's mount of a `mountpoint=legacy` dataset (zfsutil refuses legacy ones). */
function legacyMountArgs(dataset: string, dir: string): [string, string[]] {
  if (process.platform === 'sunos') return ['mount', ['-F', 'zfs', dataset, dir]];
  return ['mount', ['-t', 'zfs', dataset, dir]];
}

/** Where a chroot needs the kernel's file systems, in the order they are mounted. */
const CHROOT_TARGETS = ['proc', 'sys', 'dev', 'dev/pts'] as const;

/** Mounts made so far, undone last-first. */
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

  /** Mounts `dataset`, whose mountpoint is `legacy` (never mounted by itself), at the directory `dir`. */
  async zfsLegacy(dataset: string, dir: string): Promise<void> {
    const [program, args] = legacyMountArgs(dataset, dir);
    await exec(program, args);
    this.done.push(dir);
  }

  /**
   * Shows the directory `source` (a snapshot's `.zfs/snapshot/ID`, read-only
   * itself) at `rel` under `root` too (every component a real directory, as for zfs()).
   */
  async bind(source: string, root: string, rel = ''): Promise<void> {
    const dir = realDirectory(root, rel.replace(/^\/+/, ''));
    const [program, args] = bindArgs(source, dir);
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
      // (CHROOT_TARGETS, in this order)
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

/**
 * What a transaction is about to mount, written into its history entry
 * before the first mount: when its process dies (kill -9, the OOM killer)
 * with the mounts in place, `zcp repair` undoes exactly these, and nothing
 * else that is mounted there.
 */
export interface MountRecord {
  /** A directory zcp made for it (mode 0700, a boot environment mounted aside): everything mounted at or under it is zcp's. */
  aside?: string;
  /** A system root it enters with chroot, in place: how many mounts each kernel file system's target had before zcp's went on top. */
  chroot?: { root: string; before: Record<string, number> };
}

/** A chroot into `root` as it is now: the mounts already at each target (zcp's go on top of those). */
export function chrootRecord(system: string): NonNullable<MountRecord['chroot']> {
  const root = realpathSync(system); // as the mount table names it
  const table = mountTable();
  const before: Record<string, number> = {};
  for (const t of CHROOT_TARGETS) before[t] = table.filter((m) => m.mountpoint === join(root, t)).length;
  return { root, before };
}

/** What a dead transaction left mounted: the mounts to undo (newest first), zcp's policy-rc.d, the directory to remove, and processes still running in it. */
export interface LeftMounts {
  unmount: string[];
  files: string[];
  dir?: string;
  /** Processes whose root is in there (the package manager outlived zcp): then nothing is undone yet. */
  busy: { pid: number; command: string }[];
}

/** Processes whose root directory is `dir` or under it (Linux /proc). */
function processesIn(dir: string): { pid: number; command: string }[] {
  const out: { pid: number; command: string }[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const root = readlinkSync(`/proc/${pid}/root`);
      if (root === dir || root.startsWith(`${dir}/`)) out.push({ pid: Number(pid), command: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** zcp's own policy-rc.d at `path` (never one the system had). */
function isOurPolicyRcD(path: string): boolean {
  try {
    return lstatSync(path).isFile() && readFileSync(path, 'utf8') === POLICY_RC_D;
  } catch {
    return false;
  }
}

/** What {@link undoLeftMounts} would undo for a transaction's record, read from the mount table now. */
export function leftMounts(record: MountRecord): LeftMounts {
  const table = mountTable();
  const left: LeftMounts = { unmount: [], files: [], busy: [] };
  if (record.aside) {
    const dir = record.aside;
    const under = table.filter((m) => m.mountpoint === dir || m.mountpoint.startsWith(`${dir}/`));
    left.unmount.push(...under.map((m) => m.mountpoint).reverse());
    if (under.length) left.busy.push(...processesIn(dir));
    const rc = join(dir, 'usr/sbin/policy-rc.d');
    if (under.length && isOurPolicyRcD(rc)) left.files.push(rc);
    if (lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) left.dir = dir;
  }
  if (record.chroot) {
    const { root, before } = record.chroot;
    let any = false;
    for (const t of [...CHROOT_TARGETS].reverse()) {
      const at = join(root, t);
      const now = table.filter((m) => m.mountpoint === at).length;
      // Only a mount on top of what was there before: one a user made there is not zcp's to undo.
      if (now > (before[t] ?? 0)) {
        left.unmount.push(at);
        any = true;
      }
    }
    if (any) left.busy.push(...processesIn(root));
    const rc = join(root, 'usr/sbin/policy-rc.d');
    if (isOurPolicyRcD(rc)) left.files.push(rc);
  }
  return left;
}

/**
 * Undoes what a transaction whose process died left mounted (see
 * {@link MountRecord}): zcp's policy-rc.d first (while the boot environment
 * holding it is still mounted), then the mounts newest first, then the
 * directory, only when empty. Nothing while a process still runs in there.
 * @returns what was undone, one line each.
 */
export async function undoLeftMounts(record: MountRecord): Promise<string[]> {
  const left = leftMounts(record);
  if (left.busy.length) return [];
  const done: string[] = [];
  for (const f of left.files) {
    unlinkSync(f);
    done.push(`removed ${f}`);
  }
  for (const dir of left.unmount) {
    await exec('umount', [dir]).catch((e: unknown) => (process.platform === 'linux' ? exec('umount', ['-l', dir]) : Promise.reject(e)));
    done.push(`unmounted ${dir}`);
  }
  if (left.dir) {
    try {
      rmdirSync(left.dir); // only when empty: never delete through a mount that did not go
      done.push(`removed ${left.dir}`);
    } catch {
      /* not empty: left for the operator */
    }
  }
  return done;
}
