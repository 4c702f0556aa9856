/**
 * Transactions, RPM-style: every package change runs between `begin` (a
 * checkpoint and a new TID) and `commit` or `fail`; the history keeps each
 * with its package changes; `rollbackTo(TID | date)` undoes the transactions
 * from there on, newest first, in one rollback of the files. (Undoing one
 * transaction while later ones stay is src/undo's.)
 * @module
 */
import { type Checkpoint, Checkpoints, type CreateOptions } from '../checkpoint/checkpoints.js';
import { CheckpointError } from '../checkpoint/errors.js';
import type { RollbackPlan } from '../checkpoint/rollback.js';
import type { SystemOptions } from '../checkpoint/system.js';
import { packageDiff } from '../checkpoint/packages.js';
import * as zfs from '../zfs/index.js';
import type { PackageDiff } from '../pkgdb/packages.js';
import { type HistoryEntry, readHistory, writeEntry } from './history.js';
import { touches } from './important.js';
import { ownerGone, ownerOf } from './owner.js';
import { faultPoint } from '../checkpoint/fault.js';
import { type LeftMounts, type MountRecord, leftMounts, undoLeftMounts } from '../checkpoint/mount.js';

/** A running transaction whose process is gone (killed, or a reboot since): what `zcp repair` does with it. */
export interface InterruptedTransaction {
  entry: HistoryEntry;
  /** What it left mounted (empty when nothing). */
  left: LeftMounts;
  /** Ended as failed by `zcp repair` (false while a process it started still runs in its mounts). */
  ended: boolean;
  /** What was undone of its mounts (or, in a dry run, would be). */
  undone: string[];
}

/**
 * The transactions of a system, as RPM's transactional rollback had them:
 * each one a checkpoint and a TID, in a history on the pool; rolled back to
 * a TID or a date, newest first.
 *
 * @example
 * ```ts
 * import { Transactions } from 'zcp';
 * const tx = await Transactions.open();
 * const { checkpoint } = await tx.begin({ title: 'apt-get install nginx', kind: 'run' });
 * const ok = runTheInstall(); // your package manager run
 * await (ok ? tx.commit(checkpoint.tid) : tx.fail(checkpoint.tid, 100));
 * for (const e of await tx.history()) console.log(e.tid, e.state, e.title);
 * await tx.rollbackTo(new Date('2026-12-03T14:00'), { dryRun: true }); // what undoing since then would do
 * ```
 */
export class Transactions {
  constructor(readonly checkpoints: Checkpoints) {}

  /**
   * The transactions of a system (see {@link Checkpoints.open}).
   * @throws {@link CheckpointError} `NOT_ZFS`, `BAD_SYSTEM`, `INVALID_NAME`, `BAD_CONFIG`, `CONFIG_INSECURE`.
   */
  static async open(options: SystemOptions = {}): Promise<Transactions> {
    return new Transactions(await Checkpoints.open(options));
  }

  private get pool(): string {
    return this.checkpoints.system.pools[0]!;
  }
  private get key(): string {
    return this.checkpoints.system.datasets[0]!;
  }

  /**
   * Starts a transaction: a checkpoint (with a new TID) and a `running` history entry.
   * @throws {@link CheckpointError} as {@link Checkpoints.create}: `NO_SPACE`, `LOCKED`, `METADATA_TOO_LARGE`, ...
   */
  async begin(options: CreateOptions & { ownerPid?: number; mounts?: MountRecord; undoes?: number } = {}): Promise<{ checkpoint: Checkpoint; entry: HistoryEntry }> {
    const { ownerPid, mounts, undoes, ...create } = options;
    const checkpoint = await this.checkpoints.create({ kind: 'run', ...create });
    const owner = ownerOf(ownerPid ?? process.pid);
    const entry: HistoryEntry = {
      tid: checkpoint.tid,
      checkpoint: checkpoint.id,
      title: checkpoint.title,
      ...(checkpoint.command ? { command: checkpoint.command } : {}),
      state: 'running',
      started: new Date().toISOString(),
      ...(owner ? { owner } : {}),
      ...(mounts ? { mounts } : {}),
      ...(undoes !== undefined ? { undoes } : {}),
    };
    faultPoint('transaction-checkpointed');
    await writeEntry(this.pool, this.key, entry);
    return { checkpoint, entry };
  }

  /**
   * Transactions still `running` whose process is gone (killed, or a reboot
   * since), with what they left mounted: `zcp list` and `zcp status` show them.
   */
  async interrupted(): Promise<Omit<InterruptedTransaction, 'ended' | 'undone'>[]> {
    const stale = (await this.history()).filter((e) => e.state === 'running' && !e.rollback && e.owner && ownerGone(e.owner));
    return stale.map((entry) => ({ entry, left: entry.mounts ? leftMounts(entry.mounts) : { unmount: [], files: [], busy: [] } }));
  }

  /**
   * `zcp repair`'s part for them: undoes what each left mounted (its
   * policy-rc.d, its mounts, its directory aside) and ends it as failed and
   * interrupted. One whose package manager still runs in its mounts (it
   * outlived zcp) is left as it is, to be repaired once that ends. With
   * dryRun, only what it would do.
   */
  async settleInterrupted(options: { dryRun?: boolean } = {}): Promise<InterruptedTransaction[]> {
    const out: InterruptedTransaction[] = [];
    for (const { entry, left } of await this.interrupted()) {
      if (left.busy.length) {
        out.push({ entry, left, ended: false, undone: [] });
        continue;
      }
      if (options.dryRun) {
        const undone = [...left.files.map((f) => `would remove ${f}`), ...left.unmount.map((d) => `would unmount ${d}`), ...(left.dir ? [`would remove ${left.dir}`] : [])];
        out.push({ entry, left, ended: true, undone });
        continue;
      }
      const undone = entry.mounts ? await undoLeftMounts(entry.mounts) : [];
      const { owner: _gone, mounts: _undone, ...rest } = entry;
      await writeEntry(this.pool, this.key, { ...rest, state: 'failed', interrupted: true, ended: new Date().toISOString() });
      out.push({ entry, left, ended: true, undone });
    }
    return out;
  }

  /**
   * Ends a transaction: its package changes are recorded; kernel/libc/init changes mark its checkpoint important.
   * An unreadable package database does not stop it (no changes recorded).
   * `known` is its history entry when the caller has just read it.
   * @throws {@link CheckpointError} `TRANSACTION_NOT_FOUND`.
   */
  async end(tid: number, outcome: { ok: boolean; exitCode?: number; changes?: PackageDiff | null }, known?: HistoryEntry): Promise<HistoryEntry> {
    // `known`: the entry as the caller just read it (the apt hook), so the history is not read twice.
    const entry = known?.tid === tid && !known.rollback ? known : (await this.history()).find((e) => e.tid === tid && !e.rollback);
    if (!entry) throw new CheckpointError('TRANSACTION_NOT_FOUND', `no transaction ${tid}`, String(tid));
    const { owner: _ended, mounts: _undone, ...open } = entry;
    const done: HistoryEntry = { ...open, state: outcome.ok ? 'committed' : 'failed', ended: new Date().toISOString() };
    if (outcome.exitCode !== undefined) done.exitCode = outcome.exitCode;
    try {
      // The changes are the live system's, unless the caller measured them elsewhere (a boot environment).
      if (outcome.changes === null) throw new Error('no package changes known');
      const d = outcome.changes ?? (await packageDiff(this.checkpoints.system, entry.checkpoint));
      done.changes = d;
      done.touches = touches(d);
      if (done.touches.length) {
        const c = await this.checkpoints.get(entry.checkpoint);
        for (const snap of c.snapshots) await zfs.setUserProps(snap, { 'zcp:important': 'yes' });
      }
    } catch {
      // no package database (or an unreadable one): the transaction still ends
    }
    faultPoint('transaction-ending');
    await writeEntry(this.pool, this.key, done);
    return done;
  }

  /** {@link end} as committed. @throws {@link CheckpointError} `TRANSACTION_NOT_FOUND`. */
  async commit(tid: number): Promise<HistoryEntry> {
    return this.end(tid, { ok: true });
  }

  /** {@link end} as failed, with the command's exit status. @throws {@link CheckpointError} `TRANSACTION_NOT_FOUND`. */
  async fail(tid: number, exitCode?: number): Promise<HistoryEntry> {
    return this.end(tid, { ok: false, ...(exitCode !== undefined ? { exitCode } : {}) });
  }

  /** Every transaction and rollback event, oldest first. */
  async history(): Promise<HistoryEntry[]> {
    return readHistory(this.pool, this.key);
  }

  /**
   * The checkpoint a rollback to a TID or a date goes to: the TID's own, or the first one after the date.
   * @throws {@link CheckpointError} `CHECKPOINT_NOT_FOUND`.
   */
  async target(to: number | Date): Promise<Checkpoint> {
    if (typeof to === 'number') return this.checkpoints.get(String(to));
    const after = (await this.checkpoints.list()).filter((c) => c.created.getTime() > to.getTime());
    if (!after.length) throw new CheckpointError('CHECKPOINT_NOT_FOUND', `no checkpoint after ${to.toISOString()}: nothing to undo`);
    return after[0]!;
  }

  /**
   * Undoes the transactions from `to` (a TID, or every one after a date) on,
   * newest first, by rolling the files back to the checkpoint before them;
   * the history marks them rolled back and records the rollback.
   * @throws {@link CheckpointError} as {@link Checkpoints.rollback}: `CHECKPOINT_NOT_FOUND`, `HELD`, `HAS_CLONES`, `NOT_ZCP`, `INCOMPLETE`, `LOCKED`.
   */
  async rollbackTo(
    to: number | Date,
    options: { dryRun?: boolean; confirm?: (plan: RollbackPlan) => Promise<boolean> } = {},
  ): Promise<RollbackPlan & { done: boolean; undid: number[] }> {
    const target = await this.target(to);
    const result = await this.checkpoints.rollback(target.id, options);
    if (!result.done) return { ...result, undid: [] };
    const undone = (await this.history()).filter((e) => !e.rollback && e.tid >= target.tid && e.state !== 'rolled-back');
    for (const e of undone) await writeEntry(this.pool, this.key, { ...e, state: 'rolled-back' });
    const undid = undone.map((e) => e.tid).sort((a, b) => b - a);
    await writeEntry(
      this.pool,
      this.key,
      { tid: target.tid, checkpoint: target.id, title: `rollback to ${target.id}`, state: 'committed', started: new Date().toISOString(), rollback: { to: target.id, undid } },
      true,
    );
    return { ...result, undid };
  }
}
