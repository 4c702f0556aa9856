/**
 * Paths under a system root that zcp (as root) writes to or mounts on: every
 * component is checked without following a symbolic link, so a link planted
 * inside the root (`etc/apt/apt.conf.d -> /etc`, `dev -> /etc`) can't lead
 * a write or a mount out of it. zcp's own paths there are plain directories
 * on every real system, so a link in one is refused, not followed.
 * @module
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';

/** `rel`'s components under `root` (refusing `..` and empty ones). */
function components(root: string, path: string): string[] {
  const rel = isAbsolute(path) ? relative(root, path) : path;
  const parts = rel.split(sep).filter((p) => p !== '' && p !== '.');
  if (rel.startsWith('..') || parts.includes('..')) throw new CheckpointError('UNSAFE_PATH', `${path} is not under ${root}`);
  return parts;
}

/**
 * Makes sure every directory from `root` down to `path` (absolute, under
 * root, or relative to it) is a real directory, not a link, creating the
 * missing ones. Returns the absolute path.
 * @throws {@link CheckpointError} `UNSAFE_PATH` when a component is a symbolic link or not a directory.
 */
export function realDirectory(root: string, path: string): string {
  let at = root;
  for (const part of components(root, path)) {
    at = join(at, part);
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st) {
      mkdirSync(at, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink()) throw new CheckpointError('UNSAFE_PATH', `${at} is a symbolic link; zcp does not write or mount through links inside a system root`);
    if (!st.isDirectory()) throw new CheckpointError('UNSAFE_PATH', `${at} is not a directory`);
  }
  return at;
}

/**
 * Writes `text` to `path` under `root` atomically: a new temporary file
 * (created exclusively, never through a link) renamed over the name. The
 * directories are checked by {@link realDirectory}.
 * @throws {@link CheckpointError} `UNSAFE_PATH`.
 */
export function writeFileInRoot(root: string, path: string, text: string, mode = 0o644): void {
  const parts = components(root, path);
  const name = parts.pop();
  if (!name) throw new CheckpointError('UNSAFE_PATH', `${path} names no file`);
  const dir = realDirectory(root, join(root, ...parts));
  const target = join(dir, name);
  const temp = join(dir, `.${name}.zcp-new-${process.pid}`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, text);
  } catch (e) {
    closeSync(fd);
    unlinkSync(temp);
    throw e;
  }
  closeSync(fd);
  renameSync(temp, target); // replaces a link at the name itself, never what it points to
}
