/**
 * The installed packages of an RPM system, from its rpmdb, found as rpm finds
 * it. All three back ends rpm reads are read natively: sqlite (`rpmdb.sqlite`,
 * rpm >= 4.16's default, write-ahead log included), ndb (`Packages.db`, SUSE)
 * and Berkeley DB (`Packages`, older RHEL and SUSE; read-only like `bdb_ro`).
 * @module
 */
import { type SystemRoot, describeRoot, inRoot } from './root.js';
import { statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
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

/**
 * What the native readers return: objects when extra tags are asked for, else
 * the compact form (see HeadersToJs in native/pkgdb_glue.cc), or undefined
 * when a string is not valid UTF-8 and objects must be asked for instead.
 */
type NativeRead = unknown[] | [string, Float64Array] | undefined;

/** An rpmdb back end: its name in `%_db_backend`, its file, how to read it. */
interface Backend {
  names: readonly string[];
  file: string;
  read(path: string, tags: number[] | undefined): Promise<NativeRead>;
}

/** Numbers per package in the compact form: kRpmStride in native/pkgdb_glue.cc (a unit test checks they agree). */
export const RPM_STRIDE = 12;

/** Packages from the compact form: RPM_STRIDE numbers each. */
function fromCompact(text: string, n: Float64Array): RpmPackage[] {
  const out: RpmPackage[] = new Array(n.length / RPM_STRIDE);
  for (let i = 0, k = 0; k < n.length; i++, k += RPM_STRIDE) {
    const p: RpmPackage = {
      name: text.slice(n[k], n[k + 1]),
      version: text.slice(n[k + 2], n[k + 3]),
      release: text.slice(n[k + 4], n[k + 5]),
      arch: text.slice(n[k + 6], n[k + 7]),
      dbInstance: n[k + 11]!,
    };
    if (!Number.isNaN(n[k + 8])) p.epoch = n[k + 8]!;
    if (!Number.isNaN(n[k + 9])) p.installTid = n[k + 9]!;
    if (!Number.isNaN(n[k + 10])) p.installTime = n[k + 10]!;
    out[i] = p;
  }
  return out;
}

/** In rpm's own detection order (lib/backend/dbi.c): sqlite, ndb, Berkeley DB. */
const BACKENDS: readonly Backend[] = [
  {
    names: ['sqlite'],
    file: 'rpmdb.sqlite',
    async read(path, tags) {
      const [db, wal] = await Promise.all([readFile(path), readOptional(`${path}-wal`)]);
      return addon().pkgdb.readSqliteRpmdb(db, wal, tags);
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

/** The file's bytes, or none when it does not exist (or can't be read). */
async function readOptional(path: string): Promise<Buffer> {
  if (!exists(path)) return Buffer.alloc(0);
  try {
    return await readFile(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/** `%_dbpath` and `%_db_backend` as the root's own rpm macros set them, if they do. */
async function configured(root: SystemRoot): Promise<{ dbPath: string | undefined; backend: string | undefined }> {
  // rpm's load order (later files win): vendor macros.d, then /etc/rpm/macros.*, then /etc/rpm/macros.
  const listed = async (dir: string) => {
    if (!statSync(inRoot(root, dir), { throwIfNoEntry: false })?.isDirectory()) return [];
    return (await readdir(inRoot(root, dir))).filter((f) => f.startsWith('macros.')).sort().map((f) => inRoot(root, `${dir}/${f}`));
  };
  const names = [...(await listed('usr/lib/rpm/macros.d')), ...(await listed('etc/rpm')), inRoot(root, 'etc/rpm/macros')];
  const files = await Promise.all(names.map(readOptional));
  let dbPath: string | undefined;
  let backend: string | undefined;
  for (const f of files) {
    const text = f.toString('utf8');
    for (const m of text.matchAll(/^%_dbpath\s+(\S+)/gm)) dbPath = m[1];
    for (const m of text.matchAll(/^%_db_backend\s+(\S+)/gm)) backend = m[1];
  }
  return {
    dbPath: dbPath?.replace(/%\{?_var\}?/g, '/var').replace(/%\{?_usr\}?/g, '/usr').replace(/^\//, ''),
    backend,
  };
}

// Existence checks are synchronous and throw nothing: a miss is the common
// case here (rpm's candidate paths), and a thrown ENOENT costs more than the stat.
function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/**
 * The installed packages under `root` (a live system, a mounted snapshot, a
 * chroot), with `installTid` and `installTime`. `dbPath` overrides where to
 * look (relative to root, like `rpm --dbpath` with `--root`).
 * @throws {@link PkgdbError} `NO_DATABASE`, `UNREADABLE`, `CORRUPT`.
 */
export async function readRpmDb(
  root: SystemRoot = '/',
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
      const path = inRoot(root, `${dir}/${backend.file}`);
      if (!exists(path)) continue;
      try {
        const got = await backend.read(path, tags);
        if (tags) return got as RpmPackage[];
        if (got) return fromCompact(...(got as [string, Float64Array]));
        // Not valid UTF-8 somewhere: objects, strings decoded with replacement characters.
        return ((await backend.read(path, [])) as RpmPackage[]).map(({ tags: _none, ...p }) => p);
      } catch (e) {
        if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('E')) {
          throw new PkgdbError({ code: 'UNREADABLE', file: path, message: `${path}: ${e.message}` });
        }
        // The native message says where: a byte of the file, or of a record's header.
        throw nativeParseError(e, path, false);
      }
    }
  }
  throw new PkgdbError({ code: 'NO_DATABASE', message: `no rpmdb under ${describeRoot(root)} (looked in ${candidates.join(', ')})` });
}

/**
 * Where under `root` the rpmdb is, relative to it (`var/lib/rpm`), found as
 * {@link readRpmDb} finds it; undefined when there is none.
 */
export async function findRpmDb(root: SystemRoot, options: { dbPath?: string } = {}): Promise<string | undefined> {
  const config = await configured(root);
  const dbPath = options.dbPath ?? config.dbPath;
  for (const dir of dbPath ? [dbPath, ...DEFAULT_DBPATHS] : DEFAULT_DBPATHS) {
    if (BACKENDS.some((b) => exists(inRoot(root, `${dir}/${b.file}`)))) return dir;
  }
  return undefined;
}

