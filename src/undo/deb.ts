/**
 * The dpkg side of `zcp undo`: the old packages rebuilt from a checkpoint
 * with Debian's own `dpkg-repack` (its files per the snapshot's `.list`, its
 * control stanza, maintainer scripts, conffiles and md5sums, taken from the
 * checkpoint's tree), the dependencies of the system after the undo checked
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
 * tree) into `out`, one `dpkg-repack --tag=none` per package (the control
 * stanza kept as it was: no "repackaged" note), a few at a time. A package
 * already there (an undo tried before) is not rebuilt. Each result is
 * checked: its control must name the package and version asked for.
 * @returns the file of each package, in the order asked.
 * @throws {@link CheckpointError} `REBUILD_FAILED` naming the package and dpkg-repack's words.
 */
export async function repackDebs(tree: string, out: string, packages: readonly PackageRef[]): Promise<string[]> {
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const files = packages.map((p) => join(out, debFileName(p)));
  const have = new Set(readdirSync(out));
  const todo = packages.map((p, i) => ({ p, file: files[i]! })).filter(({ p }) => !have.has(debFileName(p)));
  const width = Math.max(1, Math.min(4, availableParallelism()));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { p, file } = todo[next++]!;
      await repackOne(tree, out, p, file);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return files;
}

async function repackOne(tree: string, out: string, p: PackageRef, file: string): Promise<void> {
  // dpkg-repack builds in its working directory: one of its own, inside the store.
  const work = mkdtempSync(join(out, '.repack-'));
  try {
    // gzip -1, not dpkg-deb's xz: xz took three quarters of a rebuild (perl-modules-5.36: 9.7 s of 13 s on the host), and these packages only go from the store to dpkg.
    const r = await run(['sh', '-c', 'cd "$1" && shift && exec dpkg-repack "$@"', 'sh', work, '--tag=none', '--deb-option=-Zgzip', '--deb-option=-z1', `--root=${tree}`, `${p.name}:${p.architecture}`]);
    const built = readdirSync(work).filter((f) => f.endsWith('.deb'));
    if (r.status === 127) throw new CheckpointError('REBUILD_FAILED', `can't rebuild ${aptName(p)} ${p.version}: dpkg-repack is not installed (apt-get install dpkg-repack)`, p.name);
    if (r.status !== 0 || built.length !== 1) {
      const said = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-3).join('; ');
      throw new CheckpointError('REBUILD_FAILED', `can't rebuild ${aptName(p)} ${p.version} from the checkpoint: dpkg-repack: ${said || `exit ${r.status}`}`, p.name);
    }
    const fields = await run(['dpkg-deb', '--show', '--showformat=${Package}\\t${Version}\\t${Architecture}', join(work, built[0]!)]);
    if (fields.stdout !== `${p.name}\t${p.version}\t${p.architecture}`) {
      throw new CheckpointError('REBUILD_FAILED', `the rebuilt ${aptName(p)} says it is ${fields.stdout.replace(/\t/g, ' ') || 'nothing'}, not ${p.version}`, p.name);
    }
    renameSync(join(work, built[0]!), file);
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
async function stanzas(root: SystemRoot): Promise<Map<string, { text: string; name: string }>> {
  const out = new Map<string, { text: string; name: string }>();
  const cache = new Map<string, string>();
  for (const p of await readDpkgStatus(root)) {
    if (!p.status || p.status.state === 'not-installed') continue;
    const file = p.update ? inRoot(root, `var/lib/dpkg/${p.update}`) : inRoot(root, 'var/lib/dpkg/status');
    if (!cache.has(file)) cache.set(file, readFileSync(file, 'latin1'));
    out.set(`${p.name}:${p.architecture}`, { text: stanzaAt(cache.get(file)!, p.offset), name: p.name });
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
    for (const line of (p.fields?.Conffiles ?? '').split('\n')) {
      const m = /^\s*(\/\S+)\s+([0-9a-f]{32})\s*$/.exec(line); // obsolete and remove-on-upgrade ones have a third word
      if (!m) continue;
      let now: string | undefined;
      try {
        now = createHash('md5').update(readFileSync(inRoot(root, m[1]!.slice(1)))).digest('hex');
      } catch {
        now = undefined; // deleted by the admin: dpkg keeps it deleted
      }
      if (now !== m[2]) out.push({ package: p.name, path: m[1]! });
    }
  }
  return out;
}
