/**
 * CheckpointError: what the checkpoint layer refuses or can't do, with a
 * stable code (ZFS failures underneath stay {@link ZfsError}s).
 * @module
 */

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
  | 'UNSAFE_PATH';

/** A checkpoint-layer failure. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code: CheckpointErrorCode;
  /** The dataset or snapshot concerned, when there is one. */
  readonly dataset: string | undefined;

  constructor(code: CheckpointErrorCode, message: string, dataset?: string) {
    super(message);
    this.code = code;
    this.dataset = dataset;
  }
}
