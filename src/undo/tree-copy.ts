/**
 * A package's files copied out of a system tree (a checkpoint's) as they
 * are there: owners, modes, links, hard links. Every path is resolved inside
 * the tree, as a chroot would: a link in it, absolute or with `..`, leads
 * to the tree's own file, never to the host's (the live system's, a
 * version newer than the checkpoint's).
 * @module
 */
import { constants, lstatSync, readlinkSync } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, lstat, mkdir, readlink, stat, symlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';

/** Paths of a system resolved inside its tree. */
export interface TreeResolver {
  /** `path` with every component followed. */
  followed(path: string): string;
  /** `path` with its directories followed and its last component not (a link stays a link). */
  parent(path: string): string;
}

const MAX_LINKS = 40; // as the kernel's ELOOP

export function treeResolver(tree: string): TreeResolver {
  const cache = new Map<string, string[]>();
  /** The real components (under tree) of the directory whose system components are `parts`. */
  const walk = (parts: readonly string[]): string[] => {
    const key = parts.join('/');
    const hit = cache.get(key);
    if (hit) return hit;
    const at: string[] = [];
    const todo = [...parts];
    let links = 0;
    while (todo.length) {
      const c = todo.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        at.pop(); // never above the tree's root
        continue;
      }
      const real = join(tree, ...at, c);
      const st = lstatSync(real, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new CheckpointError('REBUILD_FAILED', `too many levels of links resolving /${key} in the checkpoint`);
        const target = readlinkSync(real);
        if (target.startsWith('/')) at.length = 0;
        todo.unshift(...target.split('/'));
      } else {
        at.push(c);
      }
    }
    cache.set(key, at);
    return at;
  };
  const split = (path: string) => path.split('/').filter((c) => c !== '' && c !== '.');
  return {
    followed: (path) => join(tree, ...walk(split(path))),
    parent(path) {
      const parts = split(path);
      const last = parts.pop();
      if (last === undefined || last === '..') return join(tree, ...walk([...parts, ...(last ? [last] : [])]));
      return join(tree, ...walk(parts), last);
    },
  };
}

/**
 * Copies `listed` (system paths, sorted) from the tree into `dest` at the
 * same paths. A listed directory that is a link in the tree (merged /usr:
 * `/lib64 -> usr/lib64`) is made a directory when the list has paths under
 * it: the package's is one. A path missing from the tree is left out;
 * `skip` leaves out others; `from` reads a path from another place (a
 * diverted file).
 * @throws {@link CheckpointError} `REBUILD_FAILED` for a device, fifo or
 * socket, and for a listed path with a `..` (a package database is data:
 * one that names `/../x` must not make zcp write outside `dest`).
 */
export async function copyListed(
  resolve: TreeResolver,
  listed: readonly string[],
  dest: string,
  options: { skip?: (path: string) => boolean; from?: (path: string) => string } = {},
): Promise<void> {
  const outside = listed.find((p) => !p.startsWith('/') || p.split('/').includes('..'));
  if (outside !== undefined) throw new CheckpointError('REBUILD_FAILED', `its file list names ${JSON.stringify(outside)}, a path out of its root`, outside);
  const entries = await sideBySide(listed, async (path, i) => {
    if (options.skip?.(path)) return undefined;
    const source = resolve.parent(options.from?.(path) ?? path);
    const st = await lstat(source).catch(() => undefined);
    if (!st) return undefined;
    if (st.isSymbolicLink() && hasUnder(listed, i)) {
      const dir = await stat(resolve.followed(path)).catch(() => undefined);
      if (dir?.isDirectory()) return { path, source, st: dir };
    }
    if (!st.isDirectory() && !st.isSymbolicLink() && !st.isFile()) throw new CheckpointError('REBUILD_FAILED', `${path} is a device, fifo or socket, which zcp does not rebuild`, path);
    return { path, source, st };
  });
  // Directories first, parents before children (the list is sorted).
  for (const e of entries) {
    if (!e?.st.isDirectory()) continue;
    const at = join(dest, e.path);
    await mkdir(at, { recursive: true });
    await chown(at, e.st.uid, e.st.gid);
    await chmod(at, e.st.mode & 0o7777);
  }
  // Then files and links side by side (a few syscalls each: one at a time, their round trips were most of the time); a second name of a file after its first.
  const firstNames = new Map<string, string>();
  const secondNames: { at: string; first: string }[] = [];
  const copies = entries.filter((e): e is NonNullable<typeof e> => !!e && !e.st.isDirectory()).filter((e) => {
    if (!e.st.isFile() || e.st.nlink < 2) return true;
    const key = `${e.st.dev}:${e.st.ino}`;
    const first = firstNames.get(key);
    if (first) secondNames.push({ at: join(dest, e.path), first });
    else firstNames.set(key, join(dest, e.path));
    return !first;
  });
  await sideBySide(copies, async ({ path, source, st }) => {
    const at = join(dest, path);
    await mkdir(dirname(at), { recursive: true }); // a parent the list leaves out
    if (st.isSymbolicLink()) {
      await symlink(await readlink(source), at);
      await lchown(at, st.uid, st.gid);
      return;
    }
    await copyFile(source, at, constants.COPYFILE_EXCL);
    await chown(at, st.uid, st.gid); // before chmod: chown clears set-id bits
    await chmod(at, st.mode & 0o7777);
    await utimes(at, st.atime, st.mtime);
  });
  for (const { at, first } of secondNames) await link(first, at);
}

/** True when a listed path after `listed[i]` (sorted) lies under it. */
function hasUnder(listed: readonly string[], i: number): boolean {
  const prefix = `${listed[i]}/`;
  let lo = i + 1;
  let hi = listed.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (listed[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo < listed.length && listed[lo]!.startsWith(prefix);
}

/** `fn` over `items`, up to 32 at once; the results in the items' order. */
async function sideBySide<T, R>(items: readonly T[], fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, items.length) }, worker));
  return out;
}
