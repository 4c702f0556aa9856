// Checkpoints against real zfs.ko: one atomic snapshot per pool, metadata in
// zcp: user properties, TIDs never reused, all-or-nothing across two pools,
// the kernel-held lock, and the refusals.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CheckpointError, Checkpoints, SystemLock, packagesOf } from '../../src/checkpoint/index.js';
import { Transactions, ZfsError, zfs } from '../../src/index.js';
import { createFilesystems, failure, fresh, run, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';

const [POOL, POOL2] = TEST_POOLS.map((p) => p.name) as [string, string];


async function system(...datasets: string[]): Promise<Checkpoints> {
  createFilesystems(...datasets);
  return Checkpoints.open({ datasets, root: run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', datasets[0]!).trim() });
}

describe('checkpoints (guest)', () => {
  it('snapshots every dataset in one go, the metadata on the first snapshot only (the others are tied to it by createtxg), as zfs shows it', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root, `${root}/var`);
    const c = await cps.create({ title: 'before upgrade', kind: 'apt', command: ['apt-get', 'dist-upgrade'] });
    expect(c.id).toBe(`zcp-${c.tid}`);
    expect(c.state).toBe('complete');
    expect(c.snapshots).toEqual([`${root}@${c.id}`, `${root}/var@${c.id}`]);
    for (const ds of [root, `${root}/var`]) {
      expect(zfsSnapshots(ds)).toEqual([`${ds}@${c.id}`]);
      const props = run('zfs', 'get', '-H', '-o', 'property,value,source', 'zcp:tid,zcp:state,zcp:system,zcp:kind,zcp:title', `${ds}@${c.id}`);
      const expected = ds === root ? [`${c.tid}\tlocal`, 'complete\tlocal', `${cps.system.id}\tlocal`, 'apt\tlocal', 'before upgrade\tlocal'] : Array(5).fill('-\t-');
      expect(props).toBe(['zcp:tid', 'zcp:state', 'zcp:system', 'zcp:kind', 'zcp:title'].map((p, i) => `${p}\t${expected[i]}\n`).join(''));
    }
    // Both snapshots in one txg: the same createtxg.
    const txgs = run('zfs', 'get', '-H', '-p', '-o', 'value', 'createtxg', ...c.snapshots).trim().split('\n');
    expect(new Set(txgs).size).toBe(1);
    const listed = await cps.list({ details: true });
    expect(listed.map((x) => x.id)).toEqual([c.id]);
    expect(listed[0]).toMatchObject({ kind: 'apt', title: 'before upgrade', command: ['apt-get', 'dist-upgrade'], held: false, clones: [], missing: [] });
    expect(Math.abs(listed[0]!.created.getTime() - Date.now())).toBeLessThan(120_000);
    // create builds its answer from what the kernel returned, not from a list: the two agree.
    expect(listed[0]).toEqual(c);
    // The list from the index says the same, less what only the snapshots know.
    const { used: _, clones: __, ...indexed } = c;
    expect(await cps.list()).toEqual([indexed]);
  });

  it('lists from the index what it vouches for, and from the snapshots what it does not; get reads one checkpoint\'s snapshots only', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root, `${root}/var`);
    const [a, b, c] = [await cps.create({ title: 'a' }), await cps.create({ title: 'b', kind: 'apt', command: ['apt-get', 'install', 'x y'] }), await cps.create({ title: 'c' })];
    const key = (tid: number) => `zcp:cp:${cps.system.id}.${tid}`;
    const state = `${POOL}/zcp/index`; // the index's dataset
    expect(JSON.parse(run('zfs', 'get', '-H', '-o', 'value', key(b.tid), state))).toMatchObject({ state: 'complete', kind: 'apt', title: 'b', command: ['apt-get', 'install', 'x y'], datasets: [root, `${root}/var`] });
    const strip = ({ used: _, clones: __, ...rest }: (typeof a)) => rest;
    // An entry lost (or an older zcp's checkpoint, made before the index): read from its snapshots, the same.
    run('zfs', 'inherit', key(a.tid), state);
    // A snapshot destroyed behind zcp's back: the entry stays, the name is gone, so is the checkpoint.
    for (const ds of [root, `${root}/var`]) run('zfs', 'destroy', `${ds}@${c.id}`);
    // An entry that does not name a dataset the snapshot is on: that checkpoint is read from its snapshots.
    run('zfs', 'set', `${key(b.tid)}=${JSON.stringify({ ...JSON.parse(run('zfs', 'get', '-H', '-o', 'value', key(b.tid), state)), datasets: [root], title: 'forged' })}`, state);
    expect(await cps.list()).toEqual([strip(a), strip(b)]);
    expect(await cps.list({ details: true })).toEqual([{ ...a, used: expect.any(Number) }, { ...b, used: expect.any(Number) }]);
    expect(await cps.get(String(b.tid))).toEqual({ ...b, used: expect.any(Number) });
    // zcp's own destroy takes the entry with the snapshots; a hold is marked in it.
    await cps.hold(b.id);
    expect((await cps.list()).map((x) => [x.id, x.held])).toEqual([[a.id, false], [b.id, true]]);
    await cps.release(b.id);
    await cps.destroy(a.id);
    expect(run('zfs', 'get', '-H', '-o', 'source', key(a.tid), state).trim()).toBe('-');
    expect((await cps.list()).map((x) => [x.id, x.held])).toEqual([[b.id, false]]);
    // The index dataset gone: the next checkpoint finds it missing and zcp makes it again, for the ones after.
    run('zfs', 'destroy', state);
    const d = await cps.create({ title: 'd' });
    expect(run('zfs', 'get', '-H', '-o', 'value,source', 'zcp:role', state)).toBe('index\tlocal\n');
    const e = await cps.create({ title: 'e' });
    expect(JSON.parse(run('zfs', 'get', '-H', '-o', 'value', key(e.tid), state))).toMatchObject({ title: 'e' });
    expect((await cps.list()).map((x) => [x.id, x.title])).toEqual([[b.id, 'b'], [d.id, 'd'], [e.id, 'e']]);
  });

  it('counts zcp: properties only where set on the snapshot: a zcp-N snapshot that inherits them from its dataset is not a checkpoint', async () => {
    // Anyone with userprop delegated on a dataset could set zcp:tid and zcp:system on it and take a snapshot zcp-N.
    const root = fresh(POOL, 'root');
    const cps = await system(root, `${root}/var`);
    const real = await cps.create({ title: 'real' });
    const forged = `zcp-${real.tid + 50}`;
    for (const ds of [root, `${root}/var`]) {
      run('zfs', 'set', `zcp:tid=${real.tid + 50}`, `zcp:system=${cps.system.id}`, 'zcp:state=complete', 'zcp:kind=manual', ds);
    }
    run('zfs', 'snapshot', `${root}@${forged}`, `${root}/var@${forged}`);
    expect(run('zfs', 'get', '-H', '-o', 'value,source', 'zcp:tid', `${root}@${forged}`)).toBe(`${real.tid + 50}\tinherited from ${root}\n`);
    const listed = await cps.list({ details: true });
    expect(listed.map((c) => c.id)).toEqual([real.id]);
    expect(listed[0]).toEqual(real); // its own properties are read as before
    expect((await cps.list()).map((c) => c.id)).toEqual([real.id]); // no index entry: read the same way
    // Not ours, so a rollback to the real one refuses to pass over it, and nothing destroys it.
    expect(await failure(cps.rollback(real.id))).toMatchObject({ code: 'NOT_ZCP' });
    expect(zfsSnapshots(root)).toContain(`${root}@${forged}`);
  });

  it('reads its state only from POOL/zcp itself: a journal, history entry or counter inherited from the pool is not zcp\'s', async () => {
    // `zfs allow -l ... userprop POOL` (local to the pool: fine for zcp) lets a user set properties that POOL/zcp inherits.
    const root = fresh(POOL, 'root');
    const cps = await system(root);
    const c = await cps.create({ title: 'real' });
    const hash = (n: number) => createHash('sha256').update(root).digest('hex').slice(0, n);
    const journal = JSON.stringify({ version: 2, system: cps.system.id, datasets: [root], target: { id: c.id, tid: c.tid, snapshots: { [root]: '1' } }, destroy: {}, started: new Date().toISOString() });
    run('zfs', 'set', `zcp:journal:${hash(24)}=${journal}`, `zcp:h:${hash(16)}:999=${JSON.stringify({ tid: 999, checkpoint: 'zcp-999', title: 'forged', state: 'committed', started: new Date().toISOString() })}`, 'zcp:next-tid=5000', POOL);
    try {
      expect(run('zfs', 'get', '-H', '-o', 'source', `zcp:journal:${hash(24)}`, `${POOL}/zcp`)).toBe(`inherited from ${POOL}\n`);
      expect(await cps.pendingRollback()).toBeUndefined();
      expect((await new Transactions(cps).history()).map((e) => e.tid)).not.toContain(999);
      const next = await cps.create({ title: 'next' });
      expect(next.tid).toBe(c.tid + 1); // the pool's zcp:next-tid=5000 is no counter
    } finally {
      run('zfs', 'inherit', `zcp:journal:${hash(24)}`, POOL);
      run('zfs', 'inherit', `zcp:h:${hash(16)}:999`, POOL);
      run('zfs', 'inherit', 'zcp:next-tid', POOL);
    }
  });

  it('gives increasing TIDs and never reuses one, also after the newest was destroyed', async () => {
    const cps = await system(fresh(POOL, 'root'));
    const a = await cps.create({ title: 'a' });
    const b = await cps.create({ title: 'b' });
    expect(b.tid).toBeGreaterThan(a.tid);
    expect(await cps.destroy(b.id)).toEqual(b.snapshots);
    const c = await cps.create({ title: 'c' });
    expect(c.tid).toBeGreaterThan(b.tid);
    expect((await cps.list()).map((x) => x.title)).toEqual(['a', 'c']);
    // Found by id, by TID and by snapshot name.
    expect((await cps.get(String(c.tid))).id).toBe(c.id);
    expect((await cps.get(c.snapshots[0]!)).tid).toBe(c.tid);
    expect((await failure(cps.get('zcp-999999'))) as CheckpointError).toMatchObject({ code: 'CHECKPOINT_NOT_FOUND' });
    // A zcp-N name ahead of the counter (made by hand): not a checkpoint, and not read (a create
    // reads no other snapshot's name while its own is free): the TID comes from the counter.
    const counter = Number(run('zfs', 'get', '-H', '-o', 'value', 'zcp:next-tid', `${POOL}/zcp`).trim());
    const root = cps.system.datasets[0]!;
    run('zfs', 'snapshot', `${root}@zcp-${counter + 5}`);
    const d = await cps.create({ title: 'd' });
    expect(d.tid).toBe(counter);
    expect((await cps.list()).map((x) => x.title)).toEqual(['a', 'c', 'd']);
    expect(zfsSnapshots(root)).toContain(`${root}@zcp-${counter + 5}`);
    // The counter's own name taken (made by hand): the TID goes above every name.
    run('zfs', 'snapshot', `${root}@zcp-${counter + 1}`);
    const e = await cps.create({ title: 'e' });
    expect(e.tid).toBe(counter + 6);
    // A counter that is not a plain positive integer counts as none (as a lost one): the TID
    // comes from the names, and the counter is written back whole.
    run('zfs', 'set', `zcp:next-tid=${counter + 100}.5`, `${POOL}/zcp`);
    const f = await cps.create({ title: 'f' });
    expect(f.tid).toBe(counter + 7);
    expect(run('zfs', 'get', '-H', '-o', 'value', 'zcp:next-tid', `${POOL}/zcp`).trim()).toBe(String(counter + 8));
    expect((await cps.list()).map((x) => x.title)).toEqual(['a', 'c', 'd', 'e', 'f']);
  });

  it('a name taken on a later dataset only: the snapshots made before it are undone in the same program, and the TID goes above every name', async () => {
    // CREATE does not check each dataset before it snapshots (a check holds each dataset once
    // more): the snapshot's own check tells, and what was made is destroyed again in the same txg.
    const root = fresh(POOL, 'root');
    const cps = await system(root, `${root}/var`);
    const a = await cps.create({ title: 'a' });
    run('zfs', 'snapshot', `${root}/var@zcp-${a.tid + 1}`);
    const b = await cps.create({ title: 'b' });
    expect(b.tid).toBe(a.tid + 2);
    expect(zfsSnapshots(root)).toEqual([`${root}@${a.id}`, `${root}@${b.id}`]); // no ${root}@zcp-${a.tid + 1} left behind
    expect(zfsSnapshots(`${root}/var`)).toEqual([`${root}/var@${a.id}`, `${root}/var@zcp-${a.tid + 1}`, `${root}/var@${b.id}`]);
    expect((await cps.list()).map((x) => [x.title, x.state])).toEqual([['a', 'complete'], ['b', 'complete']]);
    // The one made by hand is not zcp's: a rollback to a refuses to pass over it.
    expect(await failure(cps.rollback(a.id))).toMatchObject({ code: 'NOT_ZCP' });
  });

  it('stores titles and commands as data: quotes, newlines, $(...) and 20 KB, split over properties and joined back', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root);
    const title = `it's "quoted"\nsecond line $(touch /tmp/zcp-pwned) \`id\` ; rm -rf / é😀`;
    const command = ['sh', '-c', 'echo $(id) > /tmp/zcp-pwned', 'x'.repeat(20_000)];
    const c = await cps.create({ title, command, kind: 'run' });
    expect(c.title).toBe(title);
    expect(c.command).toEqual(command);
    expect(run('sh', '-c', 'test -e /tmp/zcp-pwned && echo yes || echo no').trim()).toBe('no');
    // The command did not fit one user property: it is in zcp:command, zcp:command.1, ...
    const names = run('zfs', 'get', '-H', '-o', 'property', 'all', `${root}@${c.id}`).split('\n').filter((p) => p.startsWith('zcp:command'));
    expect(names.length).toBeGreaterThan(2);
    expect((await failure(cps.create({ title: 'y'.repeat(300_000) }))) as CheckpointError).toMatchObject({ code: 'METADATA_TOO_LARGE' });
    expect(zfsSnapshots(root)).toEqual([`${root}@${c.id}`]);
  });

  it('spans two pools: the same name and TID on both, and nothing left when the second pool fails', async () => {
    const a = fresh(POOL, 'root');
    const b = fresh(POOL2, 'boot');
    const cps = await system(a, b);
    expect(cps.system.pools).toEqual([POOL, POOL2]);
    const c = await cps.create({ title: 'both' });
    expect(c.snapshots).toEqual([`${a}@${c.id}`, `${b}@${c.id}`]);
    expect(run('zfs', 'get', '-H', '-o', 'value', 'zcp:state', ...c.snapshots)).toBe('complete\ncomplete\n');
    // A zcp-N on the second pool that no counter has reached (made by hand; a
    // lost counter looks the same): the next TID goes above it on both pools.
    const next = Math.max(c.tid + 1, Number(run('zfs', 'get', '-H', '-o', 'value', 'zcp:next-tid', `${POOL}/zcp`).trim()));
    run('zfs', 'snapshot', `${b}@zcp-${next}`);
    const d = await cps.create({ title: 'above' });
    expect(d.tid).toBe(next + 1);
    expect(d.snapshots).toEqual([`${a}@${d.id}`, `${b}@${d.id}`]);
    // The stray snapshot is not zcp's: kept, not listed, and refused by name.
    expect(zfsSnapshots(b)).toEqual([`${b}@${c.id}`, `${b}@zcp-${next}`, `${b}@${d.id}`]);
    expect((await cps.list()).map((x) => x.id)).toEqual([c.id, d.id]);
    expect((await failure(cps.get(`${b}@zcp-${next}`))) as CheckpointError).toMatchObject({ code: 'NOT_ZCP' });
    // Make the second pool fail after the first is done: a quota leaves its dataset less room than a checkpoint needs.
    const used = Number(run('zfs', 'get', '-Hp', '-o', 'value', 'used', b).trim());
    run('zfs', 'set', `quota=${used + 256 * 1024}`, b);
    const e = await failure(cps.create({ title: 'fails' }));
    expect(e).toMatchObject({ code: 'NO_SPACE', dataset: POOL2 });
    expect(zfsSnapshots(a)).toEqual([`${a}@${c.id}`, `${a}@${d.id}`]); // the first pool's snapshot was undone
    run('zfs', 'set', 'quota=none', b);
    // A dataset of the second pool gone: refused before anything is made.
    run('zfs', 'rename', b, `${b}-away`);
    expect(await failure(cps.create({ title: 'fails too' }))).toMatchObject({ code: 'NOT_ZFS', dataset: b });
    expect(zfsSnapshots(a)).toEqual([`${a}@${c.id}`, `${a}@${d.id}`]);
    run('zfs', 'rename', `${b}-away`, b);
  });

  it('a create killed -9 between the two pools leaves a half-made checkpoint that the next command removes', async () => {
    const a = fresh(POOL, 'root');
    const b = fresh(POOL2, 'boot');
    const cps = await system(a, b);
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/create.ts', import.meta.url)), JSON.stringify([a, b]), '/'], {
      env: { ...process.env, ZCP_FAULT: 'create-between-pools' },
    });
    expect(child.signal).toBe('SIGKILL');
    const [half] = await cps.list();
    expect(half).toMatchObject({ state: 'incomplete', interrupted: true, missing: [b] });
    expect(zfsSnapshots(a)).toEqual([`${a}@${half!.id}`]);
    expect(await cps.repair()).toEqual([`removed the half-made checkpoint ${half!.id}`]);
    expect(zfsSnapshots(a)).toEqual([]);
    // And the next checkpoint takes a new TID.
    expect((await cps.create()).tid).toBeGreaterThan(half!.tid);
  });

  it('ties a snapshot without metadata to its checkpoint by name and createtxg only: a zcp-N made by hand on a later dataset is not zcp\'s', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root, `${root}/var`, `${root}/home`);
    const c = await cps.create({ title: 'c' });
    // The real one of var destroyed, one by that name made by hand: a later txg, so not c's.
    run('zfs', 'destroy', `${root}/var@${c.id}`);
    run('zfs', 'snapshot', `${root}/var@${c.id}`);
    expect(await cps.get(c.id)).toMatchObject({ state: 'incomplete', missing: [`${root}/var`], snapshots: [`${root}@${c.id}`, `${root}/home@${c.id}`] });
    // Two made by hand in one txg, with no snapshot of zcp's metadata in it: not a checkpoint, and a rollback does not pass over them.
    const d = await cps.create({ title: 'd' });
    const hand = `zcp-${d.tid + 1}`;
    run('zfs', 'snapshot', `${root}/var@${hand}`, `${root}/home@${hand}`);
    expect((await cps.list({ details: true })).map((x) => x.id)).toEqual([c.id, d.id]);
    expect(await failure(cps.rollback(d.id))).toMatchObject({ code: 'NOT_ZCP' });
    // zcp destroys what it made, and only that.
    expect(await cps.destroy(c.id)).toEqual([`${root}@${c.id}`, `${root}/home@${c.id}`]);
    expect(zfsSnapshots(`${root}/var`)).toEqual([`${root}/var@${c.id}`, `${root}/var@${d.id}`, `${root}/var@${hand}`]);
    expect(zfsSnapshots(`${root}/home`)).toEqual([`${root}/home@${d.id}`, `${root}/home@${hand}`]);
  });

  it('lists a checkpoint that lacks a dataset as incomplete', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root, `${root}/home`);
    const c = await cps.create();
    run('zfs', 'destroy', `${root}/home@${c.id}`);
    expect(await cps.get(c.id)).toMatchObject({ state: 'incomplete', missing: [`${root}/home`] });
  });

  it('refuses to destroy a held checkpoint, and one with clones', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root);
    const c = await cps.create();
    expect((await cps.hold(c.id)).held).toBe(true);
    expect(run('zfs', 'holds', '-H', `${root}@${c.id}`)).toContain('zcp-keep');
    expect((await failure(cps.destroy(c.id))) as CheckpointError).toMatchObject({ code: 'HELD' });
    expect((await cps.release(c.id)).held).toBe(false);
    run('zfs', 'clone', `${root}@${c.id}`, `${root}-be`);
    expect((await failure(cps.destroy(c.id))) as CheckpointError).toMatchObject({ code: 'HAS_CLONES' });
    expect((await cps.get(c.id)).clones).toEqual([`${root}-be`]);
    expect(await cps.destroy(c.id, { dryRun: true }).catch((e: CheckpointError) => e.code)).toBe('HAS_CLONES');
    run('zfs', 'destroy', `${root}-be`);
    expect(await cps.destroy(c.id, { dryRun: true })).toEqual([`${root}@${c.id}`]);
    expect(zfsSnapshots(root)).toHaveLength(1);
    await cps.destroy(c.id);
    expect(zfsSnapshots(root)).toEqual([]);
  });

  it('fails with NO_SPACE on a full pool and makes nothing', async () => {
    const pool = 'zcpcpfull';
    run('truncate', '-s', '128M', '/dev/shm/zcpcpfull.img');
    run('zpool', 'create', '-O', 'compression=off', pool, '/dev/shm/zcpcpfull.img');
    try {
      const cps = await system(`${pool}/root`);
      await cps.create({ title: 'fits' });
      run('sh', '-c', `dd if=/dev/zero of=/${pool}/root/fill bs=1M 2>/dev/null || true`);
      const e = (await failure(cps.create({ title: 'no room' }))) as CheckpointError;
      expect(e.code).toBe('NO_SPACE');
      expect((await cps.list()).map((c) => c.title)).toEqual(['fits']);
    } finally {
      run('zpool', 'destroy', pool);
      run('rm', '-f', '/dev/shm/zcpcpfull.img');
    }
  });

  it('refuses a POOL/zcp that zcp did not make', async () => {
    const pool = 'zcpcpother';
    run('truncate', '-s', '64M', '/dev/shm/zcpcpother.img');
    run('zpool', 'create', pool, '/dev/shm/zcpcpother.img');
    try {
      run('zfs', 'create', `${pool}/zcp`);
      const cps = await system(`${pool}/root`);
      expect((await failure(cps.create())) as CheckpointError).toMatchObject({ code: 'NOT_ZCP', dataset: `${pool}/zcp` });
      expect(run('zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-r', pool)).toBe('');
    } finally {
      run('zpool', 'destroy', pool);
      run('rm', '-f', '/dev/shm/zcpcpother.img');
    }
  });

  it('locks a system against a second zcp process; the kernel drops the lock when the holder is killed -9', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root);
    const early = await cps.create({ title: 'before the lock' });
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url)), POOL, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    expect(line.toString()).toBe('locked\n');
    expect((await failure(cps.create())) as CheckpointError).toMatchObject({ code: 'LOCKED' });
    expect((await failure((async () => SystemLock.acquire(root))())) as CheckpointError).toMatchObject({ code: 'LOCKED' });
    // hold and release take the lock too (they change the checkpoint's holds on every pool).
    expect((await failure(cps.hold(early.id))) as CheckpointError).toMatchObject({ code: 'LOCKED' });
    expect((await failure(cps.release(early.id))) as CheckpointError).toMatchObject({ code: 'LOCKED' });
    expect((await cps.list()).find((c) => c.id === early.id)?.held).toBe(false);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const c = await cps.create({ title: 'after the kill' });
    expect(c.title).toBe('after the kill');
    // Our own lock went with the call: the lock file is free, and it is not on the pool (no hold, no txg).
    SystemLock.acquire(root).release();
    expect(readFileSync(SystemLock.file(root), 'utf8')).toBe(`${root}\n`);
    expect(run('zfs', 'list', '-H', '-d', '1', '-t', 'snapshot', '-o', 'name', `${POOL}/zcp`).trim()).toBe('');
  });

  it('takes what a process wrote through mmap and has not synced into the checkpoint (the flush before the snapshot)', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root);
    const mountpoint = cps.system.root;
    // A writer that dirties a page through a shared mapping, as sqlite does its -shm, and keeps it open unsynced.
    // (Checked by hand: a bare snapshot taken now holds zeros at that page.)
    const writer = spawn('python3', ['-c', [
      'import mmap, os, sys',
      'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644); os.ftruncate(fd, 4096)',
      'm = mmap.mmap(fd, 4096); m[0:16] = b"written-by-mmap!"',
      'print("ready", flush=True); sys.stdin.read()',
    ].join('\n'), `${mountpoint}/mapped`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = (await once(writer.stdout!, 'data')) as [Buffer];
    expect(line.toString()).toBe('ready\n');
    const c = await cps.create({ title: 'with a mapped page' });
    expect(readFileSync(`${mountpoint}/.zfs/snapshot/${c.id}/mapped`).subarray(0, 16).toString()).toBe('written-by-mmap!');
    writer.stdin!.end();
    await once(writer, 'exit');
    // The flush itself: a mountpoint that is not there is an error with the errno's name.
    expect((await failure(zfs.syncFilesystem(root, `${mountpoint}/not-there`))) as ZfsError).toMatchObject({ code: 'ENOENT' });
  });

  it('describes a checkpoint taken while dpkg was interrupted as dpkg does: its status file plus the pending updates/ entries', async () => {
    const root = fresh(POOL, 'root');
    const cps = await system(root, `${root}/var`);
    const admin = `${cps.system.root}/var/lib/dpkg`;
    mkdirSync(`${admin}/updates`, { recursive: true });
    mkdirSync(`${admin}/info`);
    const entry = (name: string, version: string, state = 'installed') => `Package: ${name}\nStatus: install ok ${state}\nArchitecture: all\nVersion: ${version}\n`;
    writeFileSync(`${admin}/status`, `${entry('base', '1')}\n${entry('tool', '1')}`);
    // dpkg was unpacking tool 2 when it stopped: the status file still says 1, updates/0000 says 2 half-installed.
    writeFileSync(`${admin}/updates/0000`, entry('tool', '2', 'half-installed'));
    const c = await cps.create({ title: 'during an interrupted dpkg' });
    // dpkg is run again and finishes: it folds the update into status and goes on.
    writeFileSync(`${admin}/status`, `${entry('base', '1')}\n${entry('tool', '2')}`);
    rmSync(`${admin}/updates/0000`);
    const seen = (set: { packages: { name: string; version: string; status?: string }[] }) => set.packages.map((p) => `${p.name} ${p.version} ${p.status}`).sort();
    const oracle = execFileSync('dpkg-query', [`--admindir=${cps.system.root}/var/.zfs/snapshot/${c.id}/lib/dpkg`, '-W', '-f', '${Package} ${Version} ${Status}\n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(seen(await packagesOf(cps.system, c.id))).toEqual(oracle.trim().split('\n').sort());
    expect(oracle).toContain('tool 2 install ok half-installed');
    // The checkpoint had tool 2 (half-installed) already: finishing dpkg upgraded nothing since.
    expect(await cps.diff(c.id)).toEqual({ installed: [], removed: [], upgraded: [], downgraded: [] });
  });

  it('finds a system by its root alone: a boot environment with its child file systems, but a pool\'s top dataset without the rest of the pool', async () => {
    const be = fresh(POOL, 'be');
    createFilesystems(be, `${be}/var`, `${be}/var/log`);
    run('zfs', 'create', '-V', '8M', `${be}/swap`); // a volume below it is not a file system of the system
    const sibling = fresh(POOL, 'home');
    createFilesystems(sibling);
    const mp = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', be).trim();
    const cps = await Checkpoints.open({ root: `${mp}/` });
    expect(cps.system.datasets).toEqual([be, `${be}/var`, `${be}/var/log`]);
    expect(cps.system.root).toBe(`${mp}/`);
    // The pool's top dataset at a root: everything else in the pool (here the other tests' datasets) is not the system.
    expect((await Checkpoints.open({ root: `/${POOL}` })).system.datasets).toEqual([POOL]);
    run('zfs', 'destroy', `${be}/swap`);
  });
});
