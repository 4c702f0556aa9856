/**
 * `zcp undo TID`: one past transaction undone at package level while the
 * later ones stay, carried out as a transaction of its own. RPM repackaged
 * a package before erasing or upgrading it so a rollback never had to find
 * old versions on mirrors; zcp has better than a repackage spool: the
 * checkpoint taken before the transaction holds every old file and the
 * package database that describes them, so the old packages are rebuilt
 * from it (kept in the pool's package store as long as that checkpoint
 * lives) and handed to the package manager, whose dependency checks,
 * maintainer scripts and conffile rules run as for any install.
 *
 * Later transactions are never broken silently: one that changed the same
 * packages again, or whose packages would lose a dependency, is named in
 * the plan, and the undo is refused unless those are undone first (newest
 * first).
 * @module
 */
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Checkpoints } from '../checkpoint/checkpoints.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { Mounts } from '../checkpoint/mount.js';
import { checkpointPackages, ensurePackageStore, packageStore } from '../checkpoint/package-store.js';
import { packagesOf } from '../checkpoint/packages.js';
import { realDirectory } from '../fs/in-root.js';
import type { CommandRunner, Progress, Ran } from '../package-manager/workflows.js';
import { recordRun } from '../package-manager/workflows.js';
import type { PackageManager } from '../pkgdb/packages.js';
import type { HistoryEntry } from '../transaction/history.js';
import { Transactions } from '../transaction/transactions.js';
import { undoBackend } from './backends.js';
import type { EditedConffile, PackageRef, Unmet } from './deb.js';
import { mountSnapshotTree } from './snapshot-tree.js';

/** A package going back to the version it had (or coming back at it). */
export interface UndoChange {
  name: string;
  architecture: string;
  /** Its version now. */
  from: string;
  /** The version it goes back to (the checkpoint's). */
  to: string;
}

/** A later transaction the undo would break: why, in apt's or zcp's words. */
export interface LaterTransaction {
  tid: number;
  title: string;
  why: string[];
}

/** What undoing one transaction does. */
export interface UndoPlan {
  transaction: HistoryEntry;
  manager: PackageManager;
  /** The checkpoint the old packages are rebuilt from: the one taken before the transaction. */
  source: string;
  /** Upgraded by it: back down. */
  downgrade: UndoChange[];
  /** Downgraded by it: back up. */
  upgrade: UndoChange[];
  /** Installed by it: removed. */
  remove: { name: string; architecture: string; version: string }[];
  /** Removed by it: installed again. */
  reinstall: { name: string; architecture: string; version: string }[];
  /** Every package rebuilt from `source` (downgrade, upgrade, reinstall), as files named there. */
  rebuild: PackageRef[];
  /** Later transactions that changed its packages again or need what it brought, newest first: undone first, or the undo is refused. */
  later: LaterTransaction[];
  /** Packages that would lose a dependency and no later transaction brought (installed by hand since): the undo is refused. */
  unmet: Unmet[];
  /** Conffiles edited since their package installed them: kept (dpkg's rule), or replaced with `replaceConffiles`. */
  conffiles: EditedConffile[];
  /** What the undo runs (the rebuild, then the package manager). */
  commands: string[];
}

/** How an undo is carried out. */
export interface UndoOptions {
  /** Runs the package manager's command (the CLI: on its terminal). */
  run: CommandRunner;
  progress?: Progress;
  /** Take the package's version of edited conffiles (dpkg's --force-confnew) instead of keeping them. */
  replaceConffiles?: boolean;
  onCheckpoint?: (c: Ran['checkpoint']) => void;
}

const quiet: Progress = (_label, work) => work;

/**
 * Whether a transaction still stands: not running, not rolled back, and not
 * undone by an undo that itself still stands (an undo of the undo brings it back).
 */
function standing(history: HistoryEntry[]): (e: HistoryEntry) => boolean {
  const tx = history.filter((e) => !e.rollback);
  const memo = new Map<number, boolean>();
  const stands = (e: HistoryEntry): boolean => {
    const known = memo.get(e.tid);
    if (known !== undefined) return known;
    const v = e.state !== 'rolled-back' && e.state !== 'running' && !tx.some((u) => u.undoes === e.tid && u.tid > e.tid && u.state === 'committed' && stands(u));
    memo.set(e.tid, v);
    return v;
  };
  return stands;
}

/** A package name, architecture and version as dpkg (policy 5.6.1, 5.6.12) or rpm allow them: nothing that reads as an option, a path or a shell word. */
export function wellFormed(manager: PackageManager, p: PackageRef): boolean {
  if (manager === 'rpm') return /^[A-Za-z0-9_+][A-Za-z0-9_+.~-]*$/.test(p.name) && /^[A-Za-z0-9_]+$/.test(p.architecture) && /^([0-9]+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+$/.test(p.version);
  return /^[a-z0-9][a-z0-9+.-]+$/.test(p.name) && /^[a-z0-9][a-z0-9-]*$/.test(p.architecture) && /^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$/.test(p.version);
}

/** The names a transaction's changes touch. */
function touched(e: HistoryEntry): Set<string> {
  const c = e.changes!;
  return new Set([...c.installed, ...c.removed, ...c.upgraded, ...c.downgraded].map((p) => `${p.name}:${p.architecture}`));
}

/**
 * What undoing transaction `tid` would do, with what it needs and what it
 * would break. Changes nothing.
 * @throws {@link CheckpointError} `TRANSACTION_NOT_FOUND`, `NOT_UNDOABLE` (running, rolled back, or no package changes recorded), `CHECKPOINT_NOT_FOUND` (its checkpoint is gone: nothing to rebuild from), `NOT_SUPPORTED` (`replaceConffiles` on an rpm system: rpm has no such rule).
 */
export async function planUndo(tx: Transactions, tid: number, options: { replaceConffiles?: boolean } = {}): Promise<UndoPlan> {
  const history = await tx.history();
  const entry = history.find((e) => e.tid === tid && !e.rollback);
  if (!entry) throw new CheckpointError('TRANSACTION_NOT_FOUND', `no transaction ${tid} in the history`, String(tid));
  if (entry.state === 'rolled-back') throw new CheckpointError('NOT_UNDOABLE', `transaction ${tid} was rolled back already: nothing of it is left to undo`, String(tid));
  if (entry.state === 'running') throw new CheckpointError('NOT_UNDOABLE', `transaction ${tid} is still running (zcp repair ends one whose process is gone)`, String(tid));
  if (!entry.changes) throw new CheckpointError('NOT_UNDOABLE', `transaction ${tid} has no recorded package changes (${entry.state}): zcp can't tell what to undo`, String(tid));
  const stands = standing(history);
  const undoneBy = history.find((e) => e.undoes === tid && e.tid > tid && e.state === 'committed' && stands(e));
  if (undoneBy) throw new CheckpointError('NOT_UNDOABLE', `transaction ${tid} was undone by transaction ${undoneBy.tid} (zcp undo ${undoneBy.tid} brings it back)`, String(tid));
  const cps = tx.checkpoints;
  await cps.get(entry.checkpoint).catch((e: unknown) => {
    if (e instanceof CheckpointError && e.code === 'CHECKPOINT_NOT_FOUND') {
      throw new CheckpointError('CHECKPOINT_NOT_FOUND', `checkpoint ${entry.checkpoint}, taken before transaction ${tid}, is gone (pruned or destroyed): the old packages can't be rebuilt from it`, entry.checkpoint, e);
    }
    throw e;
  });
  const before = await packagesOf(cps.system, entry.checkpoint);
  const now = await packagesOf(cps.system);
  const backend = undoBackend(now.manager);
  const c = entry.changes;
  const key = (p: { name: string; architecture: string }) => `${p.name}:${p.architecture}`;
  const live = new Map(now.packages.map((p) => [key(p), p.version]));
  const old = new Map(before.packages.map((p) => [key(p), p.version]));
  const plan: UndoPlan = {
    transaction: entry,
    manager: now.manager,
    source: entry.checkpoint,
    downgrade: c.upgraded.map((x) => ({ name: x.name, architecture: x.architecture, from: live.get(key(x)) ?? x.to, to: x.from })),
    upgrade: c.downgraded.map((x) => ({ name: x.name, architecture: x.architecture, from: live.get(key(x)) ?? x.to, to: x.from })),
    remove: c.installed.filter((p) => live.has(key(p))).map((p) => ({ name: p.name, architecture: p.architecture, version: live.get(key(p))! })),
    reinstall: c.removed.filter((p) => !live.has(key(p))).map((p) => ({ name: p.name, architecture: p.architecture, version: p.version })),
    rebuild: [],
    later: [],
    unmet: [],
    conffiles: [],
    commands: [],
  };
  plan.rebuild = [...plan.downgrade, ...plan.upgrade].map((x) => ({ name: x.name, architecture: x.architecture, version: x.to })).concat(plan.reinstall);
  // Names and versions go on command lines and into file names: only what the package managers allow (a forged database is data).
  for (const p of [...plan.rebuild, ...plan.remove]) {
    if (!wellFormed(now.manager, p)) throw new CheckpointError('NOT_UNDOABLE', `transaction ${tid} names a package zcp won't pass to ${now.manager === 'rpm' ? 'rpm' : 'apt'}: ${JSON.stringify(`${p.name} ${p.architecture} ${p.version}`)}`, String(tid));
  }
  for (const r of plan.rebuild) {
    if (old.get(key(r)) !== r.version) throw new CheckpointError('INCOMPLETE', `checkpoint ${entry.checkpoint} does not have ${r.name}:${r.architecture} ${r.version} installed: the history and the checkpoint disagree`, entry.checkpoint);
  }

  // Later transactions that changed the same packages again.
  const later = history.filter((e) => !e.rollback && e.tid > tid && e.changes && stands(e));
  const mine = touched(entry);
  const why = new Map<number, string[]>();
  const say = (t: number, w: string) => why.set(t, [...(why.get(t) ?? []), w]);
  for (const l of later) for (const k of touched(l)) if (mine.has(k)) say(l.tid, `changed ${k.replace(/:all$/, '')} again`);
  // Dependencies after the undo, judged by the package manager's own tools.
  const unmet = await backend.unmet(cps.system, entry.checkpoint, plan);
  for (const u of unmet) {
    const by = [...later].reverse().find((l) => [...touched(l)].some((k) => k.split(':')[0] === u.name) && !l.changes!.removed.some((p) => p.name === u.name));
    if (by) say(by.tid, `${u.name}: ${u.problems.join('; ')}`);
    else plan.unmet.push(u);
  }
  plan.later = later.filter((l) => why.has(l.tid)).sort((a, b) => b.tid - a.tid).map((l) => ({ tid: l.tid, title: l.title, why: why.get(l.tid)! }));
  plan.conffiles = await backend.edited(cps.system, [...plan.downgrade, ...plan.upgrade]);
  const store = `<${packageStore(cps.system.pools[0]!)}>/${cps.system.id}/${entry.checkpoint}`;
  const shown = await backend.commands(cps.system, plan, plan.rebuild.map((r) => `${store}/${backend.fileName(r)}`), options);
  plan.commands = [...(plan.rebuild.length ? [backend.rebuildCommand(entry.checkpoint, plan.rebuild)] : []), ...(plan.rebuild.length + plan.remove.length ? shown.argvs.map((a) => a.join(' ')) : [])];
  return plan;
}

/**
 * Carries out a plan of {@link planUndo} as a transaction of its own (a
 * checkpoint first, in the history with `undoes`, itself undoable and
 * roll-back-able): the old packages rebuilt from the plan's checkpoint into
 * the pool's package store (kept there while that checkpoint lives), then
 * the package manager: one apt-get run, or rpm -e and rpm -U --oldpackage.
 * What it mounts (the checkpoint's tree, the store) is under one directory
 * named in its history entry, for `zcp repair`.
 * @throws {@link CheckpointError} `DEPENDED_ON` (later transactions or other packages need what it brought: nothing changed), `REBUILD_FAILED` (the transaction is then recorded as failed, nothing installed), and as {@link Transactions.begin}.
 */
export async function carryOutUndo(cps: Checkpoints, plan: UndoPlan, options: UndoOptions): Promise<Ran> {
  const tid = plan.transaction.tid;
  if (plan.later.length) {
    throw new CheckpointError('DEPENDED_ON', `later transactions need what transaction ${tid} brought: ${plan.later.map((l) => `${l.tid} (${l.why.join('; ')})`).join(', ')}; undo them first (zcp undo --with-later), or leave ${tid}`, String(tid));
  }
  if (plan.unmet.length) {
    throw new CheckpointError('DEPENDED_ON', `undoing transaction ${tid} would break packages no transaction of zcp's brought: ${plan.unmet.map((u) => `${u.name} (${u.problems.join('; ')})`).join(', ')}`, String(tid));
  }
  const pool = cps.system.pools[0]!;
  const store = await ensurePackageStore(pool);
  const tx = new Transactions(cps);
  const dir = mkdtempSync(join(tmpdir(), 'zcp-undo-'));
  const progress = options.progress ?? quiet;
  let began;
  try {
    began = await progress('checkpointing', tx.begin({ title: `undo ${tid}: ${plan.transaction.title}`, command: ['zcp', 'undo', String(tid)], kind: 'undo', mounts: { aside: dir }, undoes: tid }));
  } catch (e) {
    rmdirSync(dir);
    throw e;
  }
  const { checkpoint } = began;
  options.onCheckpoint?.(checkpoint);
  const backend = undoBackend(plan.manager);
  return recordRun(tx, checkpoint, async () => {
    const mounts = new Mounts();
    let cleanup = () => undefined as unknown;
    try {
      const storeDir = realDirectory(dir, 'store');
      await mounts.zfsLegacy(store, storeDir);
      let files: string[] = [];
      if (plan.rebuild.length) {
        const treeDir = realDirectory(dir, 'tree');
        const tree = new Mounts();
        try {
          await mountSnapshotTree(cps.system, plan.source, treeDir, tree);
          files = await progress('rebuilding', backend.rebuild(treeDir, checkpointPackages(storeDir, cps.system.id, plan.source), plan.rebuild));
        } finally {
          await tree.undo();
        }
      }
      const run = await backend.commands(cps.system, plan, files, options, mounts);
      cleanup = run.cleanup;
      let code = 0;
      for (const argv of run.argvs) if ((code = await options.run(argv, checkpoint.tid)) !== 0) break;
      return code;
    } finally {
      cleanup();
      await mounts.undo();
      // Only empty directories go: one still mounted on is left for zcp repair.
      for (const d of [join(dir, 'tree'), join(dir, 'store'), dir]) {
        try {
          rmdirSync(d);
        } catch {
          /* not there, or still mounted on */
        }
      }
    }
  });
}
