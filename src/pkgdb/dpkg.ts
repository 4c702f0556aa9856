/**
 * dpkg's database: the status file (and `available`, and apt's Packages
 * lists, which share its deb822 format), parsed by the native reader.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SystemRoot, inRoot } from './root.js';
import { addon } from '../addon.js';
import { PkgdbError, nativeParseError } from './errors.js';

/** One package of a dpkg status file or Packages list. */
export interface DpkgPackage {
  name: string;
  /** The full version, `[epoch:]upstream[-revision]`. */
  version: string;
  architecture: string;
  /** dpkg's `Status:` (absent in apt lists): what is wanted, the error flag, the state. */
  status?: { want: string; flag: string; state: string };
  /** `Multi-Arch:`; `no` when the field is absent, as dpkg takes it. */
  multiArch: string;
  /** `Source:` as written (may carry a version: `name (1.2-3)`). */
  source?: string;
  /** `Depends:` as written. */
  depends?: string;
  /** Byte offset of its paragraph in the file. */
  offset: number;
  /** The pending update (`updates/0003`) it was read from, when an interrupted dpkg left one: `offset` is in that file. */
  update?: string;
  /** The extra fields asked for (by their name as asked), multiline values joined with "\n". */
  fields?: Record<string, string>;
}

/** Options of {@link parseDpkgStatus} and {@link readDpkgStatus}. */
export interface DpkgReadOptions {
  /** More fields to return in `fields` (case-insensitive: `Installed-Size`, `Description`, ...). */
  fields?: readonly string[];
  /** The file's name, for error messages. */
  file?: string;
}

/**
 * Parses the deb822 text of a dpkg status file, `available` file or apt
 * Packages list. Continuation lines, CRLF, a missing final newline and field
 * names in any case are accepted.
 * @throws {@link PkgdbError} `CORRUPT` (with `offset`) for malformed input.
 */
export function parseDpkgStatus(data: Uint8Array | string, options: DpkgReadOptions = {}): DpkgPackage[] {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    // The common case takes the fast path: native parse to an index, objects made here.
    const index = options.fields?.length ? undefined : addon().pkgdb.parseDpkgStatusIndex(buf);
    if (index) return fromIndex(...index);
    return addon().pkgdb.parseDpkgStatus(buf, [...(options.fields ?? [])]) as DpkgPackage[];
  } catch (e) {
    throw nativeParseError(e, options.file);
  }
}

/** Numbers per package in the index: kIndexStride in native/pkgdb_glue.cc, layout in ParseDpkgStatusIndexJs (a unit test checks they agree). */
export const DPKG_INDEX_STRIDE = 19;
const STRIDE = DPKG_INDEX_STRIDE;

function fromIndex(text: string, index: Int32Array): DpkgPackage[] {
  const at = (k: number) => (index[k]! < 0 ? undefined : text.slice(index[k], index[k + 1]));
  const out: DpkgPackage[] = new Array(index.length / STRIDE);
  for (let i = 0, k = 0; k < index.length; i++, k += STRIDE) {
    const p: DpkgPackage = {
      name: at(k + 1)!,
      version: at(k + 3) ?? '',
      architecture: at(k + 5) ?? '',
      // Absent Multi-Arch means "no" (Debian policy; dpkg-query shows it so).
      multiArch: at(k + 7) ?? 'no',
      offset: index[k]!,
    };
    const source = at(k + 9);
    if (source !== undefined) p.source = source;
    const depends = at(k + 11);
    if (depends !== undefined) p.depends = depends;
    const state = at(k + 17);
    if (state !== undefined) p.status = { want: at(k + 13)!, flag: at(k + 15)!, state };
    out[i] = p;
  }
  return out;
}

/**
 * dpkg's database under `root` (a live system, a mounted snapshot, a
 * chroot) as dpkg itself reads it: `var/lib/dpkg/status`, then the pending
 * entries an interrupted dpkg left in `var/lib/dpkg/updates/` (applied in
 * name order), a later entry for a package taking the place of the earlier
 * one. What dpkg refuses to read (two installed instances of a package that
 * is not `Multi-Arch: same`, update files whose names differ in length, a
 * field given twice) is refused here too.
 * @throws {@link PkgdbError} `UNREADABLE` (missing file), `CORRUPT`.
 */
export async function readDpkgStatus(root: SystemRoot = '/', options: DpkgReadOptions = {}): Promise<DpkgPackage[]> {
  const file = inRoot(root, 'var/lib/dpkg/status');
  const db = new DpkgDatabase();
  for (const p of parseDpkgStatus(await readAll(file), { ...options, file })) db.add(p, file, 'status');
  const updates = inRoot(root, 'var/lib/dpkg/updates');
  for (const name of await pendingUpdates(updates)) {
    const path = join(updates, name);
    // dpkg writes one package per file, and reads any number (none too).
    for (const p of parseDpkgStatus(await readAll(path), { ...options, file: path })) db.add({ ...p, update: `updates/${name}` }, path, 'update');
  }
  return db.packages();
}

async function readAll(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new PkgdbError({ code: 'UNREADABLE', file, message: `${file}: ${(e as Error).message}` });
  }
}

/**
 * The files dpkg takes from `updates/`, in the order it applies them: names
 * of digits only (its `tmp.i` is not one), all of one length, as dpkg
 * insists. No directory means nothing is pending.
 */
async function pendingUpdates(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PkgdbError({ code: 'UNREADABLE', file: dir, message: `${dir}: ${(e as Error).message}` });
  }
  const pending = names.filter((n) => /^[0-9]+$/.test(n)).sort();
  const bad = pending.find((n) => n.length > 10 || n.length !== pending[0]!.length);
  if (bad !== undefined) {
    throw new PkgdbError({ code: 'CORRUPT', file: join(dir, bad), message: `${dir}: update file names of different lengths or longer than 10 digits (${pending[0]} and ${bad}); dpkg refuses them too` });
  }
  return pending;
}

// A stanza describes a package on the system unless it says not-installed
// (dpkg counts config-files as an instance: its files are still there).
const installed = (p: DpkgPackage) => p.status !== undefined && p.status.state !== 'not-installed';

/**
 * dpkg's in-core database, as lib/dpkg/parse.c fills it: one slot per
 * package name and architecture; a status stanza takes the slot of its own
 * architecture, an update stanza for a package with one installed instance
 * takes that instance's slot (a cross-grade: amd64 to all), unless both are
 * `Multi-Arch: same`.
 */
class DpkgDatabase {
  private readonly slots = new Map<string, Map<string, DpkgPackage>>();

  add(p: DpkgPackage, file: string, kind: 'status' | 'update'): void {
    let set = this.slots.get(p.name);
    if (!set) this.slots.set(p.name, (set = new Map()));
    // dpkg's sanity check of the package set, the new stanza counted too when it comes from the status file.
    const instances = [...set.values()].filter(installed);
    const counted = kind === 'status' && installed(p) ? [...instances, p] : instances;
    const same = counted.filter((q) => q.multiArch === 'same').length;
    const single = counted.length - same;
    const crossing = kind === 'update' && instances.length > 1 && p.multiArch !== 'same';
    if (single > 1 || (single > 0 && same > 0) || crossing) {
      const why =
        single > 1 ? 'several instances of a package that is not Multi-Arch: same' : crossing ? `an update that is not Multi-Arch: same for a package with ${instances.length} instances` : 'Multi-Arch: same and other instances of one package';
      throw new PkgdbError({ code: 'CORRUPT', file, offset: p.offset, message: `${file}: byte ${p.offset}: ${p.name}: ${why} (dpkg refuses this database too)` });
    }
    let arch = p.architecture;
    if (kind === 'update' && instances.length === 1 && !(instances[0]!.multiArch === 'same' && p.multiArch === 'same')) {
      arch = [...set].find(([, q]) => q === instances[0])![0];
    }
    set.set(arch, p);
  }

  /** The packages, grouped by name in the order names first appear. */
  packages(): DpkgPackage[] {
    return [...this.slots.values()].flatMap((set) => [...set.values()]);
  }
}
