/**
 * How the CLI talks: results on stdout (text, or one JSON document with
 * --json), prompts, progress and errors on stderr, and the exit codes the README lists.
 * @module
 */
import { createInterface } from 'node:readline';
import { ZcpError } from '../errors.js';
import { ZfsError } from '../zfs/errors.js';

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, failure: 1, usage: 2, zfsUnavailable: 69, permission: 77, interrupted: 130 } as const;

/** A usage error: exit 2. Its code is USAGE, or a more specific one (INVALID_NAME for a malformed boot environment name). */
export class UsageError extends ZcpError {
  override readonly name = 'UsageError';
  readonly code: string;

  constructor(message: string, code = 'USAGE') {
    super(message);
    this.code = code;
  }
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  yes: boolean;
  /** -v: each step said as it starts, and its time. */
  verbose?: boolean;
}

export class Output {
  /** Where a usage error points the user (the command's own help once it is known). */
  usageHint = 'zcp --help';
  /** The command's result and its last reported error, for the system log (audit.ts). */
  lastResult: Record<string, unknown> | undefined;
  lastError: unknown;

  constructor(readonly options: OutputOptions) {}

  /** A line of human output (not with --json or --quiet). */
  line(text = ''): void {
    if (!this.options.json && !this.options.quiet) process.stdout.write(`${text}\n`);
  }

  /** The command's result: the JSON document with --json. */
  result(json: unknown): void {
    this.lastResult = json as Record<string, unknown>;
    if (this.options.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }

  /** A note on stderr (not with --quiet). */
  note(text: string): void {
    if (!this.options.quiet) process.stderr.write(`zcp: ${text}\n`);
  }

  /**
   * Asks a yes/no question on stderr and reads the answer from stdin; --yes
   * answers yes. No terminal and no --yes is a no: destructive commands never
   * go ahead unconfirmed. `byYes: false` for a question --yes must not
   * answer (rolling back after a failure: --rollback-on-failure does).
   */
  async confirm(question: string, options: { byYes?: boolean } = {}): Promise<boolean> {
    if (this.options.yes && options.byYes !== false) return true;
    process.stderr.write(`${question} [y/N] `);
    const rl = createInterface({ input: process.stdin });
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    rl.close();
    if (!process.stdin.isTTY && answer === '') process.stderr.write('\n');
    return /^y(es)?$/i.test(answer.trim());
  }

  /** Runs `work`, with a progress line on stderr if it takes over a second (-v: at once, and its time after). */
  async progress<T>(label: string, work: Promise<T>): Promise<T> {
    if (this.options.quiet) return work;
    const started = performance.now();
    const timer = setTimeout(() => process.stderr.write(`zcp: ${label}...\n`), this.options.verbose ? 0 : 1000);
    try {
      return await work;
    } finally {
      clearTimeout(timer);
      if (this.options.verbose) process.stderr.write(`zcp: ${label}: ${(performance.now() - started).toFixed(0)} ms\n`);
    }
  }

  /** Reports an error (JSON on stdout with --json) and returns the exit code. */
  fail(e: unknown): number {
    this.lastError = e;
    const code = exitCode(e);
    // zcp's own errors in their one shape; anything else (a system call's errno, a bug) with its code or INTERNAL.
    const err = e as { code?: unknown; message?: string; dataset?: unknown };
    const body = {
      ...(e instanceof ZcpError ? e.toJSON() : { code: typeof err.code === 'string' ? err.code : 'INTERNAL', message: err.message ?? String(e) }),
      ...(typeof err.dataset === 'string' ? { dataset: err.dataset } : {}),
    };
    if (this.options.json) process.stdout.write(`${JSON.stringify({ error: body })}\n`);
    else process.stderr.write(`zcp: ${body.message}${e instanceof UsageError ? `\n(${this.usageHint} for usage)` : ''}\n`);
    return code;
  }
}

/** The exit code for an error. */
export function exitCode(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof ZfsError && e.code === 'ZFS_UNAVAILABLE') return EXIT.zfsUnavailable;
  if (e instanceof ZfsError && e.code === 'PERMISSION_DENIED') return EXIT.permission;
  return EXIT.failure;
}
