// The data-loss paths of the outside audit (issue "Nothing lost, nothing
// forged"), each against real zfs.ko: a rollback journal is shown, checked
// and finished only by `zcp repair`; datasets shared by two systems keep
// each other's checkpoints; a boot environment's destroy touches only its
// own clones; a rollback re-checks the world after the confirmation; signals
// wait for the step in hand.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Checkpoints } from '../../src/checkpoint/index.js';
import { writingDelegations, writingDelegationsOf } from '../../src/checkpoint/state.js';
import { Transactions } from '../../src/transaction/transactions.js';
import { createFilesystems, failure, fresh, run, spawnAsync, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { buildDeb, dpkg, initDpkgRoot, treeDigest } from '../support/systems.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];
const OP = fileURLToPath(new URL('./fixtures/op.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

let debs: Record<string, string>;
beforeAll(() => {
  debs = {
    hello1: buildDeb('hello', '1.0-1', { 'usr/share/hello/version': '1\n' }),
    hello2: buildDeb('hello', '2.0-1', { 'usr/share/hello/version': '2\n' }),
    newpkg: buildDeb('newpkg', '0.1', { 'usr/share/newpkg/data': 'n\n' }),
  };
});

/** A root dataset with /var (dpkg's database) on its own dataset, hello 1.0 installed. */
async function debSystem(prefix = 'nl'): Promise<{ cps: Checkpoints; root: string; datasets: string[] }> {
  const ds = fresh(POOL, prefix);
  const datasets = createFilesystems(ds, `${ds}/var`);
  const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
  initDpkgRoot(root);
  expect(dpkg(root, '-i', debs.hello1!)).toBe(0);
  return { cps: await Checkpoints.open({ datasets, root }), root, datasets };
}

/** Runs one operation in a child that a fault point kills (SIGKILL unless `signal`). */
function childOp(datasets: string[], root: string, op: string, args: string[], fault: string, signal?: string) {
  return spawnSync(process.execPath, [OP, JSON.stringify({ datasets, root, op, args })], {
    env: { ...process.env, ZCP_FAULT: fault, ...(signal ? { ZCP_FAULT_SIGNAL: signal } : {}) },
    encoding: 'utf8',
  });
}

const journalKey = (first: string) => `zcp:journal:${createHash('sha256').update(first).digest('hex').slice(0, 24)}`;

/** A system with a base checkpoint, a later one, and changes after both: the rollback to base has something to do. */
async function withHistory(prefix: string) {
  const s = await debSystem(prefix);
  const base = await s.cps.create({ title: 'base' });
  const before = treeDigest(s.root);
  expect(dpkg(s.root, '-i', debs.hello2!)).toBe(0);
  const later = await s.cps.create({ title: 'later' });
  expect(dpkg(s.root, '-i', debs.newpkg!)).toBe(0);
  return { ...s, base, later, before };
}

describe('the rollback journal (guest)', () => {
  it('an interrupted rollback is shown and refused by every other command, dry runs included; only zcp repair finishes it', async () => {
    const { cps, root, datasets, base, later, before } = await withHistory('jr');
    const child = childOp(datasets, root, 'rollback', [base.id], 'rollback-first-dataset');
    expect(child.signal).toBe('SIGKILL');
    const halfway = treeDigest(root);
    const pending = await cps.pendingRollback();
    // The root dataset is back (its marker is gone), /var is not.
    expect(pending).toMatchObject({ target: { id: base.id }, rolled: [datasets[0]], remaining: [datasets[1]], problems: [] });
    // Nothing but repair acts on it: not create (the apt hook's pre), not a dry run of anything.
    for (const p of [() => cps.create({ title: 'unrelated' }), () => cps.destroy(base.id, { dryRun: true }), () => cps.rollback(base.id, { dryRun: true }), () => cps.hold(base.id)]) {
      expect((await failure(p())).code).toBe('ROLLBACK_PENDING');
    }
    // The CLI's dry runs say it too (prune's, create's and apt's plans included), and change nothing.
    const cliFlags = datasets.flatMap((d) => ['--dataset', d]).concat(['--root', root]);
    for (const args of [['prune', '--keep', '0', '--dry-run'], ['create', '--dry-run'], ['destroy', base.id, '--dry-run'], ['rollback', base.id, '--dry-run']]) {
      const r = await spawnAsync(process.execPath, [CLI, ...cliFlags, ...args, '--json']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(JSON.parse(r.stdout), args.join(' ')).toMatchObject({ error: { code: 'ROLLBACK_PENDING' } });
    }
    expect(treeDigest(root)).toBe(halfway);
    expect((await cps.list()).map((c) => c.id)).toEqual([base.id]); // `later` was consumed before the cut
    expect(later.tid).toBeGreaterThan(base.tid);
    // The CLI shows it: list (text and --json) and status.
    const flags = datasets.flatMap((d) => ['--dataset', d]).concat(['--root', root]);
    const list = await spawnAsync(process.execPath, [CLI, ...flags, 'list']);
    expect(list.stdout).toContain(`ROLLBACK PENDING to ${base.id}`);
    const lj = JSON.parse((await spawnAsync(process.execPath, [CLI, ...flags, 'list', '--json'])).stdout) as { pendingRollback: { remaining: string[] } };
    expect(lj.pendingRollback.remaining).toEqual([datasets[1]]);
    const st = JSON.parse((await spawnAsync(process.execPath, [CLI, ...flags, 'status', '--json'])).stdout) as { system: { pendingRollback: unknown } };
    expect(st.system.pendingRollback).toMatchObject({ target: { id: base.id } });
    // The hook warns and lets apt go on, and makes no checkpoint.
    const hook = await spawnAsync(process.execPath, [CLI, ...flags, 'hook', 'pre', 'apt']);
    expect(hook.code).toBe(0);
    expect(hook.stderr).toMatch(/warning.*rollback to .* was interrupted/);
    // repair --dry-run says what it would do and does nothing; without --yes and no terminal it does nothing either.
    const dry = await spawnAsync(process.execPath, [CLI, ...flags, 'repair', '--dry-run']);
    expect(dry.stdout).toContain(`would roll ${datasets[1]} back to ${base.id}`);
    expect((await spawnAsync(process.execPath, [CLI, ...flags, 'repair'])).code).toBe(1);
    expect(treeDigest(root)).toBe(halfway);
    const fixed = await spawnAsync(process.execPath, [CLI, ...flags, 'repair', '--yes']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain(`finished the interrupted rollback to ${base.id}`);
    expect(treeDigest(root)).toBe(before);
    expect(await cps.pendingRollback()).toBeUndefined();
    expect((await cps.create({ title: 'next' })).tid).toBeGreaterThan(later.tid);
  });

  it('a rollback cut after its last dataset is recognised as done: nothing written since is rolled back again', async () => {
    const { cps, root, datasets, base, before } = await withHistory('jl');
    const child = childOp(datasets, root, 'rollback', [base.id], 'rollback-last-dataset');
    expect(child.signal).toBe('SIGKILL');
    expect(treeDigest(root)).toBe(before);
    expect(await cps.pendingRollback()).toMatchObject({ rolled: datasets, remaining: [] });
    // The system goes on running, reads and writes to both datasets before anyone repairs.
    writeFileSync(`${root}/written-after`, 'keep me\n');
    writeFileSync(`${root}/var/written-after`, 'keep me too\n');
    expect(await cps.pendingRollback()).toMatchObject({ rolled: datasets, remaining: [] });
    const done = await cps.repair();
    expect(done).toEqual(expect.arrayContaining([`${datasets[0]} was rolled back already`, `${datasets[1]} was rolled back already`]));
    expect(readFileSync(`${root}/written-after`, 'utf8')).toBe('keep me\n');
    expect(readFileSync(`${root}/var/written-after`, 'utf8')).toBe('keep me too\n');
    expect(await cps.pendingRollback()).toBeUndefined();
  });

  it('Ctrl-C in the middle of a rollback finishes the rollback, then exits 130', async () => {
    const { datasets, root, base, before, cps } = await withHistory('js');
    const flags = datasets.flatMap((d) => ['--dataset', d]).concat(['--root', root]);
    const r = spawnSync(process.execPath, [CLI, ...flags, 'rollback', base.id, '--yes'], {
      env: { ...process.env, ZCP_FAULT: 'rollback-first-dataset', ZCP_FAULT_SIGNAL: 'SIGINT' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(130);
    expect(r.stderr).toContain('finishing the step in hand');
    expect(treeDigest(root)).toBe(before);
    expect(await cps.pendingRollback()).toBeUndefined();
  });

  it('a forged or foreign journal is refused, never acted on; --discard-journal drops it', async () => {
    const { cps, root, datasets, base, later } = await withHistory('jf');
    const now = treeDigest(root);
    const other = await debSystem('jo');
    const otherCp = await other.cps.create({ title: 'other' });
    const good = (await cps.scan()).guid;
    const genuine = {
      op: 'rollback',
      version: 2,
      system: cps.system.id,
      datasets,
      target: { id: base.id, tid: base.tid, snapshots: Object.fromEntries(base.snapshots.map((s) => [s, good.get(s)])) },
      destroy: Object.fromEntries(later.snapshots.map((s) => [s, good.get(s)])),
      marked: datasets,
      started: new Date().toISOString(),
    };
    const forgeries: [string, unknown][] = [
      ['tid 0', { ...genuine, target: { ...genuine.target, id: 'zcp-0', tid: 0 } }],
      ['an old journal', { op: 'rollback', id: base.id, tid: base.tid, system: datasets[0], started: 'x' }],
      ['another system', { ...genuine, system: other.cps.system.id, datasets: other.datasets }],
      ['a wrong guid', { ...genuine, target: { ...genuine.target, snapshots: { ...genuine.target.snapshots, [base.snapshots[0]!]: '12345' } } }],
      ['another system\'s snapshot to destroy', { ...genuine, destroy: { ...genuine.destroy, [otherCp.snapshots[0]!]: '1' } }],
      ['an older checkpoint to destroy', { ...genuine, target: { id: later.id, tid: later.tid, snapshots: Object.fromEntries(later.snapshots.map((s) => [s, good.get(s)])) }, destroy: genuine.target.snapshots }],
      ['not JSON', '{"op": "rollback", '],
    ];
    for (const [what, forged] of forgeries) {
      run('zfs', 'set', `${journalKey(datasets[0]!)}=${typeof forged === 'string' ? forged : JSON.stringify(forged)}`, `${POOL}/zcp`);
      expect((await failure(cps.create({ title: 'x' }))).code, what).toBe('ROLLBACK_PENDING');
      expect((await failure(cps.repair())).code, what).toBe('JOURNAL_INVALID');
      expect(treeDigest(root), what).toBe(now);
      expect((await cps.list()).map((c) => c.id), what).toEqual([base.id, later.id]);
      expect((await other.cps.list()).map((c) => c.id), what).toEqual([otherCp.id]);
    }
    expect(await cps.repair({ discardJournal: true })).toEqual(['dropped the rollback journal (nothing rolled back)']);
    expect(await cps.pendingRollback()).toBeUndefined();
    expect(treeDigest(root)).toBe(now);
    // The genuine journal checks out (what repair finishes is a real, verified rollback).
    run('zfs', 'set', `${journalKey(datasets[0]!)}=${JSON.stringify(genuine)}`, `${POOL}/zcp`);
    expect((await cps.pendingRollback())?.problems).toEqual([]);
    await cps.repair({ discardJournal: true });
  });

  it('reads delegations from the kernel (libzfs, no process) as `zfs allow` prints them: sets, nested sets, local, descendent, everyone, create-time', async () => {
    const top = fresh(POOL, 'deleg');
    run('zfs', 'create', '-p', `${top}/a/zcp`);
    const grants = [
      ['-u', 'nobody', 'userprop', top],
      ['-l', '-g', 'daemon', 'destroy', `${top}/a`],
      ['-d', '-e', 'rename', `${top}/a`],
      ['-s', '@inner', 'release', top],
      ['-s', '@myset', 'snapshot,@inner', top],
      ['-u', 'daemon', '@myset', `${top}/a`],
      ['-c', 'destroy', top],
      ['-l', '-u', 'daemon', 'rollback', `${top}/a/zcp`],
    ];
    const seen: string[][] = [];
    for (const g of grants) {
      run('zfs', 'allow', ...g);
      for (const ds of [`${top}/a/zcp`, `${top}/a`]) {
        const native = (await writingDelegationsOf(ds)).sort();
        expect(native, `${g.join(' ')} on ${ds}`).toEqual(writingDelegations(run('zfs', 'allow', ds), ds).sort());
        seen.push(native);
      }
    }
    // The matrix says something: the last state names each kind of grant that reaches POOL/deleg/a/zcp.
    expect(seen.at(-2)).toEqual([`everyone rename (from ${top}/a)`, `user daemon release (from ${top}/a)`, `user daemon rollback (from ${top}/a/zcp)`, `user nobody userprop (from ${top})`]);
  });

  it('refuses a state dataset that delegated users may change', async () => {
    const { cps } = await debSystem('jd');
    const snapshots = () => run('zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-r', cps.system.datasets[0]!);
    const before = snapshots();
    run('zfs', 'allow', '-u', 'nobody', 'userprop', POOL);
    try {
      const e = await failure(cps.create({ title: 'x' }));
      expect(e).toMatchObject({ code: 'STATE_DELEGATED', message: expect.stringContaining('user nobody userprop') });
      // The check runs beside the snapshot's txg: what it made is gone again, as if refused before.
      expect(snapshots()).toEqual(before);
    } finally {
      run('zfs', 'unallow', '-u', 'nobody', 'userprop', POOL);
    }
    // Local to the pool only, or harmless permissions: fine.
    run('zfs', 'allow', '-l', '-u', 'nobody', 'userprop', POOL);
    run('zfs', 'allow', '-u', 'nobody', 'send,snapshot,hold', POOL);
    try {
      await cps.create({ title: 'fine' });
    } finally {
      run('zfs', 'unallow', '-l', '-u', 'nobody', 'userprop', POOL);
      run('zfs', 'unallow', '-u', 'nobody', 'send,snapshot,hold', POOL);
    }
  });
});

describe('datasets shared by two systems (guest)', () => {
  it('keeps each system\'s checkpoints its own: list, prune, rollback and holds on any snapshot', async () => {
    const a = fresh(POOL, 'sa');
    const b = fresh(POOL, 'sb');
    const home = fresh(POOL, 'home');
    createFilesystems(a, b, home);
    const A = await Checkpoints.open({ datasets: [a, home], root: `/${a}` });
    const B = await Checkpoints.open({ datasets: [b, home], root: `/${b}` });
    const a1 = await A.create({ title: 'a1' });
    const b1 = await B.create({ title: 'b1' });
    const a2 = await A.create({ title: 'a2' });
    expect((await A.list()).map((c) => c.id)).toEqual([a1.id, a2.id]);
    expect((await B.list()).map((c) => c.id)).toEqual([b1.id]);
    expect((await B.list())[0]!.snapshots).toEqual([`${b}@${b1.id}`, `${home}@${b1.id}`]);
    // B's rollback would pass over A's a2 on the shared dataset: refused, naming it.
    expect(await failure(B.rollback(b1.id))).toMatchObject({ code: 'OTHER_SYSTEM', dataset: `${home}@${a2.id}` });
    // B's prune lets only B's own go.
    const pruned = await (await import('../../src/checkpoint/prune.js')).prune(B, { keep: 0 });
    expect(pruned.map((d) => d.checkpoint.id)).toEqual([b1.id]);
    expect(zfsSnapshots(home)).toEqual([`${home}@${a1.id}`, `${home}@${a2.id}`]);
    // A hold on a checkpoint's snapshot of the second dataset protects the whole checkpoint.
    run('zfs', 'hold', 'backup', `${home}@${a2.id}`);
    expect((await A.list({ details: true })).map((c) => c.held)).toEqual([false, true]);
    expect((await A.list()).map((c) => c.held)).toEqual([false, false]); // the quick list shows zcp's own hold only
    expect((await failure(A.destroy(a2.id))).code).toBe('HELD');
    expect((await failure(A.rollback(a1.id))).code).toBe('HELD');
    expect(zfsSnapshots(home)).toEqual([`${home}@${a1.id}`, `${home}@${a2.id}`]);
    run('zfs', 'release', 'backup', `${home}@${a2.id}`);
    await A.rollback(a1.id);
    expect(zfsSnapshots(home)).toEqual([`${home}@${a1.id}`]);
  });
});

describe('boot environments (guest)', () => {
  it('destroy takes only the boot environment\'s own verified clones, whatever the config says today', async () => {
    const parent = fresh(POOL, 'bep');
    const sys = `${parent}/sys`;
    createFilesystems(sys, `${sys}/var`);
    const cps = await Checkpoints.open({ datasets: [sys, `${sys}/var`], root: `/${sys}` });
    const c = await cps.create({ title: 'for a BE' });
    expect(await cps.clone(c.id, 'backup')).toEqual([`${parent}/backup`, `${parent}/backup/var`]);
    // The config changes: an extra dataset elsewhere, whose BE twin's name is taken by someone's own data.
    const data = fresh(POOL, 'bed');
    createFilesystems(`${data}/disk`, `${data}/backup`);
    writeFileSync(`/${data}/backup/precious`, 'not zcp\'s\n');
    const changed = await Checkpoints.open({ datasets: [sys, `${sys}/var`, `${data}/disk`], root: `/${sys}` });
    expect(await changed.destroyBootEnvironment('backup', { dryRun: true })).toEqual([`${parent}/backup/var`, `${parent}/backup`]);
    expect(await changed.destroyBootEnvironment('backup')).toEqual([`${parent}/backup/var`, `${parent}/backup`]);
    expect(readFileSync(`/${data}/backup/precious`, 'utf8')).toBe('not zcp\'s\n');
  });

  it('a clone killed between its datasets leaves a boot environment that destroy removes, and the name is free again', async () => {
    const parent = fresh(POOL, 'bek');
    const sys = `${parent}/sys`;
    createFilesystems(sys, `${sys}/var`);
    const cps = await Checkpoints.open({ datasets: [sys, `${sys}/var`], root: `/${sys}` });
    const c = await cps.create({ title: 'for a BE' });
    const child = childOp(cps.system.datasets, cps.system.root, 'clone', [c.id, 'half'], 'be-clone-first');
    expect(child.signal).toBe('SIGKILL');
    expect((await cps.bootEnvironments()).map((b) => b.name)).toContain('half');
    expect(await cps.destroyBootEnvironment('half')).toEqual([`${parent}/half`]);
    expect(await cps.clone(c.id, 'half')).toEqual([`${parent}/half`, `${parent}/half/var`]);
  });
});

describe('rollback re-checks after the confirmation (guest)', () => {
  it('a snapshot taken or destroyed while the prompt was open aborts the rollback with nothing done', async () => {
    const { cps, root, datasets, base, later } = await withHistory('rc');
    const now = treeDigest(root);
    // zfs-auto-snapshot takes one while the admin reads the plan.
    const e1 = await failure(cps.rollback(base.id, { confirm: async () => (run('zfs', 'snapshot', `${datasets[1]}@auto`), true) }));
    expect(['NOT_ZCP', 'CHANGED']).toContain(e1.code);
    run('zfs', 'destroy', `${datasets[1]}@auto`);
    // Someone destroys one of the later checkpoint's snapshots by hand meanwhile.
    const e2 = await failure(cps.rollback(base.id, { confirm: async () => (run('zfs', 'destroy', later.snapshots[1]!), true) }));
    expect(e2.code).toBe('CHANGED');
    expect(treeDigest(root)).toBe(now);
    expect(zfsSnapshots(datasets[0]!)).toEqual([base.snapshots[0], later.snapshots[0]]);
    expect(await cps.pendingRollback()).toBeUndefined();
  });
});

describe('smaller ones (guest)', () => {
  it('history is chunked by bytes: a 4,400-character Cyrillic title is recorded', async () => {
    const { cps } = await debSystem('hc');
    const title = 'Ж'.repeat(4400);
    const tx = new Transactions(cps);
    const { checkpoint } = await tx.begin({ title });
    expect((await tx.history()).find((e) => e.tid === checkpoint.tid)?.title).toBe(title);
  });
});
