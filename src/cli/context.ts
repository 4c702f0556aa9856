/**
 * What every command of `zcp` shares: its context (arguments, options,
 * output), the command shape, opening the system, argument counts.
 * @module
 */
import { Checkpoints } from '../checkpoint/checkpoints.js';
import * as zfs from '../zfs/index.js';
import { ZfsError } from '../zfs/errors.js';
import type { OptionName } from './options.js';
import { type Output, UsageError } from './output.js';

/** What a command gets: its positionals and options, the shared options, the output. */
export interface Context {
  args: string[];
  options: { message?: string; to?: string; tid?: string; rollbackOnFailure?: boolean; intoClone?: boolean; keep?: string; olderThan?: string; minFree?: string; discardJournal?: boolean; once?: boolean; noHeader?: boolean; details?: boolean; withLater?: boolean; replaceConffiles?: boolean };
  datasets: string[];
  root: string | undefined;
  dryRun: boolean;
  out: Output;
}

export interface Command {
  usage: string;
  summary: string;
  examples: string[];
  /** The command's own options, beyond SHARED_OPTIONS: any other is a usage error. */
  options?: readonly OptionName[];
  /**
   * Checks the arguments' number and form before anything else (before ZFS
   * is looked for): throws UsageError, exit 2, whatever the machine.
   */
  check(ctx: Context): void;
  run(ctx: Context): Promise<number>;
}

/** Throws ZFS_UNAVAILABLE (exit 69) with the reason when ZFS is not usable here. */
export async function requireZfs(operation: string): Promise<void> {
  const availability = await zfs.available();
  if (!availability.ok) throw new ZfsError({ code: 'ZFS_UNAVAILABLE', operation, message: `ZFS is not usable here: ${availability.reason}` });
}

export async function open(ctx: Context): Promise<Checkpoints> {
  await requireZfs('open');
  return ctx.out.progress('finding the system', Checkpoints.open({ ...(ctx.datasets.length ? { datasets: ctx.datasets } : {}), ...(ctx.root ? { root: ctx.root } : {}) }));
}

export function want(ctx: Context, min: number, max: number, what: string): void {
  if (ctx.args.length < min || ctx.args.length > max) throw new UsageError(`expected ${what}`);
}
