// readRpmDb against rpm itself: packages made with rpmbuild, installed with
// `rpm --root` in several transactions (install, upgrade, erase), then
// compared with `rpm -qa --qf`, INSTALLTID included; a write-ahead log with
// committed rows rpm has not checkpointed; broken databases.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PkgdbError, pkgdb } from '../../src/index.js';

let work: string;
let root: string;

function build(name: string, version: string, release: string, epoch: number | undefined, files: number): string {
  const spec = join(work, 'SPECS', `${name}-${version}.spec`);
  const lines = [
    `Name: ${name}`, `Version: ${version}`, `Release: ${release}`, ...(epoch === undefined ? [] : [`Epoch: ${epoch}`]),
    'Summary: zcp rpmdb test', 'License: MIT', 'BuildArch: noarch', '%description', 'test', '%install',
    `mkdir -p %{buildroot}/usr/share/${name}`,
    `for i in $(seq 1 ${files}); do echo $i > %{buildroot}/usr/share/${name}/file-with-a-long-name-$i; done`,
    '%files', `/usr/share/${name}`, '',
  ];
  writeFileSync(spec, lines.join('\n'));
  execFileSync('rpmbuild', ['-bb', '--nodeps', '--quiet', '--define', `_topdir ${work}`, spec], { stdio: ['ignore', 'ignore', 'pipe'] });
  return join(work, 'RPMS', 'noarch', `${name}-${version}-${release}.noarch.rpm`);
}

const rpm = (...args: string[]) =>
  execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const transaction = (...args: string[]) => rpm('--nodeps', '--nosignature', ...args);
const QF = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{INSTALLTID}\\t%{INSTALLTIME}\\t%{DBINSTANCE}\\n';
const show = (p: pkgdb.RpmPackage) => [p.name, p.epoch ?? '(none)', p.version, p.release, p.arch, p.installTid, p.installTime, p.dbInstance].join('\t');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'zcp-rpmdb-'));
  root = join(work, 'root');
  mkdirSync(join(work, 'SPECS'), { recursive: true });
  mkdirSync(root);
  const a1 = build('zcp-a', '1.0', '1', undefined, 2);
  const a2 = build('zcp-a', '1.1', '1', undefined, 2);
  const b = build('zcp-b', '2.0', '3.el9', 1, 2);
  const big = build('zcp-big', '1.0~rc1', '1', 0, 400); // a header far larger than a page: overflow pages
  const gone = build('zcp-gone', '0.1', '1', undefined, 1);
  rpm('--initdb');
  // Separate transactions, a second apart, so that their TIDs differ.
  transaction('-i', a1, gone);
  await sleep(1100);
  transaction('-i', b, big);
  await sleep(1100);
  transaction('-U', a2);
  transaction('-e', 'zcp-gone');
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('readRpmDb (sqlite)', () => {
  it('lists what rpm -qa lists, with INSTALLTID, INSTALLTIME and DBINSTANCE', async () => {
    const ours = await pkgdb.readRpmDb(root, { dbPath: 'var/lib/rpm' });
    const oracle = rpm('-qa', '--qf', QF).trim().split('\n').sort();
    expect(ours.map(show).sort()).toEqual(oracle);
    expect(ours.map((p) => p.name).sort()).toEqual(['zcp-a', 'zcp-b', 'zcp-big']);
    // zcp-b and zcp-big came in one transaction, zcp-a's upgrade in a later one.
    const tid = (n: string) => ours.find((p) => p.name === n)!.installTid!;
    expect(tid('zcp-b')).toBe(tid('zcp-big'));
    expect(tid('zcp-a')).toBeGreaterThan(tid('zcp-b'));
  });

  it('readPackages sees an rpm system, with versions as rpm writes %{EVR}', async () => {
    const set = await pkgdb.readPackages(root);
    expect(set.manager).toBe('rpm');
    const oracle = rpm('-qa', '--qf', '%{NAME}\\t%{EVR}\\t%{ARCH}\\n').trim().split('\n').sort();
    expect(set.packages.map((p) => `${p.name}\t${p.version}\t${p.architecture}`).sort()).toEqual(oracle);
  });

  it('finds the database as rpm does when no dbPath is given', async () => {
    expect((await pkgdb.readRpmDb(root)).length).toBe(3);
    await expect(pkgdb.readRpmDb(join(work, 'SPECS'))).rejects.toMatchObject({ code: 'NO_DATABASE' });
  });

  it('reads rows committed to the write-ahead log and not yet checkpointed', async () => {
    const copy = join(work, 'walroot');
    mkdirSync(join(copy, 'var/lib/rpm'), { recursive: true });
    copyFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite'), join(copy, 'var/lib/rpm/rpmdb.sqlite'));
    // Duplicate one row in a transaction that stays in the WAL: the writer exits without checkpointing.
    const py = `import sqlite3, os
c = sqlite3.connect(${JSON.stringify(join(copy, 'var/lib/rpm/rpmdb.sqlite'))})
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')
c.execute('INSERT INTO Packages (blob) SELECT blob FROM Packages WHERE hnum = (SELECT min(hnum) FROM Packages)')
c.commit(); os._exit(0)`;
    execFileSync('/usr/bin/python3', ['-c', py]);
    expect(readdirSync(join(copy, 'var/lib/rpm'))).toContain('rpmdb.sqlite-wal');
    const oracle = execFileSync('rpm', ['--root', copy, '--dbpath', '/var/lib/rpm', '-qa', '--qf', '%{NAME}\\n'], { encoding: 'utf8' }).trim().split('\n').sort();
    const ours = (await pkgdb.readRpmDb(copy)).map((p) => p.name).sort();
    expect(ours).toHaveLength(4);
    expect(ours).toEqual(oracle);
  });

  it('rejects a file that is not a database, and a damaged one, with CORRUPT', async () => {
    const bad = join(work, 'badroot', 'var/lib/rpm');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'rpmdb.sqlite'), 'not a database at all, just text that is long enough to be read........................................................');
    await expect(pkgdb.readRpmDb(join(work, 'badroot'))).rejects.toMatchObject({ code: 'CORRUPT', offset: 0 });
    const db = execFileSync('cat', [join(root, 'var/lib/rpm/rpmdb.sqlite')]);
    let seed = 5;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(db);
      for (let k = 0; k < 16; k++) b[100 + rand(b.length - 100)] = rand(256);
      writeFileSync(join(bad, 'rpmdb.sqlite'), b);
      try {
        await pkgdb.readRpmDb(join(work, 'badroot'));
      } catch (e) {
        expect(e).toBeInstanceOf(PkgdbError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
