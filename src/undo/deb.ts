/**
 * The dpkg side of `zcp undo`: the old packages rebuilt from a checkpoint
 * as `dpkg-repack` does, by `dpkg-deb --build` (its files per the snapshot's
 * `.list`, its control stanza, maintainer scripts, conffiles and md5sums,
 * taken from the checkpoint's tree: ./deb-repack.ts says why not dpkg-repack
 * itself), the dependencies of the system after the undo checked
 * by apt itself on the status file it would have, and the one apt-get run
 * that carries the undo out, so that apt orders it (a pre-dependency of
 * exactly the same version, which a plain `dpkg -i` of them all fails) and
 * dpkg's maintainer scripts and conffile rules run.
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';
import { readDpkgStatus } from '../pkgdb/dpkg.js';
import type { SystemRoot } from '../pkgdb/root.js';
import { inRoot } from '../pkgdb/root.js';
import { run } from '../subprocess.js';
import { type DebTree, type InstalledStanza, conffileEntries, openDebTree, repackDeb } from './deb-repack.js';

/** A package at a version. */
export interface PackageRef {
  name: string;
  architecture: string;
  version: string;
}

/** How apt and dpkg name a package: `name` for `all` (apt files those under the native architecture), else `name:arch`. */
export function aptName(p: Pick<PackageRef, 'name' | 'architecture'>): string {
  return p.architecture === 'all' ? p.name : `${p.name}:${p.architecture}`;
}

/** The file name dpkg-deb gives a package: no epoch. */
export function debFileName(p: PackageRef): string {
  return `${p.name}_${p.version.replace(/^\d+:/, '')}_${p.architecture}.deb`;
}

/**
 * Rebuilds `packages` from the installed system at `tree` (a checkpoint's
 * tree) into `out` with {@link repackDeb} (the control stanza kept as it
 * was), a few at a time. A package already there (an undo tried before) is
 * not rebuilt. Each result is checked: its control must name the package
 * and version asked for.
 * @returns the file of each package, in the order asked.
 * @throws {@link CheckpointError} `REBUILD_FAILED` naming the package and why.
 */
export async function repackDebs(tree: string, out: string, packages: readonly PackageRef[]): Promise<string[]> {
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const files = packages.map((p) => join(out, debFileName(p)));
  const have = new Set(readdirSync(out));
  const todo = packages.map((p, i) => ({ p, file: files[i]! })).filter(({ p }) => !have.has(debFileName(p)));
  if (!todo.length) return files;
  const installed = await stanzas(tree);
  const opened = await openDebTree(tree);
  const width = Math.max(1, Math.min(4, availableParallelism()));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { p, file } = todo[next++]!;
      const stanza = installed.get(`${p.name}:${p.architecture}`);
      if (!stanza) throw new CheckpointError('REBUILD_FAILED', `can't rebuild ${aptName(p)} ${p.version}: the checkpoint has no such package installed`, p.name);
      await repackOne(opened, out, p, stanza, file);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return files;
}

async function repackOne(tree: DebTree, out: string, p: PackageRef, stanza: InstalledStanza, file: string): Promise<void> {
  // Built inside the store (a directory of its own), then renamed into place: a half-built file is never taken for a built one.
  const work = mkdtempSync(join(out, '.repack-'));
  try {
    const built = join(work, 'package.deb');
    await repackDeb(tree, stanza, work, built);
    const fields = await run(['dpkg-deb', '--show', '--showformat=${Package}\\t${Version}\\t${Architecture}', built]);
    if (fields.stdout !== `${p.name}\t${p.version}\t${p.architecture}`) {
      throw new CheckpointError('REBUILD_FAILED', `the rebuilt ${aptName(p)} says it is ${fields.stdout.replace(/\t/g, ' ') || 'nothing'}, not ${p.version}`, p.name);
    }
    renameSync(built, file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One stanza's text of a status file, from its offset to the blank line after it. */
function stanzaAt(text: string, offset: number): string {
  const end = text.indexOf('\n\n', offset);
  return `${text.slice(offset, end < 0 ? undefined : end).trimEnd()}\n`;
}

/** Every installed stanza of a dpkg database (the status file with its pending updates applied), keyed `name:arch`. */
async function stanzas(root: SystemRoot): Promise<Map<string, InstalledStanza>> {
  const out = new Map<string, InstalledStanza>();
  const cache = new Map<string, string>();
  for (const p of await readDpkgStatus(root)) {
    if (!p.status || p.status.state === 'not-installed') continue;
    const file = p.update ? inRoot(root, `var/lib/dpkg/${p.update}`) : inRoot(root, 'var/lib/dpkg/status');
    if (!cache.has(file)) cache.set(file, readFileSync(file, 'latin1'));
    out.set(`${p.name}:${p.architecture}`, { text: stanzaAt(cache.get(file)!, p.offset), name: p.name, architecture: p.architecture, state: p.status.state });
  }
  return out;
}

/** A package whose dependencies would not hold, with apt's words. */
export interface Unmet {
  name: string;
  problems: string[];
}

/**
 * What would be broken after the undo, asked of apt: the status file the
 * system would have (the live one, with the checkpoint's stanza of every
 * package going back, and without the ones removed) handed to
 * `apt-get check` in a directory of its own (no lists, no cache, no lock:
 * only the status is judged). Broken already now is not the undo's doing:
 * left out.
 */
export async function unmetAfter(live: SystemRoot, before: SystemRoot, back: readonly PackageRef[], removed: readonly Omit<PackageRef, 'version'>[]): Promise<Unmet[]> {
  const now = await stanzas(live);
  const then = await stanzas(before);
  const after = new Map(now);
  for (const r of removed) after.delete(`${r.name}:${r.architecture}`);
  for (const b of back) {
    const s = then.get(`${b.name}:${b.architecture}`);
    if (!s) throw new CheckpointError('INCOMPLETE', `${aptName(b)} ${b.version} is not installed in the checkpoint`, b.name);
    after.set(`${b.name}:${b.architecture}`, s);
  }
  const broken = async (set: Map<string, { text: string }>) => check([...set.values()].map((s) => s.text).join('\n'));
  const already = new Set((await broken(now)).map((u) => u.name));
  return (await broken(after)).filter((u) => !already.has(u.name));
}

/** The packages `apt-get check` says have unmet dependencies (" jq : Depends: libjq1 (= 1.6-2.1) but it is not installable"), each with apt's lines. */
export function parseAptCheck(stdout: string): Unmet[] {
  const out: Unmet[] = [];
  for (const line of stdout.split('\n')) {
    const head = /^ (\S+) : (.*)$/.exec(line);
    if (head) out.push({ name: head[1]!.replace(/:.*$/, ''), problems: [head[2]!.trim()] });
    else if (/^ {3,}\S/.test(line) && out.length) out[out.length - 1]!.problems.push(line.trim());
  }
  return out;
}

/** `apt-get check` of a status file's text: the packages with unmet dependencies. */
async function check(status: string): Promise<Unmet[]> {
  const dir = mkdtempSync(join(tmpdir(), 'zcp-check-'));
  try {
    for (const d of ['lists/partial', 'cache/archives/partial', 'parts', 'prefs']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'status'), status, 'latin1');
    const o = (k: string, v: string) => ['-o', `${k}=${v}`];
    const r = await run([
      'apt-get', '-q',
      ...o('Dir::State', dir), ...o('Dir::State::status', join(dir, 'status')), ...o('Dir::State::Lists', join(dir, 'lists')),
      ...o('Dir::Cache', join(dir, 'cache')), ...o('Dir::Cache::pkgcache', ''), ...o('Dir::Cache::srcpkgcache', ''),
      ...o('Dir::Etc::SourceList', '/dev/null'), ...o('Dir::Etc::SourceParts', join(dir, 'parts')), ...o('Dir::Etc::PreferencesParts', join(dir, 'prefs')),
      ...o('Debug::NoLocking', '1'), 'check',
    ]);
    if (r.status === 0) return [];
    const out = parseAptCheck(r.stdout);
    if (!out.length) throw new CheckpointError('BAD_SYSTEM', `apt-get check failed and named no package: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`}`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A conffile that was edited since its package installed it: dpkg keeps it on the undo (its rule on a downgrade, with --force-confold). */
export interface EditedConffile {
  package: string;
  path: string;
}

/** The conffiles of `packages` on the live system whose contents differ from what dpkg recorded: edited by someone. */
export async function editedConffiles(root: string, packages: readonly Omit<PackageRef, 'version'>[]): Promise<EditedConffile[]> {
  const wanted = new Set(packages.map((p) => `${p.name}:${p.architecture}`));
  const out: EditedConffile[] = [];
  for (const p of await readDpkgStatus(root, { fields: ['Conffiles'] })) {
    if (!wanted.has(`${p.name}:${p.architecture}`)) continue;
    // Obsolete and remove-on-upgrade ones are not the package's any more; a new one has no hash yet.
    for (const c of conffileEntries(p.fields?.Conffiles ?? '')) {
      if (c.flag || !/^[0-9a-f]{32}$/.test(c.hash)) continue;
      let now: string | undefined;
      try {
        now = createHash('md5').update(readFileSync(inRoot(root, c.path.slice(1)))).digest('hex');
      } catch {
        now = undefined; // deleted by the admin: dpkg keeps it deleted
      }
      if (now !== c.hash) out.push({ package: p.name, path: c.path });
    }
  }
  return out;
}
