// destroySnapshots, holds and bookmarks against the real kernel module.
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zfs } from '../../src/index.js';
import { createFilesystems, fresh, rejection, run, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';

const [POOL, POOL2] = TEST_POOLS.map((p) => p.name) as [string, string];

describe('destroySnapshots', () => {
  it('destroys several snapshots at once; a missing one is not an error', async () => {
    const [a, b] = createFilesystems(fresh(POOL), fresh(POOL));
    await zfs.snapshot([`${a}@x`, `${b}@x`]);
    await zfs.destroySnapshots([`${a}@x`, `${b}@x`, `${a}@never`]);
    expect(zfsSnapshots(a!)).toEqual([]);
    expect(zfsSnapshots(b!)).toEqual([]);
  });

  it('refuses a cloned and a held snapshot, per name, and destroys none of the call', async () => {
    const [a, b, c] = createFilesystems(fresh(POOL), fresh(POOL), fresh(POOL));
    await zfs.snapshot([`${a}@s`, `${b}@s`, `${c}@s`]);
    await zfs.clone(`${a}@s`, fresh(POOL, 'clone'));
    await zfs.hold({ [`${b}@s`]: 'keep' });
    const e = await rejection(zfs.destroySnapshots([`${a}@s`, `${b}@s`, `${c}@s`]));
    const byName = Object.fromEntries(e.errors.map((x) => [x.name, x.code]));
    expect(byName).toEqual({ [`${a}@s`]: 'SNAPSHOT_HAS_CLONES', [`${b}@s`]: 'SNAPSHOT_HELD' });
    expect(['SNAPSHOT_HAS_CLONES', 'SNAPSHOT_HELD']).toContain(e.code);
    expect(zfsSnapshots(c!)).toEqual([`${c}@s`]);
  });

  it('defers the destruction of a held snapshot until its release', async () => {
    const [a] = createFilesystems(fresh(POOL));
    await zfs.snapshot([`${a}@d`]);
    await zfs.hold({ [`${a}@d`]: 'keep' });
    await zfs.destroySnapshots([`${a}@d`], { defer: true });
    expect(run('zfs', 'get', '-H', '-o', 'value', 'defer_destroy', `${a}@d`).trim()).toBe('on');
    await zfs.release({ [`${a}@d`]: ['keep'] });
    expect(await zfs.exists(`${a}@d`)).toBe(false);
  });

  it('refuses snapshots of two pools', async () => {
    expect((await rejection(zfs.destroySnapshots([`${POOL}/a@s`, `${POOL2}/b@s`]))).code).toBe('POOLS_DIFFER');
  });
});

describe('holds', () => {
  it('hold, getHolds and release agree with `zfs holds`', async () => {
    const [a] = createFilesystems(fresh(POOL));
    await zfs.snapshot([`${a}@h`]);
    const before = Date.now();
    await zfs.hold({ [`${a}@h`]: 'zcp-keep' });
    await zfs.hold({ [`${a}@h`]: 'other tag' });
    const holds = await zfs.getHolds(`${a}@h`);
    expect(Object.keys(holds).sort()).toEqual(['other tag', 'zcp-keep']);
    expect(holds['zcp-keep']!.getTime()).toBeGreaterThan(before - 5000);
    const oracle = run('zfs', 'holds', '-H', `${a}@h`).trim().split('\n').map((l) => l.split('\t')[1]).sort();
    expect(oracle).toEqual(['other tag', 'zcp-keep']);
    await zfs.release({ [`${a}@h`]: ['zcp-keep', 'other tag'] });
    expect(await zfs.getHolds(`${a}@h`)).toEqual({});
  });

  it('fails with HOLD_EXISTS, HOLD_NOT_FOUND, SNAPSHOT_NOT_FOUND and NAME_TOO_LONG', async () => {
    const [a] = createFilesystems(fresh(POOL));
    await zfs.snapshot([`${a}@h`]);
    await zfs.hold({ [`${a}@h`]: 't' });
    expect((await rejection(zfs.hold({ [`${a}@h`]: 't' }))).code).toBe('HOLD_EXISTS');
    const nf = await rejection(zfs.release({ [`${a}@h`]: ['nope'] }));
    expect(nf.code).toBe('HOLD_NOT_FOUND');
    expect(nf.errors[0]!.name).toBe(`${a}@h#nope`);
    expect((await rejection(zfs.hold({ [`${a}@missing`]: 't' }))).code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await rejection(zfs.getHolds(`${a}@missing`))).code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await rejection(zfs.hold({ [`${a}@h`]: 'x'.repeat(256) }))).code).toBe('NAME_TOO_LONG');
  });

  it('releases holds tied to a cleanup descriptor when it is closed', async () => {
    const [a] = createFilesystems(fresh(POOL));
    await zfs.snapshot([`${a}@tmp`]);
    const fd = openSync('/dev/zfs', 'r+');
    await zfs.hold({ [`${a}@tmp`]: 'while-running' }, { cleanupFd: fd });
    expect(Object.keys(await zfs.getHolds(`${a}@tmp`))).toEqual(['while-running']);
    closeSync(fd);
    // The kernel drops the hold on close (asynchronously, in a txg).
    for (let i = 0; i < 50 && Object.keys(await zfs.getHolds(`${a}@tmp`)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await zfs.getHolds(`${a}@tmp`)).toEqual({});
    expect((await rejection(zfs.hold({ [`${a}@tmp`]: 'x' }, { cleanupFd: 0 }))).code).toBe('BAD_CLEANUP_FD');
  });
});

describe('bookmarks', () => {
  it('bookmark and getBookmarks agree with `zfs list -t bookmark`', async () => {
    const [a] = createFilesystems(fresh(POOL));
    await zfs.snapshot([`${a}@s1`]);
    await zfs.snapshot([`${a}@s2`]);
    await zfs.bookmark({ [`${a}#b1`]: `${a}@s1`, [`${a}#b2`]: `${a}@s2` });
    const list = await zfs.getBookmarks(a!);
    expect(list.map((b) => b.name)).toEqual([`${a}#b1`, `${a}#b2`]);
    const guid = run('zfs', 'get', '-Hp', '-o', 'value', 'guid', `${a}@s1`).trim();
    expect(String(list[0]!.props.guid)).toBe(guid);
    const oracle = run('zfs', 'list', '-H', '-o', 'name', '-t', 'bookmark', '-r', a!).trim().split('\n');
    expect(oracle).toEqual([`${a}#b1`, `${a}#b2`]);
  });

  it('fails with BOOKMARK_EXISTS, SNAPSHOT_NOT_FOUND and DATASET_NOT_FOUND', async () => {
    const [a] = createFilesystems(fresh(POOL));
    await zfs.snapshot([`${a}@s1`]);
    await zfs.bookmark({ [`${a}#b`]: `${a}@s1` });
    expect((await rejection(zfs.bookmark({ [`${a}#b`]: `${a}@s1` }))).code).toBe('BOOKMARK_EXISTS');
    expect((await rejection(zfs.bookmark({ [`${a}#c`]: `${a}@none` }))).code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await rejection(zfs.getBookmarks(`${a}/none`))).code).toBe('DATASET_NOT_FOUND');
  });
});
