/**
 * The one way zcp runs a program and waits for it: no shell (its words are
 * data), LC_ALL=C (so its messages can be read), its output collected. Used
 * for what libzfs_core can't do (zpool properties, `zfs allow`), mounts, apt
 * and the bench's `zfs` baseline. (A package manager run as a transaction
 * has its own terminal instead: cli/package-commands.ts.)
 * @module
 */
import { execFile } from 'node:child_process';
import { ZcpError } from './errors.js';

/** How a program that ran ended. */
export interface Finished {
  /** Its exit status (128 + N when signal N ended it). */
  status: number;
  stdout: string;
  stderr: string;
}

/** A program that could not start (`COMMAND_NOT_FOUND`) or ended with a non-zero status (`COMMAND_FAILED`). */
export class CommandError extends ZcpError {
  override readonly name = 'CommandError';
  readonly code: 'COMMAND_NOT_FOUND' | 'COMMAND_FAILED';
  /** The argv it ran. */
  readonly argv: readonly string[];
  /** Its exit status (undefined when it could not start). */
  readonly status: number | undefined;
  readonly stderr: string;

  constructor(argv: readonly string[], finished: Finished | undefined, cause?: unknown) {
    const said = finished ? finished.stderr.trim().split('\n')[0] || `exit status ${finished.status}` : `cannot run it: ${(cause as Error | undefined)?.message ?? 'not found'}`;
    super(`${argv.join(' ')}: ${said}`, { subject: argv[0], cause });
    this.code = finished ? 'COMMAND_FAILED' : 'COMMAND_NOT_FOUND';
    this.argv = argv;
    this.status = finished?.status;
    this.stderr = finished?.stderr ?? '';
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Runs `argv` and resolves to how it ended, whatever its status.
 * @throws {@link CommandError} `COMMAND_NOT_FOUND` when it can't be started.
 */
export function run(argv: readonly string[], options: { maxBuffer?: number } = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: options.maxBuffer ?? 1 << 26 }, (err, stdout, stderr) => {
      if (!err) return resolve({ status: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown; signal?: string | null };
      if (typeof e.code === 'number') return resolve({ status: e.code, stdout, stderr });
      if (e.signal) return resolve({ status: 128 + (SIGNALS[e.signal] ?? 0), stdout, stderr });
      if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return resolve({ status: 1, stdout, stderr: `its output is larger than ${options.maxBuffer ?? 1 << 26} bytes\n${stderr}` });
      reject(new CommandError(argv, undefined, err)); // ENOENT, EACCES, a too large output
    });
  });
}

/**
 * Runs `argv`; resolves to its output when it succeeds.
 * @throws {@link CommandError} `COMMAND_FAILED` (non-zero status; its first line of stderr in the message), `COMMAND_NOT_FOUND`.
 */
export async function runChecked(argv: readonly string[], options: { maxBuffer?: number } = {}): Promise<Finished> {
  const done = await run(argv, options);
  if (done.status !== 0) throw new CommandError(argv, done);
  return done;
}
