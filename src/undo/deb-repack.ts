/**
 * An installed .deb rebuilt from a system tree (a checkpoint's): what
 * `dpkg-repack --root` does, from the same inputs (the package's `.list`,
 * its control stanza from the status file, its maintainer scripts and
 * md5sums from `info/`, its present conffiles, the diversions), and with
 * Debian's own builder, `dpkg-deb --build`. zcp does the copy itself
 * because dpkg-repack, measured, does not serve:
 * - it runs one `cp` per file: tzdata's 1,320 files take 4.5 s on a host
 *   and minutes under an emulator; here the copy is a few syscalls a file;
 * - on a merged-/usr system it fails on libc6: `/lib64` is listed far from
 *   the file under it, so it copies the link `/lib64 -> usr/lib64` and can't
 *   write through it (a listed directory that is a link on the system is
 *   made a directory here whenever the list has files under it);
 * - it reads through the tree's links as the host resolves them, so an
 *   absolute link in the checkpoint (`/lib64 -> /usr/lib64`) reads the
 *   host's file; every path here is resolved inside the tree.
 * @module
 */
import { constants, lstatSync, readlinkSync } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, lstat, mkdir, readFile, readdir, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';
import { run } from '../subprocess.js';

/** An installed package as the tree's status file has it. */
export interface InstalledStanza {
  name: string;
  architecture: string;
  /** The stanza's text, as in the status file. */
  text: string;
  /** dpkg's state (the third word of Status). */
  state: string;
}

// Status-file fields that are not a package's control fields: dpkg-deb refuses them, or they describe this system.
const STATUS_ONLY = new Set(['status', 'config-version', 'conffiles', 'triggers-pending', 'triggers-awaited']);
// info/ files that are not control files of the package: the file list, and conffiles (written again: only the present ones).
const NOT_CONTROL = new Set(['list', 'conffiles']);

/**
 * Rebuilds `stanza`'s package from `tree` into `file` (gzip -1: these
 * packages only go from zcp's store to dpkg), building in `work` (an empty
 * directory the caller removes).
 * @throws {@link CheckpointError} `REBUILD_FAILED` naming the package and why.
 */
export async function repackDeb(tree: string, stanza: InstalledStanza, work: string, file: string): Promise<void> {
  const label = `${stanza.name}:${stanza.architecture}`;
  const fail = (why: string): never => {
    throw new CheckpointError('REBUILD_FAILED', `can't rebuild ${label} from the checkpoint: ${why}`, stanza.name);
  };
  if (stanza.state !== 'installed') fail(`it is ${stanza.state} there, not installed`);
  const resolve = treeResolver(tree);
  const info = resolve.followed('var/lib/dpkg/info');
  const infoFiles = await readdir(info).catch(() => fail('the checkpoint has no var/lib/dpkg/info'));
  // Multi-Arch: same packages have name:arch files, others name.
  const base = infoFiles.includes(`${label}.list`) ? label : stanza.name;
  if (!infoFiles.includes(`${base}.list`)) fail(`it has no ${base}.list`);
  const listed = [...new Set((await readFile(join(info, `${base}.list`), 'utf8')).split('\n').filter((l) => l.startsWith('/') && l !== '/.'))].sort();
  const conffiles = parseConffiles(stanza.text);
  const skipped = new Set(conffiles.filter((c) => c.flag).map((c) => c.path));
  const diversions = await readDiversions(resolve);

  const build = join(work, 'build');
  await mkdir(join(build, 'DEBIAN'), { recursive: true });
  await chmod(build, 0o755);
  await chmod(join(build, 'DEBIAN'), 0o755);
  // What each listed path is in the tree: a directory (or a link the system made of one, merged /usr), a file, a link.
  const entries = await sideBySide(listed, async (path, i) => {
    if (skipped.has(path)) return undefined; // obsolete and remove-on-upgrade conffiles are not the package's any more
    const d = diversions.get(path);
    const source = resolve.parent(d && d.by !== stanza.name ? d.to : path);
    const st = await lstat(source).catch(() => undefined);
    if (!st) return undefined; // deleted from the system (as dpkg-repack, the package is rebuilt without it)
    if (st.isSymbolicLink() && hasUnder(listed, i)) {
      const dir = await stat(resolve.followed(path)).catch(() => undefined);
      if (dir?.isDirectory()) return { path, source, st: dir };
    }
    if (!st.isDirectory() && !st.isSymbolicLink() && !st.isFile()) fail(`${path} is a device, fifo or socket, which zcp does not rebuild`);
    return { path, source, st };
  });
  // Directories first, parents before children (the list is sorted).
  for (const e of entries) {
    if (!e?.st.isDirectory()) continue;
    const dest = join(build, e.path);
    await mkdir(dest, { recursive: true });
    await chown(dest, e.st.uid, e.st.gid);
    await chmod(dest, e.st.mode & 0o7777);
  }
  // Then files and links side by side (a few syscalls each: one at a time, their round trips were most of the time); a second name of a file after its first.
  const firstNames = new Map<string, string>();
  const secondNames: { dest: string; first: string }[] = [];
  const copies = entries.filter((e): e is NonNullable<typeof e> => !!e && !e.st.isDirectory()).filter((e) => {
    if (!e.st.isFile() || e.st.nlink < 2) return true;
    const key = `${e.st.dev}:${e.st.ino}`;
    const first = firstNames.get(key);
    if (first) secondNames.push({ dest: join(build, e.path), first });
    else firstNames.set(key, join(build, e.path));
    return !first;
  });
  await sideBySide(copies, async ({ path, source, st }) => {
    const dest = join(build, path);
    await mkdir(dirname(dest), { recursive: true }); // a parent the list leaves out
    if (st.isSymbolicLink()) {
      await symlink(await readlink(source), dest);
      await lchown(dest, st.uid, st.gid);
      return;
    }
    await copyFile(source, dest, constants.COPYFILE_EXCL);
    await chown(dest, st.uid, st.gid); // before chmod: chown clears set-id bits
    await chmod(dest, st.mode & 0o7777);
    await utimes(dest, st.atime, st.mtime);
  });
  for (const { dest, first } of secondNames) await link(first, dest);

  // Control: the stanza without what only a status file has; maintainer scripts, md5sums and the rest from info/; the present conffiles.
  await writeFile(join(build, 'DEBIAN/control'), controlText(stanza.text));
  for (const f of infoFiles) {
    const kind = f.slice(base.length + 1);
    if (!f.startsWith(`${base}.`) || !/^[A-Za-z0-9_-]+$/.test(kind) || NOT_CONTROL.has(kind)) continue;
    const st = await lstat(join(info, f));
    if (!st.isFile()) fail(`its control file ${f} is not a plain file`);
    await copyFile(join(info, f), join(build, 'DEBIAN', kind));
    await chmod(join(build, 'DEBIAN', kind), st.mode & 0o777);
  }
  const present = [];
  for (const c of conffiles) if (!c.flag && (await lstat(join(build, c.path)).catch(() => undefined))) present.push(c.path);
  if (present.length) await writeFile(join(build, 'DEBIAN/conffiles'), `${present.join('\n')}\n`);

  const r = await run(['dpkg-deb', '-Zgzip', '-z1', '--build', build, file]);
  if (r.status === 127) fail('dpkg-deb is not installed');
  if (r.status !== 0) fail(`dpkg-deb --build: ${`${r.stderr}${r.stdout}`.trim().split('\n').slice(-3).join('; ') || `exit ${r.status}`}`);
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

/** A conffile as the stanza's Conffiles field lists it; `flag` is obsolete or remove-on-upgrade. */
export function parseConffiles(stanza: string): { path: string; flag?: string }[] {
  const field = /^Conffiles:[^\n]*\n((?:[ \t][^\n]*(?:\n|$))*)/im.exec(stanza)?.[1] ?? '';
  const out: { path: string; flag?: string }[] = [];
  for (const line of field.split('\n')) {
    const m = /^\s+(\/.*?)\s+(\S+)(?:\s+(obsolete|remove-on-upgrade))?\s*$/.exec(line);
    if (m) out.push(m[3] ? { path: m[1]!, flag: m[3] } : { path: m[1]! });
  }
  return out;
}

/** The control file of a package from its status stanza: every field but those only a status file has. */
export function controlText(stanza: string): string {
  const lines = stanza.replace(/\n+$/, '').split('\n');
  const out: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (!/^[ \t]/.test(line)) keep = !STATUS_ONLY.has(line.slice(0, line.indexOf(':')).toLowerCase());
    if (keep) out.push(line);
  }
  return `${out.join('\n')}\n`;
}

/** The tree's diversions (var/lib/dpkg/diversions: from, to, package by threes; `:` for a local one). */
async function readDiversions(resolve: TreeResolver): Promise<Map<string, { to: string; by: string }>> {
  const out = new Map<string, { to: string; by: string }>();
  const text = await readFile(resolve.followed('var/lib/dpkg/diversions'), 'utf8').catch(() => '');
  const lines = text.split('\n');
  for (let i = 0; i + 2 < lines.length; i += 3) out.set(lines[i]!, { to: lines[i + 1]!, by: lines[i + 2]! });
  return out;
}

/** Paths of a system resolved inside its tree, as a chroot would: a link, absolute or with `..`, never leads out. */
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
