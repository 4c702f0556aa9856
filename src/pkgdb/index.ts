/**
 * Package databases: dpkg status (and apt lists), exact Debian version
 * comparison, RPM headers and .rpm files.
 * The rpmdb readers follow.
 * @module
 */
export { PkgdbError, type PkgdbErrorCode } from './errors.js';
export { compareDebVersions, parseDebVersion, type DebVersion } from './debversion.js';
export { parseDpkgStatus, readDpkgStatus, type DpkgPackage, type DpkgReadOptions } from './dpkg.js';
export { parseRpmHeader, readRpmFile, type RpmHeaderInfo } from './rpm.js';
export { compareRpmVersions, compareRpmEVR, parseRpmEVR, type RpmEVR } from './rpmversion.js';
export { readRpmDb, type RpmPackage } from './rpmdb.js';
export { readPackages, diff, type Package, type PackageManager, type PackageSet, type PackageDiff, type VersionChange } from './packages.js';
export { inRoot, type SystemRoot } from './root.js';
