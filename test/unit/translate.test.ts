// errno -> code, per operation, on the host (the guest tests meet these errnos from the real kernel):
// the same errno means different things to different calls, as in pyzfs.
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { MAP, genericCode, lzcError, snapshotMapper } from '../../src/zfs/translate.js';

const E = constants.errno;

describe('errno translation', () => {
  it('gives each operation its own meaning of an errno', () => {
    expect(MAP.destroySnapshots(E.EEXIST, 'p/a@s')).toBe('SNAPSHOT_HAS_CLONES');
    expect(MAP.destroySnapshots(E.EBUSY, 'p/a@s')).toBe('SNAPSHOT_HELD');
    expect(MAP.rollbackTo(E.EEXIST, 'p/a@s')).toBe('NOT_LATEST_SNAPSHOT');
    expect(MAP.create(E.EEXIST, 'p/a')).toBe('DATASET_EXISTS');
    expect(MAP.create(E.ENOENT, 'p/a')).toBe('PARENT_NOT_FOUND');
    expect(MAP.release(E.ENOENT, 'p/a@s')).toBe('HOLD_NOT_FOUND');
    expect(MAP.setProp(E.EINVAL, 'p/a')).toBe('INVALID_PROPERTY');
    expect(MAP.channelProgram(E.ENOSPC, 'p')).toBe('CHANNEL_PROGRAM_MEMORY'); // Lua's memory limit, not the pool
    expect(genericCode(E.ENOSPC)).toBe('NO_SPACE');
    expect(genericCode(E.EIO)).toBe('EIO');
  });

  it('tells two snapshots of one dataset from two pools (EXDEV on snapshot)', () => {
    expect(snapshotMapper(['p/a@x', 'p/a@y'])(E.EXDEV, 'p/a@x')).toBe('DUPLICATE_SNAPSHOTS');
    expect(snapshotMapper(['p/a@x', 'q/a@x'])(E.EXDEV, 'p/a@x')).toBe('POOLS_DIFFER');
    expect(snapshotMapper(['p/a@x'])(E.EEXIST, 'p/a@x')).toBe('SNAPSHOT_EXISTS');
  });

  it('builds one error from the per-name list: the first leads, the rest are counted', () => {
    const e = lzcError('destroySnapshots', ['p/a@x', 'p/b@x'], { errno: E.EEXIST, errors: [{ name: 'p/a@x', errno: E.EEXIST }, { name: 'p/b@x', errno: E.EBUSY }, { name: 'N_MORE_ERRORS', errno: 3 }] }, MAP.destroySnapshots);
    expect(e).toMatchObject({ code: 'SNAPSHOT_HAS_CLONES', dataset: 'p/a@x', subject: 'p/a@x', operation: 'destroySnapshots' });
    expect(e.errors.map((x) => x.code)).toEqual(['SNAPSHOT_HAS_CLONES', 'SNAPSHOT_HELD']);
    expect(e.message).toBe('destroySnapshots p/a@x: snapshot has clones (destroy or promote them first) (and 4 more errors)');
    expect(lzcError('snapshot', ['p/a@x'], { errno: E.EIO })).toMatchObject({ code: 'EIO', message: expect.stringContaining('EIO') });
  });
});
