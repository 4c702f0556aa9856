/**
 * errno → ZfsError, per operation, the way pyzfs's _error_translation.py does:
 * the same errno means different things to different lzc calls.
 * @module
 */
import type { LzcOutcome } from '../addon.js';
import { ZfsError, errno, errnoName, type ZfsErrorCode, type ZfsErrorEntry } from './errors.js';
import { poolOf } from './names.js';

/** Meanings that hold for every operation (pyzfs's _generic_exception). */
function genericCode(e: number): ZfsErrorCode {
  const table: [string, ZfsErrorCode][] = [
    ['ENOSPC', 'NO_SPACE'],
    ['EDQUOT', 'QUOTA_EXCEEDED'],
    ['EBUSY', 'BUSY'],
    ['ENAMETOOLONG', 'NAME_TOO_LONG'],
    ['EROFS', 'READ_ONLY_POOL'],
    ['EAGAIN', 'POOL_SUSPENDED'],
    ['EXDEV', 'POOLS_DIFFER'],
    ['EPERM', 'PERMISSION_DENIED'],
    ['EACCES', 'PERMISSION_DENIED'],
  ];
  for (const [name, code] of table) if (errno(name as 'EIO') === e) return code;
  return errnoName(e) as ZfsErrorCode;
}

const describe: Partial<Record<ZfsErrorCode, string>> = {
  DATASET_NOT_FOUND: 'dataset does not exist',
  SNAPSHOT_EXISTS: 'snapshot already exists',
  DUPLICATE_SNAPSHOTS: 'two snapshots of the same dataset in one call',
  POOLS_DIFFER: 'the names are in different pools',
  PERMISSION_DENIED: 'permission denied',
  NO_SPACE: 'out of space in the pool',
  QUOTA_EXCEEDED: 'quota exceeded',
  BUSY: 'dataset is busy',
  READ_ONLY_POOL: 'pool is read-only',
  POOL_SUSPENDED: 'pool is suspended',
  INVALID_PROPERTY: 'invalid property',
  INVALID_NAME: 'invalid name',
  NAME_TOO_LONG: 'name too long',
};

function what(code: ZfsErrorCode, e: number): string {
  return describe[code] ?? `${errnoName(e)} (errno ${e})`;
}

/** Maps one errno for one name to a code, knowing the operation's inputs. */
export type ErrnoMapper = (e: number, name: string | undefined) => ZfsErrorCode;

/**
 * Builds the ZfsError for a failed lzc call. Like pyzfs's _handle_err_list:
 * with a per-name list, each entry is mapped and the first one leads; without
 * one, the return code is mapped for the single name, if there was only one.
 */
export function lzcError(
  operation: string,
  names: readonly string[],
  out: LzcOutcome,
  map: ErrnoMapper = genericCode,
): ZfsError {
  const ret = out.errno ?? 0;
  let more = 0;
  const entries: ZfsErrorEntry[] = [];
  for (const item of out.errors ?? []) {
    if (item.name === 'N_MORE_ERRORS') more = item.errno;
    else entries.push({ name: item.name, errno: item.errno, code: map(item.errno, item.name) });
  }
  const lead = entries[0] ?? {
    name: names.length === 1 ? names[0] : undefined,
    errno: ret,
    code: map(ret, names.length === 1 ? names[0] : undefined),
  };
  const subject = lead.name ?? names.join(', ');
  let message = `${operation} ${subject}: ${what(lead.code, lead.errno)}`;
  const others = entries.length - 1 + more;
  if (others > 0) message += ` (and ${others} more error${others > 1 ? 's' : ''})`;
  return new ZfsError({
    code: lead.code,
    errno: lead.errno,
    operation,
    dataset: lead.name,
    errors: entries,
    message,
  });
}

/** lzc_snapshot: pyzfs's lzc_snapshot_translate_errors. */
export function snapshotMapper(snaps: readonly string[]): ErrnoMapper {
  return (e) => {
    if (e === errno('EXDEV')) {
      const pools = new Set(snaps.map(poolOf));
      return pools.size === 1 ? 'DUPLICATE_SNAPSHOTS' : 'POOLS_DIFFER';
    }
    if (e === errno('EEXIST')) return 'SNAPSHOT_EXISTS';
    if (e === errno('ENOENT')) return 'DATASET_NOT_FOUND';
    // Names were validated before the call, so EINVAL can only be a property.
    if (e === errno('EINVAL')) return 'INVALID_PROPERTY';
    return genericCode(e);
  };
}

export { genericCode };
