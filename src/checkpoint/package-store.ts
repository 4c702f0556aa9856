/**
 * Where the packages `zcp undo` rebuilds from a checkpoint are kept: a
 * dataset `POOL/zcp/packages` beside zcp's state (marked
 * `zcp:role=packages`, `mountpoint=legacy`: never mounted by itself, so two
 * pools' stores never meet at one path), outside every dataset a rollback
 * touches. One directory per system and checkpoint, `SYSTEM/zcp-N/`, lives
 * as long as its checkpoint (RPM's lesson: what a rollback consumed is
 * cleaned up, or the spool fills the disk): {@link sweepPackageStore}
 * removes the directories of checkpoints that are gone. zcp installs what is
 * there as root, so a store that delegated users could write is refused,
 * as the state dataset is.
 * @module
 */
import { mkdtempSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zfs from '../zfs/index.js';
import { ZfsError } from '../zfs/errors.js';
import { CheckpointError } from './errors.js';
import { Mounts } from './mount.js';
import { ensureState, refuseDelegated, stateDataset } from './state.js';

/** The package store of a pool. */
export function packageStore(pool: string): string {
  return `${stateDataset(pool)}/packages`;
}

/** Refuses a store dataset zcp did not make. @throws {@link CheckpointError} `NOT_ZCP`, `STATE_DELEGATED`. */
async function checkStore(ds: string): Promise<void> {
  const role = (await zfs.getProps(ds, ['zcp:role']))['zcp:role'];
  if (role?.value !== 'packages' || role.source !== 'local') {
    throw new CheckpointError('NOT_ZCP', `${ds} exists and was not made by zcp (no zcp:role=packages); zcp keeps rebuilt packages there and will not use it`, ds);
  }
  await refuseDelegated(ds);
}

/**
 * Makes the store of `pool` when it is not there.
 * @throws {@link CheckpointError} `NOT_ZCP`, `STATE_DELEGATED`.
 */
export async function ensurePackageStore(pool: string): Promise<string> {
  const ds = packageStore(pool);
  if (!(await zfs.exists(ds))) {
    await ensureState(pool);
    try {
      await zfs.create(ds, { mountpoint: 'legacy', 'zcp:role': 'packages', setuid: 'off', devices: 'off', exec: 'off' });
    } catch (e) {
      if (!(e instanceof ZfsError && e.code === 'DATASET_EXISTS')) throw e;
    }
  }
  await checkStore(ds);
  return ds;
}

/** The directory of checkpoint `id`'s rebuilt packages in a store mounted at `mounted`. */
export function checkpointPackages(mounted: string, system: string, id: string): string {
  return join(mounted, system, id);
}

/**
 * Removes the rebuilt packages of every checkpoint of `system` not in
 * `alive` (destroyed by prune, destroy or a rollback, or behind zcp's back)
 * from the store of `pool`, which must exist ({@link Checkpoints.sweepRebuilt}
 * looks first). With dryRun, only what it would remove.
 * @returns the checkpoints whose packages went (or would go).
 */
export async function sweepPackageStore(pool: string, system: string, alive: ReadonlySet<string>, options: { dryRun?: boolean } = {}): Promise<string[]> {
  const ds = packageStore(pool);
  await checkStore(ds);
  const dir = mkdtempSync(join(tmpdir(), 'zcp-store-'));
  const mounts = new Mounts();
  try {
    await mounts.zfsLegacy(ds, dir);
    const mine = join(dir, system);
    let ids: string[] = [];
    try {
      ids = readdirSync(mine);
    } catch {
      return [];
    }
    const gone = ids.filter((id) => !alive.has(id));
    if (!options.dryRun) for (const id of gone) rmSync(join(mine, id), { recursive: true, force: true });
    return gone;
  } finally {
    await mounts.undo();
    rmdirSync(dir);
  }
}
