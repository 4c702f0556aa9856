/**
 * Where a system's files are: a directory (a live root, a chroot), or a
 * function that maps a path inside the system to where it really is, for a
 * system whose datasets are read from their snapshots (`/var` from
 * `var/.zfs/snapshot/NAME`, the rest from the root dataset's).
 * @module
 */
import { join } from 'node:path';

/** A root directory, or a resolver of system-relative paths (`var/lib/dpkg/status`) to real ones. */
export type SystemRoot = string | ((relativePath: string) => string);

/** The real path of `relativePath` inside `root`. */
export function inRoot(root: SystemRoot, relativePath: string): string {
  return typeof root === 'string' ? join(root, relativePath) : root(relativePath.replace(/^\/+/, ''));
}

/** For messages: the root as text. */
export function describeRoot(root: SystemRoot): string {
  return typeof root === 'string' ? root : root('.');
}
