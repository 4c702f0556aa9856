/**
 * Rollback in place: the system's datasets go back to a checkpoint. The plan
 * comes first (the later checkpoints it consumes, what happens to each
 * package), and refusals: zcp never destroys a snapshot it did not make, nor
 * a held checkpoint, nor one that boot environments were cloned from. Every
 * dataset is rolled back by its own kernel call (a mounted filesystem can
 * only be rolled back by the ioctl, which suspends it), so a journal on the
 * state dataset says a rollback is under way until the last one is done; the
 * next zcp command finishes an interrupted one.
 * @module
 */
import * as zfs from '../zfs/index.js';
import { type Package, type VersionChange, diff } from '../pkgdb/packages.js';
import { type Checkpoint, type Checkpoints, destroyEverywhere } from './checkpoints.js';
import { CheckpointError } from './errors.js';
import { faultPoint } from './fault.js';
import { readJournal, writeJournal } from './journal.js';
import { packagesOf } from './packages.js';

/** What a rollback will do to the packages (live system → checkpoint). */
export interface PackagePlan {
  manager: 'dpkg' | 'rpm';
  downgrade: VersionChange[];
  upgrade: VersionChange[];
  /** Installed after the checkpoint: they go. */
  remove: Package[];
  /** Removed after the checkpoint: they come back. */
  reinstall: Package[];
}

/** A rollback's plan: shown before it is confirmed. */
export interface RollbackPlan {
  target: Checkpoint;
  /** Later checkpoints the rollback consumes (destroyed first). */
  consumes: Checkpoint[];
  /** Every snapshot that will be destroyed. */
  destroy: string[];
  /** The datasets rolled back. */
  datasets: string[];
  /** The package plan, or why it could not be read (the files still roll back). */
  packages?: PackagePlan;
  packageError?: string;
}

export async function planRollback(cps: Checkpoints, ref: string): Promise<RollbackPlan> {
  const { checkpoints, foreign, txg } = await cps.scan();
  const target = await cps.get(ref, checkpoints);
  if (target.state !== 'complete') {
    throw new CheckpointError('INCOMPLETE', `${target.id} is incomplete (missing on ${target.missing.join(', ') || 'no dataset, but its making was interrupted'}); zcp will not roll back to it`, target.snapshots[0]);
  }
  const consumes = checkpoints.filter((c) => c.tid > target.tid);
  for (const c of consumes) {
    if (c.held) throw new CheckpointError('HELD', `rolling back to ${target.id} would destroy ${c.id}, which is held (zcp release ${c.id})`, c.snapshots[0]);
    if (c.clones.length) {
      throw new CheckpointError('HAS_CLONES', `rolling back to ${target.id} would destroy ${c.id}, which boot environments were cloned from (${c.clones.join(', ')})`, c.snapshots[0]);
    }
  }
  // Snapshots zcp did not make, newer than the target on the same dataset: refused, never destroyed.
  const newer = foreign.filter((f) => {
    const ds = f.name.slice(0, f.name.indexOf('@'));
    const t = txg.get(`${ds}@${target.id}`);
    return t !== undefined && f.createtxg > t;
  });
  if (newer.length) {
    throw new CheckpointError('NOT_ZCP', `rolling back to ${target.id} would destroy snapshots zcp did not make: ${newer.map((f) => f.name).join(', ')}; move or destroy them yourself first`, newer[0]!.name);
  }
  const plan: RollbackPlan = {
    target,
    consumes,
    destroy: consumes.flatMap((c) => c.snapshots),
    datasets: cps.system.datasets,
  };
  try {
    const then = await packagesOf(cps.system, target.id);
    const d = diff(then, await packagesOf(cps.system)); // checkpoint → live
    // Undoing it: what was upgraded since goes back down, what came goes, and so on.
    plan.packages = {
      manager: then.manager,
      downgrade: d.upgraded.map((c) => ({ ...c, from: c.to, to: c.from })),
      upgrade: d.downgraded.map((c) => ({ ...c, from: c.to, to: c.from })),
      remove: d.installed,
      reinstall: d.removed,
    };
  } catch (e) {
    plan.packageError = (e as Error).message;
  }
  return plan;
}

/** Executes a plan (the caller holds the lock): journal, destroy the consumed, roll back each dataset, clear. */
export async function executeRollback(cps: Checkpoints, plan: RollbackPlan): Promise<void> {
  const pool = cps.system.pools[0]!;
  const system = cps.system.datasets[0]!;
  await writeJournal(pool, system, { op: 'rollback', id: plan.target.id, tid: plan.target.tid, system, started: new Date().toISOString() });
  faultPoint('rollback-journaled');
  await finishRollback(cps, plan.target.id, plan.target.tid);
}

/** The idempotent part of a rollback, also what finishes an interrupted one. */
async function finishRollback(cps: Checkpoints, id: string, tid: number): Promise<void> {
  const later = (await cps.list()).filter((c) => c.tid > tid);
  await destroyEverywhere(later.flatMap((c) => c.snapshots));
  faultPoint('rollback-destroyed');
  let n = 0;
  for (const ds of cps.system.datasets) {
    await zfs.rollbackTo(`${ds}@${id}`);
    if (++n === 1) faultPoint('rollback-first-dataset');
  }
  await writeJournal(cps.system.pools[0]!, cps.system.datasets[0]!, undefined);
}

/** Finishes an interrupted rollback of this system, if the journal says there is one. Returns its checkpoint id. */
export async function repairRollback(cps: Checkpoints): Promise<string | undefined> {
  const j = await readJournal(cps.system.pools[0]!, cps.system.datasets[0]!);
  if (!j) return undefined;
  await finishRollback(cps, j.id, j.tid);
  return j.id;
}
