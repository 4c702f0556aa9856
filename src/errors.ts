/**
 * The one shape of zcp's errors: a stable `code` (the `--json` contract), a
 * message for people, the object it is about (`subject`: a dataset, a
 * snapshot, a file, a boot environment, a transaction), and the error
 * underneath (`cause`). Each layer has its class and its codes (ZfsError,
 * CheckpointError, PkgdbError, CommandError, AptError, UsageError); the CLI
 * reports every one the same way.
 * @module
 */

/** The base of every error zcp throws on purpose. */
export abstract class ZcpError extends Error {
  /** Stable, machine-readable. */
  abstract readonly code: string;
  /** What it is about, when one thing can be named. */
  readonly subject: string | undefined;

  constructor(message: string, options: { subject?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.subject = options.subject;
  }

  /** `{code, message, subject?}`: what `--json` prints. */
  toJSON(): { code: string; message: string; subject?: string } {
    return { code: this.code, message: this.message, ...(this.subject === undefined ? {} : { subject: this.subject }) };
  }
}
