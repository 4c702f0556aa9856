// Rollback in place, package diffs and boot environments on a small real
// dpkg system (packages made by dpkg-deb, installed by dpkg --root) on a root
// dataset with a separate /var, against real zfs.ko.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Checkpoint, Checkpoints } from '../../src/checkpoint/index.js';
import { zfs } from '../../src/index.js';
import { createFilesystems, failure, fresh, run, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { buildDeb, dpkg, initDpkgRoot, treeDigest } from '../support/systems.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];


let debs: Record<string, string>;
beforeAll(() => {
  debs = {
    hello1: buildDeb('hello', '1.0-1', { 'usr/share/hello/version': '1\n', 'etc/hello.conf': 'greeting=hi\n' }),
    hello2: buildDeb('hello', '2.0-1', { 'usr/share/hello/version': '2\n', 'etc/hello.conf': 'greeting=hello\n' }, 'exit 1'),
    extra1: buildDeb('extra', '1.0', { 'usr/share/extra/data': 'x\n' }),
    newpkg: buildDeb('newpkg', '0.1', { 'usr/share/newpkg/data': 'n\n' }),
  };
});

/** A root dataset with /var on its own dataset, dpkg initialised, hello 1.0 and extra installed. */
/**
 * Two checkpoints with the counter set back between them (as after a restore
 * of POOL/zcp): `high` made first with the higher TID, `low` after it with
 * the lower. `restore` moves the counter past both again.
 */
async function counterSetBack(cps: Checkpoints): Promise<{ high: Checkpoint; low: Checkpoint; restore: () => void }> {
  const state = `${POOL}/zcp`;
  const start = Number(run('zfs', 'get', '-H', '-o', 'value', 'zcp:next-tid', state).trim());
  run('zfs', 'set', `zcp:next-tid=${start + 500}`, state);
  const high = await cps.create({ title: 'older, higher TID' });
  run('zfs', 'set', `zcp:next-tid=${start}`, state);
  const low = await cps.create({ title: 'newer, lower TID' });
  return { high, low, restore: () => void run('zfs', 'set', `zcp:next-tid=${start + 501}`, state) };
}

async function debSystem(): Promise<{ cps: Checkpoints; root: string; datasets: string[] }> {
  const ds = fresh(POOL, 'sys');
  const datasets = createFilesystems(ds, `${ds}/var`);
  const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
  initDpkgRoot(root);
  expect(dpkg(root, '-i', debs.hello1!, debs.extra1!)).toBe(0);
  return { cps: await Checkpoints.open({ datasets, root }), root, datasets };
}

describe('rollback in place (guest)', () => {
  it('diffs packages from the snapshots, plans, and rolls a failed upgrade back byte for byte', async () => {
    const { cps, root, datasets } = await debSystem();
    const before = treeDigest(root);
    const base = await cps.create({ title: 'base' });
    // An upgrade whose postinst fails, a new package, and a later checkpoint.
    expect(dpkg(root, '-i', debs.hello2!)).not.toBe(0);
    expect(readFileSync(`${root}/var/lib/dpkg/status`, 'utf8')).toContain('half-configured');
    expect(dpkg(root, '-i', debs.newpkg!)).toBe(0);
    const later = await cps.create({ title: 'later' });
    expect(dpkg(root, '-r', 'extra')).toBe(0);

    const d = await cps.diff(base.id);
    expect(d.upgraded).toEqual([{ name: 'hello', architecture: 'all', from: '1.0-1', to: '2.0-1' }]);
    expect(d.installed.map((p) => p.name)).toEqual(['newpkg']);
    expect(d.removed.map((p) => p.name)).toEqual(['extra']);
    expect((await cps.diff(base.id, later.id)).removed).toEqual([]);

    const plan = await cps.planRollback(base.id);
    expect(plan.consumes.map((c) => c.id)).toEqual([later.id]);
    expect(plan.destroy).toEqual(later.snapshots);
    expect(plan.packages).toMatchObject({
      manager: 'dpkg',
      downgrade: [{ name: 'hello', from: '2.0-1', to: '1.0-1' }],
      remove: [{ name: 'newpkg' }],
      reinstall: [{ name: 'extra' }],
      upgrade: [],
    });
    // A dry run changes nothing.
    expect((await cps.rollback(base.id, { dryRun: true })).done).toBe(false);
    expect((await cps.list()).length).toBe(2);
    // Declined at the prompt: nothing either.
    expect((await cps.rollback(base.id, { confirm: async () => false })).done).toBe(false);
    expect((await cps.rollback(base.id, { confirm: async () => true })).done).toBe(true);
    expect(treeDigest(root)).toBe(before);
    expect((await cps.list()).map((c) => c.id)).toEqual([base.id]);
    for (const ds of datasets) expect(zfsSnapshots(ds)).toEqual([`${ds}@${base.id}`]);

    // No leftovers: a new checkpoint (never the consumed TID) and a new rollback both work.
    expect(dpkg(root, '-i', debs.newpkg!)).toBe(0);
    const next = await cps.create({ title: 'next' });
    expect(next.tid).toBeGreaterThan(later.tid);
    expect(dpkg(root, '-r', 'newpkg')).toBe(0);
    await cps.rollback(next.id);
    expect(readFileSync(`${root}/var/lib/dpkg/status`, 'utf8')).toContain('Package: newpkg');
    await cps.rollback(base.id);
    expect(treeDigest(root)).toBe(before);
  });

  it('refuses to pass over a snapshot zcp did not make, a held checkpoint and an incomplete one, changing nothing', async () => {
    const { cps, root, datasets } = await debSystem();
    const base = await cps.create({ title: 'base' });
    run('zfs', 'snapshot', `${datasets[1]}@mine`);
    expect(dpkg(root, '-i', debs.newpkg!)).toBe(0);
    const now = treeDigest(root);
    expect(await failure(cps.rollback(base.id))).toMatchObject({ code: 'NOT_ZCP', dataset: `${datasets[1]}@mine` });
    expect(treeDigest(root)).toBe(now);
    run('zfs', 'destroy', `${datasets[1]}@mine`);
    const held = await cps.create({ title: 'held' });
    await cps.hold(held.id);
    expect(await failure(cps.rollback(base.id))).toMatchObject({ code: 'HELD' });
    await cps.release(held.id);
    run('zfs', 'destroy', `${datasets[1]}@${base.id}`);
    expect(await failure(cps.rollback(base.id))).toMatchObject({ code: 'INCOMPLETE' });
    expect(treeDigest(root)).toBe(now);
  });

  it('reads only what a rollback passes over: older snapshots stop nothing and stay; a snapshot made after the target, whatever its name, is refused', async () => {
    const { cps, datasets } = await debSystem();
    run('zfs', 'snapshot', `${datasets[0]}@older`);
    const c1 = await cps.create({ title: 'one' });
    const c2 = await cps.create({ title: 'two' });
    // The newest on every dataset; no package plan asked for, none read.
    const quick = await cps.rollback(c2.id, { packages: false });
    expect([quick.done, 'packages' in quick, 'packageError' in quick]).toEqual([true, false, false]);
    const c3 = await cps.create({ title: 'three' });
    // zcp-0 is below every TID and not a checkpoint name: only its createtxg tells it is newer than c3.
    run('zfs', 'snapshot', `${datasets[1]}@zcp-0`);
    expect(await failure(cps.rollback(c3.id))).toMatchObject({ code: 'NOT_ZCP', dataset: `${datasets[1]}@zcp-0` });
    expect(await failure(cps.rollback(c1.id))).toMatchObject({ code: 'NOT_ZCP', dataset: `${datasets[1]}@zcp-0` });
    run('zfs', 'destroy', `${datasets[1]}@zcp-0`);
    const back = await cps.rollback(c1.id);
    expect(back.consumes.map((c) => c.id)).toEqual([c2.id, c3.id]);
    expect(back.packages).toMatchObject({ manager: 'dpkg' });
    expect(run('zfs', 'list', '-H', '-o', 'name', '-t', 'snapshot', datasets[0]!).trim().split('\n')).toEqual([`${datasets[0]}@older`, `${datasets[0]}@${c1.id}`]);
  });

  it('takes "later" from the snapshots\' order, not the TIDs: an older checkpoint with a higher TID (a counter set back, as after a restore of POOL/zcp) is kept, a newer one with a lower TID is consumed', async () => {
    const { cps, datasets } = await debSystem();
    const { high, low, restore } = await counterSetBack(cps);
    expect(low.tid).toBeLessThan(high.tid);
    // Back to the newest: nothing is newer, nothing consumed; the older one stays.
    const plan = await cps.planRollback(low.id);
    expect(plan.consumes.map((c) => c.id)).toEqual([]);
    const r = await cps.rollback(low.id, { packages: false });
    expect(r.done).toBe(true);
    expect(zfsSnapshots(datasets[0]!)).toEqual([`${datasets[0]}@${high.id}`, `${datasets[0]}@${low.id}`]);
    // Back to the older one: the newer, lower TID goes (the rollback passes over it), and the rollback is done.
    const back = await cps.rollback(high.id, { packages: false });
    expect([back.done, back.consumes.map((c) => c.id)]).toEqual([true, [low.id]]);
    expect(zfsSnapshots(datasets[1]!)).toEqual([`${datasets[1]}@${high.id}`]);
    expect(await cps.pendingRollback()).toBeUndefined();
    restore();
  });

  it('checks an interrupted rollback\'s journal by the snapshots\' order too: with the counter set back, zcp repair finishes it (the newer, lower TID destroyed; the older, higher TID kept)', async () => {
    const { cps, datasets, root } = await debSystem();
    const { high, low, restore } = await counterSetBack(cps);
    // Killed after the journal, before anything was destroyed or rolled back.
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/rollback.ts', import.meta.url)), JSON.stringify(datasets), root, high.id], {
      env: { ...process.env, ZCP_FAULT: 'rollback-journaled' },
      encoding: 'utf8',
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const pending = await cps.pendingRollback();
    expect(pending).toMatchObject({ target: { id: high.id }, problems: [], destroy: datasets.map((d) => `${d}@${low.id}`) });
    expect((await cps.repair()).at(-1)).toBe(`finished the interrupted rollback to ${high.id}`);
    for (const d of datasets) expect(zfsSnapshots(d)).toEqual([`${d}@${high.id}`]);
    restore();
  });

  it('says why there is no package plan when the snapshot holds a corrupt status, and still rolls the files back', async () => {
    const { cps, root } = await debSystem();
    const status = readFileSync(`${root}/var/lib/dpkg/status`);
    run('sh', '-c', `printf 'Package: broken\\nStatus: not three words at all here\\n' >> ${root}/var/lib/dpkg/status`);
    const bad = await cps.create({ title: 'corrupt status' });
    run('sh', '-c', `cp /dev/null ${root}/var/lib/dpkg/status`);
    const plan = await cps.planRollback(bad.id);
    expect(plan.packages).toBeUndefined();
    expect(plan.packageError).toMatch(/Status of broken/);
    await cps.rollback(bad.id);
    expect(readFileSync(`${root}/var/lib/dpkg/status`).subarray(0, status.length)).toEqual(status);
  });

  it('finishes a rollback killed -9 half-way when the next zcp command runs', async () => {
    const { cps, root, datasets } = await debSystem();
    const before = treeDigest(root);
    const base = await cps.create({ title: 'base' });
    expect(dpkg(root, '-i', debs.hello2!, debs.newpkg!)).not.toBe(0);
    await cps.create({ title: 'later' });
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/rollback.ts', import.meta.url)), JSON.stringify(datasets), root, base.id], {
      env: { ...process.env, ZCP_FAULT: 'rollback-first-dataset' },
      encoding: 'utf8',
    });
    expect(child.signal).toBe('SIGKILL');
    // Half-done: the root dataset is back, /var (with dpkg's status) is not, and the journal says so.
    expect(readFileSync(`${root}/var/lib/dpkg/status`, 'utf8')).toContain('newpkg');
    expect(run('zfs', 'get', '-H', '-o', 'property,value', 'all', `${POOL}/zcp`)).toMatch(/zcp:journal:\w+\t\{"op":"rollback","version":2/);
    // zcp repair finishes it (nothing else does: test/zfs/nothing-lost.test.ts).
    expect((await cps.repair()).at(-1)).toBe(`finished the interrupted rollback to ${base.id}`);
    expect(treeDigest(root)).toBe(before);
    expect(await cps.repair()).toEqual([]);
  });
});

describe('boot environments (guest)', () => {
  it('clones a checkpoint, activates it (A moves), and refuses to destroy the active one', async () => {
    const { cps, datasets } = await debSystem();
    const c = await cps.create({ title: 'for a BE' });
    const made = await cps.clone(c.id, `be${c.tid}`);
    const beRoot = `${POOL}/be${c.tid}`;
    expect(made).toEqual([beRoot, `${beRoot}/var`]);
    expect(run('zfs', 'get', '-H', '-o', 'value', 'origin,canmount,mounted', beRoot)).toBe(`${datasets[0]}@${c.id}\nnoauto\nno\n`);
    let bes = await cps.bootEnvironments();
    expect(bes.map((b) => [b.name, b.active, b.current])).toEqual([
      [datasets[0]!.split('/').pop(), false, true],
      [`be${c.tid}`, false, false],
    ]);
    await cps.activate(`be${c.tid}`);
    expect(run('zpool', 'get', '-H', '-o', 'value', 'bootfs', POOL).trim()).toBe(beRoot);
    bes = await cps.bootEnvironments();
    expect(bes.map((b) => b.active)).toEqual([false, true]);
    expect(await failure(cps.destroyBootEnvironment(`be${c.tid}`))).toMatchObject({ code: 'ACTIVE' });
    expect(await failure(cps.destroy(c.id))).toMatchObject({ code: 'HAS_CLONES' });
    expect(await failure(cps.destroyBootEnvironment(datasets[0]!.split('/').pop()!))).toMatchObject({ code: 'CURRENT' });
    // Activate the system itself again: the BE can go, then the checkpoint.
    await cps.activate(datasets[0]!);
    expect(await cps.destroyBootEnvironment(`be${c.tid}`)).toEqual([`${beRoot}/var`, beRoot]);
    await cps.destroy(c.id);
    run('zpool', 'set', 'bootfs=', POOL);
  });

  it('on a pool imported under an altroot (a rescue system) a clone gets the mountpoint as set, /, not the altroot', async () => {
    // The kernel answers a channel program with /mnt/alt/mnt/alt/... (8 KiB) for
    // every mountpoint there; copied, the boot environment would never mount at /.
    const pool = 'zcpalt';
    const img = '/dev/shm/zcpalt.img';
    const alt = '/mnt/zcp-alt';
    run('truncate', '-s', '256M', img);
    run('zpool', 'create', '-O', 'mountpoint=none', pool, img);
    try {
      run('zfs', 'create', '-o', 'mountpoint=none', '-o', 'canmount=off', `${pool}/ROOT`);
      run('zfs', 'create', '-o', 'mountpoint=/', '-o', 'canmount=noauto', `${pool}/ROOT/debian`);
      run('zfs', 'create', `${pool}/ROOT/debian/var`);
      run('zpool', 'export', pool);
      run('zpool', 'import', '-N', '-R', alt, '-d', img, pool);
      run('zfs', 'mount', `${pool}/ROOT/debian`);
      run('zfs', 'mount', `${pool}/ROOT/debian/var`);
      const datasets = [`${pool}/ROOT/debian`, `${pool}/ROOT/debian/var`];
      expect((await zfs.getProps(datasets[0]!, ['mountpoint'])).mountpoint).toEqual({ value: alt, source: 'local' });
      expect((await zfs.getProps(datasets[1]!, ['mountpoint'])).mountpoint).toEqual({ value: `${alt}/var`, source: `inherited from ${datasets[0]}` });
      expect(await zfs.getMountpoint(datasets[0]!)).toEqual({ value: alt, setting: '/', source: 'local', altroot: alt });
      const cps = await Checkpoints.open({ datasets, root: alt });
      const c = await cps.create({ title: 'from the rescue system' });
      expect(await cps.clone(c.id, 'rescued')).toEqual([`${pool}/ROOT/rescued`, `${pool}/ROOT/rescued/var`]);
      expect(run('zfs', 'get', '-H', '-o', 'value,source', 'mountpoint', `${pool}/ROOT/rescued`)).toBe(`${alt}\tlocal\n`);
      // Imported as the machine boots it (no altroot): the boot environment is at /, its /var below.
      run('zpool', 'export', pool);
      run('zpool', 'import', '-N', '-d', img, pool);
      expect(run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', `${pool}/ROOT/rescued`, `${pool}/ROOT/rescued/var`)).toBe('/\n/var\n');
      expect(await zfs.getMountpoint(`${pool}/ROOT/rescued`)).toEqual({ value: '/', setting: '/', source: 'local' });
    } finally {
      run('zpool', 'destroy', '-f', pool);
      rmSync(img, { force: true });
    }
  });
});
