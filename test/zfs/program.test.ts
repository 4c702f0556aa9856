// Channel programs and what zcp builds on them: listing, properties, user
// properties; 2,000 snapshots in one listing; limits that grow.
import { describe, expect, it } from 'vitest';
import { zfs } from '../../src/index.js';
import { createFilesystems, fresh, rejection, run, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];

/**
 * n snapshots of one dataset. The kernel takes one snapshot per dataset per
 * txg, so this costs n txg syncs (about 40 ms each in the emulated guest).
 */
async function makeSnapshots(dataset: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await zfs.snapshot([`${dataset}@s${i}`]);
}

describe('channelProgram', () => {
  it('returns what the program returns, with its argument', async () => {
    const ret = await zfs.channelProgram(POOL, 'local args = ...\nreturn {sum = args.a + args.b, name = args.name, flag = args.flag}', {
      args: { a: 40, b: 2, name: 'zcp', flag: true },
    });
    expect(ret).toEqual({ sum: 42, name: 'zcp', flag: true });
  });

  it('reports syntax and run-time errors with Lua\'s text', async () => {
    const syntax = await rejection(zfs.channelProgram(POOL, 'this is not lua'));
    expect(syntax.code).toBe('CHANNEL_PROGRAM_ERROR');
    expect(syntax.message).toMatch(/syntax error/);
    const runtime = await rejection(zfs.channelProgram(POOL, 'error("boom")'));
    expect(runtime.code).toBe('CHANNEL_PROGRAM_ERROR');
    expect(runtime.message).toMatch(/boom/);
    expect((await rejection(zfs.channelProgram('nosuchpool', 'return 1'))).code).toBe('POOL_NOT_FOUND');
  });

  it('reports the instruction and memory limits when told not to grow them', async () => {
    const t = await rejection(zfs.channelProgram(POOL, 'while true do end', { limits: { instructions: 100_000, memory: 1 << 20 }, growLimits: false }));
    expect(t.code).toBe('CHANNEL_PROGRAM_TIMEOUT');
    const m = await rejection(
      zfs.channelProgram(POOL, 't = {} for i = 1, 100000 do t[i] = "xxxxxxxxxxxxxxxxxxxxxxxx" .. i end', { limits: { instructions: 10_000_000, memory: 1 << 20 }, growLimits: false }),
    );
    expect(m.code).toBe('CHANNEL_PROGRAM_MEMORY');
  });
});

describe('listSnapshots', () => {
  it('lists 2,000 snapshots in one call, as the zfs command does', async () => {
    const [ds] = createFilesystems(fresh(POOL, 'many'));
    await makeSnapshots(ds!, 2000);
    await zfs.snapshot([`${ds}@last`], { 'zcp:tid': '7' });
    const t0 = performance.now();
    const list = await zfs.listSnapshots(ds!, { props: ['zcp:tid', 'used', 'guid'] });
    console.log(`listSnapshots of 2,001 snapshots: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(list).toHaveLength(2001);
    expect(list.map((s) => s.name).sort()).toEqual(zfsSnapshots(ds!).sort());
    // Oldest first; the last one carries its user property, the others leave it out.
    expect(list[2000]!.name).toBe(`${ds}@last`);
    expect(list[2000]!.props['zcp:tid']).toBe('7');
    expect(list[0]!.props['zcp:tid']).toBeUndefined();
    expect(list.slice(0, 3).map((s) => s.name)).toEqual([`${ds}@s1`, `${ds}@s2`, `${ds}@s3`]);
    const guid = run('zfs', 'get', '-Hp', '-o', 'value', 'guid', `${ds}@s1`).trim();
    expect(String(list.find((s) => s.name === `${ds}@s1`)!.props.guid)).toBe(guid);
    const txg = run('zfs', 'get', '-Hp', '-o', 'value', 'createtxg', `${ds}@last`).trim();
    expect(String(list[2000]!.props.createtxg)).toBe(txg);

    // Limits far too small for 2,001 snapshots: zcp grows them and still lists all.
    const grown = await zfs.listSnapshots(ds!, { limits: { instructions: 2_000, memory: 64 * 1024 } });
    expect(grown.map((s) => s.name)).toEqual(list.map((s) => s.name));
  }, 600_000);

  it('fails with DATASET_NOT_FOUND for a missing dataset', async () => {
    expect((await rejection(zfs.listSnapshots(`${POOL}/none`))).code).toBe('DATASET_NOT_FOUND');
  });
});

describe('listChildren', () => {
  it('lists children, or all descendants, as the zfs command does', async () => {
    const top = fresh(POOL, 'tree');
    createFilesystems(`${top}/a/x`, `${top}/b`);
    expect(await zfs.listChildren(top)).toEqual([`${top}/a`, `${top}/b`]);
    const all = run('zfs', 'list', '-H', '-o', 'name', '-r', top).trim().split('\n').slice(1).sort();
    expect(await zfs.listChildren(top, { recursive: true })).toEqual(all);
    expect((await rejection(zfs.listChildren(`${top}/none`))).code).toBe('DATASET_NOT_FOUND');
  });
});

describe('getProps and setUserProps', () => {
  it('reads properties with their sources as `zfs get` shows them', async () => {
    const [parent] = createFilesystems(fresh(POOL));
    const [child] = createFilesystems(`${parent}/child`);
    run('zfs', 'set', 'zcp:role=root', parent!);
    run('zfs', 'set', 'atime=off', child!);
    const props = await zfs.getProps(child!);
    const oracle = new Map(
      run('zfs', 'get', '-Hp', '-o', 'property,value,source', 'all', child!)
        .trim()
        .split('\n')
        .map((l) => l.split('\t') as [string, string, string])
        .map(([p, v, s]) => [p, { v, s }]),
    );
    for (const name of ['used', 'referenced', 'creation', 'mountpoint', 'atime', 'compression', 'zcp:role', 'guid']) {
      expect(String(props[name]!.value), name).toBe(oracle.get(name)!.v);
      expect(props[name]!.source, name).toBe(oracle.get(name)!.s);
    }
    const some = await zfs.getProps(child!, ['atime', 'zcp:role', 'zcp:unset']);
    expect(Object.keys(some).sort()).toEqual(['atime', 'zcp:role']);
    expect((await rejection(zfs.getProps(`${parent}/none`))).code).toBe('DATASET_NOT_FOUND');
  });

  it('sets user properties on datasets and snapshots in one transaction', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    await zfs.snapshot([`${ds}@cp`]);
    await zfs.setUserProps(ds!, { 'zcp:a': 'one', 'zcp:b': 'two words' });
    await zfs.setUserProps(`${ds}@cp`, { 'zcp:state': 'committed' });
    expect(run('zfs', 'get', '-H', '-o', 'value', 'zcp:a,zcp:b', ds!).trim().split('\n')).toEqual(['one', 'two words']);
    expect(run('zfs', 'get', '-H', '-o', 'value,source', 'zcp:state', `${ds}@cp`).trim()).toBe('committed\tlocal');
    expect((await rejection(zfs.setUserProps(`${ds}@none`, { 'zcp:a': 'x' }))).code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await rejection(zfs.setUserProps(ds!, { compression: 'lz4' }))).code).toBe('INVALID_PROPERTY');
  });
});

describe('pool properties', () => {
  it('gets and sets bootfs as zpool does', async () => {
    const [be] = createFilesystems(fresh(POOL, 'be'));
    const before = await zfs.getPoolProp(POOL, 'bootfs');
    expect(before).toBe(run('zpool', 'get', '-Hp', '-o', 'value', 'bootfs', POOL).trim());
    await zfs.setPoolProp(POOL, 'bootfs', be!);
    expect(await zfs.getPoolProp(POOL, 'bootfs')).toBe(be);
    expect(run('zpool', 'get', '-H', '-o', 'value', 'bootfs', POOL).trim()).toBe(be);
    await zfs.setPoolProp(POOL, 'bootfs', '');
    expect(await zfs.getPoolProp(POOL, 'bootfs')).toBe('-');
    expect((await rejection(zfs.getPoolProp('nosuchpool', 'bootfs'))).code).toBe('POOL_NOT_FOUND');
    expect((await rejection(zfs.setPoolProp(POOL, 'bootfs', 'otherpool/x'))).code).toBe('INVALID_PROPERTY');
    expect((await rejection(zfs.setPoolProp(POOL, 'bootfs', `${POOL}/nonexistent`))).code).toBe('DATASET_NOT_FOUND');
    expect((await rejection(zfs.getPoolProp(POOL, 'BAD PROP'))).code).toBe('INVALID_PROPERTY');
  });
});
