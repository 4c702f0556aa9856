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
 *   live system's file, not the checkpoint's; every path here is resolved
 *   inside the tree (./tree-copy.ts).
 * @module
 */
import { chmod, copyFile, lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';
import { run } from '../subprocess.js';
import { type TreeResolver, copyListed, treeResolver } from './tree-copy.js';

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

/** What every rebuild from one tree reads, read once: its resolver, the listing of its dpkg info/, its diversions. */
export interface DebTree {
  resolve: TreeResolver;
  info: string;
  /** undefined when the tree has no info/. */
  infoFiles: string[] | undefined;
  diversions: Map<string, { to: string; by: string }>;
}

export async function openDebTree(tree: string): Promise<DebTree> {
  const resolve = treeResolver(tree);
  const info = resolve.followed('var/lib/dpkg/info');
  return { resolve, info, infoFiles: await readdir(info).catch(() => undefined), diversions: await readDiversions(resolve) };
}

/**
 * Rebuilds `stanza`'s package from the tree into `file` (gzip -1: these
 * packages only go from zcp's store to dpkg), building in `work` (an empty
 * directory the caller removes).
 * @throws {@link CheckpointError} `REBUILD_FAILED` naming the package and why.
 */
export async function repackDeb(tree: DebTree, stanza: InstalledStanza, work: string, file: string): Promise<void> {
  const label = `${stanza.name}:${stanza.architecture}`;
  const fail = (why: string): never => {
    throw new CheckpointError('REBUILD_FAILED', `can't rebuild ${label} from the checkpoint: ${why}`, stanza.name);
  };
  if (stanza.state !== 'installed') fail(`it is ${stanza.state} there, not installed`);
  const { resolve, info, infoFiles = fail('the checkpoint has no var/lib/dpkg/info'), diversions } = tree;
  // Multi-Arch: same packages have name:arch files, others name.
  const base = infoFiles.includes(`${label}.list`) ? label : stanza.name;
  if (!infoFiles.includes(`${base}.list`)) fail(`it has no ${base}.list`);
  const list = await readFile(join(info, `${base}.list`), 'utf8');
  // A name that is not UTF-8 can't be named as a string here: refused, rather than a package rebuilt without that file.
  if (list.includes('\uFFFD')) fail(`${base}.list names a file whose name is not UTF-8`);
  const listed = [...new Set(list.split('\n').filter((l) => l.startsWith('/') && l !== '/.'))].sort();
  const conffiles = parseConffiles(stanza.text);
  const skipped = new Set(conffiles.filter((c) => c.flag).map((c) => c.path));

  const build = join(work, 'build');
  await mkdir(join(build, 'DEBIAN'), { recursive: true });
  await chmod(build, 0o755);
  await chmod(join(build, 'DEBIAN'), 0o755);
  const skip = (path: string) => skipped.has(path); // obsolete and remove-on-upgrade conffiles are not the package's any more
  const from = (path: string) => {
    const d = diversions.get(path);
    return d && d.by !== stanza.name ? d.to : path; // diverted by another package: this one's file is where it was diverted to
  };
  await copyListed(resolve, listed, build, { skip, from }).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));

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
  const inList = new Set(listed); // a conffile is one of the package's files: no other path is looked at
  for (const c of conffiles) if (!c.flag && inList.has(c.path) && (await lstat(join(build, c.path)).catch(() => undefined))) present.push(c.path);
  if (present.length) await writeFile(join(build, 'DEBIAN/conffiles'), `${present.join('\n')}\n`);

  const r = await run(['dpkg-deb', '-Zgzip', '-z1', '--build', build, file]);
  if (r.status === 127) fail('dpkg-deb is not installed');
  if (r.status !== 0) fail(`dpkg-deb --build: ${`${r.stderr}${r.stdout}`.trim().split('\n').slice(-3).join('; ') || `exit ${r.status}`}`);
}

/** A conffile as the stanza's Conffiles field lists it; `flag` is obsolete or remove-on-upgrade. */
export function parseConffiles(stanza: string): { path: string; flag?: string }[] {
  const field = /^Conffiles:[^\n]*\n((?:[ \t][^\n]*(?:\n|$))*)/im.exec(stanza)?.[1] ?? '';
  return conffileEntries(field).map(({ path, flag }) => (flag ? { path, flag } : { path }));
}

/**
 * The entries of a Conffiles field's lines, read as dpkg reads them: from
 * the end of each line (the optional flag, then the hash), so that a path
 * may hold spaces. The hash is `newconffile` for one not yet installed.
 */
export function conffileEntries(lines: string): { path: string; hash: string; flag?: string }[] {
  const out: { path: string; hash: string; flag?: string }[] = [];
  for (const line of lines.split('\n')) {
    const m = /^\s*(\/.*?)\s+(\S+)(?:\s+(obsolete|remove-on-upgrade))?\s*$/.exec(line);
    if (m) out.push(m[3] ? { path: m[1]!, hash: m[2]!, flag: m[3] } : { path: m[1]!, hash: m[2]! });
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
