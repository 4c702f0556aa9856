/**
 * Guest half of the ZFS benchmarks, all in this one guest run:
 * - checkpoint latency: the addon's snapshot vs the same lzc_snapshot from a
 *   tiny C program (the floor) vs pyzfs vs the `zfs snapshot` command, for 1
 *   and for 20 datasets per atomic snapshot;
 * - listing: listSnapshots of 2,000 snapshots vs `zfs list -t snapshot`;
 * - zcp's checkpoint operations vs the zfs/dpkg-query commands (checkpoint-guest.ts).
 * Writes JSON to the job folder; bench/run.ts prints the table.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zfs } from '../src/index.js';
import { type Row, checkpointRows } from './checkpoint-guest.js';
import { stats } from './stats.js';

const POOL = 'bench';
const N = Number(process.env.ZCP_BENCH_N ?? 30);

function datasets(group: string, count: number): string[] {
  const names = Array.from({ length: count }, (_, i) => `${POOL}/${group}/d${i}`);
  for (const n of names) execFileSync('zfs', ['create', '-p', n]);
  return names;
}

async function timeAddon(ds: string[], tag: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const snaps = ds.map((d) => `${d}@${tag}${i}`);
    const t0 = performance.now();
    await zfs.snapshot(snaps);
    out.push(performance.now() - t0);
  }
  return out;
}

function timeCli(ds: string[], tag: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    execFileSync('zfs', ['snapshot', ...ds.map((d) => `${d}@${tag}${i}`)]);
    out.push(performance.now() - t0);
  }
  return out;
}

function timeC(binary: string, ds: string[]): number[] {
  return JSON.parse(execFileSync(binary, [String(N), ...ds], { encoding: 'utf8' })) as number[];
}

function timePyzfs(ds: string[]): number[] {
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'pyzfs_snapshot.py'), String(N), ...ds], { encoding: 'utf8' });
  return JSON.parse(out) as number[];
}

const cBinary = process.env.ZCP_BENCH_C;
if (!cBinary) throw new Error('ZCP_BENCH_C: the compiled lzc_snapshot program is missing (bench/run.ts builds it)');

const rows: Row[] = [];
for (const count of [1, 20]) {
  const label = `${count} dataset${count > 1 ? 's' : ''} per snapshot`;
  // Fresh datasets per tool, so no tool pays for another's snapshots.
  rows.push({ case: label, tool: 'zcp addon', role: 'zcp', stats: stats(await timeAddon(datasets(`addon${count}`, count), 'a')) });
  rows.push({ case: label, tool: 'C (lzc_snapshot)', role: 'limit', stats: stats(timeC(cBinary, datasets(`c${count}`, count))) });
  rows.push({ case: label, tool: 'pyzfs', stats: stats(timePyzfs(datasets(`py${count}`, count))) });
  rows.push({ case: label, tool: 'zfs command', role: 'command', stats: stats(timeCli(datasets(`cli${count}`, count), 'c')) });
}
// Listing: one dataset with 2,000 snapshots (one txg each: the kernel allows
// one snapshot per dataset per txg), listed with properties both ways.
const many = datasets('many', 1)[0]!;
for (let i = 0; i < 2000; i++) await zfs.snapshot([`${many}@s${i}`], { 'zcp:tid': String(i) });
const LIST_N = 10;
const viaAddon: number[] = [];
const viaCli: number[] = [];
for (let i = 0; i < LIST_N; i++) {
  let t0 = performance.now();
  const list = await zfs.listSnapshots(many, { props: ['zcp:tid', 'used'] });
  viaAddon.push(performance.now() - t0);
  if (list.length !== 2000) throw new Error(`listSnapshots returned ${list.length}`);
  t0 = performance.now();
  execFileSync('zfs', ['list', '-H', '-p', '-t', 'snapshot', '-d', '1', '-o', 'name,createtxg,creation,zcp:tid,used', many], { maxBuffer: 1 << 26 });
  viaCli.push(performance.now() - t0);
}
rows.push({ case: 'list 2,000 snapshots', tool: 'zcp addon', role: 'zcp', stats: stats(viaAddon) });
rows.push({ case: 'list 2,000 snapshots', tool: 'zfs command', role: 'command', stats: stats(viaCli) });

rows.push(...(await checkpointRows(POOL, N)));

const result = { benchmark: 'zfs-snapshot', iterations: N, zfsModule: (await zfs.available()).ok, date: new Date().toISOString(), rows };
writeFileSync(join(process.env.ZCP_JOB_DIR ?? '.', 'zfs-snapshot.json'), JSON.stringify(result, null, 2));
