// Retention on the host (choosePrune is pure; planPrune only adds the pools' free space):
// by count, by age (important ones at four times the limit), by free space per pool,
// oldest and ordinary first, and never a held or cloned checkpoint.
import { describe, expect, it } from 'vitest';
import type { DetailedCheckpoint } from '../../src/checkpoint/checkpoints.js';
import { choosePrune } from '../../src/checkpoint/prune.js';

const DAY = 86_400_000;
const now = new Date('2026-12-01T00:00:00Z');
function cp(tid: number, daysOld: number, extra: Partial<DetailedCheckpoint> = {}): DetailedCheckpoint {
  return {
    id: `zcp-${tid}`, tid, kind: 'manual', title: '', state: 'complete', important: false,
    created: new Date(now.getTime() - daysOld * DAY), used: 100 * tid, held: false, clones: [],
    snapshots: [`rpool/ROOT/d@zcp-${tid}`, `bpool/BOOT/d@zcp-${tid}`], missing: [], interrupted: false, ...extra,
  };
}
const ids = (d: { checkpoint: DetailedCheckpoint }[]) => d.map((x) => x.checkpoint.id);

describe('prune planning', () => {
  const all = [cp(1, 40), cp(2, 30, { important: true }), cp(3, 20, { held: true }), cp(4, 10, { clones: ['rpool/ROOT/be'] }), cp(5, 5), cp(6, 1)];

  it('keeps the newest N ordinary ones; important, held and cloned ones are not counted', () => {
    expect(ids(choosePrune(all, { keep: 1 }, now, new Map()))).toEqual(['zcp-1', 'zcp-5']);
    expect(choosePrune(all, { keep: 1 }, now, new Map())[0]!.reason).toBe('more than 1 checkpoints');
    expect(ids(choosePrune(all, { keep: 10 }, now, new Map()))).toEqual([]);
  });

  it('counts newest by creation, not by TID: a counter set back (POOL/zcp restored) gives newer checkpoints lower TIDs', () => {
    // zcp-7 and zcp-8 came before the restore; zcp-2 and zcp-3 after it, and are the newest.
    const restored = [cp(2, 2), cp(3, 1), cp(7, 20), cp(8, 10)];
    expect(ids(choosePrune(restored, { keep: 2 }, now, new Map()))).toEqual(['zcp-7', 'zcp-8']);
    expect(ids(choosePrune(restored, { keep: 100, minFreeBytes: 700 }, now, new Map([['rpool', 0]])))).toEqual(['zcp-7']);
  });

  it('lets old ones go, important ones only at four times the age', () => {
    // 8 days: the important zcp-2 (30 days) is within its 32; the held and the cloned ones stay whatever their age.
    expect(ids(choosePrune(all, { keep: 100, maxAgeDays: 8 }, now, new Map()))).toEqual(['zcp-1']);
    expect(ids(choosePrune(all, { keep: 100, maxAgeDays: 7 }, now, new Map()))).toEqual(['zcp-1', 'zcp-2']);
    expect(choosePrune(all, { keep: 100, maxAgeDays: 7 }, now, new Map()).find((d) => d.checkpoint.id === 'zcp-2')?.reason).toBe('older than 28 days (important)');
    expect(ids(choosePrune(all, { keep: 100, maxAgeDays: 0.5 }, now, new Map()))).toEqual(['zcp-1', 'zcp-2', 'zcp-5', 'zcp-6']);
  });

  it('frees space pool by pool, oldest ordinary ones first, important ones last, counting what is already doomed', () => {
    const plan = choosePrune(all, { keep: 100, minFreeBytes: 1000 }, now, new Map([['rpool', 500], ['bpool', 2000]]));
    expect(ids(plan)).toEqual(['zcp-1', 'zcp-5']); // 500 + 100 + 500 >= 1000
    expect(plan[0]!.reason).toBe('rpool has less than 1000 bytes free');
    const more = choosePrune(all, { keep: 100, minFreeBytes: 2000 }, now, new Map([['rpool', 500]]));
    expect(ids(more)).toEqual(['zcp-1', 'zcp-2', 'zcp-5', 'zcp-6']); // the important one only after every ordinary one
  });
});
