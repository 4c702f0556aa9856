/**
 * Snapshots, holds and bookmarks.
 * @module
 */
import { lzc, lzcChecked } from './call.js';
import { ZfsError, errno } from './errors.js';
import { checkHoldTag, checkName, checkNotEmpty, checkSamePool, checkUserProps, datasetOf } from './names.js';
import { MAP, lzcError, snapshotMapper } from './translate.js';

/**
 * Creates snapshots atomically, in one transaction group: all or none
 * (lzc_snapshot). All names must be in one pool, at most one per dataset.
 * `props` are user properties (`module:name` → string) set on every snapshot.
 *
 * @throws {@link ZfsError}
 * - `INVALID_NAME` / `NAME_TOO_LONG`: a name breaks zfs(8)'s rules
 * - `INVALID_ARGUMENT`: no names
 * - `POOLS_DIFFER`: the snapshots are in more than one pool
 * - `DUPLICATE_SNAPSHOTS`: two snapshots of one dataset
 * - `INVALID_PROPERTY`: a property is not a valid user property
 * - `SNAPSHOT_EXISTS`: a snapshot of that name exists (see `errors`)
 * - `DATASET_NOT_FOUND`: a dataset does not exist (see `errors`)
 * - `NO_SPACE`, `PERMISSION_DENIED`, `ZFS_UNAVAILABLE`, or an errno name
 */
export async function snapshot(names: readonly string[], props: Record<string, string> = {}): Promise<void> {
  const op = 'snapshot';
  checkNotEmpty(op, 'snapshot names', names);
  for (const n of names) checkName(op, n, 'snapshot');
  checkSamePool(op, names, '; one atomic snapshot is one pool: take one per pool');
  const seen = new Set<string>();
  for (const n of names) {
    const ds = datasetOf(n);
    if (seen.has(ds)) {
      throw new ZfsError({
        code: 'DUPLICATE_SNAPSHOTS',
        errno: errno('EXDEV'),
        operation: op,
        dataset: n,
        message: `snapshot: ${ds} is named twice; one call takes at most one snapshot per dataset`,
      });
    }
    seen.add(ds);
  }
  checkUserProps(op, names[0], props);
  const list = [...names];
  await lzcChecked(op, list, (n) => n.snapshot(list, props), snapshotMapper(list));
}

/**
 * Destroys snapshots of one pool atomically (lzc_destroy_snaps). A snapshot
 * that does not exist is not an error. With `defer`, a snapshot that has
 * clones or holds is marked for destruction when the last one goes (`zfs destroy -d`).
 * @throws {@link ZfsError} `SNAPSHOT_HAS_CLONES`, `SNAPSHOT_HELD` (per name in
 * `errors`), `POOLS_DIFFER`, `POOL_NOT_FOUND`, `PERMISSION_DENIED`,
 * `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function destroySnapshots(names: readonly string[], options: { defer?: boolean } = {}): Promise<void> {
  const op = 'destroySnapshots';
  checkNotEmpty(op, 'snapshot names', names);
  for (const n of names) checkName(op, n, 'snapshot');
  checkSamePool(op, names, '; destroy them pool by pool');
  const list = [...new Set(names)];
  await lzcChecked(op, list, (n) => n.destroySnapshots(list, options.defer === true), MAP.destroySnapshots);
}

/** Options of {@link hold}. */
export interface HoldOptions {
  /**
   * An open file descriptor of /dev/zfs: the holds are released when it is
   * closed (or the process exits). Without it, holds stay until {@link release}.
   */
  cleanupFd?: number;
}

/**
 * Places user holds, `{snapshot: tag}`, atomically (lzc_hold). A held snapshot
 * can't be destroyed. All snapshots must be in one pool.
 * @throws {@link ZfsError} `HOLD_EXISTS`, `SNAPSHOT_NOT_FOUND` (per name in
 * `errors`), `NAME_TOO_LONG` (tag), `BAD_CLEANUP_FD`, `POOLS_DIFFER`,
 * `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function hold(holds: Record<string, string>, options: HoldOptions = {}): Promise<void> {
  const op = 'hold';
  const names = Object.keys(holds);
  checkNotEmpty(op, 'holds', names);
  for (const [snap, tag] of Object.entries(holds)) {
    checkName(op, snap, 'snapshot');
    checkHoldTag(op, snap, tag);
  }
  checkSamePool(op, names);
  const fd = options.cleanupFd ?? -1;
  if (!Number.isInteger(fd) || fd < -1) {
    throw new ZfsError({ code: 'BAD_CLEANUP_FD', errno: errno('EBADF'), operation: op, message: `hold: cleanupFd must be an open file descriptor of /dev/zfs` });
  }
  const out = await lzc(op, names[0], (n) => n.hold({ ...holds }, fd));
  if (out.errno) throw lzcError(op, names, out, MAP.hold);
  // lzc_hold skips snapshots that vanished and returns 0 with them in errlist.
  if (out.errors?.length) throw lzcError(op, names, { ...out, errno: out.errors[0]!.errno }, MAP.hold);
}

/**
 * Releases user holds, `{snapshot: [tags]}`, atomically (lzc_release).
 * @throws {@link ZfsError} `HOLD_NOT_FOUND` (per `snapshot#tag` in `errors`),
 * `POOLS_DIFFER`, `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function release(holds: Record<string, readonly string[]>): Promise<void> {
  const op = 'release';
  const names = Object.keys(holds);
  checkNotEmpty(op, 'holds', names);
  const arg: Record<string, Record<string, null>> = {};
  for (const [snap, tags] of Object.entries(holds)) {
    checkName(op, snap, 'snapshot');
    checkNotEmpty(op, `tags for ${snap}`, tags);
    arg[snap] = {};
    for (const tag of tags) {
      checkHoldTag(op, snap, tag);
      arg[snap][tag] = null;
    }
  }
  checkSamePool(op, names);
  const out = await lzc(op, names[0], (n) => n.release(arg));
  // lzc_release may return 0 and list holds that were not there.
  if (out.errno || out.errors?.length) throw lzcError(op, names, { ...out, errno: out.errno || out.errors![0]!.errno }, MAP.release);
}

/**
 * The user holds of a snapshot: tag → when it was placed.
 * @throws {@link ZfsError} `SNAPSHOT_NOT_FOUND`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function getHolds(snapshot: string): Promise<Record<string, Date>> {
  checkName('getHolds', snapshot, 'snapshot');
  const out = await lzcChecked('getHolds', [snapshot], (n) => n.getHolds(snapshot), MAP.getHolds);
  const holds: Record<string, Date> = {};
  for (const [tag, seconds] of Object.entries(out.result ?? {})) holds[tag] = new Date(Number(seconds) * 1000);
  return holds;
}

/**
 * Creates bookmarks, `{'fs#bookmark': 'fs@snapshot'}`, atomically (lzc_bookmark).
 * A bookmark keeps a snapshot's place for incremental sends after the snapshot is gone.
 * @throws {@link ZfsError} `BOOKMARK_EXISTS`, `SNAPSHOT_NOT_FOUND`, `BOOKMARK_MISMATCH`,
 * `POOLS_DIFFER`, `FEATURE_NOT_SUPPORTED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function bookmark(bookmarks: Record<string, string>): Promise<void> {
  const op = 'bookmark';
  const names = Object.keys(bookmarks);
  checkNotEmpty(op, 'bookmarks', names);
  for (const [bm, source] of Object.entries(bookmarks)) {
    checkName(op, bm, 'bookmark');
    checkName(op, source, source.includes('#') ? 'bookmark' : 'snapshot');
  }
  checkSamePool(op, [...names, ...Object.values(bookmarks)]);
  await lzcChecked(op, names, (n) => n.bookmark({ ...bookmarks }), MAP.bookmark);
}

/** A bookmark and the properties asked for. */
export interface BookmarkInfo {
  name: string;
  props: Record<string, string | number | bigint>;
}

/**
 * The bookmarks of a filesystem, with `guid`, `createtxg`, `creation` and any
 * other bookmark properties asked for.
 * @throws {@link ZfsError} `DATASET_NOT_FOUND`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function getBookmarks(fs: string, props: readonly string[] = []): Promise<BookmarkInfo[]> {
  checkName('getBookmarks', fs, 'dataset');
  const want = [...new Set(['guid', 'createtxg', 'creation', ...props])];
  const out = await lzcChecked('getBookmarks', [fs], (n) => n.getBookmarks(fs, want), MAP.getBookmarks);
  const list: BookmarkInfo[] = [];
  for (const [short, values] of Object.entries(out.result ?? {})) {
    const p: Record<string, string | number | bigint> = {};
    for (const [k, v] of Object.entries(values as Record<string, { value: string | number | bigint }>)) p[k] = v.value;
    list.push({ name: `${fs}#${short}`, props: p });
  }
  return list.sort((a, b) => Number(a.props.createtxg ?? 0) - Number(b.props.createtxg ?? 0));
}
