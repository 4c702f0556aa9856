/**
 * Checkpoints of one system: each is one atomic snapshot of every dataset
 * (one channel program, one txg, per pool), named `zcp-TID`, with its
 * metadata in `zcp:` user properties on the snapshots themselves.
 * @module
 */
import { unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { run } from '../subprocess.js';
import * as zfs from '../zfs/index.js';
import type { ZfsError } from '../zfs/errors.js';
import { groupByPool, poolOf } from '../zfs/names.js';
import { WRITE_HEADROOM, writeSpace } from '../zfs/stored-values.js';
import { MAP, lzcError, snapshotMapper } from '../zfs/translate.js';
import { CheckpointError } from './errors.js';
import type { PkgdbError } from '../pkgdb/errors.js';
import { faultPoint } from './fault.js';
import { uninterruptible } from './interrupt.js';
import { CREATE, type CreateArgs, type CreateResult, LIST, type ListedSnapshot, MARK_COMPLETE, QUICK_LIST, SET_INDEX, TID_FLOOR } from './programs.js';
import { type CheckpointKind, type CheckpointMeta, decodeIndexEntry, decodeMeta, encodeIndexEntry, encodeMeta, entryKeyOf, indexKey, isCheckpointName, PREFIX, SNAPSHOT_PREFIX, shortName, TAGS, TID_DIGITS } from './metadata.js';
import { SystemLock, ensureIndex, ensureState, indexDataset, refuseDelegatedIfThere, stateDataset } from './state.js';
import { type JournalRead, journalIn, journalKey, journalQuery } from './journal.js';
import { packageStore, sweepPackageStore } from './package-store.js';
import { type BootEnvironment, activate, bootEnvironments, cloneCheckpoint, destroyBootEnvironment } from './bootenv.js';
import { mountpoints, packageDiff } from './packages.js';
import { type PendingRollback, type RollbackPlan, discardJournal, executeRollback, pendingRollback, planRollback, repairRollback, strayMarkers } from './rollback.js';
import type { PackageDiff } from '../pkgdb/packages.js';
import { type System, type SystemOptions, guidString, resolveSystem } from './system.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export { SNAPSHOT_PREFIX };
/** The hold tag of a protected checkpoint. */
export const KEEP_TAG = 'zcp-keep';

/** One checkpoint, as {@link Checkpoints.list} and `zcp list --json` give it. */
export interface Checkpoint {
  /** Its id: the snapshot name on every dataset (`zcp-TID`). */
  id: string;
  tid: number;
  kind: CheckpointKind;
  title: string;
  command?: string[];
  /** `complete`, or `incomplete` when a dataset lacks its snapshot or its making was interrupted. */
  state: 'complete' | 'incomplete';
  important: boolean;
  created: Date;
  /** Bytes held only by this checkpoint on the first dataset (the snapshot's `used`); read with `details` (and by {@link Checkpoints.get}) only. */
  used?: number;
  /** Protected by a hold: prune and destroy leave it. With `details` (and from {@link Checkpoints.get}) any hold on any of its snapshots; else the `zcp hold` zcp keeps in its index. */
  held: boolean;
  /** Datasets cloned from it (boot environments); read with `details` (and by {@link Checkpoints.get}) only. */
  clones?: string[];
  /** Its snapshots, full names. */
  snapshots: string[];
  /** Datasets of the system that lack its snapshot. */
  missing: string[];
  /** Its making was interrupted (two pools, the process died between them): the next locked zcp command completes or removes it. */
  interrupted: boolean;
}

/** A checkpoint read from its snapshots ({@link Checkpoints.get}, `list({ details: true })`): space, every hold and clone. */
export type DetailedCheckpoint = Checkpoint & { used: number; clones: string[] };

/** A snapshot on the system's datasets that is not one of its checkpoints. */
export interface ForeignSnapshot {
  name: string;
  createtxg: number;
  /** Set when it is a checkpoint of another system (its id; `unknown` for one from before system ids). */
  owner?: string;
}

/**
 * Which checkpoints a {@link Checkpoints.scan} reads; without one, all and
 * every other snapshot. With one, other snapshots are listed only with
 * `newer`: those created after checkpoint `newer` (what a rollback to it
 * would pass over).
 */
export interface ScanSelection {
  /** These checkpoints (short names, `zcp-12`). */
  only?: readonly string[];
  /** Every checkpoint whose TID is at least this. */
  from?: number;
  /** A rollback target (short name): other snapshots newer than it are listed. */
  newer?: string;
}

/** What {@link Checkpoints.scan} finds. */
export interface ScanResult {
  checkpoints: DetailedCheckpoint[];
  foreign: ForeignSnapshot[];
  /** createtxg of every checkpoint snapshot, by full name. */
  txg: Map<string, number>;
  /** guid of every checkpoint snapshot, by full name. */
  guid: Map<string, string>;
}

/** Options of {@link Checkpoints.create}. */
export interface CreateOptions {
  title?: string;
  kind?: CheckpointKind;
  command?: readonly string[];
  important?: boolean;
}

/**
 * Writes dirty pages of the system's filesystems back before the snapshot: a
 * snapshot holds what was written, and data written through mmap (sqlite's
 * -shm, for one) stays in the page cache until writeback. syncfs per mounted
 * dataset, all at once, in-process (measured in the guest: 20 `sync -f`
 * processes took 0.9 s, most of it starting processes); `sync` where a
 * syncfs fails.
 */
async function flushToDisk(system: System, table: Promise<Mounts> = mountpoints(system)): Promise<void> {
  const mounts = await table;
  const synced = await Promise.all(mounts.map((m) => zfs.syncFilesystem(m.dataset, m.mountpoint).then(() => true, () => false)));
  if (!mounts.length || !synced.every(Boolean)) await run(['sync']).catch(() => undefined);
}

/**
 * Destroys snapshots of any pools: one lzc_destroy_snaps per pool, as one
 * step Ctrl-C waits for. A kill -9 between two pools leaves a checkpoint
 * without some of its snapshots: listed as incomplete, destroyed by the next
 * destroy or prune. `fault` names the fault point between pools.
 */
export async function destroyEverywhere(snapshots: readonly string[], system: string, fault = 'destroy-pool'): Promise<void> {
  await uninterruptible(async () => {
    for (const [pool, snaps] of groupByPool(snapshots)) {
      await zfs.destroySnapshots(snaps);
      await dropIndex(pool, system, snaps);
      faultPoint(fault);
    }
  });
}

/**
 * Removes the index entries of checkpoints whose snapshots on `pool` were
 * destroyed. Always safe: a checkpoint without an entry is read from its
 * snapshots; an entry left (a kill before this) names snapshots that are gone
 * and is never shown.
 */
async function dropIndex(pool: string, system: string, destroyed: readonly string[]): Promise<void> {
  const tids = new Set(destroyed.map((s) => /@zcp-([1-9][0-9]*)$/.exec(s)?.[1]).filter((t): t is string => t !== undefined));
  if (!tids.size) return;
  const key = indexKey(system);
  const ret = await zfs.runProgram(pool, SET_INDEX, { index_ds: indexDataset(pool), set: {}, drop: [...tids].flatMap((t) => [`${key}${t}`, `${key}${t}.held`]) });
  if (!ret.ok) throw lzcError('setUserProps', [indexDataset(pool)], { errno: ret.errno }, MAP.setProp);
}

/**
 * CREATE on `pool`. It reads `POOL/zcp` and the index without asking first
 * whether they are there (each read of a dataset that is not mounted costs
 * milliseconds), so one that is not fails the program before it changes
 * anything: then this looks, and says `state: missing` (the caller makes it)
 * or runs CREATE again without an index entry (`unindexed`).
 */
async function runCreate(pool: string, args: CreateArgs): Promise<CreateResult> {
  try {
    return await zfs.runProgram(pool, CREATE, args);
  } catch (e) {
    if (!(await zfs.exists(stateDataset(pool)))) return { made: false, state: 'missing' };
    if (args.index_ds === undefined || (await zfs.exists(args.index_ds))) throw e;
    const { index: _, index_key: __, index_ds: ___, ...rest } = args;
    const ret = await zfs.runProgram(pool, CREATE, rest);
    return ret.made ? { ...ret, unindexed: true } : ret;
  }
}

/** Where the system's mounted datasets are mounted. */
type Mounts = Awaited<ReturnType<typeof mountpoints>>;

/** Whether a listed snapshot carries its checkpoint's metadata (`zcp:tid` set on itself): a pool's first of a checkpoint, or any an older zcp made. */
const carriesMeta = (s: ListedSnapshot): boolean => s.props['zcp:tid'] !== undefined;

/** A `zcp-N` snapshot without zcp's metadata, as {@link Checkpoints.scan} reads it. */
type Untagged = { ds: string; pool: string; short: string; snap: ListedSnapshot };

/**
 * Snapshots named like checkpoints but tied to none of this system's: not
 * zcp's, or (where its pool's index has an entry of another system for that
 * TID naming the dataset) that system's checkpoint on a shared dataset,
 * which a rollback refuses by name. The index is only read when there are
 * any; without an entry the snapshot is just not zcp's (refused all the same).
 */
async function untiedOwners(untied: readonly Untagged[], mine: string): Promise<ForeignSnapshot[]> {
  const out: ForeignSnapshot[] = [];
  const entries = new Map<string, Map<string, string>>(); // pool -> `N` -> owner, for entries naming `ds`
  for (const pool of new Set(untied.map((u) => u.pool))) {
    const props = await zfs.getUserProps(indexDataset(pool), PREFIX).catch(() => ({}) as Record<string, zfs.PropEntry>);
    const byTid = new Map<string, string>();
    if (props['zcp:role']?.value === 'index' && props['zcp:role'].source === 'local') {
      for (const [key, { value, source }] of Object.entries(props)) {
        const k = entryKeyOf(key);
        if (!k || source !== 'local' || k.system === mine || typeof value !== 'string') continue;
        const entry = decodeIndexEntry(value, Number(k.tid), k.system);
        for (const ds of entry?.meta.datasets ?? []) byTid.set(`${ds}@${k.tid}`, k.system);
      }
    }
    entries.set(pool, byTid);
  }
  for (const u of untied) {
    const owner = entries.get(u.pool)?.get(`${u.ds}@${u.short.slice(SNAPSHOT_PREFIX.length)}`);
    out.push({ name: `${u.ds}@${u.short}`, createtxg: u.snap.createtxg, ...(owner ? { owner } : {}) });
  }
  return out;
}

/** Sets zcp:state=complete on a checkpoint's snapshots, and in its index entries, one channel program per pool. */
async function markComplete(snapshots: readonly string[], system: string): Promise<void> {
  for (const [pool, snaps] of groupByPool(snapshots)) {
    const tid = snaps[0]!.slice(snaps[0]!.indexOf('@') + 1 + SNAPSHOT_PREFIX.length);
    const ret = await zfs.runProgram(pool, MARK_COMPLETE, { snapshots: snaps, index_ds: indexDataset(pool), key: `${indexKey(system)}${tid}` });
    if (!ret.ok) throw lzcError('markComplete', [ret.failed], { errno: ret.errno }, MAP.setProp);
  }
}

/**
 * What the operations beside {@link Checkpoints} (rollback, boot
 * environments, prune planning) use of it: the system and reading its
 * checkpoints. They take this, not the class, and change nothing through it.
 */
export type CheckpointSource = Pick<Checkpoints, 'system' | 'scan' | 'list' | 'get'>;

/** The one place a {@link Checkpoint} record is made: its metadata and what the pool says of its snapshots. */
function checkpointRecord<On extends { created: Date; used?: number; held: boolean; clones?: string[]; snapshots: string[]; missing: string[]; interrupted: boolean }>(
  id: string,
  meta: CheckpointMeta,
  on: On,
): Checkpoint & On {
  return {
    id,
    tid: meta.tid,
    kind: meta.kind,
    title: meta.title,
    ...(meta.command ? { command: meta.command } : {}),
    state: on.missing.length || on.interrupted ? 'incomplete' : 'complete',
    important: meta.important,
    ...on,
  };
}

/** An index key past `zcp:cp:SYSTEM.`: a TID, or a TID and `.held`. */
const INDEX_REST = new RegExp(`^(${TID_DIGITS})(\\.held)?$`);

/**
 * The checkpoints of one system: its datasets (found at its root, or
 * named), one atomic snapshot of all of them per checkpoint, and what can be
 * done with them: diff, roll back in place, clone into a boot environment,
 * hold, prune, repair what an interrupted zcp left.
 *
 * @example
 * ```ts
 * import { Checkpoints } from 'zcp';
 * const cps = await Checkpoints.open(); // the dataset at / and the file systems below it
 * const before = await cps.create({ title: 'before trying the new kernel' });
 * // ... change the system ...
 * const changes = await cps.diff(before.id); // {installed, removed, upgraded, downgraded}
 * const plan = await cps.rollback(before.id, { dryRun: true });
 * console.log(plan.consumes.map((c) => c.id), plan.packages);
 * await cps.rollback(before.id); // in place; the later checkpoints go
 * ```
 */
export class Checkpoints {
  private constructor(readonly system: System) {}

  /** Binds to a system (see {@link resolveSystem}). */
  static async open(options: SystemOptions = {}): Promise<Checkpoints> {
    return new Checkpoints(await resolveSystem(options));
  }

  /**
   * Runs `fn` holding the system's lock, after finishing a checkpoint whose
   * making was cut between two pools. Refuses while a rollback is pending
   * (ROLLBACK_PENDING: only `zcp repair`, run knowingly, finishes it). A dry
   * run takes no lock and repairs nothing: it changes nothing, ever.
   * @throws {@link CheckpointError} `ROLLBACK_PENDING`, `LOCKED`, `STATE_DELEGATED`, `NOT_ZCP`.
   */
  async locked<T>(fn: () => Promise<T>, options: { dryRun?: boolean } = {}): Promise<T> {
    return this.lockedWith(async () => undefined, fn, options);
  }

  /**
   * {@link locked}, with `read` (which only reads) run side by side with the
   * checks, under the lock, and its result handed to `fn` once they pass: a
   * command's own first read costs no wait of its own. Read again after a
   * repair that changed something.
   */
  private async lockedWith<R, T>(read: () => Promise<R>, fn: (r: R) => Promise<T>, options: { dryRun?: boolean } = {}): Promise<T> {
    const checksThen = async (checks: Promise<unknown>) => {
      const early = read();
      early.catch(() => undefined); // its error counts only once the checks pass
      await checks.catch(async (e: unknown) => {
        await early.catch(() => undefined);
        throw e;
      });
      return early;
    };
    if (options.dryRun) return fn(await checksThen(this.refusePending()));
    return this.withLock(async () => {
      // One read of POOL/zcp (its role and the journal) beside the delegations: every command starts here.
      const early = await checksThen(
        ensureState(this.system.pools[0]!, journalQuery(this.system.datasets[0]!)).then((state) => this.refusePending({ journal: journalIn(state) })),
      );
      const repaired = await this.repairLocked();
      return fn(repaired.length ? await read() : await early);
    });
  }

  /**
   * Refuses while a rollback is pending: what every command that changes
   * something does first (a dry run too, so that its plan does not pass over it).
   * `known`: the journal a state read just brought.
   * @throws {@link CheckpointError} `ROLLBACK_PENDING`.
   */
  async refusePending(known?: { journal: JournalRead | undefined }): Promise<void> {
    const p = await pendingRollback(this, known);
    if (!p) return;
    const what = p.target ? `a rollback to ${p.target.id} was interrupted${p.remaining.length ? ` (not yet rolled back: ${p.remaining.join(', ')})` : ''}` : 'a rollback journal is there';
    throw new CheckpointError(
      'ROLLBACK_PENDING',
      `${what}; zcp changes nothing else until it is dealt with: zcp repair --dry-run shows what finishing it does, zcp repair does it${p.problems.length ? ` (its journal does not check out: ${p.problems.join('; ')})` : ''}`,
      this.system.datasets[0],
    );
  }

  /**
   * The rollback an interrupted zcp left on this system (journal checked
   * against the pool), or undefined: `zcp list` and `zcp status` show it.
   * @throws {@link ZfsError} from the kernel.
   */
  async pendingRollback(): Promise<PendingRollback | undefined> {
    return pendingRollback(this);
  }

  /** Runs `fn` holding the system's lock (and nothing more). */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = SystemLock.acquire(this.system.datasets[0]!);
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  /**
   * Completes or removes a checkpoint whose making was cut between two pools
   * (the caller holds the lock): completed if every snapshot is there, else
   * its snapshots are destroyed (it never was a checkpoint). `thorough`
   * looks on a one-pool system too (`zcp repair`: a system that had two
   * pools once).
   * @returns what was done, for the caller to tell.
   * @throws {@link ZfsError} from the kernel.
   */
  async repairLocked(options: { thorough?: boolean; dryRun?: boolean } = {}): Promise<string[]> {
    const done: string[] = [];
    // Only a checkpoint of two or more pools can be cut halfway (one pool's is a single channel
    // program); skip the scan otherwise: it reads properties of every checkpoint, on every command.
    if (this.system.pools.length < 2 && !options.thorough) return done;
    const listed = await this.list({ details: true });
    for (const c of listed) {
      if (!c.interrupted) continue;
      if (c.missing.length === 0) {
        if (!options.dryRun) await markComplete(c.snapshots, this.system.id);
        done.push(`${options.dryRun ? 'would complete' : 'completed'} the interrupted checkpoint ${c.id}`);
      } else {
        if (!options.dryRun) await destroyEverywhere(c.snapshots, this.system.id);
        done.push(`${options.dryRun ? 'would remove' : 'removed'} the half-made checkpoint ${c.id}`);
      }
    }
    return done;
  }

  /**
   * `zcp repair`: finishes the rollback an interrupted zcp left (after its
   * journal checks out against the pool) and completes or removes a
   * checkpoint cut between two pools. With dryRun, says what it would do;
   * with discardJournal, drops a journal instead of acting on it.
   * @throws {@link CheckpointError} `JOURNAL_INVALID` (nothing done), `LOCKED`; {@link ZfsError} from the kernel.
   */
  async repair(options: { dryRun?: boolean; discardJournal?: boolean } = {}): Promise<string[]> {
    const work = async () => {
      const rolled = options.discardJournal ? await discardJournal(this, options) : await repairRollback(this, options);
      const stray: string[] = [];
      for (const f of await strayMarkers(this)) {
        if (!options.dryRun) unlinkSync(f);
        stray.push(`${options.dryRun ? 'would remove' : 'removed'} ${f} (a rollback stopped before it began)`);
      }
      return [...rolled, ...stray, ...(await this.repairLocked({ thorough: true, ...options }))];
    };
    return options.dryRun ? work() : this.withLock(work);
  }

  /**
   * What changed, package by package, from checkpoint `from` to checkpoint `to` (default: the live system).
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`, `NOT_ZCP`; {@link PkgdbError} when a package database cannot be read.
   */
  async diff(from: string, to?: string): Promise<PackageDiff> {
    const a = await this.get(from);
    const b = to === undefined ? undefined : await this.get(to);
    return packageDiff(this.system, a.id, b?.id);
  }

  /**
   * The plan of a rollback to `ref`: what it destroys, what happens to the packages.
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`, `HELD`, `HAS_CLONES`, `NOT_ZCP`, `INCOMPLETE`.
   */
  async planRollback(ref: string): Promise<RollbackPlan> {
    return planRollback(this, ref);
  }

  /**
   * Rolls the system back to checkpoint `ref` in place: the later checkpoints
   * are consumed (destroyed), every dataset goes back. With dryRun, only the plan.
   * `packages: false` leaves the package plan out (it reads the checkpoint's
   * package database, and the first read of a snapshot mounts it): for a
   * caller that neither shows nor keeps it. Every check and refusal stays.
   * @throws {@link CheckpointError} `HELD`, `HAS_CLONES`, `NOT_ZCP` (a later snapshot zcp did not make), `INCOMPLETE`, `LOCKED`.
   */
  async rollback(ref: string, options: { dryRun?: boolean; confirm?: (plan: RollbackPlan) => Promise<boolean>; packages?: boolean } = {}): Promise<RollbackPlan & { done: boolean }> {
    // The plan only reads: made beside the lock's checks, under the lock.
    return this.lockedWith(() => planRollback(this, ref, { packages: options.packages !== false }), async (plan) => {
      if (options.dryRun) return { ...plan, done: false };
      if (options.confirm && !(await options.confirm(plan))) return { ...plan, done: false };
      // Made just now, under the lock: checked again only when a confirmation may have taken long.
      await executeRollback(this, plan, { confirmed: options.confirm !== undefined });
      if (plan.consumes.length) await this.sweepRebuilt();
      return { ...plan, done: true };
    }, options);
  }

  /**
   * Clones checkpoint `ref` into boot environment `name`.
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`, `INCOMPLETE`, `INVALID_NAME`, `BOOT_ENVIRONMENT_EXISTS`, `CLONE_CONFLICT`, `LOCKED`; {@link ZfsError} from the kernel.
   */
  async clone(ref: string, name: string, options: { dryRun?: boolean } = {}): Promise<string[]> {
    return this.locked(() => cloneCheckpoint(this, ref, name, options), options);
  }

  /**
   * Makes boot environment `name` boot next (the pool's `bootfs`).
   * @throws {@link CheckpointError} `BOOT_ENVIRONMENT_NOT_FOUND`, `LOCKED`; {@link ZfsError} from zpool.
   */
  async activate(name: string, options: { dryRun?: boolean } = {}): Promise<BootEnvironment> {
    return this.locked(() => activate(this, name, options), options);
  }

  /**
   * The system and its boot environments, with A (boots next) and C (current).
   * @throws {@link ZfsError} from the kernel.
   */
  async bootEnvironments(): Promise<BootEnvironment[]> {
    return bootEnvironments(this);
  }

  /**
   * Destroys a boot environment zcp made.
   * @throws {@link CheckpointError} `BOOT_ENVIRONMENT_NOT_FOUND`, `ACTIVE`, `CURRENT`, `LOCKED`; {@link ZfsError} `BUSY` (mounted).
   */
  async destroyBootEnvironment(name: string, options: { dryRun?: boolean } = {}): Promise<string[]> {
    return this.locked(() => destroyBootEnvironment(this, name, options), options);
  }

  /**
   * The checkpoints, oldest first. Read from the snapshots' names and the
   * index zcp keeps on each pool's state dataset (a checkpoint it has no
   * entry for is read from its snapshots' own properties), so 2,000 cost
   * about a second: `used` and `clones` are not there, and `held` is zcp's
   * own hold. With `details`, everything is read from every snapshot
   * (seconds per thousand): `used`, every hold and every clone.
   * @throws {@link ZfsError} from the kernel (`DATASET_NOT_FOUND` when a dataset went away).
   */
  async list(options: { details: true }): Promise<DetailedCheckpoint[]>;
  async list(options?: { details?: boolean }): Promise<Checkpoint[]>;
  async list(options: { details?: boolean } = {}): Promise<Checkpoint[]> {
    return options.details ? (await this.scan()).checkpoints : this.quickList();
  }

  /** {@link list} from the names and the index; what the index can't vouch for is read with LIST. */
  private async quickList(): Promise<Checkpoint[]> {
    const sys = this.system;
    const key = indexKey(sys.id);
    const on = new Map<string, string[]>(); // id -> the datasets with its snapshot, in the system's order
    const entries = new Map<string, Map<string, { meta: CheckpointMeta; created: Date }>>(); // id -> pool -> entry
    const held = new Set<string>();
    for (const pool of sys.pools) {
      const out = await zfs.runProgram(pool, QUICK_LIST, { datasets: sys.byPool.get(pool)!, prefix: SNAPSHOT_PREFIX, index_ds: indexDataset(pool), key });
      for (const [rest, value] of out.index) {
        const m = INDEX_REST.exec(rest);
        if (!m) continue;
        const id = `${SNAPSHOT_PREFIX}${m[1]}`;
        if (m[2]) {
          if (value === 'yes' && pool === sys.pools[0]) held.add(id);
          continue;
        }
        const entry = decodeIndexEntry(value, Number(m[1]), sys.id);
        if (entry) entries.set(id, (entries.get(id) ?? new Map()).set(pool, entry));
      }
      for (const [ds, d] of out.datasets) for (const name of d.missing ? [] : d.names) if (isCheckpointName(name)) on.set(name, [...(on.get(name) ?? []), ds]);
    }
    const checkpoints: Checkpoint[] = [];
    const unsure: string[] = [];
    for (const [id, datasets] of on) {
      const pools = entries.get(id);
      const first = pools?.get(sys.pools[0]!);
      // Every snapshot of that name must be vouched for by its pool's entry; else all of it is read the slow way.
      if (!pools || !first || !datasets.every((ds) => pools.get(poolOf(ds))?.meta.datasets.includes(ds))) {
        unsure.push(id);
        continue;
      }
      const ordered = sys.datasets.filter((ds) => datasets.includes(ds));
      checkpoints.push(
        checkpointRecord(id, first.meta, {
          created: first.created,
          held: held.has(id),
          snapshots: ordered.map((ds) => `${ds}@${id}`),
          missing: sys.datasets.filter((ds) => !datasets.includes(ds)),
          interrupted: [...pools.values()].some((e) => e.meta.state !== 'complete'),
        }),
      );
    }
    // The same shape as the rest: what was read beyond it is left out.
    if (unsure.length) checkpoints.push(...(await this.scan({ only: unsure })).checkpoints.map(({ used: _, clones: __, ...c }) => c));
    return checkpoints.sort((x, y) => x.tid - y.tid);
  }

  /**
   * The checkpoints, and every other snapshot of the system's datasets with
   * its createtxg (snapshots zcp did not make, and checkpoints of another
   * system that shares a dataset, with that system's id as `owner`: a
   * rollback must not pass over them, nothing destroys them), and the guid
   * of every checkpoint snapshot (a journal names what it acts on by guid).
   * A selection reads only some of them (see {@link ScanSelection}).
   */
  async scan(options: ScanSelection = {}): Promise<ScanResult> {
    type Found = { primary?: ListedSnapshot; on: Map<string, ListedSnapshot> };
    const found = new Map<string, Found>();
    const foreign: ForeignSnapshot[] = [];
    const guid = new Map<string, string>();
    const primary = this.system.datasets[0]!;
    const mine = this.system.id;
    const legacy: { ds: string; short: string; snap: ListedSnapshot }[] = [];
    const untagged: Untagged[] = [];
    for (const pool of this.system.pools) {
      const datasets = this.system.byPool.get(pool)!;
      const only = options.only && Object.fromEntries(options.only.map((id) => [id, 'y']));
      const out = await zfs.runProgram(pool, LIST, {
        datasets,
        primary,
        prefix: SNAPSHOT_PREFIX,
        ...(only ? { only } : {}),
        ...(options.from !== undefined ? { from: options.from } : {}),
        ...(options.newer !== undefined ? { newer: options.newer } : {}),
      });
      for (const [name, createtxg] of out.others) foreign.push({ name, createtxg });
      for (const ds of datasets) {
        const listed = out.datasets.get(ds);
        for (const [short, snap] of listed && !listed.missing ? listed.snapshots : []) {
          // Without metadata (not a pool's first snapshot of its checkpoint): tied below, or not zcp's.
          if (isCheckpointName(short) && ds !== primary && !carriesMeta(snap)) {
            untagged.push({ ds, pool, short, snap });
            continue;
          }
          // Only what zcp made: a zcp-N name whose own zcp:tid is N.
          if (!isCheckpointName(short) || snap.props['zcp:tid'] !== short.slice(SNAPSHOT_PREFIX.length)) {
            foreign.push({ name: `${ds}@${short}`, createtxg: snap.createtxg });
            continue;
          }
          const owner = snap.props['zcp:system'];
          if (owner && owner !== mine) {
            foreign.push({ name: `${ds}@${short}`, createtxg: snap.createtxg, owner });
            continue;
          }
          if (!owner && ds !== primary) {
            legacy.push({ ds, short, snap }); // decided below: ours if the first dataset has it
            continue;
          }
          const entry: Found = found.get(short) ?? { on: new Map() };
          entry.on.set(ds, snap);
          if (ds === primary) entry.primary = snap;
          found.set(short, entry);
        }
      }
    }
    // A checkpoint made before zcp 0.2 carries no system id: it is this system's if its first dataset has it.
    for (const { ds, short, snap } of legacy) {
      const entry = found.get(short);
      if (entry?.primary && !entry.primary.props['zcp:system']) entry.on.set(ds, snap);
      else foreign.push({ name: `${ds}@${short}`, createtxg: snap.createtxg, owner: 'unknown' });
    }
    // A snapshot without metadata is a checkpoint's when one with it, of the same name on the same
    // pool, has its createtxg: one CREATE made both (a dataset takes one snapshot per txg).
    const untied: Untagged[] = [];
    for (const u of untagged) {
      const entry = found.get(u.short);
      const anchor = entry && [...entry.on].some(([ds, s]) => poolOf(ds) === u.pool && carriesMeta(s) && s.createtxg === u.snap.createtxg);
      if (anchor) entry.on.set(u.ds, u.snap);
      else untied.push(u);
    }
    foreign.push(...(await untiedOwners(untied, mine)));
    const checkpoints: DetailedCheckpoint[] = [];
    const txg = new Map<string, number>();
    for (const [id, entry] of found) {
      const source = entry.primary ?? [...entry.on.values()][0]!;
      const meta = decodeMeta(source.props);
      if (!meta) continue;
      for (const [ds, snap] of entry.on) {
        txg.set(`${ds}@${id}`, snap.createtxg);
        guid.set(`${ds}@${id}`, guidString(snap.guid));
      }
      const missing = this.system.datasets.filter((ds) => !entry.on.has(ds));
      const creating = [...entry.on.values()].some((s) => carriesMeta(s) && s.props['zcp:state'] !== 'complete');
      const clones = new Set<string>();
      for (const snap of entry.on.values()) for (const c of snap.clones) clones.add(c);
      checkpoints.push(
        checkpointRecord(id, meta, {
          created: new Date(source.creation * 1000),
          used: entry.primary?.used ?? 0,
          // A hold on any of its snapshots protects the checkpoint: destroying it would destroy them all.
          held: [...entry.on.values()].some((s) => s.userrefs > 0),
          clones: [...clones].sort(),
          snapshots: this.system.datasets.filter((ds) => entry.on.has(ds)).map((ds) => `${ds}@${id}`),
          missing,
          interrupted: creating,
        }),
      );
    }
    return { checkpoints: checkpoints.sort((x, y) => x.tid - y.tid), foreign, txg, guid };
  }

  /**
   * One checkpoint by id (`zcp-12`), TID (`12`) or snapshot name
   * (`rpool/ROOT/debian@zcp-12`), looked up in `among` when the caller has
   * just listed them, else in a fresh list.
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`, `NOT_ZCP` (a snapshot zcp did not make).
   */
  async get(ref: string, among?: readonly DetailedCheckpoint[]): Promise<DetailedCheckpoint> {
    const ref2 = String(ref);
    const short = shortName(ref2);
    // Without a list: every snapshot of that one name read from the pool, and no other.
    const found = (among ?? (await this.scan({ only: [short] })).checkpoints).find((c) => c.id === short);
    if (found) return found;
    if (ref2.includes('@') && (await zfs.exists(ref2).catch(() => false))) {
      throw new CheckpointError('NOT_ZCP', `${ref2} is not a zcp checkpoint of this system; zcp only works on what it made`, ref2);
    }
    throw new CheckpointError('CHECKPOINT_NOT_FOUND', `no checkpoint ${ref2} on ${this.system.datasets[0]}`, this.system.datasets[0]);
  }

  /**
   * Takes a checkpoint: one atomic snapshot of every dataset per pool (the
   * first dataset's pool first), all named `zcp-TID`, the TID new and never
   * reused. With two pools, a failure on the second destroys the first's
   * snapshots: all or nothing.
   * @throws {@link CheckpointError} `NO_SPACE`, `NOT_ZFS`, `LOCKED`,
   * `METADATA_TOO_LARGE`; {@link ZfsError} from the kernel.
   */
  async create(options: CreateOptions = {}): Promise<Checkpoint> {
    // Not locked(): CREATE itself checks the state dataset and the journal, in the snapshot's own txg.
    // The mount table (for the flush) is read while the lock is taken: reading it changes nothing.
    const mounts = mountpoints(this.system);
    mounts.catch(() => undefined); // its error counts where the flush awaits it
    return this.withLock(async () => {
      await this.repairLocked();
      return this.make(options, { checkDelegations: true, mounts });
    });
  }

  /** {@link create} for a caller that already holds the lock (taken with {@link locked}, which checked `POOL/zcp`). */
  async createLocked(options: CreateOptions = {}): Promise<Checkpoint> {
    return this.make(options, { checkDelegations: false });
  }

  /** The checkpoint itself; `checkDelegations` when no {@link locked} call checked `POOL/zcp` already. */
  private async make(options: CreateOptions, how: { checkDelegations: boolean; mounts?: Promise<Mounts> }): Promise<Checkpoint> {
    const sys = this.system;
    const floor = await this.laterPoolsFloor();
    const meta: CheckpointMeta = {
      tid: 0, // the first pool's CREATE takes it
      kind: options.kind ?? 'manual',
      state: sys.pools.length > 1 ? 'creating' : 'complete',
      title: options.title ?? '',
      ...(options.command ? { command: [...options.command] } : {}),
      important: options.important === true,
      datasets: sys.datasets,
      version: VERSION,
      system: sys.id,
    };
    const props = encodeMeta(meta);
    delete props['zcp:tid'];
    const index = encodeIndexEntry(meta);
    // The delegation check (read through libzfs: about 10 ms in the guest) runs beside the flush and
    // the snapshot's txg instead of before them. What it guards is POOL/zcp's counter and journal,
    // which the snapshot only reads: on a refusal the checkpoint just made (zcp's own, named by
    // CREATE) is destroyed again, so the caller sees what a refusal before it would have left.
    const delegations = how.checkDelegations ? refuseDelegatedIfThere(sys.pools[0]!).then(() => undefined, (e: unknown) => e) : undefined;
    let made: Awaited<ReturnType<typeof this.snapshotPools>>;
    try {
      await flushToDisk(this.system, how.mounts);
      made = await this.snapshotPools(props, floor, index);
    } catch (e) {
      throw (await delegations) ?? e;
    }
    const refused = await delegations;
    if (refused !== undefined) {
      await destroyEverywhere(made.snapshots, sys.id);
      throw refused;
    }
    // What list() would say of it, without a scan of every checkpoint: it is new, so no holds or clones.
    return checkpointRecord(made.id, { ...meta, tid: made.tid }, { created: new Date(made.creation * 1000), used: made.used, held: false, clones: [], snapshots: made.snapshots, missing: [], interrupted: false });
  }

  /**
   * The floor a TID must be above because of the system's later pools: their
   * counters and `zcp-N` names (CREATE counts its own pool's). Makes their
   * state datasets (the lock's pool has one already).
   */
  private async laterPoolsFloor(): Promise<number> {
    let floor = 0;
    for (const pool of this.system.pools.slice(1)) {
      await ensureState(pool);
      const ret = await zfs.runProgram(pool, TID_FLOOR, { datasets: this.system.byPool.get(pool)!, prefix: SNAPSHOT_PREFIX, counter: stateDataset(pool) });
      if ('missing' in ret) throw this.createFailure(pool, { made: false, missing: ret.missing });
      floor = Math.max(floor, ret.floor);
    }
    return floor;
  }

  /**
   * CREATE on every pool, the first dataset's first (it takes the TID, the
   * others use it), as one step for signals; all or nothing: a failure on a
   * later pool destroys the snapshots made on the earlier ones. With two
   * pools or more the snapshots are marked complete at the end.
   */
  private async snapshotPools(props: Record<string, string>, floor: number, index: string | undefined): Promise<{ id: string; tid: number; creation: number; used: number; snapshots: string[] }> {
    const sys = this.system;
    let first: Extract<CreateResult, { made: true }> | undefined;
    const made: string[][] = [];
    const tags = Object.fromEntries(TAGS.map((k) => [k, props[k]!]));
    await uninterruptible(async () => {
      for (const pool of sys.pools) {
        const datasets = sys.byPool.get(pool)!;
        const full = pool === sys.pools[0]; // the system's first snapshot is on its first pool
        const args = {
          datasets,
          prefix: SNAPSHOT_PREFIX,
          props,
          tags,
          first: full ? ('full' as const) : ('tags' as const),
          counter: stateDataset(pool),
          floor,
          ...(first ? { tid: first.tid } : {}),
          // The headroom once: writeSpace adds it to each count.
          need: (full ? writeSpace(props) - WRITE_HEADROOM + writeSpace(tags, datasets.length - 1) : writeSpace(tags, datasets.length)) + (index ? Buffer.byteLength(index) + 256 : 0),
          space_of: datasets[0]!,
          ...(index ? { index, index_key: indexKey(sys.id), index_ds: indexDataset(pool) } : {}),
        };
        try {
          const ret = await this.createOn(pool, { ...args, ...(pool === sys.pools[0] ? { journal: journalKey(sys.datasets[0]!) } : {}) });
          if (!ret.made) throw this.createFailure(pool, ret);
          // A pool whose POOL/zcp an older zcp made has no index yet: made now, for the next ones.
          if (ret.unindexed) await ensureIndex(pool).catch(() => undefined);
          first ??= ret;
        } catch (e) {
          for (const snaps of made) await zfs.destroySnapshots(snaps).catch(() => undefined);
          throw e;
        }
        made.push(datasets.map((ds) => `${ds}@${first!.name}`));
        faultPoint('create-between-pools');
      }
      if (sys.pools.length > 1) await markComplete(made.flat(), sys.id);
    });
    return { id: first!.name, tid: first!.tid, creation: first!.creation, used: first!.used, snapshots: made.flat() };
  }

  /**
   * CREATE on one pool; where it finds no state dataset, makes it (or
   * refuses one zcp did not make: NOT_ZCP) and runs again; where it finds
   * the system's rollback journal, refuses (ROLLBACK_PENDING) as every
   * other command does.
   */
  private async createOn(pool: string, args: CreateArgs): Promise<CreateResult> {
    let ret = await runCreate(pool, args);
    if (!ret.made && 'state' in ret) {
      await ensureState(pool);
      ret = await runCreate(pool, args);
    }
    if (!ret.made && 'pending' in ret) {
      await this.refusePending();
      // A journal property that holds no rollback of this system (refusePending found none to show): no refusal.
      const { journal: _, ...rest } = args;
      ret = await runCreate(pool, rest);
    }
    return ret;
  }

  /** Why CREATE or TID_FLOOR made nothing, as an error; the kernel's errno through the operation's own translation. */
  private createFailure(pool: string, ret: Exclude<CreateResult, { made: true }>): Error {
    if ('missing' in ret) return new CheckpointError('NOT_ZFS', `${ret.missing}: no such dataset`, ret.missing);
    if ('state' in ret) return new CheckpointError('NOT_ZCP', `${stateDataset(pool)} is ${ret.state === 'missing' ? 'gone' : 'not zcp\'s'}`, stateDataset(pool));
    if ('pending' in ret) return new CheckpointError('ROLLBACK_PENDING', 'a rollback journal is there', this.system.datasets[0]);
    if ('nospace' in ret) {
      return new CheckpointError('NO_SPACE', `${pool}: only ${ret.nospace} bytes available; a checkpoint needs room for its metadata and the pool must not run into its reserve`, pool);
    }
    const map = ret.step === 'metadata' ? MAP.setProp : snapshotMapper([ret.failed]);
    return lzcError(ret.step === 'metadata' ? 'setUserProps' : 'snapshot', [ret.failed], { errno: ret.errno }, map);
  }

  /**
   * Destroys a checkpoint's snapshots (one call per pool). Refuses one that is
   * held or has clones (boot environments): destroy those first.
   * @returns the snapshots destroyed (or, with dryRun, that would be).
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`, `NOT_ZCP`, `HELD`, `HAS_CLONES`, `LOCKED`.
   */
  async destroy(ref: string, options: { dryRun?: boolean } = {}): Promise<string[]> {
    return this.locked(async () => {
      const c = await this.get(ref);
      if (c.held) throw new CheckpointError('HELD', `${c.id} is held (zcp release ${c.id} first)`, c.snapshots[0]);
      if (c.clones.length) {
        throw new CheckpointError('HAS_CLONES', `${c.id} has boot environments cloned from it (${c.clones.join(', ')}); destroy them first`, c.snapshots[0]);
      }
      if (options.dryRun) return c.snapshots;
      await destroyEverywhere(c.snapshots, this.system.id);
      await this.sweepRebuilt();
      return c.snapshots;
    }, options);
  }

  /**
   * Lets go of the packages `zcp undo` rebuilt from checkpoints that are
   * gone (see package-store.ts): called after every destroy, prune and
   * rollback that consumed some.
   * @returns the checkpoints whose packages went.
   */
  async sweepRebuilt(): Promise<string[]> {
    // Most pools have no store (nothing was ever undone): then no listing either.
    const pools: string[] = [];
    for (const pool of this.system.pools) if (await zfs.exists(packageStore(pool))) pools.push(pool);
    if (!pools.length) return [];
    const alive = new Set((await this.list()).map((c) => c.id));
    const out: string[] = [];
    for (const pool of pools) out.push(...(await sweepPackageStore(pool, this.system.id, alive)));
    return out;
  }

  /**
   * Protects a checkpoint from destroy and prune with a `zcp-keep` hold on every snapshot.
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`, `NOT_ZCP`, `LOCKED`; {@link ZfsError} from the kernel.
   */
  async hold(ref: string): Promise<Checkpoint> {
    return this.setKeep(ref, true);
  }

  /**
   * Removes the `zcp-keep` hold.
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`, `NOT_ZCP`, `LOCKED`; {@link ZfsError} from the kernel.
   */
  async release(ref: string): Promise<Checkpoint> {
    return this.setKeep(ref, false);
  }

  /**
   * Puts the `zcp-keep` hold on every snapshot of a checkpoint, or takes it
   * away, one call per pool. Only the snapshots that need it: one pool done
   * before a crash is no failure the next time.
   */
  private async setKeep(ref: string, keep: boolean): Promise<Checkpoint> {
    return this.locked(async () => {
      const c = await this.get(ref);
      // The list shows zcp's hold from the index: set after the holds, dropped before the releases,
      // so a kill in between never shows held what is not (prune and destroy read the holds themselves).
      if (!keep) await this.setHeldFlag(c.tid, false);
      for (const snaps of groupByPool(c.snapshots).values()) {
        const todo: string[] = [];
        for (const s of snaps) if ((KEEP_TAG in (await zfs.getHolds(s))) !== keep) todo.push(s);
        if (todo.length && keep) await zfs.hold(Object.fromEntries(todo.map((s) => [s, KEEP_TAG])));
        if (todo.length && !keep) await zfs.release(Object.fromEntries(todo.map((s) => [s, [KEEP_TAG]])));
        faultPoint(keep ? 'hold-pool' : 'release-pool');
      }
      if (keep) await this.setHeldFlag(c.tid, true);
      return this.get(c.id);
    });
  }

  /** The index's mark of zcp's hold on checkpoint `tid` (on the first pool's state dataset). */
  private async setHeldFlag(tid: number, held: boolean): Promise<void> {
    const pool = this.system.pools[0]!;
    const flag = `${indexKey(this.system.id)}${tid}.held`;
    const ret = await zfs.runProgram(pool, SET_INDEX, { index_ds: indexDataset(pool), set: held ? { [flag]: 'yes' } : {}, drop: held ? [] : [flag] });
    if (!ret.ok) throw lzcError('setUserProps', [indexDataset(pool)], { errno: ret.errno }, MAP.setProp);
  }

}
