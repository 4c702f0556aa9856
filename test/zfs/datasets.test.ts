// create, clone, promote, rename, rollback, rollbackTo, destroy against the
// real kernel module; the zfs command is the oracle.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zfs } from '../../src/index.js';
import { attempt, createFilesystems, fresh, rejection, run, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';

const [POOL, POOL2] = TEST_POOLS.map((p) => p.name) as [string, string];
const get = (prop: string, ds: string) => run('zfs', 'get', '-H', '-o', 'value', prop, ds).trim();

describe('create', () => {
  it('creates a filesystem with native and user properties', async () => {
    const ds = fresh(POOL);
    await zfs.create(ds, { 'zcp:kind': 'be', canmount: 'noauto', readonly: 'on', mountpoint: '/be', quota: 64 * 1024 * 1024 });
    expect(get('type', ds)).toBe('filesystem');
    expect(get('zcp:kind', ds)).toBe('be');
    expect(get('canmount', ds)).toBe('noauto');
    expect(get('readonly', ds)).toBe('on');
    expect(get('mountpoint', ds)).toBe('/be');
    expect(run('zfs', 'get', '-Hp', '-o', 'value', 'quota', ds).trim()).toBe(String(64 * 1024 * 1024));
  });

  it('fails with DATASET_EXISTS, PARENT_NOT_FOUND and INVALID_PROPERTY', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    expect((await rejection(zfs.create(ds!))).code).toBe('DATASET_EXISTS');
    const orphan = `${fresh(POOL)}/child`;
    const e = await rejection(zfs.create(orphan));
    expect(e).toMatchObject({ code: 'PARENT_NOT_FOUND', dataset: orphan, errno: 2 });
    expect((await rejection(zfs.create(fresh(POOL), { canmount: 'bogus' }))).code).toBe('INVALID_PROPERTY');
    expect((await rejection(zfs.create(fresh(POOL), { compression: 'lz4' }))).code).toBe('INVALID_PROPERTY');
    expect((await rejection(zfs.create(fresh(POOL), { 'zcp:x': 5 }))).code).toBe('INVALID_PROPERTY');
  });
});

describe('clone and promote', () => {
  it('clones a snapshot and promotes the clone', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    run('zfs', 'snapshot', `${ds}@base`);
    const be = fresh(POOL, 'be');
    await zfs.clone(`${ds}@base`, be, { 'zcp:be': 'yes' });
    expect(get('origin', be)).toBe(`${ds}@base`);
    expect(get('zcp:be', be)).toBe('yes');
    await zfs.promote(be);
    expect(get('origin', be)).toBe('-');
    expect(get('origin', ds!)).toBe(`${be}@base`);
    expect(zfsSnapshots(be)).toEqual([`${be}@base`]);
  });

  it('says which side is missing, and refuses clashes and other pools', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    run('zfs', 'snapshot', `${ds}@s`);
    const missingOrigin = await rejection(zfs.clone(`${ds}@none`, fresh(POOL)));
    expect(missingOrigin).toMatchObject({ code: 'SNAPSHOT_NOT_FOUND', dataset: `${ds}@none` });
    const orphan = `${fresh(POOL)}/child`;
    expect(await rejection(zfs.clone(`${ds}@s`, orphan))).toMatchObject({ code: 'PARENT_NOT_FOUND', dataset: orphan });
    expect((await rejection(zfs.clone(`${ds}@s`, ds!))).code).toBe('DATASET_EXISTS');
    expect((await rejection(zfs.clone(`${ds}@s`, fresh(POOL2)))).code).toBe('POOLS_DIFFER');
  });

  it('promote fails with NOT_A_CLONE, DATASET_NOT_FOUND, and SNAPSHOT_EXISTS naming the clash', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    expect((await rejection(zfs.promote(ds!))).code).toBe('NOT_A_CLONE');
    expect((await rejection(zfs.promote(`${ds}/none`))).code).toBe('DATASET_NOT_FOUND');
    run('zfs', 'snapshot', `${ds}@base`);
    const be = fresh(POOL, 'be');
    await zfs.clone(`${ds}@base`, be);
    run('zfs', 'snapshot', `${be}@base`);
    const e = await rejection(zfs.promote(be));
    expect(e.code).toBe('SNAPSHOT_EXISTS');
    expect(e.dataset).toBe(`${be}@base`);
  });
});

describe('rename', () => {
  it('renames within a pool and refuses clashes, missing sources and other pools', async () => {
    const [a, b] = createFilesystems(fresh(POOL), fresh(POOL));
    const to = fresh(POOL, 'renamed');
    await zfs.rename(a!, to);
    expect(await zfs.exists(to)).toBe(true);
    expect(await zfs.exists(a!)).toBe(false);
    expect(await rejection(zfs.rename(to, b!))).toMatchObject({ code: 'DATASET_EXISTS', dataset: b });
    expect(await rejection(zfs.rename(a!, fresh(POOL)))).toMatchObject({ code: 'DATASET_NOT_FOUND', dataset: a });
    expect((await rejection(zfs.rename(to, fresh(POOL2)))).code).toBe('POOLS_DIFFER');
  });
});

describe('rollback and rollbackTo', () => {
  it('rollback restores the files of the latest snapshot and names it', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    const file = `/${ds}/state`;
    writeFileSync(file, 'one');
    run('zfs', 'snapshot', `${ds}@one`);
    writeFileSync(file, 'two');
    expect(await zfs.rollback(ds!)).toBe(`${ds}@one`);
    expect(readFileSync(file, 'utf8')).toBe('one');
  });

  it('rollbackTo the latest works; a non-latest one is NOT_LATEST_SNAPSHOT and loses nothing', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    const file = `/${ds}/state`;
    writeFileSync(file, 'a');
    run('zfs', 'snapshot', `${ds}@a`);
    writeFileSync(file, 'b');
    run('zfs', 'snapshot', `${ds}@b`);
    writeFileSync(file, 'c');
    const e = await rejection(zfs.rollbackTo(`${ds}@a`));
    expect(e).toMatchObject({ code: 'NOT_LATEST_SNAPSHOT', dataset: `${ds}@a` });
    expect(zfsSnapshots(ds!)).toEqual([`${ds}@a`, `${ds}@b`]);
    expect(readFileSync(file, 'utf8')).toBe('c');
    await zfs.rollbackTo(`${ds}@b`);
    expect(readFileSync(file, 'utf8')).toBe('b');
  });

  it('fails with SNAPSHOT_NOT_FOUND and DATASET_NOT_FOUND', async () => {
    const [ds] = createFilesystems(fresh(POOL));
    expect(await rejection(zfs.rollback(ds!))).toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
    expect(await rejection(zfs.rollbackTo(`${ds}@none`))).toMatchObject({ code: 'SNAPSHOT_NOT_FOUND', dataset: `${ds}@none` });
    expect(await rejection(zfs.rollbackTo(`${ds}/gone@x`))).toMatchObject({ code: 'DATASET_NOT_FOUND', dataset: `${ds}/gone` });
    expect((await rejection(zfs.rollback(`${ds}/gone`))).code).toBe('DATASET_NOT_FOUND');
  });
});

describe('destroy', () => {
  it('destroys an unmounted leaf, and refuses children, snapshots and mounts', async () => {
    const leaf = fresh(POOL);
    await zfs.create(leaf);
    await zfs.destroy(leaf);
    expect(await zfs.exists(leaf)).toBe(false);

    const [parent] = createFilesystems(fresh(POOL));
    await zfs.create(`${parent}/child`);
    run('zfs', 'unmount', parent!);
    expect(await rejection(zfs.destroy(parent!))).toMatchObject({ code: 'HAS_CHILDREN', dataset: parent });

    const withSnap = fresh(POOL);
    await zfs.create(withSnap);
    await zfs.snapshot([`${withSnap}@s`]);
    const e = await rejection(zfs.destroy(withSnap));
    expect(e.code).toBe('HAS_SNAPSHOTS');
    expect(e.message).toContain(`${withSnap}@s`);

    const [mounted] = createFilesystems(fresh(POOL));
    expect(await rejection(zfs.destroy(mounted!))).toMatchObject({ code: 'BUSY' });
    expect(attempt('zfs', 'list', mounted!).status).toBe(0);
    expect((await rejection(zfs.destroy(`${mounted}/none`))).code).toBe('DATASET_NOT_FOUND');
  });
});
