/**
 * The real Debian root's place in the guest: pool `zcpdeb` on the virtio
 * disk the host attached, imported under an altroot (as a rescue system
 * would), laid out as a Debian root on ZFS is: `ROOT` a container,
 * `ROOT/debian` at `/` (canmount=noauto, the pool's bootfs), `/var` its
 * child, `home` beside the system, never part of it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const POOL = 'zcpdeb';
export const ALTROOT = '/mnt/deb';
export const ROOT_DS = `${POOL}/ROOT/debian`;
export const VAR_DS = `${ROOT_DS}/var`;
export const HOME_DS = `${POOL}/home`;
/** In the job folder: the boot environment scenario 5 leaves for test/boot (its name, dataset and upgrades). */
export const BOOT_ENVIRONMENT_FILE = 'boot-environment.json';

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The host's disk as /dev/vda1: a GPT partition (a whole-disk vdev would have zpool wait for udev, which the guest lacks). */
export function partitionDisk(): string {
  sh('modprobe', 'virtio_blk');
  for (let i = 0; i < 100 && !existsSync('/dev/vda'); i++) sh('sleep', '0.1');
  execFileSync('sfdisk', ['-q', '-X', 'gpt', '/dev/vda'], { input: ',,\n' });
  for (let i = 0; i < 100 && !existsSync('/dev/vda1'); i++) sh('sleep', '0.1');
  return '/dev/vda1';
}

/** Creates the pool and the layout on `device` and unpacks the root's tar into it. */
export function installRoot(device: string, tar: string): void {
  sh('zpool', 'create', '-f', '-o', 'ashift=12', '-R', ALTROOT, '-O', 'mountpoint=none', '-O', 'canmount=off', '-O', 'compression=lz4', '-O', 'atime=off', '-O', 'xattr=sa', '-O', 'acltype=posixacl', POOL, device);
  sh('zfs', 'create', '-o', 'mountpoint=none', '-o', 'canmount=off', `${POOL}/ROOT`);
  sh('zfs', 'create', '-o', 'mountpoint=/', '-o', 'canmount=noauto', ROOT_DS);
  sh('zfs', 'mount', ROOT_DS);
  sh('zfs', 'create', VAR_DS);
  sh('zfs', 'create', '-o', 'mountpoint=/home', HOME_DS);
  sh('zpool', 'set', `bootfs=${ROOT_DS}`, POOL);
  sh('tar', '-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-f', tar, '-C', ALTROOT);
}

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Makes the root a running system zcp can work in from inside: /proc, /sys,
 * /dev (with /dev/zfs) and /dev/pts mounted in, a tmpfs /run, and this node and this
 * project bound read-only at /run/zcp (the root's own libzfs_core, from its
 * zfsutils-linux, is what the addon loads there). Returns the argv of zcp
 * inside it, and the undo.
 */
export function enterable(): { zcp: string[]; leave: () => void } {
  const mounts: string[] = [];
  const mount = (...args: string[]) => {
    execFileSync('mount', args.slice(0, -1).concat(`${ALTROOT}${args[args.length - 1]}`));
    mounts.unshift(`${ALTROOT}${args[args.length - 1]}`);
  };
  mount('-t', 'proc', 'proc', '/proc');
  mount('-t', 'sysfs', 'sys', '/sys');
  mount('--bind', '/dev', '/dev');
  mount('-t', 'devpts', '-o', 'newinstance,ptmxmode=0666', 'devpts', '/dev/pts');
  mount('-t', 'tmpfs', '-o', 'mode=0755', 'run', '/run');
  mkdirSync(`${ALTROOT}/run/zcp/project`, { recursive: true });
  writeFileSync(`${ALTROOT}/run/zcp/node`, '');
  mount('--bind', '-o', 'ro', process.execPath, '/run/zcp/node');
  mount('--bind', '-o', 'ro', PROJECT, '/run/zcp/project');
  return {
    zcp: ['/run/zcp/node', '/run/zcp/project/dist/cli/main.cjs'],
    leave: () => {
      for (const m of mounts) execFileSync('umount', ['-l', m]);
    },
  };
}
