/**
 * Guest half of the checkpoint-latency benchmark: the addon's snapshot vs the
 * same lzc_snapshot from pyzfs vs the `zfs snapshot` command, for 1 and for 20
 * datasets per atomic snapshot, all in this one guest run. Writes JSON to the
 * job folder; bench/run.ts prints the table.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zfs } from '../src/index.js';
import { stats, type Stats } from './stats.js';

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

function timePyzfs(ds: string[]): number[] {
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'pyzfs_snapshot.py'), String(N), ...ds], { encoding: 'utf8' });
  return JSON.parse(out) as number[];
}

const rows: { case: string; tool: string; stats: Stats }[] = [];
for (const count of [1, 20]) {
  const label = `${count} dataset${count > 1 ? 's' : ''} per snapshot`;
  // Fresh datasets per tool, so no tool pays for another's snapshots.
  rows.push({ case: label, tool: 'zcp addon', stats: stats(await timeAddon(datasets(`addon${count}`, count), 'a')) });
  rows.push({ case: label, tool: 'pyzfs', stats: stats(timePyzfs(datasets(`py${count}`, count))) });
  rows.push({ case: label, tool: 'zfs command', stats: stats(timeCli(datasets(`cli${count}`, count), 'c')) });
}
const result = { benchmark: 'zfs-snapshot', iterations: N, zfsModule: (await zfs.available()).ok, date: new Date().toISOString(), rows };
writeFileSync(join(process.env.ZCP_JOB_DIR ?? '.', 'zfs-snapshot.json'), JSON.stringify(result, null, 2));
