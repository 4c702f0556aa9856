/**
 * ZfsError: every failure of the ZFS layer, with a stable `code`.
 * @module
 */
import { constants } from 'node:os';

/**
 * Stable error codes. zcp meanings where the operation gives the errno one
 * (as pyzfs translates per operation), else the errno's own name (`EIO`, ...).
 */
export type ZfsErrorCode =
  /** libzfs_core or /dev/zfs is missing: the reason is in the message. */
  | 'ZFS_UNAVAILABLE'
  /** A dataset or snapshot name breaks the rules of zfs(8). */
  | 'INVALID_NAME'
  /** A name is longer than 255 bytes. */
  | 'NAME_TOO_LONG'
  /** A property name or value is not acceptable. */
  | 'INVALID_PROPERTY'
  /** The dataset (or its pool) does not exist. */
  | 'DATASET_NOT_FOUND'
  /** A snapshot of that name exists already. */
  | 'SNAPSHOT_EXISTS'
  /** One call named the same snapshot twice, or two snapshots of one dataset. */
  | 'DUPLICATE_SNAPSHOTS'
  /** An atomic operation was given datasets of more than one pool. */
  | 'POOLS_DIFFER'
  /** The caller may not do this (not root, no `zfs allow`). */
  | 'PERMISSION_DENIED'
  /** The pool is out of space. */
  | 'NO_SPACE'
  /** A quota stops the change. */
  | 'QUOTA_EXCEEDED'
  /** The dataset is busy. */
  | 'BUSY'
  /** The pool is read-only. */
  | 'READ_ONLY_POOL'
  /** The pool is suspended (I/O failures). */
  | 'POOL_SUSPENDED'
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
export class ZfsError extends Error {
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
  }) {
    super(init.message);
    this.code = init.code;
    this.errno = init.errno;
    this.operation = init.operation;
    this.dataset = init.dataset;
    this.errors = init.errors ?? [];
  }
}
