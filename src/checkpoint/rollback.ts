/**
 * Rollback in place: the system's datasets go back to a checkpoint. The plan
 * comes first (the later checkpoints it consumes, what happens to each
 * package), and refusals: zcp never destroys a snapshot it did not make, nor
 * a held checkpoint, nor one that boot environments were cloned from. Every
 * dataset is rolled back by its own kernel call (a mounted filesystem can
 * only be rolled back by the ioctl, which suspends it), so a journal on the
 * state dataset says a rollback is under way until the last one is done.
 * An interrupted one is shown by `zcp list` and `zcp status`, refused as
 * ROLLBACK_PENDING by the commands that change things, and finished only by
 * `zcp repair`, after its journal checks out.
 * @module
 */
import { closeSync, constants, existsSync, lstatSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as zfs from '../zfs/index.js';
import { type Package, type VersionChange, diff } from '../pkgdb/packages.js';
import { groupByPool, poolOf } from '../zfs/names.js';
import type { Checkpoint, CheckpointSource, ForeignSnapshot } from './checkpoints.js';
import { isCheckpointName, shortName } from './metadata.js';
import { CheckpointError } from './errors.js';
import { faultPoint } from './fault.js';
import { uninterruptible } from './interrupt.js';
import { type JournalRead, type RollbackJournal, readJournal, writeJournal } from './journal.js';
import { stateDataset } from './state.js';
import { mountpoints, packagesOf } from './packages.js';

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
  /** The guid of each snapshot the plan names (target and destroyed): the act checks that they are still the same. */
  guids: Record<string, string>;
  /** The package plan, or why it could not be read (the files still roll back). */
  packages?: PackagePlan;
  packageError?: string;
}

export async function planRollback(cps: CheckpointSource, ref: string, options: { packages?: boolean } = {}): Promise<RollbackPlan> {
  // Read: the target and the later checkpoints (what the rollback consumes), and other
  // snapshots only where one is newer than the target: the cost does not grow with older checkpoints.
  const short = shortName(String(ref));
  const tid = /^zcp-([1-9][0-9]{0,14})$/.exec(short)?.[1];
  // The package databases are read meanwhile (the first read of a snapshot mounts it); used only if the target checks out.
  const packages = tid !== undefined && options.packages !== false ? packagePlan(cps, short) : undefined;
  const { checkpoints, foreign, txg, guid } = await cps.scan(tid !== undefined ? { from: Number(tid), newer: short } : { only: [short] });
  const target = await cps.get(ref, checkpoints);
  if (target.state !== 'complete') {
    throw new CheckpointError('INCOMPLETE', `${target.id} is incomplete (missing on ${target.missing.join(', ') || 'no dataset, but its making was interrupted'}); zcp will not roll back to it`, target.snapshots[0]);
  }
  // Later is what the snapshots' order says (createtxg on the same dataset), not the TIDs: a counter
  // set back (POOL/zcp restored) gives a newer checkpoint a lower TID, and an older one with a higher
  // TID is no obstacle to the rollback: it stays.
  const consumes = checkpoints.filter((c) => c.id !== target.id && c.snapshots.some((s) => newerOnItsDataset(s, target.id, txg)));
  for (const c of consumes) {
    if (c.held) throw new CheckpointError('HELD', `rolling back to ${target.id} would destroy ${c.id}, which is held (zcp release ${c.id})`, c.snapshots[0]);
    if (c.clones.length) {
      throw new CheckpointError('HAS_CLONES', `rolling back to ${target.id} would destroy ${c.id}, which boot environments were cloned from (${c.clones.join(', ')})`, c.snapshots[0]);
    }
  }
  // Snapshots zcp did not make, or another system's checkpoints, newer than the target on the same dataset: refused, never destroyed.
  const newer = newerThan(foreign, txg, target.id);
  const others = newer.filter((f) => f.owner);
  if (others.length) {
    throw new CheckpointError(
      'OTHER_SYSTEM',
      `rolling back to ${target.id} would destroy checkpoints of another system that shares these datasets: ${others.map((f) => f.name).join(', ')}; zcp never destroys another system's checkpoints (that system's zcp can)`,
      others[0]!.name,
    );
  }
  if (newer.length) {
    throw new CheckpointError('NOT_ZCP', `rolling back to ${target.id} would destroy snapshots zcp did not make: ${newer.map((f) => f.name).join(', ')}; move or destroy them yourself first`, newer[0]!.name);
  }
  const destroy = consumes.flatMap((c) => c.snapshots);
  const plan: RollbackPlan = {
    target,
    consumes,
    destroy,
    datasets: cps.system.datasets,
    guids: Object.fromEntries([...target.snapshots, ...destroy].map((s) => [s, guid.get(s) ?? ''])),
  };
  if (!packages) return plan; // not asked for, or the re-check after the confirmation: snapshots only
  const read = await packages;
  if ('error' in read) plan.packageError = read.error;
  else plan.packages = read.plan;
  return plan;
}

/** What a rollback to checkpoint `id` does to the packages, or why it can't be told (never throws). */
async function packagePlan(cps: CheckpointSource, id: string): Promise<{ plan: PackagePlan } | { error: string }> {
  try {
    const [then, now] = await Promise.all([packagesOf(cps.system, id), packagesOf(cps.system)]);
    const d = diff(then, now); // checkpoint → live
    // Undoing it: what was upgraded since goes back down, what came goes, and so on.
    return {
      plan: {
        manager: then.manager,
        downgrade: d.upgraded.map((c) => ({ ...c, from: c.to, to: c.from })),
        upgrade: d.downgraded.map((c) => ({ ...c, from: c.to, to: c.from })),
        remove: d.installed,
        reinstall: d.removed,
      },
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Whether a snapshot made in txg `createtxg` came after checkpoint `id`'s snapshot on the same dataset (false where `id` has none there). */
function madeAfter(snapshot: string, createtxg: number | undefined, id: string, txg: ReadonlyMap<string, number>): boolean {
  const t = txg.get(`${snapshot.slice(0, snapshot.indexOf('@'))}@${id}`);
  return t !== undefined && createtxg !== undefined && createtxg > t;
}

/** Whether checkpoint snapshot `snapshot` (its createtxg in `txg`) was made after checkpoint `id`'s on the same dataset. */
const newerOnItsDataset = (snapshot: string, id: string, txg: ReadonlyMap<string, number>): boolean => madeAfter(snapshot, txg.get(snapshot), id, txg);

/** The snapshots of `foreign` newer than checkpoint `id`'s snapshot on the same dataset (a rollback to it would destroy them). */
function newerThan(foreign: readonly ForeignSnapshot[], txg: ReadonlyMap<string, number>, id: string): ForeignSnapshot[] {
  return foreign.filter((f) => madeAfter(f.name, f.createtxg, id, txg));
}

/** The same snapshots, by name and guid, in both plans (the package plan aside). */
function samePlan(a: RollbackPlan, b: RollbackPlan): string | undefined {
  const names = (p: RollbackPlan) => Object.entries(p.guids).map(([n, g]) => `${n}=${g}`).sort().join(' ');
  if (a.target.id !== b.target.id || names(a) !== names(b)) {
    const before = new Set(Object.keys(a.guids));
    const now = new Set(Object.keys(b.guids));
    const gone = [...before].filter((n) => !now.has(n) || a.guids[n] !== b.guids[n]);
    const came = [...now].filter((n) => !before.has(n));
    return [gone.length ? `gone or replaced: ${gone.join(', ')}` : '', came.length ? `new: ${came.join(', ')}` : ''].filter(Boolean).join('; ') || 'the checkpoints changed';
  }
  if (a.datasets.join(',') !== b.datasets.join(',')) return 'the system\'s datasets changed';
  return undefined;
}

/**
 * Executes a plan (the caller holds the lock). After a confirmation (which
 * may take minutes) the world is checked again first: if a snapshot came or
 * went since the plan was made, nothing is done. Then the markers and the
 * journal, the consumed checkpoints destroyed, each dataset rolled back, the
 * journal cleared; Ctrl-C and TERM wait for the end.
 * @throws {@link CheckpointError} `CHANGED` (nothing done), or what {@link planRollback} throws.
 */
export async function executeRollback(cps: CheckpointSource, plan: RollbackPlan, options: { confirmed: boolean }): Promise<void> {
  let now = plan;
  if (options.confirmed) {
    now = await planRollback(cps, plan.target.id, { packages: false });
    const changed = samePlan(plan, now);
    if (changed) {
      throw new CheckpointError('CHANGED', `the system changed while the rollback to ${plan.target.id} waited for confirmation (${changed}); nothing was done: run it again to see the new plan`, plan.target.snapshots[0]);
    }
  }
  const journal: RollbackJournal = {
    op: 'rollback',
    version: 2,
    system: cps.system.id,
    datasets: [...cps.system.datasets],
    target: { id: now.target.id, tid: now.target.tid, snapshots: Object.fromEntries(now.target.snapshots.map((s) => [s, now.guids[s]!])) },
    destroy: Object.fromEntries(now.destroy.map((s) => [s, now.guids[s]!])),
    marked: [],
    started: new Date().toISOString(),
  };
  await uninterruptible(async () => {
    // A marker file on every mounted dataset before the journal: the rollback takes it away,
    // so a dataset without it is back, whatever the running system wrote to it since.
    try {
      journal.marked = await placeMarkers(cps, journal.target.id);
      faultPoint('rollback-marked');
      await writeJournal(cps.system.pools[0]!, cps.system.datasets[0]!, journal);
    } catch (e) {
      await removeMarkers(cps, journal.target.id); // the rollback does not start: no marker stays
      throw e;
    }
    faultPoint('rollback-journaled');
    await finishRollback(cps, journal);
  });
}

/** A rollback the journal says is under way: what is left, and whether the journal checks out. */
export interface PendingRollback {
  /** The checkpoint it goes back to (from the journal). */
  target?: { id: string; tid: number };
  /** Consumed snapshots still there, to destroy. */
  destroy: string[];
  /** Datasets not yet rolled back. */
  remaining: string[];
  /** Datasets already rolled back. */
  rolled: string[];
  started?: string;
  /** Why the journal can't be trusted; empty when it checks out and `zcp repair` may finish it. */
  problems: string[];
}

/**
 * Checks a journal against the pool: it must be this system's (id and
 * datasets exactly), its target a complete checkpoint of this system with
 * the very snapshots (by guid) it names, each snapshot it destroys either
 * gone or still the same checkpoint snapshot of this system, later than the
 * target, neither held nor cloned, and no other snapshot newer than the
 * target on any dataset.
 */
async function verify(cps: CheckpointSource, j: RollbackJournal): Promise<PendingRollback> {
  const problems: string[] = [];
  const sys = cps.system;
  if (j.system !== sys.id) problems.push(`it is another system's (id ${j.system || 'none'}, this one's is ${sys.id})`);
  if (j.datasets.join('\n') !== sys.datasets.join('\n')) problems.push(`it names the datasets ${j.datasets.join(', ') || 'none'}, this system has ${sys.datasets.join(', ')}`);
  const { checkpoints, foreign, txg, guid } = await cps.scan();
  const target = checkpoints.find((c) => c.id === j.target.id);
  const wanted = sys.datasets.map((ds) => `${ds}@${j.target.id}`);
  if (!target) problems.push(`its target ${j.target.id} is not a checkpoint of this system`);
  else if (target.tid !== j.target.tid) problems.push(`its target ${j.target.id} has TID ${target.tid}, not ${j.target.tid}`);
  if (Object.keys(j.target.snapshots).sort().join('\n') !== [...wanted].sort().join('\n')) problems.push(`its target snapshots are not exactly ${wanted.join(', ')}`);
  for (const [snap, g] of Object.entries(j.target.snapshots)) {
    if (guid.get(snap) === undefined) problems.push(`${snap} is gone`);
    else if (guid.get(snap) !== g) problems.push(`${snap} is not the snapshot the journal names (guid ${guid.get(snap)}, not ${g})`);
  }
  const destroy: string[] = [];
  for (const [snap, g] of Object.entries(j.destroy)) {
    const ds = snap.slice(0, snap.indexOf('@'));
    const short = snap.slice(snap.indexOf('@') + 1);
    if (!sys.datasets.includes(ds) || !isCheckpointName(short)) {
      problems.push(`it would destroy ${snap}, which is not a checkpoint of this system`);
      continue;
    }
    const now = guid.get(snap);
    if (now === undefined) {
      if (foreign.some((f) => f.name === snap)) problems.push(`it would destroy ${snap}, which is not this system's checkpoint`);
      continue; // destroyed already
    }
    if (now !== g) {
      problems.push(`${snap} is not the snapshot the journal names (guid ${now}, not ${g})`);
      continue;
    }
    // Later by the snapshots' order, as the plan took it (TIDs need not be: a counter set back).
    if (!newerOnItsDataset(snap, j.target.id, txg)) {
      problems.push(`it would destroy ${snap}, which is not newer than ${j.target.id}`);
      continue;
    }
    const c = checkpoints.find((x) => x.id === short);
    if (c?.held) problems.push(`${snap} is held now`);
    if (c?.clones.length) problems.push(`${snap} has clones now (${c.clones.join(', ')})`);
    destroy.push(snap);
  }
  for (const f of newerThan(foreign, txg, j.target.id)) problems.push(`${f.name} is newer than ${j.target.id} and is not one the journal names`);
  const later = checkpoints.flatMap((c) => c.snapshots).filter((s) => newerOnItsDataset(s, j.target.id, txg) && j.destroy[s] === undefined);
  if (later.length) problems.push(`${later.join(', ')} ${later.length === 1 ? 'is' : 'are'} newer than ${j.target.id} and not named by the journal`);
  const rolled: string[] = [];
  if (!problems.length) {
    const mounts = await mountpoints(sys);
    for (const ds of sys.datasets) if (await isBack(mounts, j, ds)) rolled.push(ds);
  }
  return {
    target: { id: j.target.id, tid: j.target.tid },
    destroy,
    remaining: sys.datasets.filter((ds) => !rolled.includes(ds)),
    rolled,
    started: j.started,
    problems,
  };
}

/** This system's journal (one per system on its first pool's state dataset). */
const journalOf = (cps: CheckpointSource) => readJournal(cps.system.pools[0]!, cps.system.datasets[0]!);

/** What a journal read says, checked against the pool. */
function checked(cps: CheckpointSource, read: JournalRead): Promise<PendingRollback> {
  if ('unreadable' in read) return Promise.resolve({ destroy: [], remaining: [], rolled: [], problems: [`the journal is unreadable: ${read.unreadable}`] });
  return verify(cps, read.journal);
}

/**
 * The rollback an interrupted zcp left on this system, checked against the
 * pool; undefined when there is none. `known`: the journal a state read just
 * brought (not read again).
 */
export async function pendingRollback(cps: CheckpointSource, known?: { journal: JournalRead | undefined }): Promise<PendingRollback | undefined> {
  const read = known ? known.journal : await journalOf(cps);
  return read && checked(cps, read);
}

/** The marker file of a rollback to `id` in a dataset mounted at `mountpoint`. */
const markerPath = (mountpoint: string, id: string) => join(mountpoint, `${MARKER}${id}`);
const MARKER = '.zcp-rollback-to-';

/**
 * Writes a marker file into every mounted dataset of the system, durable by
 * the time the journal is: the target snapshot has no such file, so after the
 * rollback of a dataset its marker is gone. That is how an interrupted
 * rollback tells, for sure, which datasets are back: the running system's
 * writes and reads after the cut (even atime updates) can't fake it.
 * Opened without following a symlink, never replacing anything.
 * @returns the datasets marked.
 */
async function placeMarkers(cps: CheckpointSource, id: string): Promise<string[]> {
  const mounts = await mountpoints(cps.system);
  const marked = await Promise.all(
    mounts.map(async (m) => {
      const path = markerPath(m.mountpoint, id);
      let fd: number | undefined;
      try {
        fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        writeSync(fd, `zcp: a rollback of ${m.dataset} to ${id} is under way; it takes this file away (zcp repair finishes an interrupted one)\n`);
      } catch (e) {
        // Mounted read-only: nothing writes to it either, so it is told like an unmounted one.
        if ((e as NodeJS.ErrnoException).code === 'EROFS') return undefined;
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !lstatSync(path).isFile()) throw e;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      // On the journal's pool the journal's own txg makes the marker durable (written before it, so in
      // the same txg or an earlier one); on another pool only a sync of its own does.
      if (poolOf(m.dataset) !== cps.system.pools[0]) await zfs.syncFilesystem(m.dataset, m.mountpoint);
      return m.dataset;
    }),
  );
  return marked.filter((d): d is string => d !== undefined);
}

/**
 * Marker files no journal accounts for (a rollback killed after its markers,
 * before its journal: nothing was rolled back): removed by `zcp repair`.
 */
export async function strayMarkers(cps: CheckpointSource): Promise<string[]> {
  if (await journalOf(cps)) return [];
  const out: string[] = [];
  for (const m of await mountpoints(cps.system)) {
    for (const f of readdirSync(m.mountpoint)) {
      const path = join(m.mountpoint, f);
      if (f.startsWith(MARKER) && lstatSync(path).isFile()) out.push(path);
    }
  }
  return out;
}

/** Removes the markers of a rollback that will not happen (a journal that could not be written, or one dropped). */
async function removeMarkers(cps: CheckpointSource, id: string): Promise<void> {
  for (const m of await mountpoints(cps.system)) {
    const path = markerPath(m.mountpoint, id);
    if (lstatSync(path, { throwIfNoEntry: false })?.isFile()) unlinkSync(path);
  }
}

/**
 * Whether dataset `ds` is back at the journal's target already: a marked
 * dataset when its marker is gone (it must be mounted to tell: one that is
 * not is rolled back again, which loses nothing written through a mount); an
 * unmarked one (not mounted then, so nothing reads or writes it) when the
 * target is its newest snapshot and nothing was written since.
 */
async function isBack(mounts: readonly { dataset: string; mountpoint: string }[], j: RollbackJournal, ds: string): Promise<boolean> {
  if (j.marked.includes(ds)) {
    const m = mounts.find((x) => x.dataset === ds);
    return m !== undefined && !existsSync(markerPath(m.mountpoint, j.target.id));
  }
  const newest = (await zfs.listSnapshots(ds)).pop(); // oldest first
  if (newest?.name !== `${ds}@${j.target.id}`) return false;
  return Number((await zfs.getProps(ds, ['written'])).written?.value ?? 1) === 0;
}

/**
 * The idempotent part of a rollback, also what finishes an interrupted one:
 * the consumed snapshots still there destroyed (by name, after the guid
 * check), then each dataset that is not back yet rolled back: none twice.
 */
async function finishRollback(cps: CheckpointSource, j: RollbackJournal, check?: PendingRollback): Promise<string[]> {
  const done: string[] = [];
  const doomed = check ? check.destroy : Object.keys(j.destroy);
  let n = 0;
  for (const snaps of groupByPool(doomed).values()) {
    await zfs.destroySnapshots(snaps);
    done.push(...snaps.map((s) => `destroyed ${s}`));
    if (++n === 1) faultPoint('rollback-destroyed-first-pool');
  }
  faultPoint('rollback-destroyed');
  for (const [i, ds] of cps.system.datasets.entries()) {
    if (check && check.rolled.includes(ds)) {
      done.push(`${ds} was rolled back already`);
    } else {
      await zfs.rollbackTo(`${ds}@${j.target.id}`);
      done.push(`rolled ${ds} back to ${j.target.id}`);
    }
    if (i === 0) faultPoint('rollback-first-dataset');
    faultPoint(`rollback-dataset-${i + 1}`);
  }
  faultPoint('rollback-last-dataset');
  await writeJournal(cps.system.pools[0]!, cps.system.datasets[0]!, undefined);
  return done;
}

/**
 * Finishes the interrupted rollback of this system (the caller holds the
 * lock), after checking its journal; with dryRun, only says what it would do.
 * @returns what was (or would be) done.
 * @throws {@link CheckpointError} `JOURNAL_INVALID` when the journal does not check out (nothing is done).
 */
export async function repairRollback(cps: CheckpointSource, options: { dryRun?: boolean } = {}): Promise<string[]> {
  const read = await journalOf(cps);
  if (!read) return [];
  const pending = await checked(cps, read);
  if ('unreadable' in read || pending.problems.length) {
    throw new CheckpointError(
      'JOURNAL_INVALID',
      `the rollback journal on ${stateDataset(cps.system.pools[0]!)} does not check out, so zcp will not act on it: ${pending.problems.join('; ')}. If you know no rollback of this system was under way, zcp repair --discard-journal drops it (nothing is rolled back)`,
      stateDataset(cps.system.pools[0]!),
    );
  }
  const j = read.journal;
  if (options.dryRun) {
    return [
      ...pending.destroy.map((s) => `would destroy ${s}`),
      ...pending.rolled.map((ds) => `${ds} is rolled back already`),
      ...pending.remaining.map((ds) => `would roll ${ds} back to ${j.target.id}`),
      `then the rollback to ${j.target.id} is finished`,
    ];
  }
  return uninterruptible(async () => [...(await finishRollback(cps, j, pending)), `finished the interrupted rollback to ${j.target.id}`]);
}

/** Drops this system's journal without acting on it (`zcp repair --discard-journal`). */
export async function discardJournal(cps: CheckpointSource, options: { dryRun?: boolean } = {}): Promise<string[]> {
  const read = await journalOf(cps);
  if (!read) return [];
  if (!options.dryRun) {
    await writeJournal(cps.system.pools[0]!, cps.system.datasets[0]!, undefined);
    if ('journal' in read) await removeMarkers(cps, read.journal.target.id);
  }
  return [`${options.dryRun ? 'would drop' : 'dropped'} the rollback journal (nothing rolled back)`];
}
