/**
 * Checkpoints of a system (a group of datasets and its package root): create,
 * list, destroy, hold; boot environments and rollback build on these.
 * @module
 */
export { Checkpoints, SNAPSHOT_PREFIX, KEEP_TAG, type Checkpoint, type DetailedCheckpoint, type CheckpointSource, type CreateOptions, type ForeignSnapshot, type ScanResult, type ScanSelection } from './checkpoints.js';
export { CheckpointError, type CheckpointErrorCode } from './errors.js';
export { CONFIG_KEYS, configFile, configRetention, resolveSystem, readConfig, zfsMounts, type System, type SystemOptions, type ZcpConfig } from './system.js';
export { type CheckpointKind, type CheckpointMeta } from './metadata.js';
export { SystemLock, stateDataset } from './state.js';
export { type BootEnvironment, cloneTargets } from './bootenv.js';
export { type BootPath, type BootPathKind, activationEffect, bootPathOf, readBootPath } from './boot-path.js';
export { type RollbackPlan, type PackagePlan, type PendingRollback } from './rollback.js';
export { type JournalRead, type RollbackJournal } from './journal.js';
export { uninterruptible, deferSignal, inUninterruptibleStep } from './interrupt.js';
export { snapshotRoot, packagesOf } from './packages.js';
export { type MountRecord, type LeftMounts } from './mount.js';
export { planPrune, choosePrune, prune, type PrunePolicy, type PruneDecision } from './prune.js';
