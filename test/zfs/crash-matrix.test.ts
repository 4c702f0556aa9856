// The crash matrix: every named fault point between two state-changing steps
// of the checkpoint operations, each hit by kill -9 on a system of two pools
// (/ and /var on one, a boot dataset on the other). For each: `zcp list
// --json` must describe the state truthfully before any repair, the
// documented next step (`zcp repair`, or `zcp destroy NAME` for a boot
// environment cut short) must bring it to a consistent state, nothing the
// operation was not asked to change may be gone (a bystander's snapshot,
// another system's checkpoint, the checkpoints the operation keeps), and the
// next create and rollback must work. The package commands and the hooks
// follow, on systems with apt and dnf. The table is printed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoints } from '../../src/checkpoint/index.js';
import { mountTable } from '../../src/fs/mount-table.js';
import { type Run, createFilesystems, fresh, run, spawnAsync, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { APT_TEST_OPTIONS, aptRepository, buildDeb, buildRpm, initAptRoot, initDnfRoot, initDpkgRoot, initSelfContainedRoot, rpmNames, treeDigest, writeAptConfig } from '../support/systems.js';

const [POOL, POOL2] = TEST_POOLS.map((p) => p.name) as [string, string];
const OP = fileURLToPath(new URL('./fixtures/op.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

interface Row { point: string; shown: string; repaired: string; nothingLost: string }
const rows: Row[] = [];
afterAll(() => {
  const w = (s: string, n: number) => s.padEnd(n);
  const lines = [`${w('fault point', 40)} ${w('state shown before repair', 46)} ${w('next step', 40)} nothing lost`];
  for (const r of rows) lines.push(`${w(r.point, 40)} ${w(r.shown, 46)} ${w(r.repaired, 40)} ${r.nothingLost}`);
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
  }, 300_000); // two scenes, each a dozen zcp runs: past 120 s when the host is oversubscribed

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

// The package commands and the hooks, killed at their points: `zcp apt` in place (entered with
// chroot: the kernel file systems mounted into the system) and `-s` (a boot environment mounted
// aside), and the apt and dnf hooks' pre (between the checkpoint and its history entry) and post
// (before the end is recorded), through real apt-get and dnf. What a dead transaction left mounted
// is in its history entry; `zcp list` shows it and `zcp repair` undoes it and ends the transaction.
describe('crash matrix: package commands and hooks (guest, real apt-get and dnf)', () => {
  let repo: string;
  beforeAll(() => {
    repo = aptRepository([buildDeb('app', '1.0-1', { 'usr/share/app/v': '1\n' }), buildDeb('tool', '1.0', { 'usr/share/tool/v': 't\n' })]);
  });

  /** A system of / and /var on ZFS with apt: its own (entered with chroot) or the host's pointed at it. */
  function aptSystem(prefix: string, selfContained: boolean) {
    const ds = fresh(POOL, prefix);
    createFilesystems(ds, `${ds}/var`);
    const root = `/${ds}`;
    initDpkgRoot(root);
    if (selfContained) initSelfContainedRoot(root, repo);
    else initAptRoot(root, repo);
    const flags = ['--dataset', ds, '--dataset', `${ds}/var`, '--root', root];
    const zcp = (args: string[], env?: NodeJS.ProcessEnv) => spawnAsync(process.execPath, [CLI, ...flags, ...args], '', env);
    return { ds, root, zcp };
  }
  type PkgSystem = ReturnType<typeof aptSystem>;

  async function state(s: PkgSystem) {
    const r = await s.zcp(['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { checkpoints: { id: string; kind: string }[]; bootEnvironments: { name: string }[]; interruptedTransactions: { tid: number; checkpoint: string; leftMounted: string[]; leftFiles: string[]; busy: unknown[] }[] };
  }
  const historyOf = async (s: PkgSystem) => (JSON.parse((await s.zcp(['history', '--json'])).stdout) as { history: { tid: number; checkpoint: string; state: string; interrupted?: boolean; rollback?: unknown }[] }).history.filter((e) => !e.rollback);
  const mountedUnder = (dir: string) => mountTable().filter((m) => m.mountpoint === dir || m.mountpoint.startsWith(`${dir}/`)).map((m) => m.mountpoint);

  const tree = (s: PkgSystem) => treeDigest(s.root);
  /** What packages a system has: its dpkg database and /usr (a hook's checkpoint comes after apt wrote its caches, locks and logs). */
  const packageState = (s: PkgSystem) => `${readFileSync(`${s.root}/var/lib/dpkg/status`, 'utf8')}${treeDigest(`${s.root}/var/lib/dpkg/info`)}${treeDigest(`${s.root}/usr`)}`;

  /** Nothing lost, still usable: the checkpoint kept, nothing left mounted, and a rollback to it brings back what it had (`back`). */
  async function usable(s: PkgSystem, id: string, back: () => void): Promise<string> {
    expect((await state(s)).checkpoints.map((c) => c.id)).toContain(id);
    // (snapshots zcp read, automounted under .zfs, are no mounts of a transaction's)
    expect(mountTable().filter((m) => m.mountpoint.startsWith(`${s.root}/`) && m.mountpoint !== `${s.root}/var` && !m.mountpoint.includes('/.zfs/snapshot/'))).toEqual([]);
    const r = await s.zcp(['rollback', id, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    back();
    return 'yes';
  }

  it('zcp apt in place, entered with chroot: killed after apt ran (mounts still in the system) and between its checkpoint and its history entry', async () => {
    const s = aptSystem('cmaptin', true);
    for (const point of ['apt-ran', 'transaction-checkpointed']) {
      const before = tree(s);
      const pkg = point === 'apt-ran' ? 'app=1.0-1' : 'tool';
      const r = await s.zcp(['apt', '--yes', 'install', pkg, ...APT_TEST_OPTIONS], { ...process.env, ZCP_FAULT: point });
      expect(r.code, r.stderr).toBe(-1); // killed
      const l = await state(s);
      const made = l.checkpoints.at(-1)!;
      let shown: string;
      if (point === 'apt-ran') {
        // The transaction is shown interrupted, with the kernel file systems it left in the system.
        const chrootMounts = ['dev/pts', 'dev', 'sys', 'proc'].map((t) => `${s.root}/${t}`);
        expect(l.interruptedTransactions).toEqual([{ tid: expect.any(Number), checkpoint: made.id, title: expect.stringMatching(/^apt-get install app=1\.0-1/), leftMounted: chrootMounts, leftFiles: [`${s.root}/usr/sbin/policy-rc.d`], busy: [] }]);
        for (const m of chrootMounts) expect(mountedUnder(s.root)).toContain(m);
        shown = `${made.id}; interrupted, 4 mounts left`;
      } else {
        expect(l.interruptedTransactions).toEqual([]);
        shown = `${made.id}; no history entry`;
      }
      const rep = await s.zcp(['repair', '--yes']);
      expect(rep.code, rep.stderr).toBe(0);
      const h = (await historyOf(s)).find((e) => e.checkpoint === made.id);
      if (point === 'apt-ran') {
        expect(rep.stdout).toMatch(new RegExp(`ended transaction ${made.id.slice(4)} as failed: its process is gone \\(interrupted\\)\\n  removed ${s.root}/usr/sbin/policy-rc.d\\n  unmounted ${s.root}/dev/pts\\n`));
        expect(h).toMatchObject({ state: 'failed', interrupted: true });
        expect(lstatSync(`${s.root}/usr/sbin/policy-rc.d`, { throwIfNoEntry: false })).toBeUndefined();
        expect(readFileSync(`${s.root}/var/lib/dpkg/status`, 'utf8')).toMatch(/Package: app\nStatus: install ok installed/); // apt's work is kept: repair rolls nothing back
      } else {
        expect(rep.stdout).toContain('nothing to repair');
        expect(h).toBeUndefined();
      }
      expect((await state(s)).interruptedTransactions).toEqual([]);
      rows.push({ point: `apt in place: ${point}`, shown, repaired: point === 'apt-ran' ? 'repair: unmounted, ended' : 'nothing to repair', nothingLost: await usable(s, made.id, () => expect(tree(s)).toBe(before)) });
    }
  }, 300_000);

  it('zcp apt -s: killed after apt ran in the boot environment (mounted aside) and right after the clone', async () => {
    const s = aptSystem('cmapts', true);
    for (const point of ['apt-into-clone-ran', 'be-cloned']) {
      const running = tree(s);
      const r = await s.zcp(['apt', '-s', '--yes', 'install', 'app=1.0-1', ...APT_TEST_OPTIONS], { ...process.env, ZCP_FAULT: point });
      expect(r.code, r.stderr).toBe(-1);
      const l = await state(s);
      const made = l.checkpoints.at(-1)!;
      const be = `upgrade-${made.id.slice(4)}`;
      expect(l.bootEnvironments.map((b) => b.name)).toContain(be);
      const [t] = l.interruptedTransactions;
      expect(t).toMatchObject({ checkpoint: made.id, busy: [] });
      if (point === 'apt-into-clone-ran') {
        // The boot environment, its /var and the chroot's kernel file systems, newest first; zcp's policy-rc.d in it.
        const dir = t!.leftMounted.at(-1)!;
        expect(dir).toMatch(/^\/tmp\/zcp-be-/);
        expect(t!.leftMounted).toEqual(['dev/pts', 'dev', 'sys', 'proc', 'var', ''].map((x) => (x ? `${dir}/${x}` : dir)));
        expect(t!.leftFiles).toEqual([`${dir}/usr/sbin/policy-rc.d`]);
        expect(mountedUnder(dir)).toHaveLength(6);
        // A process still running in there (a package manager that outlived zcp) is shown, and repair leaves it all as it is until it ends.
        const inside = spawn('chroot', [dir, '/usr/bin/busybox', 'sleep', '600'], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 1000));
        expect((await state(s)).interruptedTransactions[0]!.busy).toEqual([{ pid: inside.pid, command: 'busybox' }]);
        const early = await s.zcp(['repair', '--yes']);
        expect(early.code, early.stderr).toBe(0);
        expect(early.stdout).toMatch(new RegExp(`left transaction ${made.id.slice(4)} running: busybox \\(pid ${inside.pid}\\) still runs in its mounts; zcp repair again once that ends`));
        expect(mountedUnder(dir)).toHaveLength(6);
        inside.kill('SIGKILL');
        await new Promise((r) => inside.once('exit', r));
      } else {
        expect(t!.leftMounted).toEqual([]);
      }
      const rep = await s.zcp(['repair', '--yes']);
      expect(rep.code, rep.stderr).toBe(0);
      expect(rep.stdout).toMatch(/ended transaction \d+ as failed: its process is gone \(interrupted\)\n(  .*\n)*  removed \/tmp\/zcp-be-\w+\n/);
      expect(mountTable().filter((m) => m.mountpoint.startsWith('/tmp/zcp-be-'))).toEqual([]);
      expect((await historyOf(s)).find((e) => e.checkpoint === made.id)).toMatchObject({ state: 'failed', interrupted: true });
      // The boot environment keeps no policy-rc.d (it would stop every daemon once booted) and can be destroyed.
      const look = mkdtempSync(join(tmpdir(), 'zcp-look-'));
      execFileSync('mount', ['-t', 'zfs', '-o', 'zfsutil', `${POOL}/${be}`, look]);
      const rc = lstatSync(join(look, 'usr/sbin/policy-rc.d'), { throwIfNoEntry: false });
      execFileSync('umount', [look]);
      rmdirSync(look);
      expect(rc).toBeUndefined();
      const d = await s.zcp(['destroy', be, '--yes']);
      expect(d.code, d.stderr).toBe(0);
      expect(tree(s)).toBe(running); // the running system was never touched
      rows.push({ point: `apt -s: ${point}`, shown: `${be} listed; interrupted, ${t!.leftMounted.length} mounts left`, repaired: point === 'be-cloned' ? 'repair: ended; zcp destroy BE' : 'repair: unmounted, ended; zcp destroy BE', nothingLost: await usable(s, made.id, () => expect(tree(s)).toBe(running)) });
    }
  }, 300_000);

  /**
   * A hook row: the package manager runs with its hook's zcp killed at `point` (`run`), goes on all the
   * same; the state is shown, repaired, and a rollback to the checkpoint brings back what `kept` read before.
   */
  async function hookRow<T>(s: PkgSystem, manager: 'apt' | 'dnf', point: 'transaction-checkpointed' | 'transaction-ending', run: () => Promise<Run>, kept: () => T): Promise<void> {
    const before = kept();
    const r = await run();
    expect(r.code, r.stdout + r.stderr).toBe(0); // a hook never stops the package manager
    const l = await state(s);
    const made = l.checkpoints.at(-1)!;
    expect(made.kind).toBe(manager === 'apt' ? 'apt' : 'rpm');
    const pre = point === 'transaction-checkpointed';
    expect(l.interruptedTransactions.map((t) => t.checkpoint)).toEqual(pre ? [] : [made.id]);
    const rep = await s.zcp(['repair', '--yes']);
    expect(rep.code, rep.stderr).toBe(0);
    const h = (await historyOf(s)).find((e) => e.checkpoint === made.id);
    if (pre) expect(h).toBeUndefined();
    else expect(h).toMatchObject({ state: 'failed', interrupted: true });
    rows.push({
      point: `${manager} hook ${pre ? 'pre' : 'post'}: ${point}`,
      shown: pre ? `${made.id}; no history entry` : `${made.id}; interrupted`,
      repaired: pre ? 'nothing to repair' : 'repair: ended as failed',
      nothingLost: await usable(s, made.id, () => expect(kept()).toEqual(before)),
    });
  }

  it('the apt hook killed in pre (checkpoint made, no history entry) and in post (end not recorded): apt goes on; repair ends what is left', async () => {
    const s = aptSystem('cmhookapt', false);
    const aptConfig = writeAptConfig(s.root, join(s.root, '..', `${s.ds.split('/').pop()}-apt.conf`));
    expect((await s.zcp(['hook', 'install', 'apt'])).code).toBe(0);
    for (const [point, pkg] of [['transaction-checkpointed', 'app=1.0-1'], ['transaction-ending', 'tool']] as const) {
      await hookRow(s, 'apt', point, () => spawnAsync('env', [`APT_CONFIG=${aptConfig}`, `ZCP_FAULT=${point}`, 'apt-get', '-y', 'install', pkg]), () => packageState(s));
    }
  }, 300_000);

  it('the dnf hook killed in pre and in post: dnf goes on; repair ends what is left', async () => {
    const s = aptSystem('cmhookdnf', false);
    const { dnf } = initDnfRoot(s.root, join(s.root, '..', `${s.ds.split('/').pop()}-home`));
    expect((await s.zcp(['hook', 'install', 'dnf'])).code).toBe(0);
    for (const [point, pkg] of [['transaction-checkpointed', buildRpm('one', '1.0')], ['transaction-ending', buildRpm('two', '1.0')]] as const) {
      // dnf writes its logs and caches before its pre hook: what a rollback must bring back is the package set.
      await hookRow(s, 'dnf', point, () => spawnAsync('env', dnf(['install', pkg], [`ZCP_FAULT=${point}`])), () => rpmNames(s.root));
    }
  }, 300_000);
});
