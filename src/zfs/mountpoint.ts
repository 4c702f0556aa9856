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
import { getPoolProp } from './pool.js';
import { runTool, toolFailure } from './tool.js';

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
  const r = await runTool('zfs', ['get', '-Hp', '-o', 'value', 'mountpoint', dataset]);
  if (r.code !== 0) throw toolFailure('zfs', 'getProps', dataset, r, "the kernel garbled the mountpoint (the pool's altroot), libzfs reads it right");
  return r.stdout.replace(/\n$/, '');
}
