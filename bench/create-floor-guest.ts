/**
 * Guest half of `npm run bench -- --only floor`: how low a checkpoint's
 * create can go in this guest, whatever zcp's format. For 1 and for 20
 * datasets, interleaved in each round so the guest's drift hits every row
 * alike:
 * - the bare atomic lzc_snapshot (the limit) and the same snapshots inside
 *   a sync channel program;
 * - the leanest checkpoint a format could write: one read of `POOL/zcp` (a
 *   create must see a pending rollback's journal before it snapshots), the
 *   snapshots, the metadata as one property on the first, one index entry;
 *   no counter, no lock, no flush;
 * - what zcp's CREATE writes, and nothing else (the snapshots, the metadata
 *   as today's properties on the first, the index entry, the counter);
 * - zcp's whole create, and the same without the delegations read that runs
 *   beside it (createLocked, the path of a caller that checked them already).
 * Writes JSON to the job folder; bench/run.ts prints the table.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zfs } from '../src/index.js';
import { ensureIndex, ensureState, indexDataset, stateDataset } from '../src/checkpoint/state.js';
import { type Row, benchMeta, createWritesLua, luaString as q, mountedDatasets, system } from './checkpoint-guest.js';
import { stats } from './stats.js';

const POOL = 'bench';
const N = Number(process.env.ZCP_BENCH_N ?? 25);

await ensureState(POOL);
await ensureIndex(POOL);
const rows: Row[] = [];
for (const count of [1, 20]) {
  const label = `create floor, ${count} dataset${count > 1 ? 's' : ''}`;
  const datasetsOf = (name: string) => mountedDatasets(POOL, `fl-${name}${count}`, count).datasets;
  const [inProgram, lean, writes] = [datasetsOf('prog'), datasetsOf('lean'), datasetsOf('writes')];
  // The metadata of a checkpoint of `count` datasets, as zcp's create writes it.
  const { props, entry } = benchMeta(lean);
  const snapshots = (ds: string[], tag: string) => ds.map((d) => `zfs.sync.snapshot(${q(`${d}@${tag}`)})`);
  const programs: [string, (i: number) => string][] = [
    ['the snapshots in a channel program', (i) => snapshots(inProgram, `p${i}`).join('\n')],
    [
      'leanest checkpoint: journal read, snapshots, 1 metadata property, index entry',
      (i) =>
        [
          `local journal = zfs.get_prop(${q(stateDataset(POOL))}, "zcp:bench-journal")`,
          ...snapshots(lean, `l${i}`),
          `zfs.sync.set_prop(${q(`${lean[0]}@l${i}`)}, "zcp:bench-meta", ${q(JSON.stringify(props))})`,
          `zfs.sync.set_prop(${q(indexDataset(POOL))}, ${q(`zcp:bench-lean-${count}-${i}`)}, ${q(entry)})`,
        ].join('\n'),
    ],
    ["CREATE's writes alone", (i) => createWritesLua(POOL, writes, `w${i}`, `zcp:bench-writes-${count}-${i}`)],
  ];
  const bare = datasetsOf('bare');
  const { cps } = await system(POOL, `fl-zcp${count}`, count);
  const { cps: cpsLocked } = await system(POOL, `fl-locked${count}`, count);
  await cps.create({ title: 'warm-up' });
  await cpsLocked.createLocked({ title: 'warm-up' });
  const ms: Record<string, number[]> = {};
  const time = async (tool: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    (ms[tool] ??= []).push(performance.now() - t0);
  };
  for (let i = 0; i < N; i++) {
    await time('bare lzc_snapshot (addon)', () => zfs.snapshot(bare.map((d) => `${d}@b${i}`)));
    for (const [tool, lua] of programs) await time(tool, () => zfs.channelProgram(POOL, lua(i), { sync: true }));
    await time('zcp Checkpoints.create', () => cps.create({ title: `bench ${i}` }));
    await time('zcp create without the delegations read (createLocked)', () => cpsLocked.createLocked({ title: `bench ${i}` }));
  }
  for (const [tool, values] of Object.entries(ms)) {
    rows.push({ case: label, tool, ...(tool.startsWith('bare') ? { role: 'limit' as const } : tool.startsWith('zcp Checkpoints') ? { role: 'zcp' as const } : {}), stats: stats(values) });
  }
}
const result = { benchmark: 'create-floor', iterations: N, date: new Date().toISOString(), rows };
writeFileSync(join(process.env.ZCP_JOB_DIR ?? '.', 'create-floor.json'), JSON.stringify(result, null, 2));
