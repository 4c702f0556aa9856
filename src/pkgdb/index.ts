/**
 * Package databases: dpkg status, RPM headers and rpmdb, version comparison
 * and package-level diffs (DESIGN.md, "Package databases").
 *
 * The readers are the next piece of work (native/pkgdb); this namespace is
 * where they will live, so that `import { pkgdb } from 'zcp'` is stable.
 * @module
 */
export {};
