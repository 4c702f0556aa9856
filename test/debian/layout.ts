/**
 * The real Debian root's place in the guest: pool `zcpdeb` on the virtio
 * disk the host attached, imported under an altroot (as a rescue system
 * would), laid out as a Debian root on ZFS is: `ROOT` a container,
 * `ROOT/debian` at `/` (canmount=noauto, the pool's bootfs), `/var` its
 * child, `home` beside the system, never part of it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
