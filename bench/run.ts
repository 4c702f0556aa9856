/**
 * `npm run bench`: the benchmarks, each reported as a ratio against its
 * alternative measured in the same run: package databases on the host
 * (bench/pkgdb.ts), then ZFS in the qemu guest (one boot). Prints markdown
 * tables and writes bench/results/{pkgdb,zfs-snapshot}.json.
 *   npm run bench -- --only pkgdb     (or --only zfs)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runInGuest } from '../test/guest/run.js';
import { pkgdbTable, runPkgdbBench } from './pkgdb.js';
import { fmt, type Stats } from './stats.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(here, 'results');
const { values } = parseArgs({ options: { only: { type: 'string' } } });
mkdirSync(resultsDir, { recursive: true });

if (values.only !== 'zfs') {
  const rows = await runPkgdbBench();
  writeFileSync(join(resultsDir, 'pkgdb.json'), `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write(`\nPackage databases, on the host (ms, or ns per comparison):\n\n${pkgdbTable(rows)}\n\nwritten: bench/results/pkgdb.json\n`);
}
if (values.only === 'pkgdb') process.exit(0);

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
  timeoutMs: 20 * 60_000,
});
const file = join(guest.jobDir, 'zfs-snapshot.json');
if (guest.exitCode !== 0 || !existsSync(file)) {
  process.stderr.write(`bench: the guest run failed: ${guest.failure ?? 'no results'}\n`);
  process.exit(1);
}
const result = JSON.parse(readFileSync(file, 'utf8')) as { iterations: number; rows: { case: string; tool: string; stats: Stats }[] };
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'zfs-snapshot.json'), `${JSON.stringify(result, null, 2)}\n`);

const lines = [
  `ZFS in the guest (ms per call; ${result.iterations} snapshot calls per row, 10 listings; ratio = median / the addon's median):`,
  '',
  '| case | tool | min | median | p95 | vs addon |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
];
for (const row of result.rows) {
  const addon = result.rows.find((r) => r.case === row.case && r.tool === 'zcp addon')!;
  const s = row.stats;
  lines.push(`| ${row.case} | ${row.tool} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p95)} | ${(s.median / addon.stats.median).toFixed(2)}x |`);
}
process.stdout.write(`\n${lines.join('\n')}\n\nwritten: bench/results/zfs-snapshot.json\n`);
