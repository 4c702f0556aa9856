/**
 * RPM headers: a header blob as an rpmdb stores it, and the main header of a
 * .rpm file (after the lead and the padded signature header), parsed by the
 * native reader with every bound checked; the payload is never read.
 * @module
 */
import { open } from 'node:fs/promises';
import { addon } from '../addon.js';
import { PkgdbError, nativeParseError } from './errors.js';

/** A package as its RPM header describes it. */
export interface RpmHeaderInfo {
  name: string;
  version: string;
  release: string;
  arch: string;
  /** Absent when the header has no EPOCH tag (rpm shows `(none)`). */
  epoch?: number;
  /** The transaction that installed it (rpmdb headers only). */
  installTid?: number;
  /** When it was installed, in seconds since the epoch (rpmdb headers only). */
  installTime?: number;
  /** The tags asked for, by number: strings, string arrays, integer arrays (INT64 as BigInt), BIN as Buffer. */
  tags?: Record<string, string | string[] | number[] | bigint[] | Buffer>;
}

/**
 * Parses a header blob (index count, data length, index, data store) as
 * stored in an rpmdb. `tags` asks for more tags by number (e.g. 1044 SOURCERPM).
 * @throws {@link PkgdbError} `CORRUPT` (with `offset`) for anything out of bounds or malformed.
 */
export function parseRpmHeader(blob: Uint8Array, options: { tags?: readonly number[]; file?: string } = {}): RpmHeaderInfo {
  try {
    return addon().pkgdb.parseRpmHeader(blob, options.tags ? [...options.tags] : undefined) as RpmHeaderInfo;
  } catch (e) {
    throw nativeParseError(e, options.file);
  }
}

const LEAD = 96;

function be32(b: Buffer, at: number): number {
  return b.readUInt32BE(at);
}

/**
 * Reads a .rpm file's main header: the lead, the signature header and the
 * main header are read; the payload is not.
 * @throws {@link PkgdbError} `UNREADABLE`, `CORRUPT`.
 */
export async function readRpmFile(path: string, options: { tags?: readonly number[] } = {}): Promise<RpmHeaderInfo> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new PkgdbError({ code: 'UNREADABLE', file: path, message: `${path}: ${(e as Error).message}` });
  }
  try {
    const size = (await fh.stat()).size;
    const readUpTo = async (end: number): Promise<Buffer> => {
      const n = Math.min(end, size);
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, 0);
      return buf;
    };
    // Sizes come from the file, so read just enough to learn the next one;
    // the native parser checks everything again.
    let buf = await readUpTo(LEAD + 16);
    let end = LEAD + 16;
    if (buf.length >= end) {
      end = LEAD + 16 + be32(buf, LEAD + 8) * 16 + be32(buf, LEAD + 12);
      end += (8 - (end % 8)) % 8;
      end += 16;
      buf = await readUpTo(end);
      if (buf.length >= end) end += be32(buf, end - 8) * 16 + be32(buf, end - 4);
      if (end > 512 * 1024 * 1024) end = LEAD + 16; // absurd sizes: let the parser say why
      buf = await readUpTo(end);
    }
    try {
      return addon().pkgdb.parseRpmFile(buf, options.tags ? [...options.tags] : undefined) as RpmHeaderInfo;
    } catch (e) {
      throw nativeParseError(e, path);
    }
  } finally {
    await fh.close();
  }
}
