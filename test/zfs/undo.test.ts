// zcp undo TID in the guest, with real apt-get, dpkg and dpkg-deb on a
// small root on ZFS (/ and /var): one past transaction undone while later
// ones stay, its old packages rebuilt from the checkpoint before it after
// the repository is gone; a later transaction that needs it named, refused
// unless undone first; an edited conffile kept; the undo itself a
// transaction, undone again; the rebuilt packages let go with their checkpoint.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Run, createFilesystems, fresh, run, spawnAsync } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { APT_TEST_OPTIONS, aptRepository, buildDeb, buildRpm, initAptRoot, initDpkgRoot, treeDigest, writeAptConfig } from '../support/systems.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];
const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

interface Plan {
  undo: {
    source: string;
    downgrade: { name: string; from: string; to: string }[];
    remove: { name: string }[];
    reinstall: { name: string }[];
    later: { tid: number; why: string[] }[];
    conffiles: { package: string; path: string }[];
    commands: string[];
  };
  transactions: { tid: number; undoes?: number; state: string; changes?: { installed: { name: string }[]; removed: { name: string }[]; upgraded: { name: string; from: string; to: string }[]; downgraded: { name: string; from: string; to: string }[] } }[];
}

/** The files in checkpoint directories of the pool's package store, by checkpoint (the store mounted for a look). */
function store(system: string): Record<string, string[]> {
  const mnt = mkdtempSync(join(tmpdir(), 'zcp-store-look-'));
  execFileSync('mount', ['-t', 'zfs', `${POOL}/zcp/packages`, mnt]);
  try {
    const dir = join(mnt, system);
    return Object.fromEntries(readdirSync(dir).map((id) => [id, readdirSync(join(dir, id)).sort()]));
  } finally {
    execFileSync('umount', [mnt]);
    rmdirSync(mnt);
  }
}

describe('zcp undo (guest)', () => {
  it('T2 undone while T1 and T3 stay: A rebuilt from the checkpoint with no repository left, C removed; E (needs A 2.0) is named and refused, then undone first; the undo undone again; its packages go with the checkpoint', async () => {
    const debs = [
      buildDeb('ua', '1.0', { 'usr/share/ua/v': '1\n', 'etc/ua.conf': 'a=1\n' }, 'echo "configured $2 -> 1.0" >> "$DPKG_ROOT/var/log/ua.log"', '', ['etc/ua.conf']),
      buildDeb('ua', '2.0', { 'usr/share/ua/v': '2\n', 'usr/share/ua/new-in-2': 'x\n', 'etc/ua.conf': 'a=2\n' }, 'echo "configured $2 -> 2.0" >> "$DPKG_ROOT/var/log/ua.log"', '', ['etc/ua.conf']),
      buildDeb('ub', '1.0', { 'usr/share/ub/v': '1\n' }),
      buildDeb('uc', '1.0', { 'usr/share/uc/v': '1\n' }),
      buildDeb('ud', '1.0', { 'usr/share/ud/v': '1\n' }),
      buildDeb('ue', '1.0', { 'usr/share/ue/v': '1\n' }, undefined, 'Depends: ua (>= 2.0)\n'),
    ];
    const repo = aptRepository(debs);
    const ds = fresh(POOL, 'undo');
    createFilesystems(ds, `${ds}/var`);
    const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
    initDpkgRoot(root);
    initAptRoot(root, repo);
    // zcp undo runs apt-get itself: its options for this test root (no shell inside, no _apt user) come from APT_CONFIG.
    const env = { ...process.env, APT_CONFIG: writeAptConfig(root, join(mkdtempSync(join(tmpdir(), 'zcp-aptconf-')), 'apt.conf')) };
    const zcp = (args: string[]): Promise<Run> => spawnAsync(process.execPath, [CLI, '--dataset', ds, '--dataset', `${ds}/var`, '--root', root, ...args], '', env);
    const apt = async (...args: string[]) => {
      const r = await zcp(['apt', '--yes', '--json', 'install', ...args, ...APT_TEST_OPTIONS]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { transaction: { tid: number } }).transaction.tid;
    };
    const dpkgQuery = (...args: string[]) => execFileSync('dpkg-query', [`--root=${root}`, ...args], { encoding: 'utf8' });
    const versions = () => dpkgQuery('-W', '-f', '${Package} ${Version} ${db:Status-Abbrev}\n').split('\n').map((l) => l.trimEnd()).filter((l) => l && !l.endsWith(' un')).sort();

    await apt('ua=1.0', 'ub');
    const t2 = await apt('ua=2.0', 'uc');
    writeFileSync(join(root, 'etc/ua.conf'), 'a=2, edited by the admin\n');
    await apt('ud');
    const t4 = await apt('ue');
    expect(versions()).toEqual(['ua 2.0 ii', 'ub 1.0 ii', 'uc 1.0 ii', 'ud 1.0 ii', 'ue 1.0 ii']);
    // No old version anywhere: the repository emptied, apt's lists of it too.
    rmSync(repo, { recursive: true });
    rmSync(join(root, 'var/lib/apt/lists'), { recursive: true });
    expect(execFileSync('sh', ['-c', 'find "$1" -name "*.deb" | wc -l', 'sh', root], { encoding: 'utf8' }).trim()).toBe('0');

    // The plan, as a dry run: nothing changes (the store is not even made).
    const history = (await zcp(['history', '--json'])).stdout;
    const before = treeDigest(root, { owners: true });
    const dry = await zcp(['undo', String(t2), '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = (JSON.parse(dry.stdout) as Plan).undo;
    expect(plan.downgrade).toEqual([{ name: 'ua', architecture: 'all', from: '2.0', to: '1.0' }]);
    expect(plan.remove.map((p) => p.name)).toEqual(['uc']);
    expect(plan.later).toEqual([{ tid: t4, title: expect.stringContaining('ue') as unknown, why: [expect.stringMatching(/^ue: Depends: ua \(>= 2\.0\) but 1\.0 is/) as unknown] }]);
    expect(plan.conffiles).toEqual([{ package: 'ua', path: '/etc/ua.conf' }]);
    expect(plan.commands[0]).toMatch(/^dpkg-deb -Zgzip -z1 --build <each package's files, control and scripts in checkpoint zcp-\d+>: ua:all$/);
    expect(plan.commands[1]).toMatch(/^apt-get -y --allow-downgrades .* install .*\/ua_1\.0_all\.deb uc-$/);
    const text = await zcp(['undo', String(t2), '--dry-run']);
    expect(text.stdout).toContain('downgrade   ua:all 2.0 -> 1.0');
    expect(text.stdout).toContain(`needed by later transaction ${t4}`);
    expect(text.stdout).toMatch(/conffile \/etc\/ua\.conf \(ua\) was edited: kept as it is/);
    expect(treeDigest(root, { owners: true })).toBe(before);
    expect((await zcp(['history', '--json'])).stdout).toBe(history);

    // --yes alone does not agree to undo E's transaction: refused, nothing changed.
    const refused = await zcp(['undo', String(t2), '--yes', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'DEPENDED_ON', subject: String(t2) } });
    expect(treeDigest(root, { owners: true })).toBe(before);
    expect((await zcp(['history', '--json'])).stdout).toBe(history);

    // With the later one undone first (newest first): E goes, then A goes back to 1.0 and C goes; B and D stay.
    const done = await zcp(['undo', String(t2), '--yes', '--with-later', '--json']);
    expect(done.code, done.stderr).toBe(0);
    const undos = (JSON.parse(done.stdout) as Plan).transactions;
    expect(undos.map((u) => [u.undoes, u.state])).toEqual([[t4, 'committed'], [t2, 'committed']]);
    expect(undos[1]!.changes).toMatchObject({ downgraded: [{ name: 'ua', from: '2.0', to: '1.0' }], removed: [{ name: 'uc' }], installed: [], upgraded: [] });
    expect(versions()).toEqual(['ua 1.0 ii', 'ub 1.0 ii', 'ud 1.0 ii']);
    expect(readFileSync(join(root, 'usr/share/ua/v'), 'utf8')).toBe('1\n');
    expect(() => readFileSync(join(root, 'usr/share/ua/new-in-2'))).toThrow(); // 2.0's own file went with it
    // A's old postinst ran (from the rebuilt package), after 2.0's.
    expect(readFileSync(join(root, 'var/log/ua.log'), 'utf8').trim().split('\n')).toEqual([
      'configured  -> 1.0',
      'configured 1.0 -> 2.0',
      'configured 2.0 -> 1.0',
    ]);
    // dpkg's rule on the edited conffile: kept; dpkg --verify finds only that, dpkg --audit nothing.
    expect(readFileSync(join(root, 'etc/ua.conf'), 'utf8')).toBe('a=2, edited by the admin\n');
    const verify = execFileSync('sh', ['-c', 'dpkg --root="$1" --verify ua; true', 'sh', root], { encoding: 'utf8' });
    expect(verify.trim().split('\n')).toEqual(['??5?????? c /etc/ua.conf']);
    expect(execFileSync('dpkg', [`--root=${root}`, '--audit'], { encoding: 'utf8' })).toBe('');
    const h = JSON.parse((await zcp(['history', '--json'])).stdout) as { history: { tid: number; undoes?: number; title: string }[] };
    expect(h.history.filter((e) => e.undoes).map((e) => [e.undoes, e.title])).toEqual([
      [t4, expect.stringMatching(new RegExp(`^undo ${t4}: `))],
      [t2, expect.stringMatching(new RegExp(`^undo ${t2}: `))],
    ]);
    // Undone already: a second undo of T2 says so.
    expect(JSON.parse((await zcp(['undo', String(t2), '--dry-run', '--json'])).stdout)).toMatchObject({ error: { code: 'NOT_UNDOABLE' } });

    // The undo is a transaction like any other: undone, A 2.0 and C come back (rebuilt from the undo's own checkpoint).
    const u2 = undos[1]!.tid;
    const again = await zcp(['undo', String(u2), '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(versions()).toEqual(['ua 2.0 ii', 'ub 1.0 ii', 'uc 1.0 ii', 'ud 1.0 ii']);
    expect(readFileSync(join(root, 'usr/share/ua/new-in-2'), 'utf8')).toBe('x\n');
    expect(readFileSync(join(root, 'etc/ua.conf'), 'utf8')).toBe('a=2, edited by the admin\n');
    // Every undo took its mounts and its directory away again (the one of T4, which rebuilt nothing, too).
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('zcp-undo-'))).toEqual([]);
    expect(run('sh', '-c', 'grep -c " /tmp/zcp-undo-" /proc/self/mounts || true').trim()).toBe('0');

    // The rebuilt packages live in the pool's store, one directory per checkpoint they came from, and go with it.
    const system = run('zfs', 'get', '-H', '-o', 'value', 'guid', ds).trim();
    const cp2 = `zcp-${t2}`;
    const cpU2 = `zcp-${u2}`;
    expect(store(system)).toEqual({ [cp2]: ['ua_1.0_all.deb'], [cpU2]: ['ua_2.0_all.deb', 'uc_1.0_all.deb'] });
    expect(run('zfs', 'get', '-H', '-o', 'value', 'mountpoint,zcp:role,exec', `${POOL}/zcp/packages`).trim().split('\n')).toEqual(['legacy', 'packages', 'off']);
    expect((await zcp(['destroy', cpU2, '--yes'])).code).toBe(0);
    expect(Object.keys(store(system))).toEqual([cp2]);
  }, 900_000);

  it('rpm: the same story with rpm --root: T2 (one 2.0, four) undone with one 1.0 rebuilt by rpmbuild from the header and files in the checkpoint; three (needs one >= 2.0) named, then undone first; rpm -V clean but the edited config, kept with the package\'s as .rpmnew; the undo undone', async () => {
    const log = 'echo "post $1 %{version}" >> /var/log/rone.log';
    // One rpmbuild at a time, the event loop let through between them: six in one go kept it
    // busy past vitest's RPC timeout in the emulated guest.
    const rpms: string[] = [];
    for (const build of [
      // The root has a shell (busybox) for the scriptlets; a package says so, as bash does on Fedora.
      () => buildRpm('rshell', '1.0', {}, { provides: ['/bin/sh'] }),
      () => buildRpm('rone', '1.0', { post: log }, { config: true }),
      () => buildRpm('rone', '2.0', { post: log }, { config: true }),
      () => buildRpm('rtwo', '1.0'),
      () => buildRpm('rfour', '1.0'),
      () => buildRpm('rthree', '1.0', {}, { requires: ['rone >= 2.0'] }),
    ]) {
      rpms.push(build());
      await new Promise((r) => setImmediate(r));
    }
    const [shell, one1, one2, two, four, three] = rpms as [string, string, string, string, string, string];
    const ds = fresh(POOL, 'undorpm');
    createFilesystems(ds, `${ds}/var`);
    const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin/sh'));
    mkdirSync(join(root, 'var/log'), { recursive: true });
    const rpmArgs = ['--root', root, '--dbpath', '/var/lib/rpm', '--nosignature'];
    execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '--initdb']);
    execFileSync('rpm', [...rpmArgs, '-i', shell]);
    const zcp = (args: string[]): Promise<Run> => spawnAsync(process.execPath, [CLI, '--dataset', ds, '--dataset', `${ds}/var`, '--root', root, ...args]);
    const rpm = async (...args: string[]) => {
      const r = await zcp(['rpm', '--json', '--', ...rpmArgs, ...args]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { transaction: { tid: number } }).transaction.tid;
    };
    const names = () => execFileSync('rpm', [...rpmArgs, '-qa', '--qf', '%{NAME}-%{VERSION}\\n'], { encoding: 'utf8' }).trim().split('\n').sort();
    await rpm('-i', one1, two);
    const t2 = await rpm('-U', one2, four);
    writeFileSync(join(root, 'etc/rone.conf'), 'edited by the admin\n');
    const t3 = await rpm('-i', three);
    expect(names()).toEqual(['rfour-1.0', 'rone-2.0', 'rshell-1.0', 'rthree-1.0', 'rtwo-1.0']);
    rmSync(dirname(dirname(one1)), { recursive: true }); // RPMS: no old version anywhere

    const history = (await zcp(['history', '--json'])).stdout;
    const before = treeDigest(root);
    const dry = await zcp(['undo', String(t2), '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = (JSON.parse(dry.stdout) as Plan).undo;
    expect(plan.downgrade).toEqual([{ name: 'rone', architecture: 'noarch', from: '2.0-1', to: '1.0-1' }]);
    expect(plan.remove.map((p) => p.name)).toEqual(['rfour']);
    expect(plan.later).toEqual([{ tid: t3, title: expect.stringContaining('rthree') as unknown, why: ['rthree: needs rone >= 2.0'] }]);
    expect(plan.conffiles).toEqual([{ package: 'rone', path: '/etc/rone.conf' }]);
    expect(plan.commands[1]).toMatch(/^rpm --root \S+ --dbpath \/var\/lib\/rpm -e rfour-1\.0-1\.noarch$/);
    expect(plan.commands[2]).toMatch(/-U --oldpackage \S+\/rone-1\.0-1\.noarch\.rpm$/);
    expect((await zcp(['undo', String(t2), '--dry-run'])).stdout).toMatch(/conffile \/etc\/rone\.conf \(rone\) was edited: rpm keeps it where the package marks it %config\(noreplace\)/);
    const refused = await zcp(['undo', String(t2), '--yes', '--json']);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'DEPENDED_ON' } });
    expect(treeDigest(root)).toBe(before);
    expect((await zcp(['history', '--json'])).stdout).toBe(history);

    const done = await zcp(['undo', String(t2), '--yes', '--with-later', '--json']);
    expect(done.code, done.stderr).toBe(0);
    const undos = (JSON.parse(done.stdout) as Plan).transactions;
    expect(undos.map((u) => [u.undoes, u.state])).toEqual([[t3, 'committed'], [t2, 'committed']]);
    expect(names()).toEqual(['rone-1.0', 'rshell-1.0', 'rtwo-1.0']);
    expect(readFileSync(join(root, 'usr/share/rone/v'), 'utf8')).toBe('1.0\n');
    expect(readFileSync(join(root, 'var/log/rone.log'), 'utf8').trim().split('\n')).toEqual(['post 1 1.0', 'post 2 2.0', 'post 2 1.0']); // 1.0's own %post ran again
    // rpm's rule for an edited %config(noreplace): kept, the package's beside it.
    expect(readFileSync(join(root, 'etc/rone.conf'), 'utf8')).toBe('edited by the admin\n');
    expect(readFileSync(join(root, 'etc/rone.conf.rpmnew'), 'utf8')).toBe('conf=1.0\n');
    const verify = execFileSync('sh', ['-c', 'rpm "$@" -V rone; true', 'sh', ...rpmArgs], { encoding: 'utf8' });
    expect(verify.trim().split('\n')).toEqual(['S.5....T.  c /etc/rone.conf']); // size, digest, time: the admin's edit

    // Undone again: 2.0 and four come back, rebuilt from the undo's own checkpoint.
    const again = await zcp(['undo', String(undos[1]!.tid), '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(names()).toEqual(['rfour-1.0', 'rone-2.0', 'rshell-1.0', 'rtwo-1.0']);
    expect(readFileSync(join(root, 'usr/share/rone/v'), 'utf8')).toBe('2.0\n');
  }, 900_000);
});
