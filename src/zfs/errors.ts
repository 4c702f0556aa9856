/**
 * ZfsError: every failure of the ZFS layer, with a stable `code`.
 * @module
 */
import { constants } from 'node:os';
import { ZcpError } from '../errors.js';

/**
 * Stable error codes. zcp meanings where the operation gives the errno one
 * (as pyzfs translates per operation), else the errno's own name (`EIO`, ...).
 */
export type ZfsErrorCode =
  /** libzfs_core or /dev/zfs is missing: the reason is in the message. */
  | 'ZFS_UNAVAILABLE'
  /** A dataset, snapshot, bookmark or pool name breaks the rules of zfs(8). */
  | 'INVALID_NAME'
  /** A name (or hold tag) is longer than 255 bytes. */
  | 'NAME_TOO_LONG'
  /** A property name or value is not acceptable. */
  | 'INVALID_PROPERTY'
  /** An argument is not acceptable (a limit, a file descriptor, an empty list). */
  | 'INVALID_ARGUMENT'
  /** The dataset does not exist. */
  | 'DATASET_NOT_FOUND'
  /** The parent of a dataset to create does not exist. */
  | 'PARENT_NOT_FOUND'
  /** The pool does not exist. */
  | 'POOL_NOT_FOUND'
  /** The snapshot does not exist (or, for rollback, there is none). */
  | 'SNAPSHOT_NOT_FOUND'
  /** A dataset of that name exists already. */
  | 'DATASET_EXISTS'
  /** A snapshot of that name exists already. */
  | 'SNAPSHOT_EXISTS'
  /** One call named the same snapshot twice, or two snapshots of one dataset. */
  | 'DUPLICATE_SNAPSHOTS'
  /** An atomic operation was given names in more than one pool. */
  | 'POOLS_DIFFER'
  /** The snapshot has clones: destroy or promote them first. */
  | 'SNAPSHOT_HAS_CLONES'
  /** The snapshot has user holds: release them first. */
  | 'SNAPSHOT_HELD'
  /** rollbackTo: the snapshot is not the latest one of its dataset. */
  | 'NOT_LATEST_SNAPSHOT'
  /** The dataset has child datasets. */
  | 'HAS_CHILDREN'
  /** The dataset has snapshots. */
  | 'HAS_SNAPSHOTS'
  /** promote: the dataset is not a clone. */
  | 'NOT_A_CLONE'
  /** hold: the snapshot already has a hold with that tag. */
  | 'HOLD_EXISTS'
  /** release: no hold with that tag. */
  | 'HOLD_NOT_FOUND'
  /** hold: the cleanup descriptor is not an open /dev/zfs. */
  | 'BAD_CLEANUP_FD'
  /** bookmark: a bookmark of that name exists already. */
  | 'BOOKMARK_EXISTS'
  /** bookmark: the source is not an ancestor of the bookmark's dataset. */
  | 'BOOKMARK_MISMATCH'
  /** The pool lacks the feature the operation needs. */
  | 'FEATURE_NOT_SUPPORTED'
  /** create/rename: the parent is not a filesystem. */
  | 'WRONG_PARENT'
  /** A channel program ran out of instructions even at the largest limit. */
  | 'CHANNEL_PROGRAM_TIMEOUT'
  /** A channel program ran out of memory, or its output did not fit, even at the largest limit. */
  | 'CHANNEL_PROGRAM_MEMORY'
  /** A channel program failed: syntax or run-time error (the message has Lua's text). */
  | 'CHANNEL_PROGRAM_ERROR'
  /** The caller may not do this (not root, no `zfs allow`). */
  | 'PERMISSION_DENIED'
  /** The pool is out of space. */
  | 'NO_SPACE'
  /** A quota stops the change. */
  | 'QUOTA_EXCEEDED'
  /** The dataset is busy (mounted, or in use). */
  | 'BUSY'
  /** The pool is read-only. */
  | 'READ_ONLY_POOL'
  /** The pool is suspended (I/O failures). */
  | 'POOL_SUSPENDED'
  /** A zpool/zfs command failed in a way zcp does not recognise (message has its output). */
  | 'COMMAND_FAILED'
  /** An errno with no zcp meaning for this operation: its name, like `EIO`. */
  | `E${string}`;

/** One entry of the per-name error list that libzfs_core returns. */
export interface ZfsErrorEntry {
  name: string;
  errno: number;
  code: ZfsErrorCode;
}

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** The symbolic name of an errno on this platform (`ENOENT`), or `E<number>`. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** This platform's value of an errno name (errno numbers differ between Linux, FreeBSD and illumos). */
export function errno(name: keyof typeof constants.errno): number {
  return constants.errno[name];
}

/** An error of the ZFS layer. `code` is stable; `message` is for people. */
export class ZfsError extends ZcpError {
  override readonly name = 'ZfsError';
  /** Stable, machine-readable code. */
  readonly code: ZfsErrorCode;
  /** The OS errno behind it, when there is one. */
  readonly errno: number | undefined;
  /** The zcp operation that failed (`snapshot`, `exists`, ...). */
  readonly operation: string;
  /** The dataset, snapshot or pool it is about, when one can be named. */
  readonly dataset: string | undefined;
  /** The per-name errors libzfs_core returned (empty if it gave none). */
  readonly errors: readonly ZfsErrorEntry[];

  constructor(init: {
    code: ZfsErrorCode;
    message: string;
    operation: string;
    errno?: number | undefined;
    dataset?: string | undefined;
    errors?: readonly ZfsErrorEntry[];
    cause?: unknown;
  }) {
    super(init.message, { subject: init.dataset, cause: init.cause });
    this.code = init.code;
    this.errno = init.errno;
    this.operation = init.operation;
    this.dataset = init.dataset;
    this.errors = init.errors ?? [];
  }
}
