/**
 * The typed ZFS API: libzfs_core through the native addon. Every function is
 * async and runs its kernel work off the main thread.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { addon, type LzcOutcome } from '../addon.js';
import { ZfsError } from './errors.js';
import { checkName, checkUserProps, datasetOf, poolOf } from './names.js';
import { lzcError, snapshotMapper } from './translate.js';

export { ZfsError, errnoName, type ZfsErrorCode, type ZfsErrorEntry } from './errors.js';
export { nameProblem, poolOf, datasetOf, MAX_NAME_BYTES, type NameKind } from './names.js';

/** What {@link available} found. */
export type Availability =
  | {
      ok: true;
      /** The libzfs_core file that was loaded. */
      library: string;
      /** The kernel module's version, where the OS tells it (Linux: /sys/module/zfs/version). */
      kernelModule?: string;
    }
  | {
      ok: false;
      /** Names the missing piece: the addon, libzfs_core, or /dev/zfs (the kernel module). */
      reason: string;
    };

async function kernelModuleVersion(): Promise<string | undefined> {
  try {
    return (await readFile('/sys/module/zfs/version', 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether ZFS can be used here. Loads libzfs_core and runs libzfs_core_init()
 * once per process; a failed attempt is retried on the next call. Never rejects.
 */
export async function available(): Promise<Availability> {
  let out: LzcOutcome;
  try {
    out = await addon().zfs.available();
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  if (out.unavailable !== undefined) return { ok: false, reason: out.unavailable };
  const version = await kernelModuleVersion();
  return { ok: true, library: String(out.value ?? ''), ...(version ? { kernelModule: version } : {}) };
}

/** Runs a native call; ZFS_UNAVAILABLE when libzfs_core can't be used. */
async function lzc(operation: string, dataset: string | undefined, call: () => Promise<LzcOutcome>): Promise<LzcOutcome> {
  const out = await call();
  if (out.unavailable !== undefined) {
    throw new ZfsError({
      code: 'ZFS_UNAVAILABLE',
      operation,
      dataset,
      message: `${operation}: ZFS is unavailable: ${out.unavailable}`,
    });
  }
  return out;
}

/**
 * Whether a filesystem, volume or snapshot exists (lzc_exists).
 * @throws {@link ZfsError} `INVALID_NAME`, `NAME_TOO_LONG`, `ZFS_UNAVAILABLE`.
 */
export async function exists(name: string): Promise<boolean> {
  checkName('exists', name, name.includes('@') ? 'snapshot' : 'dataset');
  const out = await lzc('exists', name, () => addon().zfs.exists(name));
  return out.value === true;
}

/**
 * Creates snapshots atomically, in one transaction group: all or none
 * (lzc_snapshot). All names must be in one pool, at most one per dataset.
 * `props` are user properties (`module:name` → string) set on every snapshot.
 *
 * @throws {@link ZfsError}
 * - `INVALID_NAME` / `NAME_TOO_LONG`: a name breaks zfs(8)'s rules
 * - `POOLS_DIFFER`: the snapshots are in more than one pool
 * - `DUPLICATE_SNAPSHOTS`: two snapshots of one dataset
 * - `INVALID_PROPERTY`: a property is not a valid user property
 * - `SNAPSHOT_EXISTS`: a snapshot of that name exists (see `errors`)
 * - `DATASET_NOT_FOUND`: a dataset does not exist (see `errors`)
 * - `NO_SPACE`, `PERMISSION_DENIED`, `ZFS_UNAVAILABLE`, or an errno name
 */
export async function snapshot(names: readonly string[], props: Record<string, string> = {}): Promise<void> {
  const op = 'snapshot';
  if (!Array.isArray(names) || names.length === 0) {
    throw new ZfsError({ code: 'INVALID_NAME', operation: op, message: 'snapshot: no snapshot names given' });
  }
  for (const n of names) checkName(op, n, 'snapshot');
  const pools = [...new Set(names.map(poolOf))];
  if (pools.length > 1) {
    throw new ZfsError({
      code: 'POOLS_DIFFER',
      operation: op,
      dataset: names[0],
      message: `snapshot: one atomic snapshot can't span pools (${pools.join(', ')}); take one per pool`,
    });
  }
  const seen = new Set<string>();
  for (const n of names) {
    const ds = datasetOf(n);
    if (seen.has(ds)) {
      throw new ZfsError({
        code: 'DUPLICATE_SNAPSHOTS',
        operation: op,
        dataset: n,
        message: `snapshot: ${ds} is named twice; one call takes at most one snapshot per dataset`,
      });
    }
    seen.add(ds);
  }
  checkUserProps(op, names[0], props);
  const list = [...names];
  const out = await lzc(op, list[0], () => addon().zfs.snapshot(list, props));
  if (out.errno) throw lzcError(op, list, out, snapshotMapper(list));
}
