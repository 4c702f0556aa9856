/**
 * Package databases: dpkg status (and apt lists), exact Debian version
 * comparison, RPM headers and .rpm files.
 * The rpmdb readers follow.
 *
 * @example
 * ```ts
 * import { pkgdb } from 'zcp';
 * const installed = await pkgdb.readDpkgStatus('/'); // as dpkg-query sees it, pending updates/ included
 * console.log(pkgdb.compareDebVersions('1:2.0-1', '2.1')); // > 0, as dpkg --compare-versions
 * const rpms = await pkgdb.readRpmDb('/srv/fedora'); // sqlite, ndb or Berkeley DB, as rpm finds it
 * ```
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
