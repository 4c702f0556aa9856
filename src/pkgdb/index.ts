/**
 * Package databases: dpkg status (and apt lists), exact Debian version
 * comparison (DESIGN.md, "Package databases"). The RPM readers follow.
 * @module
 */
export { PkgdbError, type PkgdbErrorCode } from './errors.js';
export { compareDebVersions, parseDebVersion, type DebVersion } from './debversion.js';
export { parseDpkgStatus, readDpkgStatus, type DpkgPackage, type DpkgReadOptions } from './dpkg.js';
