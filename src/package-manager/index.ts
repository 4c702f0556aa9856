/**
 * Package managers as zcp drives them: the workflows `zcp run/apt/rpm` run.
 * @module
 */
export { aptInPlace, discardUpgrade, recordRun, rollBackRun, runAsTransaction, upgradeInBootEnvironment, type BootEnvironmentUpgrade, type CommandRunner, type Progress, type Ran } from './workflows.js';
