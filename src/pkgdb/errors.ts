/**
 * PkgdbError: a package database or version string that can't be read.
 * @module
 */
import { ZcpError } from '../errors.js';

/** Stable codes of {@link PkgdbError}. */
export type PkgdbErrorCode =
  /** The file is not well-formed (the message and `offset` say where). */
  | 'CORRUPT'
  /** The file is missing or can't be read. */
  | 'UNREADABLE'
  /** A version string is not valid (as dpkg or rpm would reject it). */
  | 'INVALID_VERSION'
  /** No package database was found under the root. */
  | 'NO_DATABASE';

/** A package-database failure, naming the file and the byte offset where it went wrong. */
export class PkgdbError extends ZcpError {
  override readonly name = 'PkgdbError';
  readonly code: PkgdbErrorCode;
  /** The file read, when there is one. */
  readonly file: string | undefined;
  /** Byte offset in the file (or string) where the problem is. */
  readonly offset: number | undefined;

  constructor(init: { code: PkgdbErrorCode; message: string; file?: string | undefined; offset?: number | undefined; cause?: unknown }) {
    super(init.message, { subject: init.file, cause: init.cause });
    this.code = init.code;
    this.file = init.file;
    this.offset = init.offset;
  }
}

/**
 * What to throw for an error of the native parsers: those carry the byte
 * `offset` and become PkgdbError `CORRUPT` naming the file; anything else
 * (a TypeError, an addon that does not load) is passed on as it is.
 * @internal
 */
export function nativeParseError(e: unknown, file: string | undefined, offsetInMessage = true): unknown {
  const offset = (e as { offset?: unknown }).offset;
  if (typeof offset !== 'number') return e;
  const where = file ? `${file}: ` : '';
  const at = offsetInMessage ? `byte ${offset}: ` : '';
  return new PkgdbError({ code: 'CORRUPT', file, offset, message: `${where}${at}${(e as Error).message}` });
}
