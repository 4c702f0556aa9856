// The addon on a host without a usable ZFS: it loads, says why ZFS is
// unavailable, and every ZFS call rejects with ZFS_UNAVAILABLE; nothing aborts.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ZfsError, zfs } from '../../src/index.js';
import { addon } from '../../src/addon.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** Runs a snippet against the built library (dist/) in a fresh Node process. */
async function inChild(code: string, env: Record<string, string> = {}) {
  const script = `import('${root}dist/index.js').then(async ({ zfs, ZfsError }) => { ${code} })`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('native addon', () => {
  it('loads through node-gyp-build and exposes the zfs entry points', () => {
    const native = addon();
    expect(typeof native.zfs.available).toBe('function');
    expect(typeof native.zfs.exists).toBe('function');
    expect(typeof native.zfs.snapshot).toBe('function');
  });

  it('rejects arguments of the wrong type with a TypeError, not a crash', () => {
    const native = addon().zfs as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => native.snapshot!('tank@x')).toThrow(TypeError);
    expect(() => native.snapshot!([1, 2])).toThrow(/array of strings/);
    expect(() => native.snapshot!(['tank@x'], { 'a:b': 1 })).toThrow(/values must be strings/);
    expect(() => native.exists!()).toThrow(/must be a string/);
  });
});

describe('zfs.available on this host', () => {
  it('names /dev/zfs when the kernel module is missing (or is ok where it exists)', async () => {
    const status = await zfs.available();
    if (existsSync('/dev/zfs')) {
      expect(status.ok).toBe(true);
    } else {
      expect(status).toEqual({ ok: false, reason: expect.stringMatching(/\/dev\/zfs/) });
      if (!status.ok) expect(status.reason).toMatch(/kernel module|libzfs_core/);
    }
  });

  it('names libzfs_core when the library cannot be loaded', async () => {
    const out = await inChild(`process.stdout.write(JSON.stringify(await zfs.available()))`, {
      ZCP_LIBZFS_CORE: '/nonexistent/libzfs_core.so.3',
    });
    expect(out.ok).toBe(false);
    expect(out.reason).toMatch(/libzfs_core is not installed or not loadable/);
    expect(out.reason).toMatch(/\/nonexistent\/libzfs_core\.so\.3/);
  });
});

describe('ZFS calls without ZFS', () => {
  const unavailableHere = !existsSync('/dev/zfs');

  it('reject with ZfsError ZFS_UNAVAILABLE when libzfs_core is missing, and the process lives on', async () => {
    const out = await inChild(
      `const r = [];
       for (const call of [() => zfs.exists('tank/a'), () => zfs.snapshot(['tank/a@s'])]) {
         try { await call(); r.push('resolved'); }
         catch (e) { r.push({ isZfsError: e instanceof ZfsError, code: e.code, operation: e.operation, dataset: e.dataset, message: e.message }); }
       }
       process.stdout.write(JSON.stringify({ r, alive: true }))`,
      { ZCP_LIBZFS_CORE: '/nonexistent/libzfs_core.so.3' },
    );
    expect(out.alive).toBe(true);
    const [exists, snap] = out.r as Record<string, unknown>[];
    expect(exists).toMatchObject({ isZfsError: true, code: 'ZFS_UNAVAILABLE', operation: 'exists', dataset: 'tank/a' });
    expect(snap).toMatchObject({ isZfsError: true, code: 'ZFS_UNAVAILABLE', operation: 'snapshot', dataset: 'tank/a@s' });
    expect(String(snap!.message)).toMatch(/libzfs_core/);
  });

  it('reject with ZFS_UNAVAILABLE in this process when /dev/zfs is missing', async () => {
    // This path is what the unit project exists to prove: it runs on a host without the
    // module (the guest proves the other). On a host with /dev/zfs it fails, it never passes idly.
    expect(unavailableHere, 'the unit project must run where /dev/zfs is missing').toBe(true);
    const e = await zfs.snapshot(['tank/a@s']).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ZfsError);
    expect((e as ZfsError).code).toBe('ZFS_UNAVAILABLE');
    expect((e as ZfsError).message).toMatch(/\/dev\/zfs/);
    // A failed init is retried, never cached as a crash: the next call says the same.
    await expect(zfs.exists('tank')).rejects.toMatchObject({ code: 'ZFS_UNAVAILABLE' });
  });
});

describe('the native boundary', () => {
  it('JS reads the compact package results with the strides the addon writes them with', async () => {
    const { DPKG_INDEX_STRIDE } = await import('../../src/pkgdb/dpkg.js');
    const { RPM_STRIDE } = await import('../../src/pkgdb/rpmdb.js');
    expect(addon().pkgdb.layout).toEqual({ dpkgIndexStride: DPKG_INDEX_STRIDE, rpmStride: RPM_STRIDE });
  });
});
