// zcp apt in the guest, with real apt-get and dpkg against a local file
// repository (dpkg-scanpackages) on a small root on ZFS: apt-clone's
// "Rollback Checkpoint" (in place, example 3) and example 1 through apt, the
// free-space check and the reboot forecast, and the "Upgrade Checkpoint"
// (-s: into a boot environment, example 2) with A and C moving.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, createFilesystems, fresh, run, spawnAsync } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { APT_TEST_OPTIONS, aptRepository, buildDeb, initAptRoot, initDpkgRoot, initSelfContainedRoot, treeDigest } from '../support/systems.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];
const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

let repo: string;
beforeAll(() => {
  repo = aptRepository([
    buildDeb('app', '1.0-1', { 'usr/share/app/v': '1\n', 'etc/app.conf': 'a=1\n' }),
    buildDeb('app', '2.0-1', { 'usr/share/app/v': '2\n', 'etc/app.conf': 'a=2\n' }, 'echo configuring app; exit 1'),
    // Leaves a stamp saying whether its script saw a /proc (it does inside zcp's chroot).
    // ... and what a policy-rc.d there answers (101: no daemon may start in a system entered with chroot).
    buildDeb('app', '2.0-2', { 'usr/share/app/v': '2.2\n', 'etc/app.conf': 'a=2\n' }, 'if test -r /proc/self/status; then echo proc > "$DPKG_ROOT/var/lib/app.stamp"; fi; if test -x /usr/sbin/policy-rc.d; then /usr/sbin/policy-rc.d app start; echo $? > "$DPKG_ROOT/var/lib/app.policy"; fi'),
    buildDeb('linux-image-zcp', '6.1-1', { 'boot/vmlinuz-zcp': 'kernel\n' }, undefined, 'Installed-Size: 2048\n'),
    // Claims 64 GiB unpacked: more than the test pool has.
    buildDeb('huge', '1.0', { 'usr/share/huge/x': 'x\n' }, undefined, 'Installed-Size: 67108864\n'),
  ]);
});
afterAll(() => {
  run('zpool', 'set', 'bootfs=', POOL);
});

/** A root on ZFS (/ and /var) with apt's state: apt run from outside, or (selfContained) an apt of its own that zcp enters with chroot. */
function system(prefix: string, selfContained = false) {
  const ds = fresh(POOL, prefix);
  createFilesystems(ds, `${ds}/var`);
  const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
  initDpkgRoot(root);
  if (selfContained) initSelfContainedRoot(root, repo);
  else initAptRoot(root, repo);
  const zcp = (args: string[], input = '', env?: NodeJS.ProcessEnv): Promise<Run> => spawnAsync(process.execPath, [CLI, '--dataset', ds, '--dataset', `${ds}/var`, '--root', root, ...args], input, env);
  const apt = (zcpArgs: string[], action: string, ...args: string[]): Promise<Run> => zcp(['apt', ...zcpArgs, action, ...args, ...APT_TEST_OPTIONS]);
  const installed = () => readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8').match(/^Package: .*\nStatus: .*\n(?:.*\n)*?Version: .*$/gm)?.map((p) => `${/^Package: (.*)$/m.exec(p)![1]} ${/^Version: (.*)$/m.exec(p)![1]} ${/^Status: (.*)$/m.exec(p)![1]}`) ?? [];
  return { ds, root, zcp, apt, installed };
}

const json = (r: Run): unknown => JSON.parse(r.stdout);

/** A file of a dataset that is not mounted (a boot environment), read through a mount of our own. */
function lookInto(dataset: string, file: string): string {
  const mnt = mkdtempSync(join(tmpdir(), 'zcp-look-'));
  execFileSync('mount', ['-t', 'zfs', '-o', 'zfsutil', dataset, mnt]);
  try {
    return readFileSync(join(mnt, file), 'utf8');
  } finally {
    execFileSync('umount', [mnt]);
    rmdirSync(mnt);
  }
}

describe('zcp apt (guest, real apt-get)', () => {
  it('Rollback Checkpoint: foretells, checks space, checkpoints, installs in place; rollback restores; a failing upgrade is rolled back when offered', async () => {
    const s = system('apt3');
    const empty = treeDigest(s.root);

    // The forecast changes nothing: packages, space, a reboot for the kernel.
    const dry = await s.apt(['--dry-run'], 'install', 'app=1.0-1', 'linux-image-zcp');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('install 2: app 1.0-1, linux-image-zcp 6.1-1');
    expect(dry.stdout).toMatch(/reboot: this touches the kernel; a reboot is needed/);
    const dryJson = json(await s.apt(['--dry-run', '--json'], 'install', 'app=1.0-1', 'linux-image-zcp')) as { plan: { reboot: boolean; needBytes: number; install: { name: string; installedSize: number }[] } };
    expect(dryJson.plan.reboot).toBe(true);
    expect(dryJson.plan.install.find((p) => p.name === 'linux-image-zcp')!.installedSize).toBe(2048 * 1024);
    expect(dryJson.plan.needBytes).toBeGreaterThan(2048 * 1024);
    expect(treeDigest(s.root)).toBe(empty);

    // Example 3: install in place with a checkpoint, then roll back.
    const inst = await s.apt(['--yes', '-m', 'install app'], 'install', 'app=1.0-1');
    expect(inst.code).toBe(0);
    expect(inst.stderr).toMatch(/checkpoint zcp-\d+ \(TID \d+\); running apt-get install/);
    expect(inst.stderr).toMatch(/transaction \d+ committed: 1 package change/);
    expect(s.installed()).toEqual(['app 1.0-1 install ok installed']);
    const list = json(await s.zcp(['list', '--json'])) as { checkpoints: { id: string; kind: string; title: string }[] };
    expect(list.checkpoints.map((c) => [c.kind, c.title])).toEqual([['apt', 'install app']]);
    expect((await s.zcp(['rollback', list.checkpoints[0]!.id, '--yes'])).code).toBe(0);
    expect(treeDigest(s.root)).toBe(empty);

    // Example 1 through apt: dpkg fails in postinst; the rollback is offered and taken.
    const first = await s.apt(['--yes'], 'install', 'app=1.0-1');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const before = treeDigest(s.root);
    const failed = await s.zcp(['apt', '--yes', 'install', 'app=2.0-1', ...APT_TEST_OPTIONS], 'y\n');
    expect(failed.code).toBe(100); // apt-get's own exit status
    expect(failed.stderr).toMatch(/apt-get failed \(exit 100\)/);
    expect(failed.stderr).toMatch(/apt-get failed\. Roll back to zcp-\d+\? \[y\/N\]/);
    expect(failed.stderr).toMatch(/rolled back to zcp-\d+/);
    expect(treeDigest(s.root)).toBe(before);
    const h = json(await s.zcp(['history', '--json'])) as { history: { state: string; rollback?: unknown }[] };
    expect(h.history.filter((e) => !e.rollback).map((e) => e.state)).toEqual(['rolled-back', 'committed', 'rolled-back']);
  });

  it('refuses before any checkpoint: an unknown package (apt\'s message and status), too little space, no confirmation, a bad action', async () => {
    const s = system('aptbad');
    const count = async () => (json(await s.zcp(['list', '--json'])) as { checkpoints: unknown[] }).checkpoints.length;
    const unknown = await s.apt(['--yes'], 'install', 'no-such-package');
    expect(unknown.code).toBe(100);
    expect(unknown.stderr).toContain('Unable to locate package no-such-package');
    const unknownJson = await s.apt(['--yes', '--json'], 'install', 'no-such-package');
    expect(unknownJson.code).toBe(100);
    expect(json(unknownJson)).toEqual({ error: { code: 'APT_REFUSED', message: expect.stringContaining('Unable to locate package'), subject: 'apt-get' } });
    const huge = await s.apt(['--yes', '--json'], 'install', 'huge');
    expect(huge.code).toBe(1);
    expect(json(huge)).toEqual({ error: { code: 'NO_SPACE', message: expect.stringMatching(/^apt needs about 64\.0G and .* has [\d.]+M free; nothing was changed/), subject: s.ds, dataset: s.ds } });
    const unconfirmed = await s.apt([], 'install', 'app=1.0-1');
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('Checkpoint and run apt-get install? [y/N]');
    expect(unconfirmed.stdout).toContain('not confirmed: nothing changed');
    expect((await s.zcp(['apt', 'frobnicate'])).code).toBe(2);
    expect(await count()).toBe(0);
    expect(s.installed()).toEqual([]);
    const nothing = await s.apt(['--yes'], 'upgrade');
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain('apt has nothing to do; no checkpoint made');
    expect(await count()).toBe(0);
  });

  it('Upgrade Checkpoint (-s): the change goes into a boot environment entered with chroot; the running system is untouched; A and C move; destroy refuses current and active', async () => {
    const s = system('apt2', true);
    const name = s.ds.split('/').pop()!;
    const first = await s.apt(['--yes'], 'install', 'app=1.0-1');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const running = treeDigest(s.root);

    const up = await s.apt(['-s', '--yes', '--json'], 'upgrade');
    expect(up.code).toBe(0);
    const r = json(up) as { bootEnvironment: { name: string; origin: string }; changes: { upgraded: unknown[] } };
    expect(r.changes.upgraded).toEqual([{ name: 'app', architecture: 'all', from: '1.0-1', to: '2.0-2' }]);
    const be1 = r.bootEnvironment.name;
    expect(be1).toMatch(/^upgrade-\d+$/);
    expect(treeDigest(s.root)).toBe(running); // the running system did not change
    // The boot environment holds the upgrade.
    expect(lookInto(`${POOL}/${be1}`, 'usr/share/app/v')).toBe('2.2\n');
    expect(lookInto(`${POOL}/${be1}/var`, 'lib/dpkg/status')).toMatch(/Package: app\nStatus: install ok installed\n(.*\n)*Version: 2\.0-2/);
    expect(lookInto(`${POOL}/${be1}/var`, 'lib/app.stamp')).toBe('proc\n'); // its postinst ran in the chroot, /proc mounted
    expect(lookInto(`${POOL}/${be1}/var`, 'lib/app.policy')).toBe('101\n'); // ... with a policy-rc.d forbidding daemons
    expect(() => lookInto(`${POOL}/${be1}`, 'usr/sbin/policy-rc.d')).toThrow(); // taken away again
    expect(run('sh', '-c', 'grep -c " /tmp/zcp-be-" /proc/self/mounts || true').trim()).toBe('0'); // every mount undone
    // It is a transaction in the history, with the changes made in the boot environment.
    const hist = (json(await s.zcp(['history', '--json'])) as { history: { tid: number; state: string; changes?: { upgraded: unknown[] } }[] }).history;
    const upTid = Number(be1.slice('upgrade-'.length));
    expect(hist.find((e) => e.tid === upTid)).toMatchObject({ state: 'committed', changes: { upgraded: [{ name: 'app', to: '2.0-2' }] } });

    // Activate: A moves to the boot environment, C stays on the running system.
    const mark = async (who: string) => (await s.zcp(['list'])).stdout.split('\n').find((l) => new RegExp(` ${who} `).test(l))!.slice(0, 4);
    expect(await mark(name)).toBe('   C');
    expect((await s.zcp(['activate', be1])).code).toBe(0);
    expect(await mark(be1)).toBe('A   ');
    expect(await mark(name)).toBe('   C');
    expect((json(await s.zcp(['destroy', name, '--yes', '--json'])) as { error: { code: string } }).error.code).toBe('CURRENT');
    expect((json(await s.zcp(['destroy', be1, '--yes', '--json'])) as { error: { code: string } }).error.code).toBe('ACTIVE');

    // A second upgrade (a new kernel: a reboot foretold) into another environment; activate it; the old one can go.
    const second = await s.apt(['-s', '--yes'], 'install', 'linux-image-zcp');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/reboot: this touches the kernel/);
    const be2 = /boot environment (upgrade-\d+): 1 package change/.exec(second.stdout)![1]!;
    expect((await s.zcp(['activate', be2])).code).toBe(0);
    expect(await mark(be2)).toBe('A   ');
    expect(await mark(be1)).toBe('    ');
    expect((await s.zcp(['destroy', be1, '--yes'])).code).toBe(0);
    expect(run('zfs', 'list', '-H', '-o', 'name', '-r', POOL)).not.toContain(`${POOL}/${be1}\n`);

    // apt fails inside a boot environment: the running system is untouched; with --rollback-on-failure it goes.
    const bad = await s.apt(['-s', '--yes', '--rollback-on-failure'], 'install', 'app=2.0-1');
    expect(bad.code).toBe(100);
    expect(bad.stderr).toMatch(/apt-get failed \(exit 100\) in boot environment upgrade-\d+; the running system is untouched/);
    expect(bad.stderr).toMatch(/destroyed upgrade-\d+ and zcp-\d+/);
    expect(treeDigest(s.root)).toBe(running);
    const bes = (json(await s.zcp(['list', '--json'])) as { bootEnvironments: { name: string }[] }).bootEnvironments.map((b) => b.name);
    expect(bes).toEqual([name, be2]);
    expect((await s.zcp(['activate', name])).code).toBe(0);

    // Ctrl-C while apt runs in the boot environment: zcp undoes the mounts and records the transaction, then exits 130.
    const cut = await s.zcp(['apt', '-s', '--yes', 'install', 'linux-image-zcp', ...APT_TEST_OPTIONS], '', { ...process.env, ZCP_FAULT: 'apt-into-clone-ran', ZCP_FAULT_SIGNAL: 'SIGINT' });
    expect(cut.code, cut.stderr).toBe(130);
    expect(run('sh', '-c', 'grep -c " /tmp/zcp-be-" /proc/self/mounts || true').trim()).toBe('0');
    const after = (json(await s.zcp(['history', '--json'])) as { history: { state: string }[] }).history;
    expect(after.filter((e) => e.state === 'running')).toEqual([]);
  }, 300_000); // some 25 zcp and apt runs, each a Node start-up in the emulated guest: 75 s here, more on a busy host
});
