/**
 * CheckpointError: what the checkpoint layer refuses or can't do, with a
 * stable code (ZFS failures underneath stay {@link ZfsError}s).
 * @module
 */
import { ZcpError } from '../errors.js';

/** Stable codes of {@link CheckpointError}. */
export type CheckpointErrorCode =
  /** No checkpoint with that id, name or TID on this system. */
  | 'CHECKPOINT_NOT_FOUND'
  /** The snapshot or dataset was not made by zcp: zcp never destroys or rolls back what it did not make. */
  | 'NOT_ZCP'
  /** Another zcp process is working on this system (the lock is held). */
  | 'LOCKED'
  /** Refused: the boot environment boots next (bootfs). */
  | 'ACTIVE'
  /** Refused: it is the running system. */
  | 'CURRENT'
  /** Refused: the checkpoint is held (`zcp hold`). */
  | 'HELD'
  /** Refused: boot environments were cloned from the checkpoint. */
  | 'HAS_CLONES'
  /** The checkpoint lacks a dataset's snapshot, or its making was interrupted. */
  | 'INCOMPLETE'
  /** Too little free space for a checkpoint (the pool would run into its reserve). */
  | 'NO_SPACE'
  /** A dataset of the system is missing, or the root is not on ZFS. */
  | 'NOT_ZFS'
  /** The system's datasets or options are not usable (the message says why). */
  | 'BAD_SYSTEM'
  /** Metadata too large even when split across user properties. */
  | 'METADATA_TOO_LARGE'
  /** A configuration file that others may write (refused, as sudo refuses). */
  | 'CONFIG_INSECURE'
  /** Refused: the snapshot is a checkpoint of another system sharing the dataset. */
  | 'OTHER_SYSTEM'
  /** A rollback was interrupted; only `zcp repair` goes on from here. */
  | 'ROLLBACK_PENDING'
  /** The rollback journal does not check out against the pool: not acted on. */
  | 'JOURNAL_INVALID'
  /** The system changed between a plan and its confirmation: nothing was done. */
  | 'CHANGED'
  /** zcp's state dataset may be changed by delegated users (`zfs allow`): refused. */
  | 'STATE_DELEGATED'
  /** A path inside a system root goes through a symbolic link (or is no directory): not written to or mounted on. */
  | 'UNSAFE_PATH'
  /** No boot environment of that name on this system. */
  | 'BOOT_ENVIRONMENT_NOT_FOUND'
  /** This machine's boot path can't do what was asked (a one-time activation). */
  | 'NOT_SUPPORTED'
  /** A boot environment's dataset name is taken already. */
  | 'BOOT_ENVIRONMENT_EXISTS'
  /** Two datasets of the system would be cloned to one name (an extra dataset needs a parent of its own). */
  | 'CLONE_CONFLICT'
  /** No transaction with that TID in the history. */
  | 'TRANSACTION_NOT_FOUND'
  /** A boot environment or dataset name breaks the rules. */
  | 'INVALID_NAME'
  /** A hook file is there and is not zcp's: left alone. */
  | 'HOOK_CONFLICT'
  /** A word of the hook's command line can't be written safely (quotes, control characters). */
  | 'HOOK_UNSAFE_COMMAND'
  /** The package manager a hook is for is not installed under the root. */
  | 'NO_PACKAGE_MANAGER'
  /** The configuration file can't be read or is not what zcp expects. */
  | 'BAD_CONFIG'
  /** The transaction can't be undone: running, rolled back or undone already, or no package changes recorded. */
  | 'NOT_UNDOABLE'
  /** Refused: later transactions (or packages installed since) need what the transaction to undo brought. Nothing changed. */
  | 'DEPENDED_ON'
  /** An old package could not be rebuilt from the checkpoint (the message has the tool's words). */
  | 'REBUILD_FAILED';

/** The codes whose subject is something else than a dataset or snapshot: a file, a word, a TID, a boot environment's name. */
const NOT_ABOUT_A_DATASET: ReadonlySet<CheckpointErrorCode> = new Set<CheckpointErrorCode>(['HOOK_CONFLICT', 'HOOK_UNSAFE_COMMAND', 'NO_PACKAGE_MANAGER', 'BAD_CONFIG', 'CONFIG_INSECURE', 'TRANSACTION_NOT_FOUND', 'BOOT_ENVIRONMENT_NOT_FOUND', 'UNSAFE_PATH', 'NOT_UNDOABLE', 'DEPENDED_ON', 'REBUILD_FAILED']);

/** A checkpoint-layer failure. */
export class CheckpointError extends ZcpError {
  override readonly name = 'CheckpointError';
  readonly code: CheckpointErrorCode;
  /** The subject, when it is a dataset or snapshot (what `--json` has long called `dataset`). */
  readonly dataset: string | undefined;

  /** `subject`: the dataset, snapshot, boot environment, transaction or file it is about. */
  constructor(code: CheckpointErrorCode, message: string, subject?: string, cause?: unknown) {
    super(message, { subject, cause });
    this.code = code;
    this.dataset = NOT_ABOUT_A_DATASET.has(code) ? undefined : subject;
  }
}
