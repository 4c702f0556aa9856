// Every channel program zcp runs, on the host: its text parses as Lua 5.2
// (luac5.2 -p, the language OpenZFS embeds) and its logic holds against the
// fake `zfs` table of test/support/fake-zfs.lua: TIDs above the counter, the
// names and the floor; all or nothing when a snapshot or a property fails; the
// no-space path; what the listings read. A Lua mistake fails here in seconds;
// the guest tests stay the judge of the real kernel.
import { describe, expect, it } from 'vitest';
import * as checkpointPrograms from '../../src/checkpoint/programs.js';
import { CREATE, LIST, type ListResult, MARK_COMPLETE, QUICK_LIST, SET_INDEX, STATE_READ, TID_FLOOR, WRITE_JOURNAL } from '../../src/checkpoint/programs.js';
import type { Program } from '../../src/zfs/lua.js';
import * as zfsPrograms from '../../src/zfs/props.js';
import { GET_PROPS, GET_USER_PROPS, LIST_CHILDREN, LIST_SNAPSHOTS, SET_USER_PROPS } from '../../src/zfs/props.js';
import { type FakeObject, type FakePool, type HostRun, runOnHost, syntaxErrors } from '../support/lua-host.js';

const ENOSPC = 28;
const EEXIST = 17;

/** Every Program exported by the modules that define them. */
const ALL = ([...Object.values(checkpointPrograms), ...Object.values(zfsPrograms)] as unknown[]).filter(
  (v): v is Pick<Program<Record<string, never>, unknown>, 'name' | 'lua'> => typeof v === 'object' && v !== null && 'lua' in v && 'decode' in v,
);

const fsys = (avail = 10_000_000, user: Record<string, string> = {}): FakeObject => ({ props: { available: avail, used: 1000, mountpoint: '/x' }, source: { mountpoint: 'default' }, user });
const snap = (txg: number, user: Record<string, string> = {}, clones: string[] = []): FakeObject => ({ props: { createtxg: txg, creation: 1_600_000_000 + txg, guid: 5000 + txg, used: 10 * txg, userrefs: 0 }, user, clones });

/** A pool `p` with state dataset p/zcp (counter `next`) and datasets p/a, p/a/var. */
function pool(next: string | undefined, extra: Record<string, FakeObject> = {}, fail: Record<string, number> = {}): FakePool {
  return {
    objects: {
      p: fsys(),
      'p/zcp': fsys(10_000_000, { 'zcp:role': 'state', ...(next === undefined ? {} : { 'zcp:next-tid': next }) }),
      'p/zcp/index': fsys(10_000_000, { 'zcp:role': 'index' }),
      'p/a': fsys(),
      'p/a/var': fsys(),
      ...extra,
    },
    fail,
  };
}
const tidArgs = { datasets: ['p/a', 'p/a/var'], prefix: 'zcp-', counter: 'p/zcp' };
const createArgs = (o: { floor?: number; tid?: number; need?: number } = {}) => ({ ...tidArgs, props: { 'zcp:kind': 'manual', 'zcp:title': 'a "title" with %, quotes and ü', 'zcp:state': 'complete' }, tags: { 'zcp:state': 'complete' }, first: 'full' as const, floor: o.floor ?? 0, need: o.need ?? 1024, space_of: 'p/a', ...(o.tid === undefined ? {} : { tid: o.tid }) });
const snapshotsOf = (objects: Record<string, FakeObject>) => Object.keys(objects).filter((n) => n.includes('@')).sort();

describe('channel programs on the host (Lua 5.2, fake zfs)', () => {
  it('every program parses with luac5.2 and names itself', () => {
    expect(ALL.map((p) => p.name).sort()).toEqual(['create', 'get-props', 'get-user-props', 'list', 'list-children', 'list-snapshots', 'mark-complete', 'quick-list', 'set-index', 'set-user-props', 'state-read', 'tid-floor', 'write-journal']);
    for (const p of ALL) expect(syntaxErrors(p.lua), p.name).toBe('');
    expect(syntaxErrors('local args = ...\nif args then return {')).toMatch(/expected/); // the check can fail
  });

  describe('tid-floor', () => {
    it('is the highest of the counter - 1 and the zcp-N names (plain numbers of up to 15 digits only)', () => {
      const names = { 'p/a@zcp-3': snap(1), 'p/a/var@zcp-12': snap(2), 'p/a@zcp-012': snap(3), 'p/a@zcp-x': snap(4), 'p/a@zcp-1234567890123456': snap(5), 'p/a@other-99': snap(6) };
      expect(runOnHost(TID_FLOOR, tidArgs, pool('7', names))).toMatchObject({ ok: true, result: { floor: 12 } });
      expect(runOnHost(TID_FLOOR, tidArgs, pool('40', names))).toMatchObject({ ok: true, result: { floor: 39 } });
    });
    it('takes a counter that is unset or not a plain number as 1', () => {
      for (const next of [undefined, 'abc', '0', '-5', '07', '1234567890123456']) expect(runOnHost(TID_FLOOR, tidArgs, pool(next)).ok && runOnHost(TID_FLOOR, tidArgs, pool(next))).toMatchObject({ result: { floor: 0 } });
    });
    it('reads the counter only where set on the state dataset itself, never inherited from the pool', () => {
      const p = pool(undefined, { 'p/a@zcp-3': snap(1) });
      p.objects['p']!.user = { 'zcp:next-tid': '500' };
      expect(runOnHost(TID_FLOOR, tidArgs, p)).toMatchObject({ result: { floor: 3 } });
    });
    it('names the first dataset, or the state dataset, that does not exist', () => {
      const p = pool('3');
      delete p.objects['p/a/var'];
      expect(runOnHost(TID_FLOOR, tidArgs, p)).toMatchObject({ result: { missing: 'p/a/var' } });
      const q = pool('3');
      delete q.objects['p/zcp'];
      expect(runOnHost(TID_FLOOR, tidArgs, q)).toMatchObject({ result: { missing: 'p/zcp' } });
    });
  });

  describe('create', () => {
    it('takes the TID from the counter, above the floor, without reading the names while its own name is free', () => {
      // zcp-7 (made by hand, or the counter set back by hand) is not read: the counter is the truth.
      const r = runOnHost(CREATE, createArgs({ floor: 3 }), pool('5', { 'p/a/var@zcp-7': snap(1) }));
      expect(r).toMatchObject({ ok: true, result: { made: true, tid: 5, name: 'zcp-5' } });
      expect(r.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '6' });
    });
    it('reads each value once, and leaves to the snapshot\'s own check what it tells (a dataset missing, a name taken): a read holds a dataset, about 3 ms in the guest for one not mounted', () => {
      // The state's role, the journal, the counter, the space, the index's role, creation, used: whether the state and
      // the index are there is not asked (reading one that is not fails the program, before any change), nor whether
      // each snapshot can be made (its own check tells: no zfs.check.snapshot, which would hold each dataset once more).
      const args = { ...createArgs(), journal: 'zcp:journal:x', index: '{"kind":"manual"}', index_key: 'zcp:cp:s.', index_ds: 'p/zcp/index' };
      const p = pool('5');
      p.objects['p/zcp/index'] = { props: {}, user: { 'zcp:role': 'index' } };
      const r = runOnHost(CREATE, args, p);
      expect(r).toMatchObject({ ok: true, result: { made: true, tid: 5 } });
      expect(r.objects['p/zcp/index']!.user?.['zcp:cp:s.5']).toBeDefined();
      expect(r.reads).toBe(7);
      expect(Object.values(r.calls).filter((c) => c.startsWith('check'))).toEqual([]);
    });
    it('takes the TID above the names when the counter has no value, or its name is taken; snapshots every dataset with the metadata; advances the counter', () => {
      const r = runOnHost(CREATE, createArgs({ floor: 3 }), pool('5', { 'p/a/var@zcp-5': snap(2), 'p/a/var@zcp-7': snap(1) }));
      expect(r).toMatchObject({ ok: true, result: { made: true, tid: 8, name: 'zcp-8', creation: expect.any(Number), used: 0 } });
      // zcp-5 was tried first: p/a's made, p/a/var's taken, p/a's undone; then the names read, once.
      expect(Object.values(r.calls)).toEqual(['snapshot p/a@zcp-5 0', 'snapshot p/a/var@zcp-5 17', 'destroy p/a@zcp-5 0', 'snapshot p/a@zcp-8 0', 'snapshot p/a/var@zcp-8 0', expect.stringMatching(/^set_prop/), expect.stringMatching(/^set_prop/), expect.stringMatching(/^set_prop/), expect.stringMatching(/^set_prop/), expect.stringMatching(/^set_prop p\/zcp /)]);
      expect(snapshotsOf(r.objects)).toEqual(['p/a/var@zcp-5', 'p/a/var@zcp-7', 'p/a/var@zcp-8', 'p/a@zcp-8']);
      // The whole metadata on the first snapshot; the others carry none (their createtxg ties them to it): fewer writes in the txg.
      expect(r.objects['p/a@zcp-8']!.user).toEqual({ 'zcp:tid': '8', 'zcp:kind': 'manual', 'zcp:title': 'a "title" with %, quotes and ü', 'zcp:state': 'complete' });
      expect(r.objects['p/a/var@zcp-8']!.user).toEqual({});
      // A later pool's call: the TID and tags on its first snapshot only.
      const later = runOnHost(CREATE, { ...createArgs({ floor: 3 }), first: 'tags' as const }, pool('5'));
      expect(later.objects['p/a@zcp-5']!.user).toEqual({ 'zcp:tid': '5', 'zcp:state': 'complete' });
      expect(later.objects['p/a/var@zcp-5']!.user).toEqual({});
      expect(r.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '9' });
      expect(runOnHost(CREATE, createArgs({ floor: 20 }), pool('5')).ok && runOnHost(CREATE, createArgs({ floor: 20 }), pool('5'))).toMatchObject({ result: { tid: 21 } });
      expect(runOnHost(CREATE, createArgs(), pool(undefined))).toMatchObject({ result: { tid: 1 } });
      // No counter yet (POOL/zcp made again): above every name.
      expect(runOnHost(CREATE, createArgs(), pool(undefined, { 'p/a@zcp-40': snap(1) }))).toMatchObject({ result: { made: true, tid: 41 } });
      // A counter that did not move past a name (restored from a backup): the next TID, not the taken one.
      expect(runOnHost(CREATE, createArgs(), pool('8', { 'p/a@zcp-8': snap(1) }))).toMatchObject({ result: { made: true, tid: 9 } });
      expect(runOnHost(CREATE, createArgs({ floor: 8 }), pool('8'))).toMatchObject({ result: { made: true, tid: 9 } });
    });
    it('uses the TID it is given (a later pool), and never moves the counter back', () => {
      const r = runOnHost(CREATE, createArgs({ tid: 12 }), pool('3'));
      expect(r).toMatchObject({ result: { made: true, tid: 12 } });
      expect(r.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '13' });
      const s = runOnHost(CREATE, createArgs({ tid: 12 }), pool('30'));
      expect(s.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '30' });
    });
    it('makes nothing without the space it needs', () => {
      const r = runOnHost(CREATE, createArgs({ need: 20_000_000 }), pool('5'));
      expect(r).toMatchObject({ result: { made: false, nospace: 10_000_000 } });
      expect(snapshotsOf(r.objects)).toEqual([]);
      expect(r.calls).toEqual({});
    });
    it('makes nothing when a snapshot name it is given is taken (what was made before it is undone)', () => {
      const r = runOnHost(CREATE, createArgs({ tid: 4 }), pool('4', { 'p/a/var@zcp-4': snap(1, { 'zcp:tid': '4' }) }));
      expect(r).toMatchObject({ result: { made: false, failed: 'p/a/var@zcp-4', errno: EEXIST, step: 'snapshot' } });
      expect(Object.values(r.calls)).toEqual(['snapshot p/a@zcp-4 0', 'snapshot p/a/var@zcp-4 17', 'destroy p/a@zcp-4 0']);
      expect(snapshotsOf(r.objects)).toEqual(['p/a/var@zcp-4']);
      expect(r.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '4' });
    });
    it('undoes its snapshots when a later snapshot fails', () => {
      const r = runOnHost(CREATE, createArgs(), pool('5', {}, { 'sync_snapshot:p/a/var@zcp-5': ENOSPC }));
      expect(r).toMatchObject({ result: { made: false, failed: 'p/a/var@zcp-5', errno: ENOSPC, step: 'snapshot' } });
      expect(snapshotsOf(r.objects)).toEqual([]);
      expect(Object.values(r.calls)).toEqual(['snapshot p/a@zcp-5 0', 'snapshot p/a/var@zcp-5 28', 'destroy p/a@zcp-5 0']);
      expect(r.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '5' });
    });
    it('undoes every snapshot when the metadata fails', () => {
      const r = runOnHost(CREATE, createArgs(), pool('5', {}, { 'sync_set_prop:p/a@zcp-5': ENOSPC }));
      expect(r).toMatchObject({ result: { made: false, failed: 'p/a@zcp-5', step: 'metadata' } });
      expect(snapshotsOf(r.objects)).toEqual([]);
      expect(r.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '5' });
    });
    it('names a dataset that does not exist; says the state dataset is missing or not zcp\'s (the caller makes or refuses it); makes nothing', () => {
      const p = pool('5');
      delete p.objects['p/a/var'];
      expect(runOnHost(CREATE, createArgs(), p)).toMatchObject({ result: { made: false, missing: 'p/a/var' } });
      // No state dataset: the program fails on its first read, having changed nothing (the caller then looks, and makes it).
      const q = pool('5');
      delete q.objects['p/zcp'];
      const noState = runOnHost(CREATE, createArgs(), q);
      expect(noState).toMatchObject({ ok: false, error: expect.stringContaining('p/zcp') });
      expect(snapshotsOf(noState.objects)).toEqual([]);
      for (const user of [{}, { 'zcp:role': 'other' }]) {
        const r = pool('5');
        r.objects['p/zcp']!.user = user;
        const ran = runOnHost(CREATE, createArgs(), r);
        expect(ran).toMatchObject({ result: { made: false, state: 'foreign' } });
        expect(snapshotsOf(ran.objects)).toEqual([]);
      }
      // A role inherited from the pool is anyone's with userprop there: not zcp's.
      const i = pool('5');
      i.objects['p/zcp']!.user = {};
      i.objects['p']!.user = { 'zcp:role': 'state' };
      expect(runOnHost(CREATE, createArgs(), i)).toMatchObject({ result: { made: false, state: 'foreign' } });
    });
    it('refuses (pending) while the system\'s rollback journal is set on the state dataset itself; an empty or inherited one is none', () => {
      const args = { ...createArgs(), journal: 'zcp:journal:abc' };
      const p = pool('5');
      p.objects['p/zcp']!.user = { ...p.objects['p/zcp']!.user, 'zcp:journal:abc': '{"op":"rollback"}' };
      const ran = runOnHost(CREATE, args, p);
      expect(ran).toMatchObject({ result: { made: false, pending: true } });
      expect(snapshotsOf(ran.objects)).toEqual([]);
      const empty = pool('5');
      empty.objects['p/zcp']!.user = { ...empty.objects['p/zcp']!.user, 'zcp:journal:abc': '' };
      expect(runOnHost(CREATE, args, empty)).toMatchObject({ result: { made: true, tid: 5 } });
      const inherited = pool('5');
      inherited.objects['p']!.user = { 'zcp:journal:abc': 'x' };
      expect(runOnHost(CREATE, args, inherited)).toMatchObject({ result: { made: true, tid: 5 } });
    });
  });

  describe('write-journal', () => {
    const keys = ['zcp:journal:x.2', 'zcp:journal:x.1', 'zcp:journal:x'];
    it('sets the chunks in the order given (the first chunk last), with one read of the space and no check of each property first', () => {
      const r = runOnHost(WRITE_JOURNAL, { state: 'p/zcp', keys, values: ['', 'b', 'a'], need: 4096 }, pool('5'));
      expect(r).toMatchObject({ ok: true, result: { done: 'set' } });
      expect(r.objects['p/zcp']!.user).toMatchObject({ 'zcp:journal:x': 'a', 'zcp:journal:x.1': 'b', 'zcp:journal:x.2': '' });
      expect(Object.values(r.calls)).toEqual(keys.map((k) => expect.stringMatching(new RegExp(`^set_prop p/zcp ${k.replace(/\./g, '\\.')} `))));
      expect(r.reads).toBe(1);
    });
    it('a clear (need 0) reads nothing; without the space it needs it changes nothing', () => {
      const cleared = runOnHost(WRITE_JOURNAL, { state: 'p/zcp', keys: ['zcp:journal:x'], values: [''], need: 0 }, pool('5'));
      expect(cleared).toMatchObject({ result: { done: 'set' } });
      expect(cleared.reads).toBe(0);
      const full = runOnHost(WRITE_JOURNAL, { state: 'p/zcp', keys, values: ['', 'b', 'a'], need: 20_000_000 }, pool('5'));
      expect(full).toMatchObject({ result: { done: 'nospace', available: 10_000_000 } });
      expect(full.calls).toEqual({});
    });
    it('a write cut short leaves the first chunk as it was: the old journal or none, never a mix', () => {
      const r = runOnHost(WRITE_JOURNAL, { state: 'p/zcp', keys, values: ['', 'b', 'a'], need: 4096 }, pool('5', {}, { 'sync_set_prop:p/zcp': ENOSPC }));
      expect(r).toMatchObject({ result: { done: 'failed', property: 'zcp:journal:x.2', errno: ENOSPC } });
      expect(r.objects['p/zcp']!.user!['zcp:journal:x']).toBeUndefined();
    });
  });

  describe('list', () => {
    it('reads each zcp-N snapshot (all zcp: properties and used on the primary, the three that matter elsewhere), holds, clones, guids as strings; every other snapshot by createtxg', () => {
      const objects = {
        'p/a@zcp-1': snap(10, { 'zcp:tid': '1', 'zcp:state': 'complete', 'zcp:title': 't', 'other:x': 'no' }, ['p/be', 'p/be2']),
        'p/a/var@zcp-1': snap(10, { 'zcp:tid': '1', 'zcp:state': 'complete', 'zcp:title': 'not read here' }),
        'p/a/var@auto-2020': snap(8),
      };
      const p = pool('2', objects);
      p.objects['p/a@zcp-1']!.props.userrefs = 1;
      const r = runOnHost(LIST, { datasets: ['p/a', 'p/a/var', 'p/gone'], primary: 'p/a', prefix: 'zcp-' }, p);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.result.others).toEqual(new Map([['p/a/var@auto-2020', 8]]));
      expect(r.result.datasets.get('p/gone')).toEqual({ missing: true });
      const a = r.result.datasets.get('p/a');
      expect(a).toEqual({
        missing: false,
        snapshots: new Map([['zcp-1', { createtxg: 10, guid: '5010', creation: 1_600_000_010, used: 100, userrefs: 1, clones: ['p/be', 'p/be2'], props: { 'zcp:tid': '1', 'zcp:state': 'complete', 'zcp:title': 't' } }]]),
      });
      const v = r.result.datasets.get('p/a/var');
      expect(v).toEqual({ missing: false, snapshots: new Map([['zcp-1', { createtxg: 10, guid: '5010', creation: 1_600_000_010, userrefs: 0, clones: [], props: { 'zcp:tid': '1', 'zcp:state': 'complete' } }]]) });
    });
    it('reads one property of a snapshot without zcp:tid on a later dataset (tied by createtxg, or not zcp\'s): none listed', () => {
      const p = pool('2', { 'p/a@zcp-1': snap(10, { 'zcp:tid': '1' }), 'p/a/var@zcp-1': snap(10, { 'zcp:state': 'complete', 'zcp:system': 'x' }) });
      const one = runOnHost(LIST, { datasets: ['p/a', 'p/a/var'], primary: 'p/a', prefix: 'zcp-' }, p);
      const v = one.ok ? one.result.datasets.get('p/a/var') : undefined;
      expect(v && !v.missing && v.snapshots.get('zcp-1')!.props).toEqual({});
      p.objects['p/a/var@zcp-1']!.user = { 'zcp:tid': '1', 'zcp:state': 'complete', 'zcp:system': 'x' };
      const three = runOnHost(LIST, { datasets: ['p/a', 'p/a/var'], primary: 'p/a', prefix: 'zcp-' }, p);
      expect(three.ok && three.reads - (one.ok ? one.reads : 0)).toBe(2);
    });
  });

  it('list for a rollback (from, newer): the target and later checkpoints, and only the snapshots newer than the target, none read where the target is the newest', () => {
    const p = pool('8', {
      'p/a@zcp-3': snap(10),
      'p/a@hand': snap(11),
      'p/a@zcp-5': snap(12),
      'p/a@zcp-2': snap(13), // another system's zcp-2, made after zcp-5: a rollback to zcp-5 would pass over it
      'p/a@zcp-7': snap(14),
      'p/a@late': snap(15),
      'p/a/var@zcp-5': snap(12),
      'p/a/var@zcp-7': snap(14),
    });
    // No createtxg: reading it fails the program, so this proves the dataset's other snapshots are not read.
    p.objects['p/a/var@old'] = { props: {}, user: {}, clones: [] };
    const names = (r: HostRun<ListResult>, ds: string) => {
      const d = r.ok ? r.result.datasets.get(ds) : undefined;
      return d && !d.missing ? [...d.snapshots.keys()].sort() : undefined;
    };
    const seven = runOnHost(LIST, { datasets: ['p/a', 'p/a/var'], primary: 'p/a', prefix: 'zcp-', from: 7, newer: 'zcp-7' }, p);
    expect(seven.ok).toBe(true);
    expect(names(seven, 'p/a')).toEqual(['zcp-7']);
    expect(names(seven, 'p/a/var')).toEqual(['zcp-7']);
    expect(seven.ok && seven.result.others).toEqual(new Map([['p/a@late', 15]]));
    // Further back, where p/a/var@old must be read: it fails (no createtxg), as a real read would be needed.
    expect(runOnHost(LIST, { datasets: ['p/a', 'p/a/var'], primary: 'p/a', prefix: 'zcp-', from: 5, newer: 'zcp-5' }, p).ok).toBe(false);
    p.objects['p/a/var@old'] = snap(9);
    const five = runOnHost(LIST, { datasets: ['p/a', 'p/a/var'], primary: 'p/a', prefix: 'zcp-', from: 5, newer: 'zcp-5' }, p);
    expect(names(five, 'p/a')).toEqual(['zcp-2', 'zcp-5', 'zcp-7']);
    expect(names(five, 'p/a/var')).toEqual(['zcp-5', 'zcp-7']);
    expect(five.ok && five.result.others).toEqual(new Map([['p/a@late', 15]]));
  });

  it('list: zcp: properties count only where set on the snapshot itself, never inherited from its dataset', () => {
    // With userprop delegated on a dataset, anyone could set zcp:tid and zcp:system there and take a zcp-N snapshot.
    const p = pool('2', { 'p/a@zcp-7': snap(10), 'p/a/var@zcp-7': snap(10) });
    p.objects['p/a']!.user = { 'zcp:tid': '7', 'zcp:system': 'mine', 'zcp:state': 'complete' };
    const r = runOnHost(LIST, { datasets: ['p/a', 'p/a/var'], primary: 'p/a', prefix: 'zcp-' }, p);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    for (const ds of ['p/a', 'p/a/var']) {
      const d = r.result.datasets.get(ds);
      expect(d && !d.missing && d.snapshots.get('zcp-7')!.props).toEqual({});
    }
  });

  describe('the index', () => {
    const indexed = { ...createArgs(), index: '{"state":"creating","title":"t"}', index_key: 'zcp:cp:42.', index_ds: 'p/zcp/index' };
    it('CREATE writes the entry with the creation time in the snapshots\' program; none when not given', () => {
      const r = runOnHost(CREATE, indexed, pool('5'));
      expect(r).toMatchObject({ ok: true, result: { made: true, tid: 5 } });
      expect(r.objects['p/zcp/index']!.user!['zcp:cp:42.5']).toBe(`{"state":"creating","title":"t","created":${(r.objects['p/a@zcp-5']!.props as { creation: number }).creation}}`);
      expect(Object.keys(runOnHost(CREATE, createArgs(), pool('5')).objects['p/zcp/index']!.user!).sort()).toEqual(['zcp:role']);
    });
    it('CREATE writes no entry, and still makes the checkpoint, where the index dataset is not zcp\'s; fails before any change where it is missing (the caller runs it again without the entry)', () => {
      const gone = pool('5');
      delete gone.objects['p/zcp/index'];
      const failed = runOnHost(CREATE, indexed, gone);
      expect(failed).toMatchObject({ ok: false, error: expect.stringContaining('p/zcp/index') });
      expect(snapshotsOf(failed.objects)).toEqual([]);
      expect(failed.objects['p/zcp']!.user).toEqual({ 'zcp:role': 'state', 'zcp:next-tid': '5' });
      const foreign = pool('5');
      foreign.objects['p/zcp/index']!.user = {};
      // No zcp:role=index of its own (it inherits POOL/zcp's role=state): not zcp's index.
      const r = runOnHost(CREATE, indexed, foreign);
      expect(r).toMatchObject({ ok: true, result: { made: true, tid: 5, unindexed: true } });
      expect(r.objects['p/zcp/index']!.user).toEqual({});
    });
    it('CREATE undoes its snapshots when the entry can\'t be written', () => {
      const r = runOnHost(CREATE, indexed, pool('5', {}, { 'sync_set_prop:p/zcp/index': ENOSPC }));
      expect(r).toMatchObject({ result: { made: false, failed: 'p/zcp/index', errno: ENOSPC, step: 'metadata' } });
      expect(snapshotsOf(r.objects)).toEqual([]);
    });
    it('MARK_COMPLETE rewrites the entry\'s state, only an entry set on the index dataset itself that starts with it', () => {
      const p = pool('2', { 'p/a@zcp-1': snap(1, { 'zcp:state': 'creating' }) });
      p.objects['p/zcp/index']!.user!['zcp:cp:42.1'] = '{"state":"creating","title":"{\\"state\\":\\"creating\\""}';
      p.objects['p']!.user = { 'zcp:cp:42.2': '{"state":"creating"}' };
      const r = runOnHost(MARK_COMPLETE, { snapshots: ['p/a@zcp-1'], index_ds: 'p/zcp/index', key: 'zcp:cp:42.1' }, p);
      expect(r).toMatchObject({ result: { ok: true } });
      expect(r.objects['p/zcp/index']!.user!['zcp:cp:42.1']).toBe('{"state":"complete","title":"{\\"state\\":\\"creating\\""}');
      const r2 = runOnHost(MARK_COMPLETE, { snapshots: ['p/a@zcp-1'], index_ds: 'p/zcp/index', key: 'zcp:cp:42.2' }, p);
      expect(r2.objects['p/zcp/index']!.user!['zcp:cp:42.2']).toBeUndefined(); // inherited from the pool: not written
    });
    it('QUICK_LIST gives the zcp-prefixed names and the system\'s entries set on the index dataset itself, no property of a snapshot', () => {
      const p = pool('3', { 'p/a@zcp-1': snap(1), 'p/a/var@zcp-1': snap(1), 'p/a@auto': snap(2), 'p/a@zcp-x': snap(3) });
      p.objects['p/zcp/index']!.user = { ...p.objects['p/zcp/index']!.user, 'zcp:cp:42.1': 'one', 'zcp:cp:42.1.held': 'yes', 'zcp:cp:7.1': 'other system' };
      p.objects['p']!.user = { 'zcp:cp:42.9': 'inherited' };
      const r = runOnHost(QUICK_LIST, { datasets: ['p/a', 'p/a/var', 'p/gone'], prefix: 'zcp-', index_ds: 'p/zcp/index', key: 'zcp:cp:42.' }, p);
      expect(r).toMatchObject({ ok: true });
      if (!r.ok) return;
      expect(r.result.index).toEqual(new Map([['1', 'one'], ['1.held', 'yes']]));
      expect(r.result.datasets.get('p/a')).toEqual({ missing: false, names: ['zcp-1', 'zcp-x'] });
      expect(r.result.datasets.get('p/a/var')).toEqual({ missing: false, names: ['zcp-1'] });
      expect(r.result.datasets.get('p/gone')).toEqual({ missing: true });
    });
    it('SET_INDEX sets and drops entries, dropping only what is set on the index dataset itself', () => {
      const p = pool('3');
      p.objects['p/zcp/index']!.user!['zcp:cp:42.1'] = 'x';
      p.objects['p']!.user = { 'zcp:cp:42.2': 'pool' };
      const r = runOnHost(SET_INDEX, { index_ds: 'p/zcp/index', set: { 'zcp:cp:42.3.held': 'yes' }, drop: ['zcp:cp:42.1', 'zcp:cp:42.2'] }, p);
      expect(r).toMatchObject({ result: { ok: true } });
      expect(r.objects['p/zcp/index']!.user).toEqual({ 'zcp:role': 'index', 'zcp:cp:42.3.held': 'yes' });
      expect(r.objects['p']!.user).toEqual({ 'zcp:cp:42.2': 'pool' });
    });
  });

  describe('mark-complete', () => {
    it('sets zcp:state=complete on the snapshots that exist and carry the metadata; says which failed', () => {
      const p = pool('2', { 'p/a@zcp-1': snap(1, { 'zcp:tid': '1', 'zcp:state': 'creating' }), 'p/b@zcp-1': snap(1) });
      const r = runOnHost(MARK_COMPLETE, { snapshots: ['p/a@zcp-1', 'p/a/var@zcp-1', 'p/b@zcp-1'] }, p);
      expect(r).toMatchObject({ result: { ok: true } });
      expect(r.objects['p/a@zcp-1']!.user).toEqual({ 'zcp:tid': '1', 'zcp:state': 'complete' });
      expect(r.objects['p/b@zcp-1']!.user ?? {}).toEqual({}); // tied by its createtxg: no metadata of its own to mark
      p.fail = { 'sync_set_prop:p/a@zcp-1': ENOSPC };
      expect(runOnHost(MARK_COMPLETE, { snapshots: ['p/a@zcp-1'] }, p)).toMatchObject({ result: { ok: false, failed: 'p/a@zcp-1', errno: ENOSPC } });
    });
  });

  describe('the zfs layer: list-snapshots, list-children, get-props, set-user-props', () => {
    it('list-snapshots reads the properties asked for, leaving unset ones out', () => {
      const r = runOnHost(LIST_SNAPSHOTS, { dataset: 'p/a', props: ['createtxg', 'zcp:tid'] }, pool('1', { 'p/a@one': snap(2, { 'zcp:tid': '9' }), 'p/a@two': snap(3) }));
      expect(r).toMatchObject({ result: { missing: false, snapshots: [{ name: 'p/a@one', props: { createtxg: 2, 'zcp:tid': '9' } }, { name: 'p/a@two', props: { createtxg: 3 } }] } });
      expect(runOnHost(LIST_SNAPSHOTS, { dataset: 'p/none', props: [] }, pool('1'))).toMatchObject({ result: { missing: true } });
    });
    it('list-children: children, or every descendant', () => {
      const p = pool('1', { 'p/a/var/log': fsys() });
      expect(runOnHost(LIST_CHILDREN, { dataset: 'p', recursive: false }, p)).toMatchObject({ result: ['p/a', 'p/zcp'] });
      expect(runOnHost(LIST_CHILDREN, { dataset: 'p', recursive: true }, p)).toMatchObject({ result: ['p/a', 'p/a/var', 'p/a/var/log', 'p/zcp', 'p/zcp/index'] });
      expect(runOnHost(LIST_CHILDREN, { dataset: 'p/x', recursive: false }, p)).toMatchObject({ result: undefined });
    });
    it('get-props: values with their sources (set here, inherited, default, read-only)', () => {
      const p = pool('1');
      p.objects['p/a']!.user = { 'zcp:system': '42' };
      const r = runOnHost(GET_PROPS, { name: 'p/a/var' }, p);
      expect(r.ok && r.result).toMatchObject({ available: { value: 10_000_000, source: undefined }, mountpoint: { value: '/x', source: 'default' }, 'zcp:system': { value: '42', source: 'p/a' } });
      expect(runOnHost(GET_PROPS, { name: 'p/a', props: ['used', 'zcp:none'] }, p)).toMatchObject({ result: { used: { value: 1000 } } });
      expect(runOnHost(GET_PROPS, { name: 'p/a', props: ['no-such-property'] }, p)).toMatchObject({ ok: false, error: expect.stringMatching(/no property no-such-property/) });
    });
    it('get-user-props: the user properties with the prefix, where each is set, in one pass (no native property read)', () => {
      const q = pool('5', { p: { props: {}, user: { 'zcp:h:x:1': 'from the pool' } } });
      q.objects['p/zcp']!.user = { ...q.objects['p/zcp']!.user, 'zcp:h:x:2': 'two', 'zcp:h:y:3': 'other system' };
      const r = runOnHost(GET_USER_PROPS, { name: 'p/zcp', prefix: 'zcp:h:x:' }, q);
      expect(r).toMatchObject({ ok: true, result: { 'zcp:h:x:1': { value: 'from the pool', source: 'p' }, 'zcp:h:x:2': { value: 'two', source: 'p/zcp' } } });
      expect(r.ok && Object.keys(r.result!)).toEqual(['zcp:h:x:1', 'zcp:h:x:2']);
      expect(r.reads).toBe(2); // exists, and one pass over the user properties
      expect(runOnHost(GET_USER_PROPS, { name: 'p/nothing', prefix: '' }, q)).toMatchObject({ result: undefined });
    });
    it('set-user-props sets all or none: checked before any is set, and the space first', () => {
      const args = { name: 'p/a', props: { 'zcp:a': '1', 'zcp:b': '2' }, space_of: 'p/a', need: 1000 };
      const r = runOnHost(SET_USER_PROPS, args, pool('1'));
      expect(r).toMatchObject({ result: { done: 'set' } });
      expect(r.objects['p/a']!.user).toEqual({ 'zcp:a': '1', 'zcp:b': '2' });
      const bad = runOnHost(SET_USER_PROPS, { ...args, props: { 'zcp:a': '1', 'not-user': '2' } }, pool('1'));
      expect(bad).toMatchObject({ result: { done: 'failed', property: 'not-user', errno: 22 } });
      expect(bad.objects['p/a']!.user).toEqual({});
      const full = runOnHost(SET_USER_PROPS, { ...args, need: 20_000_000 }, pool('1'));
      expect(full).toMatchObject({ result: { done: 'nospace', available: 10_000_000 } });
      expect(full.objects['p/a']!.user).toEqual({});
      expect(runOnHost(SET_USER_PROPS, { ...args, name: 'p/none' }, pool('1'))).toMatchObject({ result: { done: 'missing' } });
    });
  });

  it('state-read: POOL/zcp with its own role, and a journal\'s chunks read only while there are more (none when it is not set)', () => {
    const args = { state: 'p/zcp', journal: 'zcp:journal:x', chunks: 16 };
    const none = runOnHost(STATE_READ, args, pool('5'));
    expect(none).toMatchObject({ ok: true, result: { there: true, role: 'state' } });
    expect(none.ok && 'journal' in none.result).toBe(false);
    // The role, the journal's first property: nothing more while no journal is set (the index is not read), and
    // whether POOL/zcp is there is not asked first (a missing one fails the program: readState then looks).
    expect(none.reads).toBe(2);
    const set = pool('5');
    set.objects['p/zcp']!.user = { ...set.objects['p/zcp']!.user, 'zcp:journal:x': 'ab', 'zcp:journal:x.1': 'cd', 'zcp:journal:x.2': '', 'zcp:journal:x.3': 'stale' };
    const r = runOnHost(STATE_READ, args, set);
    expect(r).toMatchObject({ result: { journal: 'abcd' } });
    expect(r.reads).toBe(4);
    // Set on the pool and inherited: anyone's with userprop there, so none; a foreign POOL/zcp as it is.
    const inherited = pool('5', { p: { props: {}, user: { 'zcp:journal:x': 'forged', 'zcp:role': 'state' } } });
    delete inherited.objects['p/zcp/index'];
    inherited.objects['p/zcp']!.user = {};
    expect(runOnHost(STATE_READ, args, inherited)).toMatchObject({ result: { there: true, role: '' } });
    const forged = runOnHost(STATE_READ, args, inherited);
    expect(forged.ok && 'journal' in forged.result).toBe(false);
    const gone = pool('5');
    delete gone.objects['p/zcp'];
    expect(runOnHost(STATE_READ, args, gone)).toMatchObject({ ok: false, error: expect.stringContaining('p/zcp') });
  });
  it('a result of another shape is refused by the program\'s decoder, naming the program and the field', () => {
    expect(() => CREATE.decode({ tid: 'seven', name: 'zcp-7', creation: 1, used: 1 })).toThrow(/channel program create returned a string as its result\.tid, not a number/);
    expect(() => LIST.decode(undefined)).toThrow(expect.objectContaining({ code: 'CHANNEL_PROGRAM_ERROR' }));
    expect(() => CREATE.decode({ failed: 'p/a@zcp-1', errno: 1, step: 'later' })).toThrow(/step, not snapshot or metadata/);
  });
});
