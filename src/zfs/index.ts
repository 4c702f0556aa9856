/**
 * The typed ZFS API: libzfs_core through the native addon. Every function is
 * async; kernel work runs on zcp's own threads, a few per pool, so a slow
 * call on one pool never holds up another pool or the event loop.
 *
 * @example
 * ```ts
 * import { zfs } from 'zcp';
 * const status = await zfs.available();
 * if (!status.ok) throw new Error(status.reason);
 * await zfs.snapshot(['rpool/ROOT/debian@a', 'rpool/ROOT/debian/var@a'], { 'org.example:why': 'test' }); // atomic
 * for (const s of await zfs.listSnapshots('rpool/ROOT/debian', { props: ['used'] })) console.log(s.name, s.props.used);
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises';
import { addon, type LzcOutcome } from '../addon.js';

export { ZfsError, errnoName, type ZfsErrorCode, type ZfsErrorEntry } from './errors.js';
export { nameProblem, poolOf, datasetOf, MAX_NAME_BYTES, type NameKind } from './names.js';
export { getDelegations, delegationsOn, type Delegation, type Delegations } from './delegations.js';
export { exists, create, clone, promote, rename, rollback, rollbackTo, destroy, syncFilesystem, type CreateProps } from './datasets.js';
export {
  snapshot,
  destroySnapshots,
  hold,
  release,
  getHolds,
  bookmark,
  getBookmarks,
  type HoldOptions,
  type BookmarkInfo,
} from './snapshots.js';
export { channelProgram, maxLimits, DEFAULT_LIMITS, type ChannelProgramOptions, type ProgramLimits } from './channel-program.js';
export { defineProgram, runProgram, Returned, type Program, type LuaFunction } from './lua.js';
export { listSnapshots, listChildren, getProps, getUserProps, getMountpoint, setUserProps, type ListSnapshotsOptions, type Mountpoint, type PropEntry, type PropValue, type SnapshotInfo } from './props.js';
export { getPoolProp, setPoolProp } from './pool.js';
export type { NvValue } from '../addon.js';

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
