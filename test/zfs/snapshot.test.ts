import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zfs } from '../../src/index.js';
import { addon } from '../../src/addon.js';
import { lzcError, snapshotMapper } from '../../src/zfs/translate.js';
import { createFilesystems, fresh, lagMeter, rejection, run } from './helpers.js';
import { TEST_POOLS } from './pools.js';

const [POOL, POOL2] = TEST_POOLS.map((p) => p.name) as [string, string];

function snapshotsWithProp(prop: string): Map<string, string> {
  const out = run('zfs', 'list', '-H', '-t', 'snapshot', '-o', `name,${prop}`);
  return new Map(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]),
  );
}

describe('zfs.available (guest)', () => {
  it('is ok and names the library and the loaded module', async () => {
    const status = await zfs.available();
    expect(status.ok).toBe(true);
    if (!status.ok) return;
    expect(status.library).toMatch(/libzfs_core\.so/);
    expect(status.kernelModule).toBe(readFileSync('/sys/module/zfs/version', 'utf8').trim());
    expect(run('zfs', 'version')).toContain(status.kernelModule);
  });
});

describe('zfs.exists (guest)', () => {
  it('agrees with the zfs command for pools, datasets and snapshots', async () => {
    const [fs] = createFilesystems(fresh(POOL));
    expect(await zfs.exists(POOL)).toBe(true);
    expect(await zfs.exists(fs!)).toBe(true);
    expect(await zfs.exists(`${fs}/missing`)).toBe(false);
    expect(await zfs.exists(`${fs}@later`)).toBe(false);
    run('zfs', 'snapshot', `${fs}@later`);
    expect(await zfs.exists(`${fs}@later`)).toBe(true);
    expect(await zfs.exists('nosuchpool')).toBe(false);
  });
});

describe('zfs.snapshot (guest)', () => {
  it('snapshots two datasets of one pool atomically, with a user property', async () => {
    const [a, b] = createFilesystems(fresh(POOL), fresh(POOL));
    await zfs.snapshot([`${a}@cp1`, `${b}@cp1`], { 'zcp:test': 'before upgrade' });

    const listed = snapshotsWithProp('zcp:test');
    expect(listed.get(`${a}@cp1`)).toBe('before upgrade');
    expect(listed.get(`${b}@cp1`)).toBe('before upgrade');
    // One transaction group: both snapshots were born in the same txg.
    const txg = (s: string) => run('zfs', 'get', '-Hp', '-o', 'value', 'createtxg', s).trim();
    expect(txg(`${a}@cp1`)).toBe(txg(`${b}@cp1`));
  });

  it('rejects an existing snapshot name with SNAPSHOT_EXISTS and creates nothing', async () => {
    const [a, b] = createFilesystems(fresh(POOL), fresh(POOL));
    run('zfs', 'snapshot', `${a}@taken`);
    const e = await rejection(zfs.snapshot([`${a}@taken`, `${b}@taken`]));
    expect(e.code).toBe('SNAPSHOT_EXISTS');
    expect(e.operation).toBe('snapshot');
    expect(e.dataset).toBe(`${a}@taken`);
    expect(e.errno).toBe(17);
    expect(e.errors).toEqual([{ name: `${a}@taken`, errno: 17, code: 'SNAPSHOT_EXISTS' }]);
    // All or nothing: the other snapshot of the call was not made.
    expect(await zfs.exists(`${b}@taken`)).toBe(false);
  });

  it('rejects a missing dataset with DATASET_NOT_FOUND', async () => {
    const missing = `${fresh(POOL)}/nothere`;
    const e = await rejection(zfs.snapshot([`${missing}@s`]));
    expect(e.code).toBe('DATASET_NOT_FOUND');
    expect(e.dataset).toBe(`${missing}@s`);
    expect(e.errors.map((x) => x.name)).toEqual([`${missing}@s`]);
  });

  it('rejects datasets of two pools with POOLS_DIFFER, before and in the kernel', async () => {
    const [a] = createFilesystems(fresh(POOL));
    const [b] = createFilesystems(fresh(POOL2));
    const names = [`${a}@x`, `${b}@x`];
    const e = await rejection(zfs.snapshot(names));
    expect(e.code).toBe('POOLS_DIFFER');
    // The kernel says the same (EXDEV) when the TypeScript check is bypassed.
    const raw = await addon().zfs.snapshot(names, {});
    expect(raw.errno).toBe(18);
    expect(lzcError('snapshot', names, raw, snapshotMapper(names)).code).toBe('POOLS_DIFFER');
    expect(await zfs.exists(`${a}@x`)).toBe(false);
  });

  it('gives the three failures three distinct codes', async () => {
    const [a] = createFilesystems(fresh(POOL));
    const [b] = createFilesystems(fresh(POOL2));
    run('zfs', 'snapshot', `${a}@dup`);
    const codes = await Promise.all([
      rejection(zfs.snapshot([`${a}@dup`])),
      rejection(zfs.snapshot([`${a}/none@s`])),
      rejection(zfs.snapshot([`${a}@s`, `${b}@s`])),
    ]);
    expect(new Set(codes.map((c) => c.code)).size).toBe(3);
  });

  it('keeps the event loop ticking while 20 snapshots run', async () => {
    const datasets = createFilesystems(...Array.from({ length: 20 }, () => fresh(POOL, 'lag')));
    await zfs.exists(POOL); // the addon and its threads are up before the clock starts
    const t0 = performance.now();
    // 20 calls at once: run on the main thread they would block it for all of
    // them in one piece (a lag as long as the whole run); off it, it ticks on.
    const pending = datasets.map((ds) => zfs.snapshot([`${ds}@lag`]));
    // Issuing must be quick (calls that did their kernel work right here would
    // take the whole run); the loop's lag is measured from here on.
    const issued = performance.now() - t0;
    const lag = lagMeter();
    await Promise.all(pending);
    const elapsed = performance.now() - t0;
    const { maxLag, ticks } = lag.stop();
    console.log(`20 concurrent snapshots: ${elapsed.toFixed(0)} ms (issued in ${issued.toFixed(0)} ms), ${ticks} ticks of 5 ms, max event-loop lag ${maxLag.toFixed(1)} ms`);
    for (const ds of datasets) expect(await zfs.exists(`${ds}@lag`)).toBe(true);
    // Blocking calls would stall the loop for the whole run (each snapshot
    // waits for a txg). The bounds are relative to the run: an emulated guest
    // on a loaded host has GC pauses and descheduled vCPUs of 100 ms and more.
    expect(issued).toBeLessThan(elapsed / 2);
    expect(maxLag).toBeLessThan(elapsed / 2);
    expect(ticks).toBeGreaterThan(elapsed / 5 / 10);
  });
});
