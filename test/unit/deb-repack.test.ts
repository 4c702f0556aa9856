// zcp's rebuild of an installed .deb, against dpkg-repack as the oracle on
// this machine's own packages, and where dpkg-repack fails or reads outside
// the tree: merged /usr (libc6), an absolute link in the tree, diversions,
// obsolete and deleted conffiles.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { controlText, parseConffiles } from '../../src/undo/deb-repack.js';
import { treeResolver } from '../../src/undo/tree-copy.js';
import { editedConffiles, repackDebs } from '../../src/undo/deb.js';
import { createHash } from 'node:crypto';

const work = mkdtempSync(join(tmpdir(), 'zcp-repack-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
const installed = (name: string) => sh('dpkg-query', '-W', '-f', '${Package}\t${Architecture}\t${Version}', name).split('\t');

/** A .deb as comparable text: its control fields (in any order: dpkg-repack writes them in dpkg's canonical one), its control members, and every data member (type, mode, owner, size, link; no dates). */
function describeDeb(deb: string): { control: string[]; controlMembers: string[]; data: string[] } {
  const members = (tarFrom: string) =>
    sh('sh', '-c', `dpkg-deb ${tarFrom} "$1" | tar -tv --numeric-owner`, 'sh', deb)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^(\S+) (\S+)\s+(\d+) \S+ \S+ /, '$1 $2 $3 '))
      .sort();
  return { control: sh('dpkg-deb', '-f', deb).split(/\n(?=\S)/).map((f) => f.trimEnd()).sort(), controlMembers: members('--ctrl-tarfile'), data: members('--fsys-tarfile') };
}

/** Every file of the package's md5sums, checked in the extracted package. */
function md5sumsHold(deb: string): void {
  const dir = mkdtempSync(join(work, 'x-'));
  sh('dpkg-deb', '-R', deb, dir);
  const r = spawnSync('md5sum', ['--quiet', '-c', 'DEBIAN/md5sums'], { cwd: dir, encoding: 'utf8' });
  expect(r.status, r.stdout + r.stderr).toBe(0);
}

describe('the rebuild of an installed package, against dpkg-repack', () => {
  it.each(['tzdata', 'libexpat1', 'bash'])('%s from this machine: the same package dpkg-repack makes', async (name) => {
    const [pkg, arch, version] = installed(name) as [string, string, string];
    const [mine] = await repackDebs('/', join(work, `zcp-${name}`), [{ name: pkg, architecture: arch, version }]);
    const theirs = join(work, `repack-${name}`);
    mkdirSync(theirs);
    const r = spawnSync('dpkg-repack', ['--tag=none', '--deb-option=-Zgzip', '--root=/', `${pkg}:${arch}`], { cwd: theirs, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const oracle = readdirSync(theirs).filter((f) => f.endsWith('.deb'));
    expect(oracle).toHaveLength(1);
    const a = describeDeb(mine!);
    const b = describeDeb(join(theirs, oracle[0]!));
    expect(a.control).toEqual(b.control);
    expect(a.controlMembers).toEqual(b.controlMembers);
    // dpkg-repack makes directories with mkdir: their dates and nothing else may differ.
    expect(a.data).toEqual(b.data);
    md5sumsHold(mine!);
  }, 120_000); // tzdata's thousands of files, built twice (zcp's and dpkg-repack's): past 30 s when the host is busy

  it('libc6 on a merged-/usr system, which dpkg-repack fails on: /lib64 a directory in the package, its loader link inside it', async () => {
    const [pkg, arch, version] = installed('libc6') as [string, string, string];
    const [mine] = await repackDebs('/', join(work, 'zcp-libc6'), [{ name: pkg, architecture: arch, version }]);
    const data = describeDeb(mine!).data;
    expect(data.find((l) => l.endsWith(' ./lib64/'))).toMatch(/^d/);
    expect(data.find((l) => l.includes(' ./lib64/ld-linux-x86-64.so.2 -> '))).toMatch(/^l/);
    md5sumsHold(mine!);
    const theirs = join(work, 'repack-libc6');
    mkdirSync(theirs);
    // (The oracle's failure, as measured: if a later dpkg-repack copes, this test says so.)
    const r = spawnSync('dpkg-repack', ['--tag=none', '--deb-option=-Zgzip', '--root=/', `${pkg}:${arch}`], { cwd: theirs, encoding: 'utf8' });
    expect(r.stderr).toMatch(/lib64\/ld-linux-x86-64\.so\.2/);
  });
});

describe('the rebuild from a tree with hostile or odd parts', () => {
  /** A tree with package "ab" installed: an absolute /lib64 link, a diversion, conffiles present, deleted and obsolete. */
  function tree(): string {
    const t = mkdtempSync(join(work, 'tree-'));
    const w = (path: string, text: string, mode = 0o644) => {
      mkdirSync(join(t, path, '..'), { recursive: true });
      writeFileSync(join(t, path), text);
      chmodSync(join(t, path), mode);
    };
    w('usr/lib64/f', 'the tree\'s own file\n');
    symlinkSync('/usr/lib64', join(t, 'lib64')); // absolute: read on the host, it would be the host's /usr/lib64
    w('usr/bin/tool', 'the diverter\'s tool\n', 0o755);
    w('usr/bin/tool.real', 'ab\'s tool\n', 0o755);
    w('etc/ab.conf', 'edited=yes\n');
    w('etc/ab-old.conf', 'left behind\n');
    w('var/lib/dpkg/diversions', '/usr/bin/tool\n/usr/bin/tool.real\nother\n');
    w('var/lib/dpkg/info/ab.list', ['/.', '/etc', '/etc/ab.conf', '/etc/ab-gone.conf', '/etc/ab-old.conf', '/lib64', '/lib64/f', '/usr', '/usr/bin', '/usr/bin/tool', '/usr/lib64'].join('\n') + '\n');
    w('var/lib/dpkg/info/ab.postinst', '#!/bin/sh\necho ab configured\n', 0o755);
    w('var/lib/dpkg/info/ab.md5sums', '');
    w('var/lib/dpkg/info/ab.conffiles', '/etc/ab.conf\n/etc/ab-gone.conf\n/etc/ab-old.conf\n');
    w('var/lib/dpkg/info/abc.postinst', '#!/bin/sh\necho another package\n', 0o755);
    w(
      'var/lib/dpkg/status',
      [
        'Package: ab',
        'Status: install ok installed',
        'Priority: optional',
        'Architecture: all',
        'Version: 1.0',
        'Maintainer: zcp tests <zcp@example.invalid>',
        'Conffiles:',
        ' /etc/ab.conf 0123456789abcdef0123456789abcdef',
        ' /etc/ab-gone.conf 0123456789abcdef0123456789abcdef',
        ' /etc/ab-old.conf 0123456789abcdef0123456789abcdef obsolete',
        'Description: a package',
        ' with two lines',
        '',
      ].join('\n'),
    );
    return t;
  }

  it('reads every file inside the tree: the absolute link, the diverted file from where it was diverted to; conffiles as dpkg would have them', async () => {
    const t = tree();
    const [deb] = await repackDebs(t, join(work, 'zcp-ab'), [{ name: 'ab', architecture: 'all', version: '1.0' }]);
    const dir = mkdtempSync(join(work, 'ab-'));
    sh('dpkg-deb', '-R', deb!, dir);
    expect(readFileSync(join(dir, 'lib64/f'), 'utf8')).toBe('the tree\'s own file\n');
    expect(readFileSync(join(dir, 'usr/bin/tool'), 'utf8')).toBe('ab\'s tool\n');
    expect(readFileSync(join(dir, 'etc/ab.conf'), 'utf8')).toBe('edited=yes\n');
    expect(readdirSync(join(dir, 'etc')).sort()).toEqual(['ab.conf']); // the deleted one gone, the obsolete one not the package's
    expect(readFileSync(join(dir, 'DEBIAN/conffiles'), 'utf8')).toBe('/etc/ab.conf\n');
    expect(readFileSync(join(dir, 'DEBIAN/postinst'), 'utf8')).toBe('#!/bin/sh\necho ab configured\n');
    expect(readdirSync(join(dir, 'DEBIAN')).sort()).toEqual(['conffiles', 'control', 'md5sums', 'postinst']);
    expect(readFileSync(join(dir, 'DEBIAN/control'), 'utf8')).toBe(
      'Package: ab\nPriority: optional\nArchitecture: all\nVersion: 1.0\nMaintainer: zcp tests <zcp@example.invalid>\nDescription: a package\n with two lines\n',
    );
  });

  it('refuses a file list that names a path out of the package (/../), writing nothing outside its work directory', async () => {
    const t = tree();
    writeFileSync(join(t, 'escaped'), 'read inside the tree, it must still not be written out of the package\n');
    writeFileSync(join(t, 'var/lib/dpkg/info/ab.list'), '/.\n/etc\n/etc/../../../escaped\n');
    const out = join(work, 'zcp-escape');
    await expect(repackDebs(t, out, [{ name: 'ab', architecture: 'all', version: '1.0' }])).rejects.toMatchObject({ code: 'REBUILD_FAILED', message: expect.stringContaining('a path out of its root') });
    expect(readdirSync(out)).toEqual([]); // neither a package nor a work directory left
    expect(readdirSync(work)).not.toContain('escaped');
  });

  it('refuses a package the checkpoint does not have installed, one whose file list names a file that is not UTF-8, and one with no file list, naming it', async () => {
    const t = tree();
    await expect(repackDebs(t, join(work, 'zcp-none'), [{ name: 'nosuch', architecture: 'all', version: '1' }])).rejects.toMatchObject({ code: 'REBUILD_FAILED', message: expect.stringContaining('nosuch') });
    writeFileSync(join(t, 'var/lib/dpkg/info/ab.list'), Buffer.concat([Buffer.from('/.\n/etc\n/etc/caf'), Buffer.from([0xe9]), Buffer.from('\n')])); // latin-1 é
    await expect(repackDebs(t, join(work, 'zcp-latin1'), [{ name: 'ab', architecture: 'all', version: '1.0' }])).rejects.toMatchObject({ code: 'REBUILD_FAILED', message: expect.stringContaining('not UTF-8') });
    rmSync(join(t, 'var/lib/dpkg/info/ab.list'));
    await expect(repackDebs(t, join(work, 'zcp-nolist'), [{ name: 'ab', architecture: 'all', version: '1.0' }])).rejects.toMatchObject({ code: 'REBUILD_FAILED', message: expect.stringContaining('ab.list') });
  });
});

describe('the parts', () => {
  it('resolves links inside the tree: absolute, relative, .. above the root, loops refused', () => {
    const t = mkdtempSync(join(work, 'links-'));
    mkdirSync(join(t, 'usr/lib'), { recursive: true });
    symlinkSync('/usr/lib', join(t, 'abs'));
    symlinkSync('usr/lib', join(t, 'rel'));
    symlinkSync('../../../../usr', join(t, 'usr/lib/up'));
    symlinkSync('loop2', join(t, 'loop1'));
    symlinkSync('loop1', join(t, 'loop2'));
    const r = treeResolver(t);
    expect(r.parent('/abs/x')).toBe(join(t, 'usr/lib/x'));
    expect(r.parent('rel/x')).toBe(join(t, 'usr/lib/x'));
    expect(r.parent('/usr/lib/up/lib/x')).toBe(join(t, 'usr/lib/x'));
    expect(r.parent('/abs')).toBe(join(t, 'abs')); // the last component stays a link
    expect(r.followed('/abs')).toBe(join(t, 'usr/lib'));
    expect(() => r.followed('/loop1')).toThrow(/too many levels of links/);
  });

  it('takes the control file from a status stanza, and its conffiles with their flags', () => {
    const stanza = 'Package: a\nStatus: install ok installed\nConffiles:\n /etc/a b.conf 0123456789abcdef0123456789abcdef\n /etc/old 0123456789abcdef0123456789abcdef obsolete\nConfig-Version: 1\nVersion: 1\nTriggers-Pending: x\nDescription: d\n .\n more\n';
    expect(controlText(stanza)).toBe('Package: a\nVersion: 1\nDescription: d\n .\n more\n');
    expect(parseConffiles(stanza)).toEqual([{ path: '/etc/a b.conf' }, { path: '/etc/old', flag: 'obsolete' }]);
  });

  it('tells the conffiles an admin edited or deleted, a path with spaces among them (dpkg reads a Conffiles line from its end); not obsolete or new ones', async () => {
    const root = join(work, 'edited');
    const md5 = (t: string) => createHash('md5').update(t).digest('hex');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    const files: Record<string, string> = { 'etc/a b.conf': 'edited\n', 'etc/same.conf': 'as shipped\n', 'etc/old': 'edited\n' };
    for (const [f, t] of Object.entries(files)) writeFileSync(join(root, f), t);
    writeFileSync(join(root, 'var/lib/dpkg/status'), [
      'Package: a', 'Status: install ok installed', 'Architecture: all', 'Version: 1', 'Conffiles:',
      ` /etc/a b.conf ${md5('as shipped\n')}`,
      ` /etc/same.conf ${md5('as shipped\n')}`,
      ` /etc/old ${md5('as shipped\n')} obsolete`,
      ' /etc/new.conf newconffile',
      ` /etc/gone.conf ${md5('as shipped\n')}`,
      'Description: d', '',
    ].join('\n'));
    expect(await editedConffiles(root, [{ name: 'a', architecture: 'all' }])).toEqual([
      { package: 'a', path: '/etc/a b.conf' },
      { package: 'a', path: '/etc/gone.conf' },
    ]);
    expect(await editedConffiles(root, [{ name: 'other', architecture: 'all' }])).toEqual([]);
  });
});
