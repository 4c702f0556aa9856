/**
 * Guest half of the checkpoint benchmarks: zcp's whole operations (not just
 * the snapshot call) against what a script would do with the `zfs` and
 * `dpkg-query` commands for the same result:
 * - create a checkpoint of 1 to 100 datasets (lock, flush, one channel
 *   program with the metadata) vs one bare lzc_snapshot of the same
 *   datasets (the limit) and `zfs snapshot -o zcp:...` (atomic, with the
 *   same properties); and of 1 dataset where 2,000 checkpoints are;
 * - list 10 to 2,000 checkpoints (Checkpoints.list: names and the index;
 *   with details: every snapshot read) vs `zfs list -t snapshot -o` the
 *   same properties; get one checkpoint among 2,000 vs `zfs get` of it;
 * - diff at package level (a real dpkg status, this host's, in the snapshot
 *   and now) vs two `dpkg-query --admindir -W` runs;
 * - rollback in place of a 2-dataset system vs bare lzc_rollback_to of
 *   each dataset (the limit) and `zfs rollback` of each.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoints, zfs } from '../src/index.js';
import { type CheckpointMeta, encodeIndexEntry, encodeMeta, indexKey } from '../src/checkpoint/metadata.js';
import { ensureState, indexDataset, stateDataset } from '../src/checkpoint/state.js';
import { stats, type Stats } from './stats.js';

/** One measured row. `role`: zcp's own, the bare libzfs_core call (the limit), or the command a script would run; `x`: its size in a scaling series. */
export interface Row {
  case: string;
  tool: string;
  role?: 'zcp' | 'limit' | 'command';
  series?: string;
  x?: number;
  stats: Stats;
}

const zfsCmd = (...args: string[]) => execFileSync('zfs', args, { encoding: 'utf8', maxBuffer: 1 << 28 });

/** `count` fresh datasets under POOL/NAME (root, then children), mounted, with the dpkg status a system needs. */
export function mountedDatasets(pool: string, name: string, count: number): { datasets: string[]; root: string } {
  const root = `${pool}/${name}`;
  const datasets = [root, ...Array.from({ length: count - 1 }, (_, i) => `${root}/d${i}`)];
  for (const d of datasets) zfsCmd('create', '-p', d);
  const mountpoint = zfsCmd('get', '-H', '-o', 'value', 'mountpoint', root).trim();
  mkdirSync(join(mountpoint, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(mountpoint, 'var/lib/dpkg/status'), '');
  return { datasets, root: mountpoint };
}

/** A system of `count` datasets under POOL/NAME (see {@link mountedDatasets}); returns its Checkpoints. */
export async function system(pool: string, name: string, count: number): Promise<{ cps: Checkpoints; datasets: string[]; root: string }> {
  const { datasets, root } = mountedDatasets(pool, name, count);
  return { cps: await Checkpoints.open({ datasets, root }), datasets, root };
}

/** A checkpoint's metadata as zcp writes it for `datasets`: the snapshot's properties and the index entry. */
export function benchMeta(datasets: string[]): { props: Record<string, string>; entry: string } {
  const made: CheckpointMeta = { tid: 1, kind: 'manual', state: 'complete', title: 'bench', important: false, datasets, version: '1', system: '1' };
  return { props: encodeMeta(made), entry: encodeIndexEntry(made)! };
}

/** Lua of a string value. */
export const luaString = (v: string) => JSON.stringify(v);

/**
 * What CREATE writes, and nothing else (no check, no read, no lock, no
 * flush), as one channel program: every snapshot `DS@snap`, the whole
 * metadata on the first one only (the others are tied to it by name and
 * createtxg), the index entry `key` on POOL/zcp/index and the counter on
 * POOL/zcp: the floor zcp's checkpoint format can reach.
 */
export function createWritesLua(pool: string, datasets: string[], snap: string, key: string): string {
  const { props, entry } = benchMeta(datasets);
  const q = luaString;
  return [
    ...datasets.map((d) => `zfs.sync.snapshot(${q(`${d}@${snap}`)})`),
    ...Object.entries(props).map(([k, v]) => `zfs.sync.set_prop(${q(`${datasets[0]}@${snap}`)}, ${q(k)}, ${q(v)})`),
    `zfs.sync.set_prop(${q(indexDataset(pool))}, ${q(key)}, ${q(entry)})`,
    `zfs.sync.set_prop(${q(stateDataset(pool))}, "zcp:bench-counter", "${snap}")`,
  ].join('\n');
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

/** How many times one checkpoint is read among 2,000. */
const SHOW_N = 10;
/** The dataset counts the create series is drawn over, and how many creates each point takes. */
const CREATE_SIZES = [1, 5, 20, 50, 100];
/** The checkpoint counts the list series is drawn over (each listed LIST_N times at 2,000, fewer below). */
const LIST_SIZES = [10, 100, 500, 1000, 2000];

export async function checkpointRows(pool: string, n: number): Promise<Row[]> {
  const rows: Row[] = [];
  const props = (i: number) => ['-o', `zcp:tid=${i}`, '-o', 'zcp:kind=manual', '-o', `zcp:title=bench ${i}`, '-o', 'zcp:state=complete', '-o', 'zcp:version=1'];

  // Create, over 1 to 100 datasets: zcp's whole create (lock, checks, flush,
  // TID, metadata) against one bare atomic lzc_snapshot of the same datasets
  // (the limit) and `zfs snapshot -o` (the command). Fresh datasets per tool.
  for (const count of CREATE_SIZES) {
    const label = `checkpoint create, ${count} dataset${count > 1 ? 's' : ''}`;
    const reps = count === 1 || count === 20 ? n : Math.min(n, 10);
    const series = { series: 'create', x: count };
    const zcp = await system(pool, `cpz${count}`, count);
    rows.push({ case: label, tool: 'zcp Checkpoints.create', role: 'zcp', ...series, stats: await time(reps, (i) => zcp.cps.create({ title: `bench ${i}` })) });
    const bare = await system(pool, `cpb${count}`, count);
    rows.push({ case: label, tool: 'bare lzc_snapshot (addon)', role: 'limit', ...series, stats: await time(reps, (i) => zfs.snapshot(bare.datasets.map((d) => `${d}@b${i}`))) });
    if (count === 1 || count === 20) {
      // The floor of zcp's checkpoint format (createWritesLua).
      const floor = mountedDatasets(pool, `cpf${count}`, count).datasets;
      await ensureState(pool);
      const lua = (i: number) => createWritesLua(pool, floor, `f${i}`, `zcp:bench-entry-${count}-${i}`);
      rows.push({ case: label, tool: "CREATE's writes alone (one channel program)", stats: await time(reps, (i) => zfs.channelProgram(pool, lua(i), { sync: true })) });
    }
    const cli = await system(pool, `cpc${count}`, count);
    rows.push({ case: label, tool: 'zfs snapshot -o zcp:...', role: 'command', ...series, stats: await time(reps, (i) => zfsCmd('snapshot', ...props(i), ...cli.datasets.map((d) => `${d}@zcp-${i}`))) });
  }

  // 10 to 2,000 checkpoints of one dataset, listed with their metadata. They
  // are made as zcp makes them (snapshot zcp-TID with the encoded metadata,
  // and its entry in the index on POOL/zcp), one addon call each, without
  // create's lock and flush: 2,000 full creates take longer than the guest's
  // time limit, and the listing is what is measured.
  const many = await system(pool, 'cplist', 1);
  await ensureState(pool);
  const LIST_N = 10;
  let made = 0;
  for (const size of LIST_SIZES) {
    const entries: Record<string, string> = {};
    for (; made < size; made++) {
      const i = made + 1;
      const meta: CheckpointMeta = { tid: 100_000 + i, kind: 'manual', state: 'complete', title: `checkpoint ${i}`, important: false, datasets: [...many.datasets], version: '0.1.0', system: many.cps.system.id };
      await zfs.snapshot([`${many.datasets[0]}@zcp-${meta.tid}`], encodeMeta(meta));
      entries[`${indexKey(meta.system)}${meta.tid}`] = `${encodeIndexEntry(meta)!.slice(0, -1)},"created":${Math.floor(Date.now() / 1000)}}`;
    }
    await zfs.setUserProps(indexDataset(pool), entries);
    // The counter past them, as CREATE leaves it: later checkpoints get higher TIDs, as on a real system.
    await zfs.setUserProps(stateDataset(pool), { 'zcp:next-tid': String(100_000 + made + 1) });
    const reps = size === 2000 ? LIST_N : size >= 1000 ? 3 : 5;
    const label = `list ${size.toLocaleString('en')} checkpoints`;
    const series = { series: 'list', x: size };
    rows.push({ case: label, tool: 'zcp Checkpoints.list', role: 'zcp', ...series, stats: await time(reps, async () => {
      if ((await many.cps.list()).length !== size) throw new Error(`list: not ${size}`);
    }) });
    rows.push({ case: label, tool: 'zcp Checkpoints.list, details (used, holds, clones)', role: 'zcp', ...series, stats: await time(size >= 1000 ? 2 : 3, async () => {
      if ((await many.cps.list({ details: true })).length !== size) throw new Error(`list: not ${size}`);
    }) });
    rows.push({ case: label, tool: 'zfs list -t snapshot -o zcp:...', role: 'command', ...series, stats: await time(reps, () => zfsCmd('list', '-H', '-p', '-t', 'snapshot', '-d', '1', '-o', 'name,createtxg,creation,used,userrefs,clones,zcp:tid,zcp:kind,zcp:title,zcp:state', many.datasets[0]!)) });
  }
  // One checkpoint among 2,000 (zcp show): read from its own snapshots, not from a list of all.
  const one = `${many.datasets[0]}@zcp-${100_000 + 1000}`;
  rows.push({ case: 'get one checkpoint among 2,000', tool: 'zcp Checkpoints.get', role: 'zcp', stats: await time(SHOW_N, async () => {
    if ((await many.cps.get(one)).tid !== 101_000) throw new Error('get: wrong checkpoint');
  }) });
  rows.push({ case: 'get one checkpoint among 2,000', tool: 'zfs get (the same properties)', role: 'command', stats: await time(SHOW_N, () => zfsCmd('get', '-H', '-p', '-o', 'property,value', 'createtxg,creation,used,userrefs,clones,zcp:tid,zcp:kind,zcp:title,zcp:state', one)) });
  // Create where 2,000 checkpoints are: it must cost what it costs with none (no scan of the others).
  const SCALE_N = Math.min(n, 10);
  rows.push({ case: 'checkpoint create, 1 dataset, 2,000 checkpoints there', tool: 'zcp Checkpoints.create', role: 'zcp', stats: await time(SCALE_N, (i) => many.cps.create({ title: `at scale ${i}` })) });
  rows.push({ case: 'checkpoint create, 1 dataset, 2,000 checkpoints there', tool: 'bare lzc_snapshot (addon)', role: 'limit', stats: await time(SCALE_N, (i) => zfs.snapshot([`${many.datasets[0]}@bare${i}`])) });
  // Rollback to the latest where 2,000 are: it reads the target and what is newer, not the others.
  let latest = '';
  rows.push({ case: 'rollback in place, 1 dataset, 2,000 checkpoints there', tool: 'zcp Checkpoints.rollback, no package plan', role: 'zcp', stats: await time(SCALE_N, async () => {
    if (!(await many.cps.rollback(latest, { packages: false })).done) throw new Error('rollback not done');
  }, async (i) => {
    latest = (await many.cps.create({ title: `rb at scale ${i}` })).id;
    writeFileSync(join(many.root, 'changed'), String(i));
  }) });
  rows.push({ case: 'rollback in place, 1 dataset, 2,000 checkpoints there', tool: 'bare lzc_rollback_to (addon)', role: 'limit', stats: await time(SCALE_N, (i) => zfs.rollbackTo(`${many.datasets[0]}@bare-rb${i}`), async (i) => {
    await zfs.snapshot([`${many.datasets[0]}@bare-rb${i}`]);
    writeFileSync(join(many.root, 'changed'), String(i));
  }) });

  // Package diff: this host's real dpkg status in a checkpoint, then one package more.
  const pk = await system(pool, 'cpdiff', 2);
  copyFileSync('/var/lib/dpkg/status', join(pk.root, 'var/lib/dpkg/status'));
  const c = await pk.cps.create({ title: 'before' });
  appendFileSync(join(pk.root, 'var/lib/dpkg/status'), '\nPackage: zcp-bench-extra\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\nDescription: one package the checkpoint does not have\n');
  const DIFF_N = 20;
  rows.push({ case: 'package diff (this host\'s dpkg status)', tool: 'zcp Checkpoints.diff', role: 'zcp', stats: await time(DIFF_N, async () => {
    if ((await pk.cps.diff(c.id)).installed.length !== 1) throw new Error('diff: expected one installed package');
  }) });
  rows.push({ case: 'package diff (this host\'s dpkg status)', tool: '2 x dpkg-query -W (no compare)', role: 'command', stats: await time(DIFF_N, () => {
    for (const dir of [join(pk.root, '.zfs/snapshot', c.id, 'var/lib/dpkg'), join(pk.root, 'var/lib/dpkg')]) execFileSync('dpkg-query', [`--admindir=${dir}`, '-W'], { maxBuffer: 1 << 26 });
  }) });

  // Rollback in place: a checkpoint, a change, then back (timed: only the way back).
  const RB_N = Math.min(n, 15);
  const rb = await system(pool, 'cprb', 2);
  let target = '';
  rows.push({ case: 'rollback in place, 2 datasets', tool: 'zcp Checkpoints.rollback', role: 'zcp', stats: await time(RB_N, async () => {
    if (!(await rb.cps.rollback(target)).done) throw new Error('rollback not done');
  }, async (i) => {
    target = (await rb.cps.create({ title: `rb ${i}` })).id;
    writeFileSync(join(rb.root, 'changed'), String(i));
  }) });
  // The same without the package plan (rollback({ packages: false })): the first read of a new
  // snapshot's files mounts it, which on Linux starts mount(8) from the kernel.
  const rbq = await system(pool, 'cprbq', 2);
  rows.push({ case: 'rollback in place, 2 datasets', tool: 'zcp Checkpoints.rollback, no package plan', role: 'zcp', stats: await time(RB_N, async () => {
    if (!(await rbq.cps.rollback(target, { packages: false })).done) throw new Error('rollback not done');
  }, async (i) => {
    target = (await rbq.cps.create({ title: `rb ${i}` })).id;
    writeFileSync(join(rbq.root, 'changed'), String(i));
  }) });
  const rbb = await system(pool, 'cprbb', 2);
  rows.push({ case: 'rollback in place, 2 datasets', tool: 'bare lzc_rollback_to, each dataset (addon)', role: 'limit', stats: await time(RB_N, async (i) => {
    for (const d of rbb.datasets) await zfs.rollbackTo(`${d}@s${i}`);
  }, async (i) => {
    await zfs.snapshot(rbb.datasets.map((d) => `${d}@s${i}`));
    writeFileSync(join(rbb.root, 'changed'), String(i));
  }) });
  const rbc = await system(pool, 'cprbc', 2);
  rows.push({ case: 'rollback in place, 2 datasets', tool: 'zfs rollback, each dataset', role: 'command', stats: await time(RB_N, (i) => {
    for (const d of rbc.datasets) zfsCmd('rollback', `${d}@s${i}`);
  }, (i) => {
    zfsCmd('snapshot', ...rbc.datasets.map((d) => `${d}@s${i}`));
    writeFileSync(join(rbc.root, 'changed'), String(i));
  }) });
  return rows;
}
