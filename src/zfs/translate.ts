/**
 * errno → ZfsError, per operation, the way pyzfs's _error_translation.py does:
 * the same errno means different things to different lzc calls.
 * @module
 */
import type { LzcOutcome } from '../addon.js';
import { ZfsError, errno, errnoName, type ZfsErrorCode, type ZfsErrorEntry } from './errors.js';
import { poolOf } from './names.js';

/** zfs_errno_t: OpenZFS's own codes above the OS range (sys/fs/zfs.h). */
export const ZFS_ERR = {
  WRONG_PARENT: 1024 + 9,
  BOOKMARK_SOURCE_NOT_ANCESTOR: 1024 + 15,
  BADPROP: 1024 + 20,
} as const;

/** ETIME and ECHRNG as the kernel module sends them (FreeBSD has neither). */
const ETIME = process.platform === 'freebsd' ? errno('ETIMEDOUT') : errno('ETIME');
const ECHRNG = process.platform === 'freebsd' ? errno('ENXIO') : process.platform === 'linux' ? 44 : 37;

const E = (name: Parameters<typeof errno>[0]) => errno(name);

/** Meanings that hold for every operation (pyzfs's _generic_exception). */
export function genericCode(e: number): ZfsErrorCode {
  switch (e) {
    case E('ENOSPC'): return 'NO_SPACE';
    case E('EDQUOT'): return 'QUOTA_EXCEEDED';
    case E('EBUSY'): return 'BUSY';
    case E('ENAMETOOLONG'): return 'NAME_TOO_LONG';
    case E('EROFS'): return 'READ_ONLY_POOL';
    case E('EAGAIN'): return 'POOL_SUSPENDED';
    case E('EXDEV'): return 'POOLS_DIFFER';
    case E('EPERM'):
    case E('EACCES'): return 'PERMISSION_DENIED';
    case E('ENOTSUP'): return 'FEATURE_NOT_SUPPORTED';
    case ZFS_ERR.WRONG_PARENT: return 'WRONG_PARENT';
    case ZFS_ERR.BADPROP: return 'INVALID_PROPERTY';
    default: return errnoName(e) as ZfsErrorCode;
  }
}

const describe: Partial<Record<ZfsErrorCode, string>> = {
  DATASET_NOT_FOUND: 'dataset does not exist',
  PARENT_NOT_FOUND: 'parent dataset does not exist',
  POOL_NOT_FOUND: 'pool does not exist',
  SNAPSHOT_NOT_FOUND: 'snapshot does not exist',
  DATASET_EXISTS: 'dataset already exists',
  SNAPSHOT_EXISTS: 'snapshot already exists',
  DUPLICATE_SNAPSHOTS: 'two snapshots of the same dataset in one call',
  POOLS_DIFFER: 'the names are in different pools',
  SNAPSHOT_HAS_CLONES: 'snapshot has clones (destroy or promote them first)',
  SNAPSHOT_HELD: 'snapshot has user holds (release them first)',
  NOT_LATEST_SNAPSHOT: 'not the latest snapshot of its dataset (later snapshots would be lost)',
  HAS_CHILDREN: 'dataset has children',
  HAS_SNAPSHOTS: 'dataset has snapshots',
  NOT_A_CLONE: 'dataset is not a clone',
  HOLD_EXISTS: 'a hold with that tag exists already',
  HOLD_NOT_FOUND: 'no hold with that tag',
  BAD_CLEANUP_FD: 'the cleanup descriptor is not an open /dev/zfs',
  BOOKMARK_EXISTS: 'bookmark already exists',
  BOOKMARK_MISMATCH: 'the source is not an ancestor of the bookmark',
  FEATURE_NOT_SUPPORTED: 'the pool does not support this (feature disabled?)',
  WRONG_PARENT: 'the parent is not a filesystem',
  CHANNEL_PROGRAM_TIMEOUT: 'channel program ran out of instructions',
  CHANNEL_PROGRAM_MEMORY: 'channel program ran out of memory',
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
  detail?: string,
): ZfsError {
  const ret = out.errno ?? 0;
  let more = 0;
  const entries: ZfsErrorEntry[] = [];
  for (const item of out.errors ?? []) {
    if (item.name === 'N_MORE_ERRORS') more = item.errno;
    else entries.push({ name: item.name, errno: item.errno, code: map(item.errno, item.name) });
  }
  const single = names.length === 1 ? names[0] : undefined;
  const lead = entries[0] ?? { name: single, errno: ret, code: map(ret, single) };
  const subject = lead.name ?? names.join(', ');
  let message = `${operation} ${subject}: ${detail ?? what(lead.code, lead.errno)}`;
  const others = entries.length - 1 + more;
  if (others > 0) message += ` (and ${others} more error${others > 1 ? 's' : ''})`;
  return new ZfsError({ code: lead.code, errno: lead.errno, operation, dataset: lead.name, errors: entries, message });
}

/** Builds a mapper from errno-name → code pairs, falling back to the generic meanings. */
function mapper(table: Partial<Record<Parameters<typeof errno>[0], ZfsErrorCode>>, extra: Record<number, ZfsErrorCode> = {}): ErrnoMapper {
  const byNumber = new Map<number, ZfsErrorCode>(Object.entries(extra).map(([k, v]) => [Number(k), v]));
  for (const [name, code] of Object.entries(table)) byNumber.set(errno(name as 'EIO'), code as ZfsErrorCode);
  return (e) => byNumber.get(e) ?? genericCode(e);
}

/** lzc_snapshot: pyzfs's lzc_snapshot_translate_errors. */
export function snapshotMapper(snaps: readonly string[]): ErrnoMapper {
  const rest = mapper({ EEXIST: 'SNAPSHOT_EXISTS', ENOENT: 'DATASET_NOT_FOUND', EINVAL: 'INVALID_PROPERTY' });
  return (e, name) => {
    if (e === errno('EXDEV')) return new Set(snaps.map(poolOf)).size === 1 ? 'DUPLICATE_SNAPSHOTS' : 'POOLS_DIFFER';
    // Names were validated before the call, so EINVAL can only be a property.
    return rest(e, name);
  };
}

export const MAP = {
  create: mapper({ EEXIST: 'DATASET_EXISTS', ENOENT: 'PARENT_NOT_FOUND', EINVAL: 'INVALID_PROPERTY' }),
  clone: mapper({ EEXIST: 'DATASET_EXISTS', EXDEV: 'POOLS_DIFFER', EINVAL: 'INVALID_PROPERTY' }),
  promote: mapper({ EINVAL: 'NOT_A_CLONE', ENOTSOCK: 'NOT_A_CLONE', ENOENT: 'DATASET_NOT_FOUND', EEXIST: 'SNAPSHOT_EXISTS' }),
  destroySnapshots: mapper({ EEXIST: 'SNAPSHOT_HAS_CLONES', EBUSY: 'SNAPSHOT_HELD', ENOENT: 'POOL_NOT_FOUND' }),
  destroy: mapper({ ENOENT: 'DATASET_NOT_FOUND', EEXIST: 'HAS_CHILDREN' }),
  rollback: mapper({ ESRCH: 'SNAPSHOT_NOT_FOUND', ENOENT: 'DATASET_NOT_FOUND' }),
  rollbackTo: mapper({ EEXIST: 'NOT_LATEST_SNAPSHOT', ESRCH: 'SNAPSHOT_NOT_FOUND', ENOENT: 'DATASET_NOT_FOUND' }),
  rename: mapper({ EEXIST: 'DATASET_EXISTS', ENOENT: 'DATASET_NOT_FOUND', EXDEV: 'POOLS_DIFFER' }),
  hold: mapper({ ENOENT: 'SNAPSHOT_NOT_FOUND', EEXIST: 'HOLD_EXISTS', E2BIG: 'NAME_TOO_LONG', EXDEV: 'POOLS_DIFFER', EBADF: 'BAD_CLEANUP_FD' }),
  release: mapper({ ENOENT: 'HOLD_NOT_FOUND', E2BIG: 'NAME_TOO_LONG', EXDEV: 'POOLS_DIFFER' }),
  getHolds: mapper({ ENOENT: 'SNAPSHOT_NOT_FOUND' }),
  bookmark: mapper(
    { EEXIST: 'BOOKMARK_EXISTS', ENOENT: 'SNAPSHOT_NOT_FOUND', EXDEV: 'POOLS_DIFFER', EINVAL: 'INVALID_NAME' },
    { [ZFS_ERR.BOOKMARK_SOURCE_NOT_ANCESTOR]: 'BOOKMARK_MISMATCH' },
  ),
  getBookmarks: mapper({ ENOENT: 'DATASET_NOT_FOUND' }),
  // zfs.check/sync.set_prop in a channel program: EINVAL (and E2BIG, too long a value) is the property.
  setProp: mapper({ EINVAL: 'INVALID_PROPERTY', E2BIG: 'INVALID_PROPERTY', ENOENT: 'DATASET_NOT_FOUND' }),
  // Channel programs: ENOSPC is Lua's memory limit, ENOMEM an output too big
  // for the buffer (sized by the memory limit), ETIME the instruction limit.
  channelProgram: mapper(
    { ENOENT: 'POOL_NOT_FOUND', ENOSPC: 'CHANNEL_PROGRAM_MEMORY', ENOMEM: 'CHANNEL_PROGRAM_MEMORY', EINVAL: 'CHANNEL_PROGRAM_ERROR' },
    { [ETIME]: 'CHANNEL_PROGRAM_TIMEOUT', [ECHRNG]: 'CHANNEL_PROGRAM_ERROR' },
  ),
} satisfies Record<string, ErrnoMapper>;
