/**
 * Mountpoints on a pool imported with an alternate root (`zpool import -R
 * /mnt/alt`, as from a rescue system). There the kernel's own answer is
 * unusable: OpenZFS 2.1's dsl_get_mountpoint, which channel programs read
 * through, formats the altroot into the buffer it is still reading the value
 * from and returns `/mnt/alt/mnt/alt/...` to the buffer's end. libzfs
 * computes the same path in user space from the stored value, correctly, so
 * for such an answer zcp asks the `zfs` command; and what zcp copies to another
 * dataset (a boot environment's clone) is the setting without the altroot,
 * stripped exactly once, so the clone boots at `/` and not at `/mnt/alt`.
 * @module
 */
import { CommandError, run } from '../subprocess.js';
import { ZfsError } from './errors.js';
import { getPoolProp } from './pool.js';

/**
 * Whether the kernel garbled this mountpoint (under an altroot it fills its
 * whole 8 KiB buffer): no mountpoint can be longer than a path (4,096 bytes),
 * so only a garbled one is. A kernel that gets it right answers with the
 * altroot in front, as libzfs does.
 */
export function garbled(value: string): boolean {
  return Buffer.byteLength(value) >= 4096;
}

/** The pool's alternate root, or undefined when it has none (`-`, or `/`, which changes nothing). */
export async function altrootOf(pool: string): Promise<string | undefined> {
  const v = await getPoolProp(pool, 'altroot');
  return v === '-' || v === '' || v === '/' ? undefined : v.replace(/\/+$/, '');
}

/**
 * A mountpoint as set, without the pool's alternate root: `altroot` itself
 * is `/`, `altroot/x` is `/x`; `none`, `legacy` and paths outside it as they are.
 */
export function withoutAltroot(value: string, altroot: string | undefined): string {
  if (!altroot) return value;
  if (value === altroot) return '/';
  if (value.startsWith(`${altroot}/`)) return value.slice(altroot.length);
  return value;
}

/** The mountpoint as `zfs get` prints it (the altroot in front), from libzfs in user space. */
export async function mountpointFromLibzfs(dataset: string): Promise<string> {
  let r;
  try {
    r = await run(['zfs', 'get', '-Hp', '-o', 'value', 'mountpoint', dataset]);
  } catch (e) {
    if (e instanceof CommandError) throw new ZfsError({ code: 'ZFS_UNAVAILABLE', operation: 'getProps', dataset, message: `getProps ${dataset}: the pool has an alternate root and the zfs command, which reads its mountpoints right, is missing: ${e.message}` });
    throw e;
  }
  if (r.status !== 0) {
    const text = r.stderr.trim().split('\n')[0] ?? '';
    const code = /does not exist/.test(text) ? 'DATASET_NOT_FOUND' : 'COMMAND_FAILED';
    throw new ZfsError({ code, operation: 'getProps', dataset, message: `getProps ${dataset}: ${text || `zfs get exited with ${r.status}`}` });
  }
  return r.stdout.replace(/\n$/, '');
}
