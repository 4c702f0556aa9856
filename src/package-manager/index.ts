/**
 * Package managers as zcp drives them: one adapter each (apt-get for dpkg
 * systems, dnf for rpm ones) and the workflows `zcp run/apt/rpm` run.
 * @module
 */
export { APT, DNF, adapterFor, type ManagerAdapter, type PackageAt } from './adapters.js';
export { aptInPlace, discardUpgrade, recordRun, rollBackRun, runAsTransaction, upgradeInBootEnvironment, type BootEnvironmentUpgrade, type CommandRunner, type Progress, type Ran } from './workflows.js';
