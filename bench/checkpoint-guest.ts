/**
 * Guest half of the checkpoint benchmarks: zcp's whole operations (not just
 * the snapshot call) against what a script would do with the `zfs` and
 * `dpkg-query` commands for the same result:
 * - create a checkpoint of 1 and of 20 datasets (lock, flush, one channel
 *   program with the metadata) vs `zfs snapshot -o zcp:...` of the same
 *   datasets (atomic, with the same properties);
 * - list 2,000 checkpoints (Checkpoints.list) vs `zfs list -t snapshot -o`
 *   the same properties;
 * - diff at package level (a real dpkg status, this host's, in the snapshot
 *   and now) vs two `dpkg-query --admindir -W` runs;
 * - rollback in place of a 2-dataset system vs `zfs rollback` of each.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoints, zfs } from '../src/index.js';
import { encodeMeta } from '../src/checkpoint/metadata.js';
import { stats, type Stats } from './stats.js';

export interface Row {
  case: string;
  tool: string;
  stats: Stats;
}

const zfsCmd = (...args: string[]) => execFileSync('zfs', args, { encoding: 'utf8', maxBuffer: 1 << 28 });

/** A system of `count` datasets under POOL/NAME (root, then children), mounted; returns its Checkpoints. */
async function system(pool: string, name: string, count: number): Promise<{ cps: Checkpoints; datasets: string[]; root: string }> {
  const root = `${pool}/${name}`;
  const datasets = [root, ...Array.from({ length: count - 1 }, (_, i) => `${root}/d${i}`)];
  for (const d of datasets) zfsCmd('create', '-p', d);
  const mountpoint = zfsCmd('get', '-H', '-o', 'value', 'mountpoint', root).trim();
  mkdirSync(join(mountpoint, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(mountpoint, 'var/lib/dpkg/status'), '');
  return { cps: await Checkpoints.open({ datasets, root: mountpoint }), datasets, root: mountpoint };
}

async function time(n: number, fn: (i: number) => unknown, before?: (i: number) => unknown): Promise<Stats> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    await before?.(i);
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

export async function checkpointRows(pool: string, n: number): Promise<Row[]> {
  const rows: Row[] = [];
  const props = (i: number) => ['-o', `zcp:tid=${i}`, '-o', 'zcp:kind=manual', '-o', `zcp:title=bench ${i}`, '-o', 'zcp:state=complete', '-o', 'zcp:version=1'];

  for (const count of [1, 20]) {
    const label = `checkpoint create, ${count} dataset${count > 1 ? 's' : ''}`;
    const zcp = await system(pool, `cpz${count}`, count);
    rows.push({ case: label, tool: 'zcp Checkpoints.create', stats: await time(n, (i) => zcp.cps.create({ title: `bench ${i}` })) });
    const cli = await system(pool, `cpc${count}`, count);
    rows.push({ case: label, tool: 'zfs snapshot -o zcp:...', stats: await time(n, (i) => zfsCmd('snapshot', ...props(i), ...cli.datasets.map((d) => `${d}@zcp-${i}`))) });
  }

  // 2,000 checkpoints of one dataset, listed with their metadata. They are
  // made as zcp makes them (snapshot zcp-TID with the encoded metadata), one
  // addon call each, without create's lock and flush: 2,000 full creates take
  // longer than the guest's time limit, and the listing is what is measured.
  const many = await system(pool, 'cplist', 1);
  for (let i = 1; i <= 2000; i++) {
    const meta = { tid: 100_000 + i, kind: 'manual', state: 'complete', title: `checkpoint ${i}`, important: false, datasets: many.datasets, version: '0.1.0', system: many.cps.system.id } as const;
    await zfs.snapshot([`${many.datasets[0]}@zcp-${100_000 + i}`], encodeMeta({ ...meta, datasets: [...meta.datasets] }));
  }
  const LIST_N = 10;
  rows.push({ case: 'list 2,000 checkpoints', tool: 'zcp Checkpoints.list', stats: await time(LIST_N, async () => {
    if ((await many.cps.list()).length !== 2000) throw new Error('list: not 2,000');
  }) });
  rows.push({ case: 'list 2,000 checkpoints', tool: 'zfs list -t snapshot -o zcp:...', stats: await time(LIST_N, () => zfsCmd('list', '-H', '-p', '-t', 'snapshot', '-d', '1', '-o', 'name,createtxg,creation,used,userrefs,clones,zcp:tid,zcp:kind,zcp:title,zcp:state', many.datasets[0]!)) });

  // Package diff: this host's real dpkg status in a checkpoint, then one package more.
  const pk = await system(pool, 'cpdiff', 2);
  copyFileSync('/var/lib/dpkg/status', join(pk.root, 'var/lib/dpkg/status'));
  const c = await pk.cps.create({ title: 'before' });
  appendFileSync(join(pk.root, 'var/lib/dpkg/status'), '\nPackage: zcp-bench-extra\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\nDescription: one package the checkpoint does not have\n');
  const DIFF_N = 20;
  rows.push({ case: 'package diff (this host\'s dpkg status)', tool: 'zcp Checkpoints.diff', stats: await time(DIFF_N, async () => {
    if ((await pk.cps.diff(c.id)).installed.length !== 1) throw new Error('diff: expected one installed package');
  }) });
  rows.push({ case: 'package diff (this host\'s dpkg status)', tool: '2 x dpkg-query -W (no compare)', stats: await time(DIFF_N, () => {
    for (const dir of [join(pk.root, '.zfs/snapshot', c.id, 'var/lib/dpkg'), join(pk.root, 'var/lib/dpkg')]) execFileSync('dpkg-query', [`--admindir=${dir}`, '-W'], { maxBuffer: 1 << 26 });
  }) });

  // Rollback in place: a checkpoint, a change, then back (timed: only the way back).
  const RB_N = Math.min(n, 15);
  const rb = await system(pool, 'cprb', 2);
  let target = '';
  rows.push({ case: 'rollback in place, 2 datasets', tool: 'zcp Checkpoints.rollback', stats: await time(RB_N, async () => {
    if (!(await rb.cps.rollback(target)).done) throw new Error('rollback not done');
  }, async (i) => {
    target = (await rb.cps.create({ title: `rb ${i}` })).id;
    writeFileSync(join(rb.root, 'changed'), String(i));
  }) });
  const rbc = await system(pool, 'cprbc', 2);
  rows.push({ case: 'rollback in place, 2 datasets', tool: 'zfs rollback, each dataset', stats: await time(RB_N, (i) => {
    for (const d of rbc.datasets) zfsCmd('rollback', `${d}@s${i}`);
  }, (i) => {
    zfsCmd('snapshot', ...rbc.datasets.map((d) => `${d}@s${i}`));
    writeFileSync(join(rbc.root, 'changed'), String(i));
  }) });
  return rows;
}
