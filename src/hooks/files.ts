/**
 * Hook files zcp writes into a system: each is marked as zcp's, so that
 * install overwrites only its own and remove never deletes a file someone
 * else wrote.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';

/** A file to write: where, and what. */
export interface HookFile {
  path: string;
  text: string;
}

/** The words every zcp hook file carries. */
export const MARK = 'zcp hook install';

/** `argv` as one shell command line in single quotes, then `hook PHASE MANAGER`. Refuses a word with a single quote. */
export function hookCommand(argv: readonly string[], phase: string, manager: string): string {
  for (const w of argv) {
    if (w.includes("'") || w.includes('"') || w.includes('\n')) throw new CheckpointError('BAD_SYSTEM', `cannot put ${JSON.stringify(w)} into a hook command line (quotes or a newline)`);
  }
  return [...argv.map((w) => `'${w}'`), 'hook', phase, manager].join(' ');
}

function ours(path: string): boolean | undefined {
  try {
    return readFileSync(path, 'utf8').includes(MARK);
  } catch {
    return undefined; // absent
  }
}

/** Writes the files (atomically, each via a temporary name); refuses to overwrite one that zcp did not write. */
export function installFiles(files: readonly HookFile[], options: { dryRun?: boolean } = {}): string[] {
  for (const f of files) {
    if (ours(f.path) === false) throw new CheckpointError('BAD_SYSTEM', `${f.path} exists and is not zcp's; zcp leaves it alone`);
  }
  if (options.dryRun) return files.map((f) => f.path);
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(`${f.path}.zcp-new`, f.text, { mode: 0o644 });
    renameSync(`${f.path}.zcp-new`, f.path);
  }
  return files.map((f) => f.path);
}

/** Removes those of the files that are zcp's; returns what went. */
export function removeFiles(paths: readonly string[], options: { dryRun?: boolean } = {}): string[] {
  const gone = paths.filter((p) => ours(p) === true);
  if (!options.dryRun) for (const p of gone) unlinkSync(p);
  return gone;
}
