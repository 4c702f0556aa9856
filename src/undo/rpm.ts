/**
 * The rpm side of `zcp undo`: an installed package rebuilt from a
 * checkpoint's tree, as rpm's own repackaging (`--repackage`, gone since
 * 4.6) and `rpmrebuild` did it: a spec written from the header in the
 * checkpoint's rpmdb (its name, EVR, dependencies, scriptlets, and every
 * file with its mode, owner and %config flags), `rpmbuild` over the
 * checkpoint's files. Why a spec and not the old header with a new payload:
 * the header's payload digest covers the original compressed payload, which
 * a rebuilt one can't match, and rpmbuild writes a header rpm verifies with
 * its own code. rpmbuild's post-install steps (strip, compression of man
 * pages, byte-compiling) are turned off: the files go in as they were.
 * @module
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';
import { findRpmDb } from '../pkgdb/rpmdb.js';
import { compareRpmEVR } from '../pkgdb/rpmversion.js';
import { run } from '../subprocess.js';
import type { PackageRef, Unmet } from './deb.js';
import { type TreeResolver, copyListed, treeResolver } from './tree-copy.js';

/** The file name rpmbuild gives a package: `name-version-release.arch.rpm` (no epoch). */
export function rpmFileName(p: PackageRef): string {
  return `${p.name}-${p.version.replace(/^\d+:/, '')}.${p.architecture}.rpm`;
}

/** How rpm names an installed package on its command line: NVRA (no epoch). */
export function rpmName(p: Omit<PackageRef, 'version'> & { version?: string }): string {
  return p.version ? `${p.name}-${p.version.replace(/^\d+:/, '')}.${p.architecture}` : `${p.name}.${p.architecture}`;
}

/** `%` doubled, so rpmbuild does not expand text of the header as macros. */
const literal = (s: string) => s.replace(/%/g, '%%');

/** File names a spec's %files line can carry as data: no glob, quote, macro or line characters. */
const PLAIN_PATH = /^\/[A-Za-z0-9._+@:=,~\/ -]*$/;

/** rpm's query of one installed package, from a copy of an rpmdb (rpm may write to a database it opens). */
async function query(db: string, nvra: string, format: string): Promise<string> {
  const r = await run(['rpm', '--dbpath', db, '-q', '--qf', format, nvra]);
  if (r.status !== 0) throw new CheckpointError('REBUILD_FAILED', `rpm -q ${nvra} in the checkpoint's rpmdb: ${(r.stderr || r.stdout).trim().split('\n')[0]}`, nvra);
  return r.stdout;
}

/** The dependency lines of a spec, from the header: every Requires but rpmlib()'s and the package's own Provides (rpmbuild writes those itself). */
async function dependencies(db: string, nvra: string, name: string): Promise<string[]> {
  const out: string[] = [];
  const kinds: [string, string][] = [
    ['REQUIRE', 'Requires'],
    ['PROVIDE', 'Provides'],
    ['CONFLICT', 'Conflicts'],
    ['OBSOLETE', 'Obsoletes'],
  ];
  for (const [tag, field] of kinds) {
    const text = await query(db, nvra, `[%{${tag}NAME}\\t%{${tag}FLAGS:depflags}\\t%{${tag}VERSION}\\t%{${tag}FLAGS:deptype}\\n]`);
    for (const line of text.split('\n').filter(Boolean)) {
      const [n, flags, v, type] = line.split('\t') as [string, string, string, string];
      // rpmbuild writes these itself: rpmlib() features, a scriptlet's interpreter.
      if (n.startsWith('rpmlib(') || n === '(none)' || /\binterp\b/.test(type)) continue;
      if (field === 'Provides' && (n === name || n === `${name}(${nvra.split('.').pop()})`)) continue;
      const when = field === 'Requires' && /\b(pre|post|preun|postun|pretrans|posttrans|verify)\b/.test(type) ? `(${type.split(',').filter((t) => /^(pre|post|preun|postun|pretrans|posttrans|verify)$/.test(t)).join(',')})` : '';
      out.push(`${field}${when}: ${literal(n)}${flags.trim() ? ` ${flags.trim()} ${literal(v)}` : ''}`);
    }
  }
  return out;
}

const SCRIPTS: [string, string][] = [
  ['PRETRANS', 'pretrans'],
  ['PREIN', 'pre'],
  ['POSTIN', 'post'],
  ['PREUN', 'preun'],
  ['POSTUN', 'postun'],
  ['POSTTRANS', 'posttrans'],
];

/** The spec of installed package `nvra` (header in `db`), its files copied from `tree`. */
async function specOf(db: string, tree: string, p: PackageRef): Promise<{ spec: string; files: string[]; arch: string }> {
  const nvra = rpmName(p);
  const [name, epoch, version, release, arch, summary, license, url] = (await query(db, nvra, '%{NAME}\\n%{EPOCH}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n%{SUMMARY}\\n%{LICENSE}\\n%{URL}\\n')).split('\n') as string[];
  const description = await query(db, nvra, '%{DESCRIPTION}');
  const lines = [
    `Name: ${literal(name!)}`,
    ...(epoch !== '(none)' ? [`Epoch: ${epoch}`] : []),
    `Version: ${literal(version!)}`,
    `Release: ${literal(release!)}`,
    `Summary: ${literal(summary!)}`,
    `License: ${literal(license!)}`,
    ...(url !== '(none)' && url ? [`URL: ${literal(url)}`] : []),
    ...(arch === 'noarch' ? ['BuildArch: noarch'] : []),
    'AutoReqProv: no',
    ...(await dependencies(db, nvra, name!)),
    '%description',
    literal(description),
  ];
  for (const [tag, section] of SCRIPTS) {
    const [prog, body] = [await query(db, nvra, `%{${tag}PROG}`), await query(db, nvra, `%{${tag}}`)];
    if (prog === '(none)' && body === '(none)') continue;
    lines.push(`%${section}${prog !== '(none)' ? ` -p ${prog}` : ''}`, ...(body !== '(none)' ? [literal(body)] : []));
  }
  // Each file with its mode, owner and group as the header has them, and its flags.
  const listed = await query(db, nvra, '[%{FILENAMES}\\t%{FILEMODES:octal}\\t%{FILEUSERNAME}\\t%{FILEGROUPNAME}\\t%{FILEFLAGS:fflags}\\n]');
  const files: string[] = [];
  lines.push('%files');
  for (const line of listed.split('\n').filter(Boolean)) {
    const [path, mode, user, group, flags] = line.split('\t') as [string, string, string, string, string];
    if (!PLAIN_PATH.test(path) || /\s$/.test(path)) {
      throw new CheckpointError('REBUILD_FAILED', `${nvra} has a file whose name a spec can't carry as plain data (${JSON.stringify(path)}): not rebuilt`, p.name);
    }
    const m = Number.parseInt(mode, 8);
    const type = m & 0o170000;
    const attr = type === 0o120000 ? `%attr(-,${user},${group})` : `%attr(${(m & 0o7777).toString(8).padStart(4, '0')},${user},${group})`;
    const marks = [
      ...(type === 0o040000 ? ['%dir'] : []),
      ...(flags.includes('g') ? ['%ghost'] : []),
      ...(flags.includes('c') ? [`%config${flags.includes('n') ? '(noreplace)' : flags.includes('m') ? '(missingok)' : ''}`] : []),
      ...(flags.includes('d') ? ['%doc'] : []),
      ...(flags.includes('l') ? ['%license'] : []),
    ];
    lines.push(`${attr} ${marks.join(' ')} "${path}"`.replace(/ {2,}/g, ' '));
    if (!flags.includes('g')) files.push(path);
  }
  return { spec: `${lines.join('\n')}\n`, files, arch: arch! };
}

/**
 * Rebuilds `packages` from the installed system at `tree` (a checkpoint's
 * tree) into `out` with rpmbuild, one at a time (rpmbuild is busy enough
 * alone). A package already there is not rebuilt. Each result is checked:
 * its header must name the package and EVR asked for.
 * @returns the file of each package, in the order asked.
 * @throws {@link CheckpointError} `REBUILD_FAILED`.
 */
export async function rebuildRpms(tree: string, out: string, packages: readonly PackageRef[]): Promise<string[]> {
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const have = new Set(readdirSync(out));
  const work = mkdtempSync(join(out, '.rebuild-'));
  try {
    const found = await findRpmDb(tree);
    if (!found) throw new CheckpointError('REBUILD_FAILED', "no rpmdb in the checkpoint's tree", tree);
    const db = join(work, 'db');
    cpSync(join(tree, found), db, { recursive: true }); // rpm opens a database to write; the snapshot is read-only
    const resolve = treeResolver(tree); // one for the tree: the directories it resolved serve every package
    const files: string[] = [];
    for (const p of packages) {
      const file = join(out, rpmFileName(p));
      files.push(file);
      if (have.has(rpmFileName(p))) continue;
      await rebuildOne(db, tree, resolve, join(work, p.name), p, file);
    }
    return files;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function rebuildOne(db: string, tree: string, resolve: TreeResolver, top: string, p: PackageRef, file: string): Promise<void> {
  const { spec, files, arch } = await specOf(db, tree, p);
  for (const d of ['SPECS', 'BUILDROOT', 'RPMS']) mkdirSync(join(top, d), { recursive: true });
  const specFile = join(top, 'SPECS', `${p.name}.spec`);
  // The checkpoint's files staged as they are, every path resolved inside its tree (a link there never reads the live system's file); %install copies them in.
  const stage = join(top, 'STAGE');
  mkdirSync(stage, { mode: 0o755 });
  await copyListed(resolve, [...new Set(files)].sort(), stage).catch((e: unknown) => {
    throw new CheckpointError('REBUILD_FAILED', `can't rebuild ${rpmName(p)} from the checkpoint: ${e instanceof Error ? e.message : String(e)}`, p.name);
  });
  const install = ['%install', `cp -a '${stage.replace(/'/g, "'\\''")}/.' %{buildroot}/`, ''];
  writeFileSync(specFile, spec.replace('\n%files', `\n${install.join('\n')}%files`));
  const d = (k: string, v: string) => ['--define', `${k} ${v}`];
  const r = await run([
    'rpmbuild', '-bb', '--quiet',
    ...d('_topdir', top), ...d('_rpmdir', join(top, 'RPMS')), ...d('_build_id_links', 'none'), ...d('debug_package', '%{nil}'),
    ...d('__spec_install_post', '%{nil}'), ...d('__os_install_post', '%{nil}'), ...d('__check_files', '%{nil}'), ...d('_binary_filedigest_algorithm', '8'),
    ...(arch === 'noarch' ? [] : ['--target', arch]),
    specFile,
  ]);
  const built = join(top, 'RPMS', arch, rpmFileName(p));
  if (r.status !== 0) {
    const said = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-3).join('; ');
    throw new CheckpointError('REBUILD_FAILED', r.status === 127 ? `can't rebuild ${rpmName(p)}: rpmbuild is not installed` : `can't rebuild ${rpmName(p)} from the checkpoint: rpmbuild: ${said}`, p.name);
  }
  const evr = await run(['rpm', '-qp', '--nosignature', '--qf', '%{NAME}\\t%{EPOCH}:%{VERSION}-%{RELEASE}\\t%{ARCH}', built]);
  const want = `${p.name}\t${/^\d+:/.test(p.version) ? p.version : `(none):${p.version}`}\t${p.architecture}`;
  if (evr.stdout !== want) throw new CheckpointError('REBUILD_FAILED', `the rebuilt ${rpmName(p)} says it is ${evr.stdout.replace(/\t/g, ' ') || 'nothing'}`, p.name);
  renameSync(built, file);
}

/** The name in rpm's `N-[E:]V-R.A`: everything before the version and release. */
const nameOf = (nevra: string) => nevra.replace(/-[^-]+-[^-]+$/, '');

/** One side of a dependency: a name, and a version relation if any (`>=`, `=`, ...). */
interface Dep {
  name: string;
  op?: string;
  evr?: string;
}

/** Whether what `provide` says satisfies `require`, as rpm matches them (an unversioned side matches any version). */
function satisfies(provide: Dep, require: Dep): boolean {
  if (provide.name !== require.name) return false;
  if (!require.op || !provide.op || !require.evr || !provide.evr) return true;
  if (provide.op !== '=') return true; // a ranged provide: rare, taken as overlapping
  const c = compareRpmEVR(provide.evr, require.evr);
  return require.op.split('').some((o) => (o === '=' && c === 0) || (o === '<' && c < 0) || (o === '>' && c > 0));
}

/** The lines of `rpm -e --test` that say an installed package needs something: "X [op V] is needed by (installed) N-V-R.A". */
export function parseNeededBy(stderr: string): { needs: Dep; by: string }[] {
  const out: { needs: Dep; by: string }[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^\s+(\S+)(?:\s+([<>=]+)\s+(\S+))? is needed by \(installed\) (\S+)$/.exec(line);
    if (m) out.push({ needs: { name: m[1]!, ...(m[2] ? { op: m[2], evr: m[3]! } : {}) }, by: m[4]! });
  }
  return out;
}

/**
 * What would be broken after the undo, on an rpm system: rpm itself finds
 * every installed package that needs something of the packages going
 * away or back (`rpm -e --test` of them: "X is needed by (installed) Y"),
 * and each need the old version of a package going back satisfies (its
 * Provides and files in the checkpoint's rpmdb) is dropped. Needs of the
 * packages going away or back themselves are theirs, not broken ones.
 * @param rpm the argv that runs rpm on the live system (`rpm --root R --dbpath D`).
 * @param beforeDb a copy of the checkpoint's rpmdb.
 */
export async function rpmUnmetAfter(rpm: readonly string[], beforeDb: string, back: readonly PackageRef[], removed: readonly PackageRef[]): Promise<Unmet[]> {
  const going = [...back.map((b) => ({ name: b.name, architecture: b.architecture })), ...removed];
  if (!going.length) return [];
  const r = await run([...rpm, '-e', '--test', ...going.map((p) => rpmName(p))]);
  const needs = parseNeededBy(r.stderr).filter((n) => !going.some((g) => nameOf(n.by) === g.name));
  if (!needs.length) return [];
  const provides: Dep[] = [];
  for (const b of back) {
    const text = await query(beforeDb, rpmName(b), '[%{PROVIDENAME}\\t%{PROVIDEFLAGS:depflags}\\t%{PROVIDEVERSION}\\n][%{FILENAMES}\\n]');
    for (const line of text.split('\n').filter(Boolean)) {
      const [name, op, evr] = line.split('\t') as [string, string?, string?];
      provides.push({ name, ...(op?.trim() ? { op: op.trim(), evr: evr ?? '' } : {}) });
    }
  }
  const out = new Map<string, string[]>();
  for (const n of needs) {
    if (provides.some((p) => satisfies(p, n.needs))) continue;
    const name = nameOf(n.by);
    out.set(name, [...(out.get(name) ?? []), `needs ${n.needs.name}${n.needs.op ? ` ${n.needs.op} ${n.needs.evr}` : ''}`]);
  }
  return [...out].map(([name, problems]) => ({ name, problems }));
}

/** Config files of installed `packages` that were edited (`rpm -V`: the digest differs, flagged `c`). */
export async function rpmEditedConfigs(rpm: readonly string[], packages: readonly Omit<PackageRef, 'version'>[]): Promise<{ package: string; path: string }[]> {
  const out: { package: string; path: string }[] = [];
  for (const p of packages) {
    const r = await run([...rpm, '-V', '--nodeps', '--noscripts', rpmName(p)]);
    for (const line of r.stdout.split('\n')) {
      const m = /^([.?A-Za-z0-9]{9})\s+c\s(\/.*)$/.exec(line);
      if (m && m[1]![2] === '5') out.push({ package: p.name, path: m[2]! });
    }
  }
  return out;
}
