// Many calls at once: results stay right, the event loop stays free, a stalled
// pool does not hold up another one, and nothing leaks over 20,000 calls.
import { describe, expect, it } from 'vitest';
import { zfs } from '../../src/index.js';
import { fresh, lagMeter, run, stallablePool } from './helpers.js';
import { TEST_POOLS } from './pools.js';

const [POOL, POOL2] = TEST_POOLS.map((p) => p.name) as [string, string];

describe('concurrency', () => {
  it('runs 200 concurrent calls on two pools with correct results and a free event loop', async () => {
    const datasets = [...Array.from({ length: 50 }, () => fresh(POOL, 'cc')), ...Array.from({ length: 50 }, () => fresh(POOL2, 'cc'))];
    await Promise.all(datasets.map((d) => zfs.create(d)));
    await zfs.exists(POOL2); // both pools' threads are up before the clock starts
    const t0 = performance.now();
    const pending = [
      ...datasets.map((d) => zfs.snapshot([`${d}@c`], { 'zcp:ds': d }).then(() => 'done')),
      ...datasets.map((d) => zfs.exists(d)),
    ];
    // Issuing 200 calls is the caller's own synchronous work and must be quick
    // (calls doing their kernel work right here would take the whole run);
    // the loop's lag is measured from here on.
    const issued = performance.now() - t0;
    const lag = lagMeter();
    const results = await Promise.all(pending);
    const elapsed = performance.now() - t0;
    const { maxLag } = lag.stop();
    console.log(`200 concurrent calls on two pools: ${elapsed.toFixed(0)} ms (issued in ${issued.toFixed(0)} ms), max event-loop lag ${maxLag.toFixed(1)} ms`);
    expect(results.slice(0, 100)).toEqual(Array(100).fill('done'));
    expect(results.slice(100)).toEqual(Array(100).fill(true));
    const listed = new Map(
      run('zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name,zcp:ds')
        .trim()
        .split('\n')
        .map((l) => l.split('\t') as [string, string]),
    );
    for (const d of datasets) expect(listed.get(`${d}@c`)).toBe(d);
    // Blocking calls would stall the loop for seconds; the bound is relative to the run (GC, JIT and a loaded host in the emulator).
    expect(issued).toBeLessThan(elapsed / 3);
    expect(maxLag).toBeLessThan(elapsed / 4);
  });

  it('keeps a stalled pool from holding up calls on another pool', async () => {
    // A pool whose disk is a device-mapper device: `dmsetup suspend` stops its
    // I/O, so every call that waits for its txg sleeps in the kernel until
    // `resume`. (Lua spinning in a txg was the earlier way to keep a pool
    // busy; it also took an emulated CPU, and the other pool's answer then
    // depended on the guest's scheduler, not on zcp: flaky.)
    const stalled = stallablePool('zcpstall');
    try {
      await zfs.create(`${stalled.pool}/a`);
      await zfs.exists(POOL2); // both lanes have threads before the clock starts
      stalled.suspend();
      const done: string[] = [];
      // Eight calls fill the stalled pool's four threads twice over: a queue
      // shared by pools would put the next call ninth in line, behind them all.
      const stuck = Array.from({ length: 8 }, (_, i) =>
        zfs.snapshot([`${stalled.pool}/a@s${i}`]).then(() => done.push(`s${i}`)),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(done).toEqual([]); // they really are waiting for the disk
      const t1 = performance.now();
      const answer = Promise.all([zfs.exists(POOL2), zfs.listChildren(POOL2)]);
      // Bounded, so that a shared queue fails the test instead of hanging it.
      let limit: NodeJS.Timeout | undefined;
      const [exists, children] = await Promise.race([
        answer,
        new Promise<never>((_, reject) => (limit = setTimeout(() => reject(new Error('no answer from the other pool in 60 s')), 60_000))),
      ]).finally(() => clearTimeout(limit));
      const other = performance.now() - t1;
      expect(exists).toBe(true);
      expect(Array.isArray(children)).toBe(true);
      expect(done).toEqual([]); // answered while every call on the stalled pool still waited
      stalled.resume();
      await Promise.all(stuck);
      console.log(`stalled pool: other pool answered in ${other.toFixed(0)} ms with 8 calls stuck; they finished after resume`);
      for (let i = 0; i < 8; i++) expect(await zfs.exists(`${stalled.pool}/a@s${i}`)).toBe(true);
    } finally {
      stalled.destroy();
    }
  }, 180_000);

  it('does not leak over 20,000 calls', async () => {
    const [ds] = [fresh(POOL, 'leak')];
    await zfs.create(ds!);
    await zfs.snapshot([`${ds}@s`]);
    await zfs.hold({ [`${ds}@s`]: 'leak-test' });
    // Each kind of call allocates differently: a boolean, an nvlist back, an
    // errlist (DATASET_NOT_FOUND), a channel program with arguments and output.
    const calls = [
      () => zfs.exists(ds!),
      () => zfs.getHolds(`${ds}@s`),
      () => zfs.snapshot([`${ds}/missing@s`]).catch(() => undefined),
      () => zfs.getProps(ds!, ['used', 'zcp:none']),
    ];
    const round = async (count: number) => {
      for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => calls[(i + k) % calls.length]!()));
    };
    const rss = () => {
      global.gc?.();
      return process.memoryUsage().rss / 1048576;
    };
    // Two rounds after a warm-up: the allocator and V8's heap settle in the
    // first (measured: +5 MiB), a leak grows the same in each.
    await round(1000);
    const start = rss();
    const t0 = performance.now();
    await round(10_000);
    const middle = rss();
    await round(10_000);
    const end = rss();
    console.log(`20,000 calls in ${(performance.now() - t0).toFixed(0)} ms; RSS ${start.toFixed(1)} -> ${middle.toFixed(1)} -> ${end.toFixed(1)} MiB`);
    // One leaked nvlist or outcome (hundreds of bytes) per call would add several MiB per round.
    expect(end - middle).toBeLessThan(3);
    expect(end - start).toBeLessThan(12);
    await zfs.release({ [`${ds}@s`]: ['leak-test'] });
  }, 600_000);
});
