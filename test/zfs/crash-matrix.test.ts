// The crash matrix: every named fault point between two state-changing steps
// of the checkpoint operations, each hit by kill -9 on a system of two pools
// (/ and /var on one, a boot dataset on the other). For each: `zcp list
// --json` must describe the state truthfully before any repair, the
// documented next step (`zcp repair`, or `zcp destroy NAME` for a boot
// environment cut short) must bring it to a consistent state, nothing the
// operation was not asked to change may be gone (a bystander's snapshot,
// another system's checkpoint, the checkpoints the operation keeps), and the
// next create and rollback must work. The table is printed.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpoints } from '../../src/checkpoint/index.js';
import { createFilesystems, fresh, run, spawnAsync, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { treeDigest } from './systems.js';

const [POOL, POOL2] = TEST_POOLS.map((p) => p.name) as [string, string];
const OP = fileURLToPath(new URL('./fixtures/op.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Row { point: string; shown: string; repaired: string; nothingLost: string }
const rows: Row[] = [];
afterAll(() => {
  const w = (s: string, n: number) => s.padEnd(n);
  const lines = [`${w('fault point', 32)} ${w('state shown before repair', 44)} ${w('next step', 30)} nothing lost`];
  for (const r of rows) lines.push(`${w(r.point, 32)} ${w(r.shown, 44)} ${w(r.repaired, 30)} ${r.nothingLost}`);
  process.stdout.write(`\ncrash matrix (kill -9 at each point):\n${lines.join('\n')}\n${rows.filter((r) => r.nothingLost === 'yes').length}/${rows.length} recovered, nothing lost\n`);
});

/** A two-pool system with a base and a later checkpoint, files changed after each; a bystander snapshot and another system's checkpoint on a shared dataset. */
async function scene() {
  const ds = fresh(POOL, 'cm');
  const boot = fresh(POOL2, 'cmboot');
  const shared = `${fresh(POOL, 'cmshared')}/home`; // its own parent: a boot environment's copy goes beside it
  createFilesystems(ds, `${ds}/var`, boot, shared);
  const datasets = [ds, `${ds}/var`, boot, shared];
  const root = `/${ds}`;
  const write = (tag: string) => {
    for (const d of datasets) writeFileSync(`/${d}/state`, `${tag}\n`);
  };
  write('base');
  // Another system sharing the last dataset, with a checkpoint older than ours.
  const otherRoot = fresh(POOL, 'cmb');
  createFilesystems(otherRoot);
  const B = await Checkpoints.open({ datasets: [otherRoot, shared], root: `/${otherRoot}` });
  const bCp = await B.create({ title: 'the other system' });
  const cps = await Checkpoints.open({ datasets, root });
  const base = await cps.create({ title: 'base' });
  const atBase = datasets.map((d) => treeDigest(`/${d}`));
  write('later');
  const later = await cps.create({ title: 'later' });
  write('now');
  // What no operation of this system may take: a snapshot zcp did not make on a dataset of its
  // own, and the other system's checkpoint of the shared dataset (older than base: no obstacle).
  const other = fresh(POOL, 'cmother');
  createFilesystems(other);
  run('zfs', 'snapshot', `${other}@keep`);
  return { ds, datasets, root, cps, base, later, atBase, other, B, bCp };
}

type Scene = Awaited<ReturnType<typeof scene>>;

function kill(s: Scene, op: string, args: string[], point: string) {
  const r = spawnSync(process.execPath, [OP, JSON.stringify({ datasets: s.datasets, root: s.root, op, args })], {
    env: { ...process.env, ZCP_FAULT: point },
    encoding: 'utf8',
  });
  expect(r.signal, `${point}: ${r.stderr}`).toBe('SIGKILL');
}

const zcp = (s: Scene, args: string[]) => spawnAsync(process.execPath, [CLI, ...s.datasets.flatMap((d) => ['--dataset', d]), '--root', s.root, ...args]);
async function listed(s: Scene) {
  const r = await zcp(s, ['list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { checkpoints: { id: string; state: string; snapshots: string[] }[]; bootEnvironments: { name: string }[]; pendingRollback: { target?: { id: string }; remaining: string[]; problems: string[] } | null };
}

/** Nothing lost and still usable: the bystander and the kept checkpoints, then a new create and a rollback to it. */
async function afterwards(s: Scene, keep: string[]): Promise<string> {
  expect(zfsSnapshots(s.other)).toEqual([`${s.other}@keep`]);
  expect((await s.B.list()).map((c) => c.id)).toEqual([s.bCp.id]);
  const ids = (await s.cps.list()).map((c) => c.id);
  for (const k of keep) expect(ids).toContain(k);
  const c = await s.cps.create({ title: 'after the crash' });
  writeFileSync(`/${s.ds}/state`, 'after\n');
  const r = await s.cps.rollback(c.id);
  expect(r.done).toBe(true);
  expect((await s.cps.pendingRollback())).toBeUndefined();
  return 'yes';
}

const ROLLBACK_POINTS = ['rollback-marked', 'rollback-journaled', 'rollback-destroyed-first-pool', 'rollback-destroyed', 'rollback-first-dataset', 'rollback-dataset-2', 'rollback-last-dataset'];

describe('crash matrix (guest)', () => {
  for (const point of ROLLBACK_POINTS) {
    it(`rollback killed at ${point}`, async () => {
      const s = await scene();
      kill(s, 'rollback', [s.base.id], point);
      const l = await listed(s);
      let shown: string;
      if (point === 'rollback-marked') {
        // Before the journal: nothing began; list says no rollback, the checkpoints are all there.
        expect(l.pendingRollback).toBeNull();
        expect(l.checkpoints.map((c) => c.id)).toEqual([s.base.id, s.later.id]);
        shown = 'no rollback pending, all checkpoints';
      } else {
        expect(l.pendingRollback).toMatchObject({ target: { id: s.base.id }, problems: [] });
        shown = `pending, ${l.pendingRollback!.remaining.length} of ${s.datasets.length} datasets to go`;
      }
      const rep = await zcp(s, ['repair', '--yes']);
      expect(rep.code, rep.stderr).toBe(0);
      expect(await s.cps.pendingRollback()).toBeUndefined();
      if (point !== 'rollback-marked') expect(s.datasets.map((d) => treeDigest(`/${d}`))).toEqual(s.atBase);
      else expect(run('sh', '-c', `ls -a /${s.ds} /${s.ds}/var`)).not.toContain('.zcp-rollback');
      rows.push({ point, shown, repaired: point === 'rollback-marked' ? 'repair: stray markers removed' : 'repair: rollback finished', nothingLost: await afterwards(s, [s.base.id]) });
    });
  }

  it('create killed between its two pools', async () => {
    const s = await scene();
    kill(s, 'create', ['cut'], 'create-between-pools');
    const l = await listed(s);
    const half = l.checkpoints.find((c) => c.id !== s.base.id && c.id !== s.later.id);
    expect(half?.state).toBe('incomplete');
    const rep = await zcp(s, ['repair', '--yes']);
    expect(rep.code, rep.stderr).toBe(0);
    expect((await s.cps.list()).map((c) => c.id)).toEqual([s.base.id, s.later.id]);
    rows.push({ point: 'create-between-pools', shown: `${half!.id} incomplete`, repaired: 'repair: half-made one removed', nothingLost: await afterwards(s, [s.base.id, s.later.id]) });
  });

  it('boot environment clone killed between its datasets', async () => {
    const s = await scene();
    const cut = fresh(POOL, 'cut').split('/').pop()!; // boot environments of all the scenes are siblings
    kill(s, 'clone', [s.base.id, cut], 'be-clone-first');
    const l = await listed(s);
    expect(l.bootEnvironments.map((b) => b.name)).toContain(cut);
    const d = await zcp(s, ['destroy', cut, '--yes']);
    expect(d.code, d.stderr).toBe(0);
    expect((await s.cps.bootEnvironments()).map((b) => b.name)).not.toContain(cut);
    rows.push({ point: 'be-clone-first', shown: 'the half-made boot environment listed', repaired: 'zcp destroy NAME', nothingLost: await afterwards(s, [s.base.id, s.later.id]) });
  });

  it('boot environment destroy killed between its datasets', async () => {
    const s = await scene();
    const gone = fresh(POOL, 'gone').split('/').pop()!;
    await s.cps.clone(s.base.id, gone);
    kill(s, 'destroy-be', [gone], 'be-destroy-first');
    const l = await listed(s);
    expect(l.bootEnvironments.map((b) => b.name)).toContain(gone);
    const d = await zcp(s, ['destroy', gone, '--yes']);
    expect(d.code, d.stderr).toBe(0);
    expect((await s.cps.bootEnvironments()).map((b) => b.name)).not.toContain(gone);
    rows.push({ point: 'be-destroy-first', shown: 'the half-destroyed one listed', repaired: 'zcp destroy NAME', nothingLost: await afterwards(s, [s.base.id, s.later.id]) });
  });

  it('destroy and prune killed between their two pools', async () => {
    for (const [op, args, point] of [['destroy', (s: Scene) => [s.later.id], 'destroy-pool'], ['prune', () => ['1'], 'prune-pool']] as const) {
      const s = await scene();
      kill(s, op, args(s), point);
      // The first pool's snapshots are gone, the second's stay: listed as incomplete, not hidden.
      const l = await listed(s);
      const cut = l.checkpoints.find((c) => c.id === (op === 'destroy' ? s.later.id : s.base.id));
      expect(cut).toMatchObject({ state: 'incomplete' });
      const again = await zcp(s, op === 'destroy' ? ['destroy', cut!.id, '--yes'] : ['prune', '--keep', '1', '--yes']);
      expect(again.code, again.stderr).toBe(0);
      expect((await s.cps.list()).map((c) => c.id)).toEqual([op === 'destroy' ? s.base.id : s.later.id]);
      rows.push({ point, shown: `${cut!.id} incomplete`, repaired: op === 'destroy' ? 'zcp destroy again' : 'zcp prune again', nothingLost: await afterwards(s, [op === 'destroy' ? s.base.id : s.later.id]) });
    }
  });

  it('release killed between its two pools', async () => {
    const s = await scene();
    await s.cps.hold(s.base.id);
    kill(s, 'release', [s.base.id], 'release-pool');
    const shown = `held: ${String((await s.cps.list()).find((c) => c.id === s.base.id)?.held)}`;
    const r = await zcp(s, ['release', s.base.id]);
    expect(r.code, r.stderr).toBe(0);
    expect((await s.cps.list()).find((c) => c.id === s.base.id)?.held).toBe(false);
    rows.push({ point: 'release-pool', shown, repaired: 'zcp release again', nothingLost: await afterwards(s, [s.base.id, s.later.id]) });
  });

  it('repair itself killed in the middle of finishing a rollback', async () => {
    const s = await scene();
    kill(s, 'rollback', [s.base.id], 'rollback-first-dataset');
    kill(s, 'repair', [], 'rollback-dataset-3'); // the repair dies too, one dataset further
    const l = await listed(s);
    expect(l.pendingRollback).toMatchObject({ target: { id: s.base.id }, problems: [] });
    const rep = await zcp(s, ['repair', '--yes']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(s.datasets.map((d) => treeDigest(`/${d}`))).toEqual(s.atBase);
    rows.push({ point: 'repair (at rollback-dataset-3)', shown: `pending, ${l.pendingRollback!.remaining.length} of ${s.datasets.length} to go`, repaired: 'repair again', nothingLost: await afterwards(s, [s.base.id]) });
  });

  it('a transaction killed between its checkpoint and its history entry, and between its command and its end', async () => {
    for (const point of ['transaction-checkpointed', 'transaction-ran']) {
      const s = await scene();
      const r = await spawnAsync(process.execPath, [CLI, ...s.datasets.flatMap((d) => ['--dataset', d]), '--root', s.root, 'run', '-m', point, '--', 'true'], '', { ...process.env, ZCP_FAULT: point });
      expect(r.code, r.stderr).toBe(-1); // killed
      const l = await listed(s);
      const made = l.checkpoints.find((c) => c.id !== s.base.id && c.id !== s.later.id);
      expect(made?.state).toBe('complete');
      const history = async () => (JSON.parse((await zcp(s, ['history', '--json'])).stdout) as { history: { tid: number; checkpoint: string; state: string; interrupted?: boolean }[] }).history;
      const before = (await history()).find((e) => e.checkpoint === made!.id);
      const rep = await zcp(s, ['repair', '--yes']);
      expect(rep.code, rep.stderr).toBe(0);
      const after = (await history()).find((e) => e.checkpoint === made!.id);
      if (point === 'transaction-checkpointed') {
        // A checkpoint without a transaction: consistent as it is (like one made by zcp create).
        expect(before).toBeUndefined();
        expect(after).toBeUndefined();
      } else {
        expect(before?.state).toBe('running');
        expect(after).toMatchObject({ state: 'failed', interrupted: true });
      }
      rows.push({
        point,
        shown: point === 'transaction-ran' ? `${made!.id}; history: running` : `${made!.id}; no history entry`,
        repaired: point === 'transaction-ran' ? 'repair: ended as failed' : 'nothing to repair',
        nothingLost: await afterwards(s, [s.base.id, s.later.id, made!.id]),
      });
    }
  });

  it('hold killed between its two pools', async () => {
    const s = await scene();
    kill(s, 'hold', [s.base.id], 'hold-pool');
    const l = await listed(s);
    const shown = `held: ${JSON.stringify((l.checkpoints as unknown as { id: string; held: boolean }[]).find((c) => c.id === s.base.id)?.held)}`;
    const h = await zcp(s, ['hold', s.base.id]);
    expect(h.code, h.stderr).toBe(0);
    expect(run('zfs', 'holds', '-H', ...s.cps.system.datasets.map((d) => `${d}@${s.base.id}`)).match(/zcp-keep/g)).toHaveLength(s.datasets.length);
    expect((await zcp(s, ['release', s.base.id])).code).toBe(0);
    rows.push({ point: 'hold-pool', shown, repaired: 'zcp hold again', nothingLost: await afterwards(s, [s.base.id, s.later.id]) });
  });
});
