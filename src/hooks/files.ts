/**
 * Hook files zcp writes into a system: each is marked as zcp's, so that
 * install overwrites only its own and remove never deletes a file someone
 * else wrote.
 * @module
 */
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { CheckpointError } from '../checkpoint/errors.js';
import { writeFileInRoot } from '../fs/in-root.js';

/** A file to write: where, and what. */
export interface HookFile {
  path: string;
  text: string;
}

/** The words every zcp hook file carries. */
export const MARK = 'zcp hook install';

/** `argv` as one shell command line in single quotes, then `hook PHASE MANAGER`. Refuses a word with a quote or a control character. */
export function hookCommand(argv: readonly string[], phase: string, manager: string): string {
  for (const w of argv) {
    // eslint-disable-next-line no-control-regex
    if (/['"\u0000-\u001f\u007f]/.test(w)) throw new CheckpointError('HOOK_UNSAFE_COMMAND', `cannot put ${JSON.stringify(w)} into a hook command line (quotes or control characters)`, w);
  }
  return [...argv.map((w) => `'${w}'`), 'hook', phase, manager].join(' ');
}

function ours(path: string): boolean | undefined {
  if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) return false; // a link is never zcp's
  try {
    return readFileSync(path, 'utf8').includes(MARK);
  } catch {
    return undefined; // absent
  }
}

/**
 * Writes the files under `root` (atomically, each via a new temporary file,
 * never through a symbolic link: see src/fs/in-root.ts); refuses to
 * overwrite one that zcp did not write.
 */
export function installFiles(root: string, files: readonly HookFile[], options: { dryRun?: boolean } = {}): string[] {
  for (const f of files) {
    if (lstatSync(f.path, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new CheckpointError('UNSAFE_PATH', `${f.path} is a symbolic link; zcp leaves it alone`);
    }
    if (ours(f.path) === false) throw new CheckpointError('HOOK_CONFLICT', `${f.path} exists and is not zcp's; zcp leaves it alone`, f.path);
  }
  if (options.dryRun) return files.map((f) => f.path);
  for (const f of files) writeFileInRoot(root, f.path, f.text);
  return files.map((f) => f.path);
}

/** Removes those of the files that are zcp's; returns what went. */
export function removeFiles(paths: readonly string[], options: { dryRun?: boolean } = {}): string[] {
  const gone = paths.filter((p) => ours(p) === true);
  if (!options.dryRun) for (const p of gone) unlinkSync(p);
  return gone;
}
