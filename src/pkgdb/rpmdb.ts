/**
 * The installed packages of an RPM system, from its rpmdb, found as rpm finds
 * it. The sqlite back end (`rpmdb.sqlite`, rpm >= 4.16's default) is read by
 * the native reader, write-ahead log included; ndb and Berkeley DB are next.
 * @module
 */
import { readFile, readdir } from 'node:fs/promises';
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

async function readOptional(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/** `%_dbpath` as the root's own rpm macros set it, if they do. */
async function configuredDbPath(root: string): Promise<string | undefined> {
  const files = [join(root, 'etc/rpm/macros')];
  for (const dir of ['etc/rpm', 'usr/lib/rpm/macros.d']) {
    try {
      for (const f of await readdir(join(root, dir))) if (f.startsWith('macros')) files.push(join(root, dir, f));
    } catch {
      // no such directory
    }
  }
  let found: string | undefined;
  for (const f of files) {
    const text = (await readOptional(f)).toString('utf8');
    for (const m of text.matchAll(/^%_dbpath\s+(\S+)/gm)) found = m[1];
  }
  if (!found) return undefined;
  return found.replace(/%\{?_var\}?/g, '/var').replace(/%\{?_usr\}?/g, '/usr').replace(/^\//, '');
}

/**
 * The installed packages under `root` (a live system, a mounted snapshot, a
 * chroot), with `installTid` and `installTime`. `dbPath` overrides where to
 * look (relative to root, like `rpm --dbpath` with `--root`).
 * @throws {@link PkgdbError} `NO_DATABASE`, `UNREADABLE`, `CORRUPT`.
 */
export async function readRpmDb(root = '/', options: { dbPath?: string; tags?: readonly number[] } = {}): Promise<RpmPackage[]> {
  const configured = options.dbPath ?? (await configuredDbPath(root));
  const candidates = configured ? [configured, ...DEFAULT_DBPATHS] : DEFAULT_DBPATHS;
  for (const dir of candidates) {
    const base = join(root, dir);
    const sqlite = join(base, 'rpmdb.sqlite');
    const db = await readOptional(sqlite);
    if (db.length > 0) {
      const wal = await readOptional(`${sqlite}-wal`);
      try {
        return addon().pkgdb.readSqliteRpmdb(db, wal, options.tags ? [...options.tags] : undefined) as RpmPackage[];
      } catch (e) {
        // The native message says where: a file byte, or a byte of a row's header.
        throw nativeParseError(e, sqlite, false);
      }
    }
    for (const other of ['Packages.db', 'Packages']) {
      if ((await readOptional(join(base, other))).length > 0) {
        throw new PkgdbError({
          code: 'UNREADABLE',
          file: join(base, other),
          message: `${join(base, other)}: the ${other === 'Packages' ? 'Berkeley DB' : 'ndb'} rpmdb back end is not supported yet`,
        });
      }
    }
  }
  throw new PkgdbError({ code: 'NO_DATABASE', message: `no rpmdb under ${root} (looked in ${candidates.join(', ')})` });
}
