/**
 * The installed packages of an RPM system, from its rpmdb, found as rpm finds
 * it. All three back ends rpm reads are read natively: sqlite (`rpmdb.sqlite`,
 * rpm >= 4.16's default, write-ahead log included), ndb (`Packages.db`, SUSE)
 * and Berkeley DB (`Packages`, older RHEL and SUSE; read-only like `bdb_ro`).
 * @module
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addon } from '../addon.js';
import { PkgdbError, nativeParseError } from './errors.js';
import type { RpmHeaderInfo } from './rpm.js';

/** An installed RPM package. */
export interface RpmPackage extends RpmHeaderInfo {
  /** Its record number in the rpmdb (rpm's `DBINSTANCE`). */
  dbInstance: number;
}

/** Where rpm keeps its database, newest layout first (as rpm's macros place it). */
const DEFAULT_DBPATHS = ['usr/lib/sysimage/rpm', 'var/lib/rpm'];

/** An rpmdb back end: its name in `%_db_backend`, its file, how to read it. */
interface Backend {
  names: readonly string[];
  file: string;
  read(path: string, tags: number[] | undefined): Promise<unknown[]>;
}

/** In rpm's own detection order (lib/backend/dbi.c): sqlite, ndb, Berkeley DB. */
const BACKENDS: readonly Backend[] = [
  {
    names: ['sqlite'],
    file: 'rpmdb.sqlite',
    async read(path, tags) {
      return addon().pkgdb.readSqliteRpmdb(await readFile(path), await readOptional(`${path}-wal`), tags);
    },
  },
  {
    names: ['ndb'],
    file: 'Packages.db',
    async read(path, tags) {
      return addon().pkgdb.readNdbRpmdb(await readFile(path), tags);
    },
  },
  {
    names: ['bdb', 'bdb_ro'],
    file: 'Packages',
    async read(path, tags) {
      return addon().pkgdb.readBdbRpmdb(await readFile(path), tags);
    },
  },
];

async function readOptional(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/** `%_dbpath` and `%_db_backend` as the root's own rpm macros set them, if they do. */
async function configured(root: string): Promise<{ dbPath: string | undefined; backend: string | undefined }> {
  const files = [join(root, 'etc/rpm/macros')];
  for (const dir of ['etc/rpm', 'usr/lib/rpm/macros.d']) {
    try {
      for (const f of await readdir(join(root, dir))) if (f.startsWith('macros')) files.push(join(root, dir, f));
    } catch {
      // no such directory
    }
  }
  let dbPath: string | undefined;
  let backend: string | undefined;
  for (const f of files) {
    const text = (await readOptional(f)).toString('utf8');
    for (const m of text.matchAll(/^%_dbpath\s+(\S+)/gm)) dbPath = m[1];
    for (const m of text.matchAll(/^%_db_backend\s+(\S+)/gm)) backend = m[1];
  }
  return {
    dbPath: dbPath?.replace(/%\{?_var\}?/g, '/var').replace(/%\{?_usr\}?/g, '/usr').replace(/^\//, ''),
    backend,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The installed packages under `root` (a live system, a mounted snapshot, a
 * chroot), with `installTid` and `installTime`. `dbPath` overrides where to
 * look (relative to root, like `rpm --dbpath` with `--root`).
 * @throws {@link PkgdbError} `NO_DATABASE`, `UNREADABLE`, `CORRUPT`.
 */
export async function readRpmDb(
  root = '/',
  options: { dbPath?: string; backend?: 'sqlite' | 'ndb' | 'bdb'; tags?: readonly number[] } = {},
): Promise<RpmPackage[]> {
  const config = await configured(root);
  const dbPath = options.dbPath ?? config.dbPath;
  const candidates = dbPath ? [dbPath, ...DEFAULT_DBPATHS] : DEFAULT_DBPATHS;
  // The configured back end first, then whichever exists (as rpm detects it).
  const wanted = options.backend ?? config.backend;
  const order = [...BACKENDS].sort((a, b) => Number(b.names.includes(wanted ?? '')) - Number(a.names.includes(wanted ?? '')));
  const tags = options.tags ? [...options.tags] : undefined;
  for (const dir of candidates) {
    for (const backend of order) {
      const path = join(root, dir, backend.file);
      if (!(await exists(path))) continue;
      try {
        return (await backend.read(path, tags)) as RpmPackage[];
      } catch (e) {
        if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('E')) {
          throw new PkgdbError({ code: 'UNREADABLE', file: path, message: `${path}: ${e.message}` });
        }
        // The native message says where: a byte of the file, or of a record's header.
        throw nativeParseError(e, path, false);
      }
    }
  }
  throw new PkgdbError({ code: 'NO_DATABASE', message: `no rpmdb under ${root} (looked in ${candidates.join(', ')})` });
}
