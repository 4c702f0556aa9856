/**
 * Loads the native addon (build/Release/zcp.node) once, on first use, so that
 * importing zcp never fails just because a part that is not used is missing.
 * @internal
 * @module
 */
import { ZcpError } from './errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the native ZFS workers resolve with; src/zfs turns it into values or a ZfsError. */
export interface LzcOutcome {
  /** Set when ZFS can't be used here: the reason names the missing piece. */
  unavailable?: string;
  /** libzfs_core_init's errno, when that is what failed (EACCES: no access to /dev/zfs). */
  unavailableErrno?: number;
  errno?: number;
  /** lzc's per-name error list (errlist), in the kernel's order. */
  errors?: { name: string; errno: number }[];
  value?: boolean | string;
  /** An nvlist lzc returned, as an object (numbers beyond 2^53 as BigInt). */
  result?: Record<string, unknown>;
}

/** Values the addon turns into nvpairs: null is a flag (DATA_TYPE_BOOLEAN). */
export type NvValue = string | boolean | number | bigint | null | string[] | { [key: string]: NvValue };

export interface NativeZfs {
  available(): Promise<LzcOutcome>;
  exists(name: string): Promise<LzcOutcome>;
  snapshot(names: string[], props?: Record<string, string>): Promise<LzcOutcome>;
  create(name: string, props?: Record<string, NvValue>): Promise<LzcOutcome>;
  clone(target: string, origin: string, props?: Record<string, NvValue>): Promise<LzcOutcome>;
  promote(fs: string): Promise<LzcOutcome>;
  destroySnapshots(names: string[], defer: boolean): Promise<LzcOutcome>;
  destroy(name: string): Promise<LzcOutcome>;
  rollback(fs: string): Promise<LzcOutcome>;
  rollbackTo(fs: string, snapshot: string): Promise<LzcOutcome>;
  rename(from: string, to: string): Promise<LzcOutcome>;
  hold(holds: Record<string, string>, cleanupFd: number): Promise<LzcOutcome>;
  release(holds: Record<string, Record<string, null>>): Promise<LzcOutcome>;
  getHolds(snapshot: string): Promise<LzcOutcome>;
  bookmark(bookmarks: Record<string, string>): Promise<LzcOutcome>;
  getBookmarks(fs: string, props: string[]): Promise<LzcOutcome>;
  channelProgram(
    pool: string,
    program: string,
    args: Record<string, NvValue>,
    instrLimit: number | bigint,
    memLimit: number | bigint,
    sync: boolean,
  ): Promise<LzcOutcome>;
  syncFilesystem(pool: string, path: string): Promise<LzcOutcome>;
  /** The delegations on a dataset and its ancestors (libzfs's zfs_get_fsacl); errno ENOSYS with the reason as value when libzfs can't be loaded. */
  getDelegations(dataset: string): Promise<LzcOutcome>;
}

/** System calls Node lacks. */
export interface NativeSys {
  /** An exclusive flock(2) that never waits: 0, or the errno (EAGAIN: held by another open file). */
  tryLock(fd: number): number;
}

export interface NativePkgdb {
  /** Throws an Error with `offset` on malformed input. */
  parseDpkgStatus(data: Uint8Array, extraFields: string[]): unknown[];
  parseRpmHeader(blob: Uint8Array, tags?: number[]): unknown;
  parseRpmFile(data: Uint8Array, tags?: number[]): unknown;
  /** The strides of the compact results (kIndexStride, kRpmStride). */
  layout: { dpkgIndexStride: number; rpmStride: number };
  /** The core fields of every package as one string and where each lies in it (see native/pkgdb_glue.cc). */
  parseDpkgStatusIndex(data: Uint8Array): [string, Int32Array] | undefined;
  /** With tags: objects; without: the compact form [text, numbers], or undefined (see native/pkgdb_glue.cc). */
  readSqliteRpmdb(db: Uint8Array, wal: Uint8Array, tags?: number[]): unknown[] | [string, Float64Array] | undefined;
  readNdbRpmdb(packagesDb: Uint8Array, tags?: number[]): unknown[] | [string, Float64Array] | undefined;
  readBdbRpmdb(packages: Uint8Array, tags?: number[]): unknown[] | [string, Float64Array] | undefined;
  /** Native orderings, measured against the TypeScript ones in bench/. */
  compareDebVersions(a: string, b: string): number;
  compareRpmVersions(a: string, b: string): number;
}

export interface NativeAddon {
  zfs: NativeZfs;
  pkgdb: NativePkgdb;
  sys: NativeSys;
}

// The package root: the nearest folder up whose package.json is zcp's (this
// module is src/addon.ts, dist/addon.js, or inside the CLI's bundle
// dist/cli/main.cjs: in the source tree, in node_modules/zcp, or in
// /usr/lib/zcp where the Debian package puts it).
function findPackageRoot(): string {
  const isZcp = (dir: string) => {
    const file = join(dir, 'package.json');
    try {
      return existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'zcp';
    } catch {
      return false; // a package.json that is not JSON is not zcp's
    }
  };
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!isZcp(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const packageRoot = findPackageRoot();
let cached: NativeAddon | undefined;

/** The native addon is not built or does not load (`ADDON_UNAVAILABLE`). */
export class AddonError extends ZcpError {
  override readonly name = 'AddonError';
  readonly code = 'ADDON_UNAVAILABLE';
  constructor(message: string, cause: unknown) {
    super(message, { subject: 'build/Release/zcp.node', cause });
  }
}

export function addon(): NativeAddon {
  if (!cached) {
    const require = createRequire(import.meta.url);
    try {
      // ZCP_ADDON loads a specific build (the sanitizer run uses this); a
      // build in the package's build/Release is loaded as it is (the Debian
      // package has no node_modules); else node-gyp-build finds one.
      const explicit = process.env.ZCP_ADDON;
      const built = join(packageRoot, 'build', 'Release', 'zcp.node');
      cached = explicit
        ? (require(explicit) as NativeAddon)
        : existsSync(built)
          ? (require(built) as NativeAddon)
          : (require('node-gyp-build') as (dir: string) => NativeAddon)(packageRoot);
    } catch (e) {
      throw new AddonError(`zcp: the native addon is not built or does not load (${(e as Error).message}); run \`npm install\` (or \`npm run build\`) in the zcp package`, e);
    }
  }
  return cached;
}
