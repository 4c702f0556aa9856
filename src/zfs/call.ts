/**
 * The one path from the typed API into the addon: ZFS_UNAVAILABLE when
 * libzfs_core can't be used, per-operation errno translation otherwise.
 * @internal
 * @module
 */
import { addon, type LzcOutcome, type NativeZfs } from '../addon.js';
import { ZfsError, errno } from './errors.js';
import { lzcError, genericCode, type ErrnoMapper } from './translate.js';

/** Runs a native call; rejects with ZFS_UNAVAILABLE when libzfs_core can't be used. */
export async function lzc(
  operation: string,
  dataset: string | undefined,
  call: (native: NativeZfs) => Promise<LzcOutcome>,
): Promise<LzcOutcome> {
  const out = await call(addon().zfs);
  if (out.unavailable !== undefined) {
    const e = out.unavailableErrno;
    if (e === errno('EACCES') || e === errno('EPERM')) {
      // ZFS is there; this caller may not use it.
      throw new ZfsError({ code: 'PERMISSION_DENIED', errno: e, operation, dataset, message: `${operation}: permission denied: ${out.unavailable}` });
    }
    throw new ZfsError({ code: 'ZFS_UNAVAILABLE', errno: e, operation, dataset, message: `${operation}: ZFS is unavailable: ${out.unavailable}` });
  }
  return out;
}

/** Runs a native call and throws the translated ZfsError if it failed. */
export async function lzcChecked(
  operation: string,
  names: readonly string[],
  call: (native: NativeZfs) => Promise<LzcOutcome>,
  map: ErrnoMapper = genericCode,
): Promise<LzcOutcome> {
  const out = await lzc(operation, names[0], call);
  if (out.errno) throw lzcError(operation, names, out, map);
  return out;
}
