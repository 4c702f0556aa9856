// The package-manager hooks in the guest, with ZFS: real apt-get through the
// apt.conf.d hook (apt reads the root's apt.conf.d: APT_CONFIG sets Dir),
// real rpm through `zcp rpm`, real dnf through the plugin. Every run becomes
// a transaction; failures are recorded; a full pool only makes a warning.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Run, createFilesystems, fresh, run, spawnAsync } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { aptRepository, buildDeb, buildRpm, initAptRoot, initDnfRoot, initDpkgRoot, rpmNames, treeDigest, writeAptConfig } from '../support/systems.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];
const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

function system(prefix: string) {
  const ds = fresh(POOL, prefix);
  createFilesystems(ds, `${ds}/var`);
  const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
  const flags = ['--dataset', ds, '--dataset', `${ds}/var`, '--root', root];
  const zcp = (args: string[], input = ''): Promise<Run> => spawnAsync(process.execPath, [CLI, ...flags, ...args], input);
  return { ds, root, zcp };
}
type History = { history: { tid: number; title: string; state: string; checkpoint: string; rollback?: unknown; changes?: { installed: { name: string }[]; upgraded: { name: string }[] } }[] };
const history = async (zcp: (a: string[]) => Promise<Run>) => (JSON.parse((await zcp(['history', '--json'])).stdout) as History).history.filter((e) => !e.rollback);

describe('package-manager hooks (guest)', () => {
  it('apt: every apt-get run is a transaction titled by its command line; a dpkg failure is recorded and undoable; a full pool only warns', async () => {
    const s = system('hookapt');
    initDpkgRoot(s.root);
    initAptRoot(s.root, aptRepository([buildDeb('app', '1.0-1', { 'usr/share/app/v': '1\n' }), buildDeb('app', '2.0-1', { 'usr/share/app/v': '2\n' }, 'exit 1'), buildDeb('small', '1.0', { 'usr/share/small/v': 's\n' })]));
    const aptConfig = writeAptConfig(s.root, join(s.root, '..', `${s.ds.split('/').pop()}-apt.conf`));
    const aptGet = (...args: string[]) => spawnAsync('env', [`APT_CONFIG=${aptConfig}`, 'apt-get', ...args]);
    expect((await s.zcp(['hook', 'install', 'apt'])).code).toBe(0);

    const ok = await aptGet('-y', 'install', 'app=1.0-1');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/zcp: checkpoint (zcp-\d+) \(TID \d+\) before this apt run; zcp rollback zcp-\d+ undoes it/);
    expect(ok.stderr).toMatch(/zcp: transaction \d+ committed: 1 package change/);
    let h = await history(s.zcp);
    expect(h.map((e) => [e.title, e.state])).toEqual([['apt-get -y install app=1.0-1', 'committed']]);
    expect(h[0]!.changes!.installed.map((p) => p.name)).toEqual(['app']);
    const before = treeDigest(s.root);

    const bad = await aptGet('-y', 'install', 'app=2.0-1');
    expect(bad.code).toBe(100);
    expect(bad.stderr).toMatch(/zcp: transaction \d+ failed: dpkg left app \(half-configured\); zcp rollback (zcp-\d+) undoes this apt run/);
    h = await history(s.zcp);
    expect(h.map((e) => e.state)).toEqual(['committed', 'failed']);
    expect((await s.zcp(['rollback', h[1]!.checkpoint, '--yes'])).code).toBe(0);
    // The hook's checkpoint is taken when apt invokes dpkg; apt wrote the log of its plan just before. That is all that differs.
    const after = treeDigest(s.root);
    const changed = (a: string, b: string) => a.split('\n').filter((l) => !b.split('\n').includes(l));
    expect([...changed(before, after), ...changed(after, before)].filter((l) => !l.endsWith('./var/log/apt/eipp.log.xz') && !l.startsWith('./var/log/apt/eipp.log.xz '))).toEqual([]);
    expect(readFileSync(join(s.root, 'usr/share/app/v'), 'utf8')).toBe('1\n');

    // A full system (a quota below what a checkpoint needs): one warning, and apt still installs.
    const used = Number(run('zfs', 'get', '-Hp', '-o', 'value', 'used', s.ds).trim());
    run('zfs', 'set', `quota=${used + 600 * 1024}`, s.ds);
    try {
      const full = await aptGet('-y', 'install', 'small');
      expect(full.code, full.stderr).toBe(0);
      expect(full.stderr.match(/^zcp: warning: .*/gm)).toEqual([expect.stringMatching(/^zcp: warning: no checkpoint before this apt run: .*bytes available/)]);
      expect(readFileSync(join(s.root, 'var/lib/dpkg/status'), 'utf8')).toMatch(/Package: small\nStatus: install ok installed/);
    } finally {
      run('zfs', 'set', 'quota=none', s.ds);
    }
    expect((await history(s.zcp)).length).toBe(2);
    expect((await s.zcp(['hook', 'remove', 'apt'])).code).toBe(0);
    const quiet = await aptGet('-y', 'remove', 'small');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('zcp:');
  });

  it('rpm: zcp rpm makes a transaction of an rpm run; a failing scriptlet is offered back; dnf through the plugin is a transaction too', async () => {
    const s = system('hookrpm');
    const rpm = ['--root', s.root, '--dbpath', '/var/lib/rpm', '--nodeps', '--nosignature'];
    const { dnf: dnfArgv } = initDnfRoot(s.root, join(s.root, '..', `${s.ds.split('/').pop()}-home`));
    const [one, broken, two] = [buildRpm('one', '1.0'), buildRpm('broken', '1.0', { pre: 'echo broken pre >&2; exit 1' }), buildRpm('two', '1.0')];
    const q = () => rpmNames(s.root);

    const r1 = await s.zcp(['rpm', '-m', 'install one', '--', ...rpm, '-i', one]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/transaction \d+ committed: 1 package change/);
    const r2 = await s.zcp(['rpm', '--rollback-on-failure', '--', ...rpm, '-i', broken]);
    expect(r2.code, r2.stderr).toBe(1);
    expect(r2.stderr).toMatch(/rpm failed \(exit \d+\)/);
    expect(r2.stderr).toMatch(/rolled back to zcp-\d+/);
    expect(q()).toEqual(['one']);

    // dnf with the plugin zcp wrote into the root (dnf's plugin path pointed there).
    expect((await s.zcp(['hook', 'install', 'dnf'])).code).toBe(0);
    const dnf = await spawnAsync('env', dnfArgv(['install', two]));
    expect(dnf.code, dnf.stdout + dnf.stderr).toBe(0);
    expect(q()).toEqual(['one', 'two']);
    const h = await history(s.zcp);
    expect(h.map((e) => e.state)).toEqual(['committed', 'rolled-back', 'committed']);
    expect(h[2]!.title).toMatch(/^dnf -y --installroot=.* install .*two-1\.0-1\.noarch\.rpm$/);
    expect(h[2]!.changes!.installed.map((p) => p.name)).toEqual(['two']);
  });
});
