/**
 * Package-database benchmarks, on the host, each a ratio against its
 * alternative measured in the same run:
 * - this machine's dpkg status: native parse vs the `dpkg-query -W` process,
 *   vs a plain TypeScript parser (bench/baseline), vs just reading the file;
 * - the largest apt Packages list: native vs the TypeScript parser vs reading;
 * - rpmdb: readRpmDb vs `rpm -qa` on an sqlite rpmdb of 400 packages made
 *   with rpmbuild and rpm here, and on the Berkeley DB fixture (bdb_ro);
 * - version compare: the TypeScript orderings vs the addon's native ones.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addon } from '../src/addon.js';
import { pkgdb } from '../src/index.js';
import { compareRpmVersionsTs } from '../src/pkgdb/rpmversion.js';
import { parseDpkgStatusBaseline } from './baseline/dpkg-status.js';
import { fmt, stats, type Stats } from './stats.js';
import { rpmdbFixtures } from '../test/shared-fixtures.js';

const ROOT = join(import.meta.dirname, '..');
const CACHE = join(ROOT, '.cache/bench');

export interface PkgdbRow { case: string; tool: string; unit: string; stats: Stats; ratio?: string }

/** Median-friendly timing: `warmup` untimed calls, then `n` timed ones (ms). */
async function time(n: number, fn: () => unknown, warmup = 2): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

function same<T>(what: string, a: T[], b: T[]): void {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`bench: ${what} disagree; not timing them`);
}

/** The biggest apt Packages list, decompressed once into the cache. */
function largestAptList(): string {
  const dir = '/var/lib/apt/lists';
  const lists = readdirSync(dir).filter((f) => /_Packages(\.\w+)?$/.test(f)).sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size);
  if (lists.length === 0) throw new Error('bench: no apt lists under /var/lib/apt/lists (run apt-get update)');
  const out = join(CACHE, 'largest-Packages');
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(out, execFileSync('/usr/lib/apt/apt-helper', ['cat-file', join(dir, lists[0]!)], { maxBuffer: 1 << 30 }));
  return out;
}

/** An sqlite rpmdb with `count` installed packages (one spec, `count` subpackages), cached. */
function benchRpmRoot(count: number): string {
  const root = join(CACHE, `rpmroot-${count}`);
  if (existsSync(join(root, 'var/lib/rpm/rpmdb.sqlite'))) return root;
  const work = join(CACHE, 'rpmbuild');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'SPECS'), { recursive: true });
  const spec = ['Name: zcpbench', 'Version: 1.0', 'Release: 1.el9', 'Summary: bench', 'License: MIT', 'BuildArch: noarch', '%description', 'bench'];
  for (let i = 0; i < count; i++) spec.push(`%package -n zcpbench-${i}`, `Version: ${1 + (i % 7)}.${i}`, 'Summary: bench package', 'Requires: /bin/sh', `%description -n zcpbench-${i}`, 'bench');
  spec.push('%install');
  for (let i = 0; i < count; i++) spec.push(`mkdir -p %{buildroot}/usr/share/zcpbench-${i} && for f in 1 2 3 4 5 6 7 8; do echo $f > %{buildroot}/usr/share/zcpbench-${i}/file-$f; done`);
  for (let i = 0; i < count; i++) spec.push(`%files -n zcpbench-${i}`, `/usr/share/zcpbench-${i}`);
  writeFileSync(join(work, 'SPECS/zcpbench.spec'), `${spec.join('\n')}\n`);
  execFileSync('rpmbuild', ['-bb', '--nodeps', '--quiet', '--define', `_topdir ${work}`, join(work, 'SPECS/zcpbench.spec')], { stdio: 'ignore' });
  const rpms = readdirSync(join(work, 'RPMS/noarch')).map((f) => join(work, 'RPMS/noarch', f));
  const tmp = `${root}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync('rpm', ['--root', tmp, '--dbpath', '/var/lib/rpm', '--initdb']);
  execFileSync('rpm', ['--root', tmp, '--dbpath', '/var/lib/rpm', '-i', '--justdb', '--nodeps', '--nosignature', ...rpms], { stdio: 'ignore' });
  execFileSync('mv', [tmp, root]);
  rmSync(work, { recursive: true, force: true });
  return root;
}

export async function runPkgdbBench(): Promise<PkgdbRow[]> {
  const rows: PkgdbRow[] = [];
  const ratio = (slow: Stats, fast: Stats) => `${(slow.median / fast.median).toFixed(1)}x`;

  // dpkg status of this machine.
  const statusFile = '/var/lib/dpkg/status';
  const status = readFileSync(statusFile);
  const count = pkgdb.parseDpkgStatus(status).length;
  const pick = (p: { name: string; version: string; architecture: string; multiArch: string; status?: unknown }) => [p.name, p.version, p.architecture, p.multiArch, JSON.stringify(p.status)];
  same('native and baseline dpkg parsers', pkgdb.parseDpkgStatus(status).map(pick), parseDpkgStatusBaseline(status).map(pick));
  const qf = '${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n';
  const dpkgQuery = await time(20, () => spawnSync('dpkg-query', ['-W', '-f', qf], { maxBuffer: 1 << 26 }));
  const nativeRead = await time(50, () => pkgdb.parseDpkgStatus(readFileSync(statusFile)));
  const nativeParse = await time(50, () => pkgdb.parseDpkgStatus(status));
  const tsParse = await time(50, () => parseDpkgStatusBaseline(status));
  const justRead = await time(50, () => readFileSync(statusFile));
  const dcase = `dpkg status (${count} packages, ${(status.length / 1024).toFixed(0)} KiB)`;
  rows.push(
    { case: dcase, tool: 'zcp: read + native parse', unit: 'ms', stats: nativeRead },
    { case: dcase, tool: 'zcp: native parse (in memory)', unit: 'ms', stats: nativeParse },
    { case: dcase, tool: '`dpkg-query -W` process', unit: 'ms', stats: dpkgQuery, ratio: `${ratio(dpkgQuery, nativeRead)} slower` },
    { case: dcase, tool: 'TypeScript baseline parse', unit: 'ms', stats: tsParse, ratio: `${ratio(tsParse, nativeParse)} slower` },
    { case: dcase, tool: 'just reading the file', unit: 'ms', stats: justRead, ratio: `zcp is ${ratio(nativeRead, justRead)} of it` },
  );

  // The largest apt list.
  const listFile = largestAptList();
  const list = readFileSync(listFile);
  const listCount = pkgdb.parseDpkgStatus(list).length;
  same('native and baseline list parsers', pkgdb.parseDpkgStatus(list).map(pick), parseDpkgStatusBaseline(list).map(pick));
  const lcase = `largest apt list (${listCount} packages, ${(list.length / 1048576).toFixed(0)} MiB)`;
  const listNativeRead = await time(7, () => pkgdb.parseDpkgStatus(readFileSync(listFile)), 1);
  const listNative = await time(7, () => pkgdb.parseDpkgStatus(list), 1);
  const listTs = await time(7, () => parseDpkgStatusBaseline(list), 1);
  const listRead = await time(7, () => readFileSync(listFile), 1);
  rows.push(
    { case: lcase, tool: 'zcp: read + native parse', unit: 'ms', stats: listNativeRead },
    { case: lcase, tool: 'zcp: native parse (in memory)', unit: 'ms', stats: listNative },
    { case: lcase, tool: 'TypeScript baseline parse', unit: 'ms', stats: listTs, ratio: `${ratio(listTs, listNative)} slower` },
    { case: lcase, tool: 'just reading the file', unit: 'ms', stats: listRead, ratio: `zcp is ${ratio(listNativeRead, listRead)} of it` },
  );

  // rpmdb: sqlite made here, and the Berkeley DB fixture.
  const rpmRoot = benchRpmRoot(400);
  const fixtures = rpmdbFixtures();
  const rqf = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{INSTALLTID}\\n';
  for (const [label, root, extra] of [
    ['rpmdb sqlite', rpmRoot, []],
    ['rpmdb Berkeley DB (fixture)', join(fixtures, 'bdb'), ['--define', '_db_backend bdb_ro']],
  ] as const) {
    const n = (await pkgdb.readRpmDb(root)).length;
    const rpmQa = await time(10, () => spawnSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', ...extra, '-qa', '--qf', rqf], { maxBuffer: 1 << 26 }));
    const ours = await time(30, () => pkgdb.readRpmDb(root));
    const rcase = `${label} (${n} packages)`;
    rows.push(
      { case: rcase, tool: 'zcp: readRpmDb', unit: 'ms', stats: ours },
      { case: rcase, tool: '`rpm -qa` process', unit: 'ms', stats: rpmQa, ratio: `${ratio(rpmQa, ours)} slower` },
    );
  }
  const ndbN = (await pkgdb.readRpmDb(join(fixtures, 'ndb'))).length;
  rows.push({ case: `rpmdb ndb (fixture, ${ndbN} packages)`, tool: 'zcp: readRpmDb (no ndb-enabled rpm here to compare)', unit: 'ms', stats: await time(30, () => pkgdb.readRpmDb(join(fixtures, 'ndb'))) });

  // Version compare: TypeScript vs a call into the addon per comparison.
  const versions = [...new Set(pkgdb.parseDpkgStatus(list).map((p) => p.version))];
  let seed = 1;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  const pairs = Array.from({ length: 100_000 }, () => [versions[rand(versions.length)]!, versions[rand(versions.length)]!] as const);
  const native = addon().pkgdb;
  const perPair = (s: Stats): Stats => ({ n: s.n, min: (s.min * 1e6) / pairs.length, median: (s.median * 1e6) / pairs.length, p95: (s.p95 * 1e6) / pairs.length });
  const loop = (f: (a: string, b: string) => number) => () => {
    let sum = 0;
    for (const [a, b] of pairs) sum += f(a, b);
    return sum;
  };
  const debTs = perPair(await time(7, loop(pkgdb.compareDebVersions)));
  const debNative = perPair(await time(7, loop((a, b) => native.compareDebVersions(a, b))));
  const rpmTs = perPair(await time(7, loop(compareRpmVersionsTs)));
  const rpmNative = perPair(await time(7, loop(pkgdb.compareRpmVersions)));
  rows.push(
    { case: 'dpkg version compare (100,000 real pairs)', tool: 'TypeScript (the API)', unit: 'ns', stats: debTs },
    { case: 'dpkg version compare (100,000 real pairs)', tool: 'native, one addon call each', unit: 'ns', stats: debNative, ratio: `${ratio(debNative, debTs)} of TypeScript's time` },
    { case: 'rpmvercmp (same pairs)', tool: 'native, one addon call each (the API)', unit: 'ns', stats: rpmNative },
    { case: 'rpmvercmp (same pairs)', tool: 'TypeScript', unit: 'ns', stats: rpmTs, ratio: `${ratio(rpmTs, rpmNative)} of native's time` },
  );
  return rows;
}

export function pkgdbTable(rows: PkgdbRow[]): string {
  const lines = ['| case | tool | min | median | p95 | ratio |', '| --- | --- | ---: | ---: | ---: | --- |'];
  for (const r of rows) lines.push(`| ${r.case} | ${r.tool} | ${fmt(r.stats.min)} ${r.unit} | ${fmt(r.stats.median)} ${r.unit} | ${fmt(r.stats.p95)} ${r.unit} | ${r.ratio ?? ''} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runPkgdbBench();
  process.stdout.write(`${pkgdbTable(rows)}\n`);
}
