/**
 * dpkg's database: the status file (and `available`, and apt's Packages
 * lists, which share its deb822 format), parsed by the native reader.
 * @module
 */
import { readFile } from 'node:fs/promises';
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
 * Reads `var/lib/dpkg/status` under `root` (a live system, a mounted
 * snapshot, a chroot).
 * @throws {@link PkgdbError} `UNREADABLE` (missing file), `CORRUPT`.
 */
export async function readDpkgStatus(root: SystemRoot = '/', options: DpkgReadOptions = {}): Promise<DpkgPackage[]> {
  const file = inRoot(root, 'var/lib/dpkg/status');
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    throw new PkgdbError({ code: 'UNREADABLE', file, message: `${file}: ${(e as Error).message}` });
  }
  return parseDpkgStatus(data, { ...options, file });
}
