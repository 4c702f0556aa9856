/**
 * Filesystems: exists, create, clone, promote, rename, rollback, destroy.
 * @module
 */
import { mountTable } from '../fs/mount-table.js';
import type { NvValue } from '../addon.js';
import { lzc, lzcChecked } from './call.js';
import { ZfsError, errno, errnoName } from './errors.js';
import { checkName, checkSamePool, checkUserProps, datasetOf, poolOf } from './names.js';
import { listSnapshots } from './props.js';
import { MAP, lzcError } from './translate.js';

/**
 * Properties for create and clone. User properties are strings; native ones
 * go to the kernel as it takes them: strings for string properties
 * (`mountpoint`), numbers for numeric ones (`quota`), and for index
 * properties either the kernel's number or, for the on/off ones and
 * `canmount`, the word (`canmount: 'noauto'`, `readonly: 'on'`).
 */
export type CreateProps = Record<string, string | number | bigint | boolean>;

// Index properties whose words zcp translates (zfs_prop.c): the ones boot
// environments use. Others take the kernel's number.
const ON_OFF = { off: 0, on: 1 } as const;
const INDEX_WORDS: Record<string, Record<string, number>> = {
  canmount: { off: 0, on: 1, noauto: 2 },
  readonly: ON_OFF,
  atime: ON_OFF,
  relatime: ON_OFF,
  exec: ON_OFF,
  setuid: ON_OFF,
  devices: ON_OFF,
};

function nativeProps(operation: string, name: string, props: CreateProps): Record<string, NvValue> {
  const out: Record<string, NvValue> = {};
  for (const [k, v] of Object.entries(props)) {
    const words = INDEX_WORDS[k];
    if (words && typeof v === 'string') {
      const n = words[v];
      if (n === undefined) {
        throw new ZfsError({
          code: 'INVALID_PROPERTY',
          errno: errno('EINVAL'),
          operation,
          dataset: name,
          message: `${operation} ${name}: ${k} must be one of ${Object.keys(words).join(', ')}`,
        });
      }
      out[k] = n;
    } else out[k] = v;
  }
  return out;
}

function kindOf(name: string): 'snapshot' | 'bookmark' | 'dataset' {
  return name.includes('@') ? 'snapshot' : name.includes('#') ? 'bookmark' : 'dataset';
}

function checkProps(operation: string, name: string, props: CreateProps): void {
  const user: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (k.includes(':')) user[k] = v;
  checkUserProps(operation, name, user);
}

/**
 * Whether a filesystem, volume or snapshot exists (lzc_exists).
 * @throws {@link ZfsError} `INVALID_NAME`, `NAME_TOO_LONG`, `ZFS_UNAVAILABLE`.
 */
export async function exists(name: string): Promise<boolean> {
  checkName('exists', name, kindOf(name) === 'bookmark' ? 'dataset' : kindOf(name));
  const out = await lzc('exists', name, (n) => n.exists(name));
  return out.value === true;
}

/**
 * Creates a filesystem (lzc_create). Like libzfs_core, it does not mount it.
 * @throws {@link ZfsError} `DATASET_EXISTS`, `PARENT_NOT_FOUND`, `INVALID_PROPERTY`,
 * `WRONG_PARENT`, `NO_SPACE`, `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function create(name: string, props: CreateProps = {}): Promise<void> {
  checkName('create', name, 'dataset');
  checkProps('create', name, props);
  const nv = nativeProps('create', name, props);
  await lzcChecked('create', [name], (n) => n.create(name, nv), MAP.create);
}

/**
 * Creates a writable clone of a snapshot (lzc_clone), in the same pool. Not mounted.
 * @throws {@link ZfsError} `SNAPSHOT_NOT_FOUND` (the origin), `PARENT_NOT_FOUND`,
 * `DATASET_EXISTS`, `POOLS_DIFFER`, `INVALID_PROPERTY`, `NO_SPACE`,
 * `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function clone(snapshot: string, target: string, props: CreateProps = {}): Promise<void> {
  checkName('clone', snapshot, 'snapshot');
  checkName('clone', target, 'dataset');
  checkSamePool('clone', [target, snapshot], ': a clone lives in its origin\'s pool');
  checkProps('clone', target, props);
  const nv = nativeProps('clone', target, props);
  const out = await lzc('clone', target, (n) => n.clone(target, snapshot, nv));
  if (!out.errno) return;
  if (out.errno === errno('ENOENT')) {
    // ENOENT means the origin or the target's parent is missing: say which.
    const originThere = await exists(snapshot);
    throw lzcError('clone', [originThere ? target : snapshot], out, () => (originThere ? 'PARENT_NOT_FOUND' : 'SNAPSHOT_NOT_FOUND'));
  }
  throw lzcError('clone', [target], out, MAP.clone);
}

/**
 * Promotes a clone (lzc_promote): the origin's snapshots up to the clone's
 * origin move to the clone, and the old parent becomes its clone.
 * @throws {@link ZfsError} `NOT_A_CLONE`, `DATASET_NOT_FOUND`, `SNAPSHOT_EXISTS`
 * (a snapshot name clashes: `dataset` names it), `PERMISSION_DENIED`, `ZFS_UNAVAILABLE`.
 */
export async function promote(fs: string): Promise<void> {
  checkName('promote', fs, 'dataset');
  const out = await lzc('promote', fs, (n) => n.promote(fs));
  if (!out.errno) return;
  const conflict = typeof out.value === 'string' && out.value ? out.value : undefined;
  throw lzcError('promote', [conflict ? `${fs}@${conflict}` : fs], out, MAP.promote);
}

/**
 * Renames a filesystem within its pool (lzc_rename).
 * @throws {@link ZfsError} `DATASET_NOT_FOUND`, `DATASET_EXISTS`, `POOLS_DIFFER`,
 * `WRONG_PARENT`, `BUSY`, `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function rename(from: string, to: string): Promise<void> {
  checkName('rename', from, 'dataset');
  checkName('rename', to, 'dataset');
  checkSamePool('rename', [from, to], ': rename stays within a pool');
  const out = await lzc('rename', from, (n) => n.rename(from, to));
  if (out.errno) throw lzcError('rename', [out.errno === errno('EEXIST') ? to : from], out, MAP.rename);
}

/**
 * Rolls a filesystem back to its latest snapshot (lzc_rollback); returns that snapshot's name.
 * @throws {@link ZfsError} `SNAPSHOT_NOT_FOUND` (it has none), `DATASET_NOT_FOUND`,
 * `BUSY`, `PERMISSION_DENIED`, `ZFS_UNAVAILABLE`.
 */
export async function rollback(fs: string): Promise<string> {
  checkName('rollback', fs, 'dataset');
  const out = await lzcChecked('rollback', [fs], (n) => n.rollback(fs), MAP.rollback);
  return String(out.value ?? '');
}

/**
 * Rolls a filesystem back to the given snapshot, which must be its latest
 * (lzc_rollback_to): zcp never destroys later snapshots implicitly.
 * @throws {@link ZfsError} `NOT_LATEST_SNAPSHOT`, `SNAPSHOT_NOT_FOUND`,
 * `DATASET_NOT_FOUND`, `BUSY`, `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function rollbackTo(snapshot: string): Promise<void> {
  checkName('rollbackTo', snapshot, 'snapshot');
  const fs = datasetOf(snapshot);
  const out = await lzc('rollbackTo', snapshot, (n) => n.rollbackTo(fs, snapshot));
  if (!out.errno) return;
  // lzc_rollback_to says ESRCH/ENOENT both for a missing snapshot and a missing dataset.
  const code = out.errno === errno('EEXIST') ? 'NOT_LATEST_SNAPSHOT' : (await exists(fs)) ? 'SNAPSHOT_NOT_FOUND' : 'DATASET_NOT_FOUND';
  throw lzcError('rollbackTo', [code === 'DATASET_NOT_FOUND' ? fs : snapshot], out, (e) => (e === out.errno ? code : MAP.rollbackTo(e, snapshot)));
}

/** Where a dataset is mounted, from the kernel's mount table (Linux), if it is. */
function mountpointOf(dataset: string): string | undefined {
  return mountTable().find((m) => m.fstype === 'zfs' && m.source === dataset)?.mountpoint;
}

/**
 * Destroys a filesystem or volume (lzc_destroy). It must have no children and
 * no snapshots, and not be mounted: zcp never destroys more than it is told.
 * @throws {@link ZfsError} `HAS_CHILDREN`, `HAS_SNAPSHOTS`, `BUSY` (mounted or
 * in use), `DATASET_NOT_FOUND`, `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function destroy(dataset: string): Promise<void> {
  checkName('destroy', dataset, 'dataset');
  const mounted = mountpointOf(dataset);
  if (mounted !== undefined) {
    throw new ZfsError({
      code: 'BUSY',
      errno: errno('EBUSY'),
      operation: 'destroy',
      dataset,
      message: `destroy ${dataset}: dataset is mounted at ${mounted}; unmount it first`,
    });
  }
  const out = await lzc('destroy', dataset, (n) => n.destroy(dataset));
  if (!out.errno) return;
  if (out.errno === errno('EBUSY')) {
    // The kernel says EBUSY for a dataset with snapshots, and for one in use.
    const snaps = await listSnapshots(dataset).catch(() => []);
    if (snaps.length > 0) {
      throw lzcError('destroy', [dataset], out, () => 'HAS_SNAPSHOTS', `dataset has ${snaps.length} snapshot(s), e.g. ${snaps[0]!.name}`);
    }
  }
  throw lzcError('destroy', [dataset], out, MAP.destroy);
}

/**
 * Writes back the dirty data of `dataset`, mounted at `mountpoint` (Linux:
 * syncfs(2); other systems: sync(2)), on the dataset's pool's threads. Before
 * a snapshot: it holds what was written, and pages dirtied through mmap stay
 * in the page cache until writeback.
 * @throws {@link ZfsError} with the errno's name (`ENOENT`, `ENOTDIR`, ...) when the mountpoint can't be opened; `ZFS_UNAVAILABLE`.
 */
export async function syncFilesystem(dataset: string, mountpoint: string): Promise<void> {
  checkName('syncFilesystem', dataset, 'dataset');
  const out = await lzc('syncFilesystem', dataset, (n) => n.syncFilesystem(poolOf(dataset), mountpoint));
  if (out.errno) throw lzcError('syncFilesystem', [dataset], out, undefined, `can't flush ${mountpoint} (${errnoName(out.errno)})`);
}
