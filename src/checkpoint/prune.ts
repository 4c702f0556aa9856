/**
 * Retention: which checkpoints to let go, by count, age and the pool's free
 * space. Never a held one, never one that boot environments were cloned from
 * (the active and the running system among them), never anything zcp did not
 * make (only zcp checkpoints are ever listed). Important ones (the kernel,
 * libc or init changed after them) are kept longer: the count does not apply
 * to them, their age limit is four times the others', and the free-space
 * floor takes them last.
 * @module
 */
import * as zfs from '../zfs/index.js';
import { poolOf } from '../zfs/names.js';
import type { ZfsError } from '../zfs/errors.js';
import type { CheckpointError } from './errors.js';
import { type Checkpoint, type CheckpointSource, type Checkpoints, type DetailedCheckpoint, destroyEverywhere } from './checkpoints.js';

export interface PrunePolicy {
  /** Keep the newest N ordinary checkpoints (default 10). */
  keep?: number;
  /** Let ordinary checkpoints older than this go (important ones at four times it). */
  maxAgeDays?: number;
  /** Let checkpoints go, oldest and ordinary first, until every pool of the system has this much free. */
  minFreeBytes?: number;
}

export interface PruneDecision {
  checkpoint: DetailedCheckpoint;
  reason: string;
}

/**
 * What a prune would destroy and why (never held, cloned, foreign, active or current ones).
 * @throws {@link ZfsError} from the kernel.
 */
export async function planPrune(cps: Pick<CheckpointSource, 'system' | 'list'>, policy: PrunePolicy, now = new Date()): Promise<PruneDecision[]> {
  const available = new Map<string, number>();
  if (policy.minFreeBytes !== undefined) {
    for (const pool of cps.system.pools) available.set(pool, Number((await zfs.getProps(pool, ['available'])).available?.value ?? 0));
  }
  return choosePrune(await cps.list({ details: true }), policy, now, available);
}

/**
 * The choice itself, from the checkpoints (in any order), the policy, the
 * time and each pool's free bytes (needed only with `minFreeBytes`).
 */
export function choosePrune(given: readonly DetailedCheckpoint[], policy: PrunePolicy, now: Date, available: ReadonlyMap<string, number>): PruneDecision[] {
  // Oldest first by creation, the TID only between equals: a counter set back (POOL/zcp restored)
  // gives newer checkpoints lower TIDs, and "keep the newest N" must not take those.
  const older = (a: DetailedCheckpoint, b: DetailedCheckpoint) => a.created.getTime() - b.created.getTime() || a.tid - b.tid;
  const all = [...given].sort(older);
  const free = (c: DetailedCheckpoint) => !c.held && c.clones.length === 0;
  const doomed = new Map<string, PruneDecision>();
  const ordinary = all.filter((c) => !c.important && free(c));
  const keep = policy.keep ?? 10;
  for (const c of ordinary.slice(0, Math.max(0, ordinary.length - keep))) doomed.set(c.id, { checkpoint: c, reason: `more than ${keep} checkpoints` });
  if (policy.maxAgeDays !== undefined) {
    for (const c of all.filter(free)) {
      const days = (now.getTime() - c.created.getTime()) / 86_400_000;
      const limit = policy.maxAgeDays * (c.important ? 4 : 1);
      if (days > limit && !doomed.has(c.id)) doomed.set(c.id, { checkpoint: c, reason: `older than ${limit} days${c.important ? ' (important)' : ''}` });
    }
  }
  if (policy.minFreeBytes !== undefined) {
    for (const [pool, before] of available) {
      let bytes = before;
      for (const c of doomed.values()) bytes += c.checkpoint.used;
      const order = [...all.filter((c) => !c.important && free(c)), ...all.filter((c) => c.important && free(c))];
      for (const c of order) {
        if (bytes >= policy.minFreeBytes) break;
        if (doomed.has(c.id) || !c.snapshots.some((s) => poolOf(s) === pool)) continue;
        doomed.set(c.id, { checkpoint: c, reason: `${pool} has less than ${policy.minFreeBytes} bytes free` });
        bytes += c.used;
      }
    }
  }
  return [...doomed.values()].sort((a, b) => older(a.checkpoint, b.checkpoint));
}

/**
 * Destroys what {@link planPrune} chose (one call per pool).
 * @throws {@link CheckpointError} `LOCKED`; {@link ZfsError} from the kernel.
 */
export async function prune(cps: Checkpoints, policy: PrunePolicy, options: { dryRun?: boolean } = {}): Promise<PruneDecision[]> {
  return cps.locked(async () => {
    const plan = await planPrune(cps, policy);
    if (options.dryRun || !plan.length) return plan;
    await destroyEverywhere(plan.flatMap((d) => d.checkpoint.snapshots), cps.system.id, 'prune-pool');
    await cps.sweepRebuilt(); // what zcp undo rebuilt from them goes with them
    return plan;
  }, options);
}
