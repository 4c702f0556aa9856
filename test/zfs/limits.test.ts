// The edges: names at and over 255 bytes, a full pool, a caller who is not root.
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zfs } from '../../src/index.js';
import { addon } from '../../src/addon.js';
import { attempt, fresh, rejection, run } from './helpers.js';
import { TEST_POOLS } from './pools.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

describe('names at the 255-byte limit', () => {
  it('takes a 255-byte snapshot name and refuses 256, as the kernel does', async () => {
    const base = `${POOL}/`;
    const ds = base + 'n'.repeat(253 - base.length);
    await zfs.create(ds);
    const at = `${ds}@s`;
    expect(Buffer.byteLength(at)).toBe(255);
    await zfs.snapshot([at]);
    expect(run('zfs', 'list', '-H', '-o', 'name', '-t', 'snapshot', at).trim()).toBe(at);
    const over = `${ds}@s2`;
    expect((await rejection(zfs.snapshot([over]))).code).toBe('NAME_TOO_LONG');
    // The kernel agrees: the same name sent without zcp's check fails.
    expect((await addon().zfs.snapshot([over], {})).errno).not.toBe(0);
    expect(attempt('zfs', 'snapshot', over).status).not.toBe(0);
  });

  it('refuses bad characters before the kernel sees them', async () => {
    for (const bad of [`${POOL}/a*b@s`, `${POOL}/a@s/x`, `${POOL}//a@s`, `${POOL}/a@`]) {
      expect((await rejection(zfs.snapshot([bad]))).code, bad).toBe('INVALID_NAME');
    }
  });
});

describe('a full pool', () => {
  const pool = 'zcpfull';
  beforeAll(() => {
    run('truncate', '-s', '128M', '/dev/shm/zcpfull.img');
    run('zpool', 'create', '-O', 'compression=off', pool, '/dev/shm/zcpfull.img');
    run('zfs', 'create', `${pool}/a`);
    run('zfs', 'create', `${pool}/b`);
    run('zfs', 'create', '-o', 'canmount=off', `${pool}/pad`);
    run('zfs', 'snapshot', `${pool}/a@pre`);
    // Fill it with data the way a runaway upgrade would, until ENOSPC.
    expect(attempt('dd', 'if=/dev/urandom', `of=/${pool}/a/blob`, 'bs=1M').out).toMatch(/No space left/);
    run('zpool', 'sync', pool);
    // Then the crumbs, in small blocks, once the big writes have settled.
    expect(attempt('dd', 'if=/dev/urandom', `of=/${pool}/a/crumbs`, 'bs=4k').out).toMatch(/No space left/);
    // dd stops with some room left (a write reserves for its worst case), and
    // frees of the last txgs return a little more two txgs later: enough, on
    // some runs, for a snapshot. A reservation on a pad takes whatever is left
    // once the frees have settled, so the pool is full on every run.
    const available = () => Number(run('zfs', 'get', '-Hp', '-o', 'value', 'available', pool).trim());
    for (let i = 0; i < 5 && available() > 0; i++) {
      for (let t = 0; t < 3; t++) run('zpool', 'sync', pool);
      const held = Number(run('zfs', 'get', '-Hp', '-o', 'value', 'reservation', `${pool}/pad`).trim());
      attempt('zfs', 'set', `reservation=${held + available()}`, `${pool}/pad`);
    }
    expect(available()).toBe(0);
  }, 300_000);
  afterAll(() => {
    attempt('zpool', 'destroy', '-f', pool);
    attempt('rm', '-f', '/dev/shm/zcpfull.img');
  });

  it('snapshot, clone, create and setUserProps fail with NO_SPACE and make nothing', async () => {
    const snap = await rejection(zfs.snapshot([`${pool}/a@x`, `${pool}/b@x`], { 'zcp:t': '1' }), 'snapshot');
    expect(snap.message).toMatch(/out of space/);
    expect(snap.code).toBe('NO_SPACE');
    expect(await zfs.exists(`${pool}/a@x`)).toBe(false);
    expect(await zfs.exists(`${pool}/b@x`)).toBe(false);

    expect((await rejection(zfs.clone(`${pool}/a@pre`, `${pool}/c`), 'clone')).code).toBe('NO_SPACE');
    expect(await zfs.exists(`${pool}/c`)).toBe(false);
    expect((await rejection(zfs.create(`${pool}/d`), 'create')).code).toBe('NO_SPACE');
    expect(await zfs.exists(`${pool}/d`)).toBe(false);

    const props = await rejection(zfs.setUserProps(`${pool}/b`, { 'zcp:state': 'x', 'zcp:title': 'y' }), 'setUserProps');
    expect(props.code).toBe('NO_SPACE');
    expect(run('zfs', 'get', '-H', '-o', 'value', 'zcp:state,zcp:title', `${pool}/b`).trim().split('\n')).toEqual(['-', '-']);
  });
});

/** Runs library calls in a child Node process as user nobody. */
function asNobody(code: string): Record<string, unknown> {
  const script = `const { zfs } = await import(${JSON.stringify(dist)});
const out = {};
async function t(label, f) { try { out[label] = { ok: await f() }; } catch (e) { out[label] = { code: e.code, message: e.message }; } }
${code}
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('a caller who is not root', () => {
  it('may look but gets PERMISSION_DENIED for changes, like the zfs command', async () => {
    const ds = fresh(POOL);
    await zfs.create(ds);
    const out = asNobody(`
      await t('exists', () => zfs.exists(${JSON.stringify(ds)}));
      await t('snapshot', () => zfs.snapshot([${JSON.stringify(`${ds}@nobody`)}]));
      await t('destroy', () => zfs.destroy(${JSON.stringify(ds)}));
      await t('setUserProps', () => zfs.setUserProps(${JSON.stringify(ds)}, { 'zcp:x': 'y' }));
    `);
    expect(out.exists).toEqual({ ok: true });
    for (const op of ['snapshot', 'destroy', 'setUserProps']) expect(out[op], op).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await zfs.exists(`${ds}@nobody`)).toBe(false);
    expect(await zfs.exists(ds)).toBe(true);
    const cli = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'zfs', 'snapshot', `${ds}@cli`], { encoding: 'utf8' });
    expect(cli.status).not.toBe(0);
  });

  it('gets PERMISSION_DENIED, not ZFS_UNAVAILABLE, when /dev/zfs is not open to it', () => {
    chmodSync('/dev/zfs', 0o600);
    try {
      const out = asNobody(`await t('exists', () => zfs.exists(${JSON.stringify(POOL)}));`);
      expect(out.exists).toMatchObject({ code: 'PERMISSION_DENIED' });
      expect(String((out.exists as { message: string }).message)).toMatch(/\/dev\/zfs/);
    } finally {
      chmodSync('/dev/zfs', 0o666);
    }
  });
});
