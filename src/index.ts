/**
 * zcp: undoable package-manager transactions with OpenZFS checkpoints.
 *
 * ```ts
 * import { zfs } from 'zcp';
 * if ((await zfs.available()).ok) await zfs.snapshot(['rpool/ROOT/debian@before-upgrade']);
 * ```
 * @module
 */
export * as zfs from './zfs/index.js';
export * as pkgdb from './pkgdb/index.js';
export { ZcpError } from './errors.js';
export { AddonError } from './addon.js';
export { CommandError, type Finished } from './subprocess.js';
export { ZfsError, type ZfsErrorCode, type ZfsErrorEntry } from './zfs/errors.js';
export { PkgdbError, type PkgdbErrorCode } from './pkgdb/errors.js';
export {
  Checkpoints,
  CheckpointError,
  SystemLock,
  resolveSystem,
  type Checkpoint,
  type DetailedCheckpoint,
  type CheckpointSource,
  type BootEnvironment,
  type RollbackPlan,
  type PackagePlan,
  type PendingRollback,
  type JournalRead,
  type RollbackJournal,
  type ScanResult,
  type ScanSelection,
  type ForeignSnapshot,
  type CheckpointErrorCode,
  type CheckpointKind,
  type CreateOptions,
  type System,
  type SystemOptions,
  type MountRecord,
  type LeftMounts,
} from './checkpoint/index.js';
export * as packageManager from './package-manager/index.js';
export { Transactions, type HistoryEntry, type TransactionOwner, type InterruptedTransaction } from './transaction/index.js';
export { planUndo, carryOutUndo, type UndoPlan, type UndoChange, type UndoOptions, type LaterTransaction, type EditedConffile, type PackageRef, type Unmet } from './undo/index.js';
export { planPrune, prune, type PrunePolicy, type PruneDecision } from './checkpoint/index.js';
export { planApt, describePlan, AptError, APT_ACTIONS, type AptPlan, type AptAction, type AptInstall } from './apt/plan.js';
export { checkpointLatency, type LatencyResult, type LatencyRow } from './bench/latency.js';
