/**
 * `npm run bench`: the benchmarks, each reported as a ratio against its
 * alternative measured in the same run: package databases on the host
 * (bench/pkgdb.ts), then ZFS in the qemu guest (one boot): snapshots by
 * the addon, C, pyzfs and the zfs command, and zcp's checkpoint operations
 * against the commands. Prints markdown tables (min, median, p95, ratios)
 * and writes bench/results/latest.json and latest.md (and per-part files),
 * and the plots of how create and list scale (bench/results/*.svg); then
 * the floor of a create (another boot: bench/create-floor-guest.ts); then
 * the apt hook on the real Debian root (another boot: test/debian's root).
 *   npm run bench -- --only pkgdb     (or --only zfs, --only floor, --only apt)
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runInGuest } from '../test/guest/run.js';
import { pkgdbTable, runPkgdbBench } from './pkgdb.js';
import { aptHookTable, floorTable, zfsPlots, zfsRatioTable } from './report.js';
import { runDebianProject } from '../test/debian/run-guest.js';
import type { Row } from './checkpoint-guest.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(here, 'results');
const { values } = parseArgs({ options: { only: { type: 'string' } } });
mkdirSync(resultsDir, { recursive: true });
const PARTS = ['pkgdb', 'zfs', 'floor', 'apt'];
if (values.only !== undefined && !PARTS.includes(values.only)) {
  process.stderr.write(`bench: --only takes one of ${PARTS.join(', ')}\n`);
  process.exit(2);
}
/** Whether this run measures `name`: every part without --only. */
const part = (name: string) => values.only === undefined || values.only === name;

/** bench/results/latest.json and latest.md: this run's results (a part not run this time keeps its last figures). */
function writeLatest(results: { pkgdb?: unknown; pkgdbTable?: string; zfs?: unknown; zfsTable?: string; floor?: unknown; floorTable?: string; apt?: unknown; aptTable?: string }): void {
  const file = join(resultsDir, 'latest.json');
  const old = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const latest = { ...old, ...results, date: new Date().toISOString(), machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, node ${process.version}` } as Record<string, unknown>;
  writeFileSync(file, `${JSON.stringify(latest, null, 2)}\n`);
  const md = [`# zcp benchmarks (${latest.date as string}; ${latest.machine as string})`, ''];
  if (latest.pkgdbTable) md.push('## Package databases (host; ms, or ns per comparison)', '', latest.pkgdbTable as string, '');
  if (latest.zfsTable) md.push('## ZFS (qemu guest, real zfs.ko; ms)', '', latest.zfsTable as string, '');
  if (latest.floorTable) md.push('## The floor of a create (qemu guest, real zfs.ko; ms)', '', latest.floorTable as string, '');
  if (latest.aptTable) md.push('## The apt hook (qemu guest, real Debian 12 root on ZFS; ms)', '', latest.aptTable as string, '');
  writeFileSync(join(resultsDir, 'latest.md'), md.join('\n'));
  process.stdout.write('written: bench/results/latest.json, bench/results/latest.md\n');
}

if (part('pkgdb')) {
  const rows = await runPkgdbBench();
  writeFileSync(join(resultsDir, 'pkgdb.json'), `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write(`\nPackage databases, on the host (ms, or ns per comparison):\n\n${pkgdbTable(rows)}\n\nwritten: bench/results/pkgdb.json\n`);
  writeLatest({ pkgdb: rows, pkgdbTable: pkgdbTable(rows) });
}
/**
 * What a guest part left in its job folder as NAME.json, kept as
 * bench/results/NAME.json; a failed run (`what`) ends the bench.
 */
function guestResult(run: { jobDir: string; exitCode: number | null; failure?: string }, name: string, what: string): { iterations: number; rows: Row[] } {
  const file = join(run.jobDir, `${name}.json`);
  if (run.exitCode !== 0 || !existsSync(file)) {
    process.stderr.write(`bench: ${what} failed: ${run.failure ?? 'no results'}\n`);
    process.exit(1);
  }
  const result = JSON.parse(readFileSync(file, 'utf8')) as { iterations: number; rows: Row[] };
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (part('zfs')) await zfsPart();
if (part('floor')) await floorPart();
if (part('apt')) await aptPart();

/** The ZFS part, in one boot: snapshots by the addon, C, pyzfs and the zfs command; zcp's operations. */
async function zfsPart(): Promise<void> {
  // The C floor is built here, on the host, against the installed libzfs_core.
  const cDir = join(here, '..', '.cache', 'bench');
  mkdirSync(cDir, { recursive: true });
  const cBinary = join(cDir, 'lzc_snapshot');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libzfs_core'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('cc', ['-O2', '-o', cBinary, join(here, 'lzc_snapshot.c'), ...flags], { stdio: 'inherit' });

  const guest = await runInGuest({
    command: ['node', '--import', 'tsx', 'bench/zfs-snapshot-guest.ts'],
    env: { ZCP_BENCH_C: cBinary },
    pools: [{ name: 'bench', size: '2G' }],
    timeoutMs: 60 * 60_000,
  });
  const result = guestResult(guest, 'zfs-snapshot', 'the guest run');
  const zfsTable = zfsRatioTable(result.rows, result.iterations);
  process.stdout.write(`\n${zfsTable}\n\nwritten: bench/results/zfs-snapshot.json\n`);
  writeLatest({ zfs: result, zfsTable });
  for (const [name, svg] of await zfsPlots(result.rows)) {
    writeFileSync(join(resultsDir, name), svg);
    process.stdout.write(`written: bench/results/${name}\n`);
  }
}

/** How low a create can go in the guest (bench/create-floor-guest.ts), in a boot of its own. */
async function floorPart(): Promise<void> {
  const guest = await runInGuest({
    command: ['node', '--import', 'tsx', 'bench/create-floor-guest.ts'],
    pools: [{ name: 'bench', size: '2G' }],
    timeoutMs: 30 * 60_000,
  });
  const result = guestResult(guest, 'create-floor', "the floor's guest run");
  const table = floorTable(result.rows, result.iterations);
  process.stdout.write(`\n${table}\n\nwritten: bench/results/create-floor.json\n`);
  writeLatest({ floor: result, floorTable: table });
}

/** apt-get with and without the hook on the real Debian root (test/debian's, built or cached on the host), in one boot. */
async function aptPart(): Promise<void> {
  // The run counts (ZCP_BENCH_APT_N, ZCP_BENCH_UPGRADE_N) go into the guest.
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('ZCP_BENCH_') && e[1] !== undefined));
  const run = await runDebianProject(['--import', 'tsx', 'bench/apt-guest.ts'], { timeoutMs: 60 * 60_000, env, onOutput: (c) => process.stdout.write(c) });
  const result = guestResult(run, 'apt-hook', 'the apt guest run');
  const aptTable = aptHookTable(result.rows, result.iterations);
  process.stdout.write(`\n${aptTable}\n\nwritten: bench/results/apt-hook.json\n`);
  writeLatest({ apt: result, aptTable });
}
