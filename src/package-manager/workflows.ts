/**
 * The package-manager workflows as library calls, so a Node tool embedding
 * zcp runs them as `zcp apt`/`run`/`rpm` do: a command as a transaction
 * (checkpoint, run, the end recorded as one step signals wait for), apt-clone's
 * "Upgrade Checkpoint" (apt-get inside a boot environment cloned from a new
 * checkpoint, the running system untouched), and dropping such a boot
 * environment again. The caller runs the command (`run`), so where its output
 * goes stays the caller's; the CLI only prints and asks.
 * @module
 */
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptCommand, aptProgram } from '../apt/command.js';
import { mountBootEnvironment } from '../checkpoint/bootenv.js';
import type { Checkpoint, Checkpoints, CreateOptions } from '../checkpoint/checkpoints.js';
import { faultPoint } from '../checkpoint/fault.js';
import { uninterruptible } from '../checkpoint/interrupt.js';
import { Mounts, chrootRecord } from '../checkpoint/mount.js';
import { packagesOf } from '../checkpoint/packages.js';
import { type PackageDiff, diff, readPackages } from '../pkgdb/packages.js';
import type { HistoryEntry } from '../transaction/history.js';
import { Transactions } from '../transaction/transactions.js';

/** Runs a command (argv) for transaction `tid` and resolves to its exit status. */
export type CommandRunner = (argv: string[], tid: number) => Promise<number>;

/** A label and a step: the CLI shows a progress line for a slow one. */
export type Progress = <T>(label: string, work: Promise<T>) => Promise<T>;
const quiet: Progress = (_label, work) => work;

/** How a transaction's command ended. */
export interface Ran {
  checkpoint: Checkpoint;
  /** The command's exit status (0: committed). */
  code: number;
  /** Its history entry, as recorded at its end. */
  entry: HistoryEntry;
}

/**
 * Runs `run` as the command of transaction `checkpoint.tid` and records its
 * end (committed, or failed with its status) as one step: Ctrl-C reaches
 * the command, and zcp waits until the end is recorded before it exits, so
 * no transaction stays `running`.
 */
export async function recordRun(tx: Transactions, checkpoint: Checkpoint, run: () => Promise<number>): Promise<Ran> {
  return uninterruptible(async () => {
    let code = 127;
    let error: unknown;
    try {
      code = await run();
      faultPoint('transaction-ran');
    } catch (e) {
      error = e; // recorded as failed first, then thrown
    }
    const entry = code === 0 && error === undefined ? await tx.commit(checkpoint.tid) : await tx.fail(checkpoint.tid, code);
    if (error !== undefined) throw error;
    return { checkpoint, code, entry };
  });
}

/**
 * A command as a transaction: a checkpoint (a new TID), the command, its
 * end recorded. `onCheckpoint` is told before the command starts.
 */
export async function runAsTransaction(
  cps: Checkpoints,
  begin: CreateOptions,
  run: CommandRunner,
  argv: string[],
  options: { progress?: Progress; onCheckpoint?: (c: Checkpoint) => void } = {},
): Promise<Ran> {
  const tx = new Transactions(cps);
  const { checkpoint } = await (options.progress ?? quiet)('checkpointing', tx.begin(begin));
  options.onCheckpoint?.(checkpoint);
  return recordRun(tx, checkpoint, () => run(argv, checkpoint.tid));
}

/**
 * apt-get ARGS on the system in place, as a transaction (apt-clone's
 * "Rollback Checkpoint"): entered with chroot when the system has an apt of
 * its own and is not `/` (its kernel file systems recorded in the history
 * before they are mounted, for `zcp repair`), else directly.
 */
export async function aptInPlace(cps: Checkpoints, begin: CreateOptions, aptArgs: string[], run: CommandRunner, options: { progress?: Progress; onCheckpoint?: (c: Checkpoint) => void } = {}): Promise<Ran> {
  const root = cps.system.root;
  const tx = new Transactions(cps);
  const chroot = aptProgram(root, 'apt-get')[0] === 'chroot' ? { mounts: { chroot: chrootRecord(root) } } : {};
  const { checkpoint } = await (options.progress ?? quiet)('checkpointing', tx.begin({ ...begin, ...chroot }));
  options.onCheckpoint?.(checkpoint);
  const mounts = new Mounts();
  return recordRun(tx, checkpoint, async () => {
    try {
      const code = await run(await aptCommand(root, aptArgs, mounts), checkpoint.tid);
      faultPoint('apt-ran');
      return code;
    } finally {
      await mounts.undo();
    }
  });
}

/**
 * Takes a transaction back (the rollback `zcp run/apt/rpm` offer when the
 * command failed): rolls the system back to its checkpoint, undoing it and
 * any later transaction, as {@link Transactions.rollbackTo} does.
 */
export async function rollBackRun(cps: Checkpoints, ran: Pick<Ran, 'checkpoint'>, options: Parameters<Transactions['rollbackTo']>[1] = {}): ReturnType<Transactions['rollbackTo']> {
  return new Transactions(cps).rollbackTo(ran.checkpoint.tid, options);
}

/** What an upgrade into a boot environment did. */
export interface BootEnvironmentUpgrade extends Ran {
  /** The boot environment (`upgrade-TID`) and the checkpoint it was cloned from. */
  bootEnvironment: { name: string; origin: string };
  /** The package changes in the boot environment (null when its database could not be read). */
  changes: PackageDiff | null;
}

/**
 * apt-clone's "Upgrade Checkpoint": checkpoint, clone it to boot environment
 * `upgrade-TID`, mount that aside (the directory named in the history first)
 * and run apt-get in it (entered with chroot when it has an apt-get of its
 * own, as a running system does; else the host's, pointed at it). The
 * running system is never touched; `activate` makes the result boot next.
 * A transaction like any other, its changes measured in the boot environment.
 */
export async function upgradeInBootEnvironment(
  cps: Checkpoints,
  begin: CreateOptions,
  aptArgs: string[],
  run: CommandRunner,
  options: { progress?: Progress; onCloned?: (c: Checkpoint, name: string) => void } = {},
): Promise<BootEnvironmentUpgrade> {
  const progress = options.progress ?? quiet;
  const tx = new Transactions(cps);
  const dir = mkdtempSync(join(tmpdir(), 'zcp-be-'));
  let checkpoint: Checkpoint;
  try {
    ({ checkpoint } = await progress('checkpointing', tx.begin({ ...begin, kind: 'upgrade', mounts: { aside: dir } })));
  } catch (e) {
    rmdirSync(dir);
    throw e;
  }
  const name = `upgrade-${checkpoint.tid}`;
  try {
    await progress('cloning', cps.clone(checkpoint.id, name));
  } catch (e) {
    rmdirSync(dir);
    await tx.end(checkpoint.tid, { ok: false, changes: null }); // nothing ran: not left `running`
    throw e;
  }
  faultPoint('be-cloned');
  options.onCloned?.(checkpoint, name);
  const mounts = new Mounts();
  let code = 1;
  let changes: PackageDiff | null = null;
  let entry: HistoryEntry | undefined;
  // Ctrl-C reaches apt-get (it stops); zcp waits until the mounts are undone and the
  // transaction is recorded, then exits: nothing stays mounted, nothing stays `running`.
  await uninterruptible(async () => {
    try {
      await mountBootEnvironment(cps, name, dir, mounts);
      code = await run(await aptCommand(dir, aptArgs, mounts), checkpoint.tid);
      faultPoint('apt-into-clone-ran');
      changes = await packagesOf(cps.system, checkpoint.id).then(
        async (before) => diff(before, await readPackages(dir)),
        () => null,
      );
    } finally {
      await mounts.undo();
      try {
        rmdirSync(dir); // only when empty: never delete through a mount that did not go
      } catch {
        /* left for the operator: still mounted */
      }
      entry = await tx.end(checkpoint.tid, { ok: code === 0, ...(code === 0 ? {} : { exitCode: code }), changes });
    }
  });
  return { checkpoint, code, entry: entry!, bootEnvironment: { name, origin: checkpoint.id }, changes };
}

/** Drops what a failed upgrade left: its boot environment, then its checkpoint. */
export async function discardUpgrade(cps: Checkpoints, upgrade: Pick<BootEnvironmentUpgrade, 'bootEnvironment' | 'checkpoint'>): Promise<void> {
  await cps.destroyBootEnvironment(upgrade.bootEnvironment.name);
  await cps.destroy(upgrade.checkpoint.id);
}
