// Input validation happens in TypeScript, before any call reaches C++: these
// hold on a host without ZFS.
import { describe, expect, it } from 'vitest';
import { ZfsError, zfs } from '../../src/index.js';

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => 'resolved', (err: unknown) => err);
  expect(e).toBeInstanceOf(ZfsError);
  return (e as ZfsError).code;
}

describe('name rules of zfs(8)', () => {
  it.each([
    ['tank', 'dataset', undefined],
    ['tank/ROOT/debian 12', 'dataset', undefined],
    ['tank/a:b.c-d_e', 'dataset', undefined],
    ['tank/a@snap:1', 'snapshot', undefined],
    ['', 'dataset', /empty/],
    ['/tank', 'dataset', /empty component/],
    ['tank/', 'dataset', /empty component/],
    ['tank//a', 'dataset', /empty component/],
    ['tank/..', 'dataset', /not a valid component/],
    ['tank/a*b', 'dataset', /character/],
    ['1tank', 'dataset', /begin with a letter/],
    ['tank/a', 'snapshot', /needs "@"/],
    ['tank/a@', 'snapshot', /empty snapshot name/],
    ['tank/a@b@c', 'snapshot', /character/],
    ['tank/a@b/c', 'snapshot', /character/],
    ['tank/a@b', 'dataset', /may only separate/],
  ] as const)('%s as a %s', (name, kind, problem) => {
    const got = zfs.nameProblem(name, kind);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });
});

describe('zfs.snapshot input checks', () => {
  const long = (n: number) => `tank/${'a'.repeat(n - 'tank/'.length - 2)}@s`;

  it('accepts a 255-byte name as far as validation goes, rejects 256 bytes', async () => {
    expect(long(255)).toHaveLength(255);
    expect(await code(zfs.snapshot([long(256)]))).toBe('NAME_TOO_LONG');
    // 255 passes validation and reaches libzfs_core: here that means ZFS_UNAVAILABLE or a kernel answer.
    expect(await code(zfs.snapshot([long(255)]))).not.toMatch(/NAME_TOO_LONG|INVALID_NAME/);
  });

  it('rejects bad names, two pools, two snapshots of a dataset and bad properties', async () => {
    expect(await code(zfs.snapshot([]))).toBe('INVALID_ARGUMENT');
    expect(await code(zfs.snapshot(['tank/a']))).toBe('INVALID_NAME');
    expect(await code(zfs.snapshot(['tank/a@x', 'other/b@x']))).toBe('POOLS_DIFFER');
    expect(await code(zfs.snapshot(['tank/a@x', 'tank/a@y']))).toBe('DUPLICATE_SNAPSHOTS');
    expect(await code(zfs.snapshot(['tank/a@x'], { nocolon: 'v' }))).toBe('INVALID_PROPERTY');
    expect(await code(zfs.snapshot(['tank/a@x'], { 'Zcp:Upper': 'v' }))).toBe('INVALID_PROPERTY');
    expect(await code(zfs.snapshot(['tank/a@x'], { 'zcp:big': 'v'.repeat(8192) }))).toBe('INVALID_PROPERTY');
    expect(await code(zfs.exists('tank/a*'))).toBe('INVALID_NAME');
  });

  it('puts the operation, the name and the errno on the error', async () => {
    const e = (await zfs.snapshot(['tank/a@x', 'other/b@x']).catch((x: unknown) => x)) as ZfsError;
    expect(e).toMatchObject({ name: 'ZfsError', operation: 'snapshot', dataset: 'tank/a@x' });
    expect(e.message).toMatch(/different pools \(tank, other\)/);
    const n = (await zfs.snapshot(['bad*name@x']).catch((x: unknown) => x)) as ZfsError;
    expect(n.errno).toBe(22);
  });
});
