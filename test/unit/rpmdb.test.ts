// readRpmDb against rpm itself: packages made with rpmbuild, installed with
// `rpm --root` in several transactions (install, upgrade, erase), then
// compared with `rpm -qa --qf`, INSTALLTID included; a write-ahead log with
// committed rows rpm has not checkpointed; broken databases. Debian's rpm
// writes only sqlite, so the Berkeley DB files are made here from the same
// header blobs with Berkeley DB's own db5.3_load, in both byte orders, and
// read back by rpm's bdb_ro as the oracle; ndb (which Debian's rpm can't
// read) is checked against the shared fixtures made by an ndb-enabled rpm.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PkgdbError, pkgdb } from '../../src/index.js';
import { rpmdbFixtures } from '../shared-fixtures.js';

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

/** The (hnum, blob) rows of an sqlite rpmdb, read by Python's sqlite3 (not by zcp). */
function sqliteRows(db: string): Array<[number, Buffer]> {
  const py = `import sqlite3, sys
for n, b in sqlite3.connect(sys.argv[1]).execute('SELECT hnum, blob FROM Packages'): print(n, b.hex())`;
  return execFileSync('/usr/bin/python3', ['-c', py, db], { encoding: 'utf8', maxBuffer: 1 << 28 })
    .trim().split('\n').map((l) => l.split(' ')).map(([n, hex]) => [Number(n), Buffer.from(hex!, 'hex')]);
}

/**
 * A Berkeley DB hash `Packages` as rpm's db3 back end wrote it: record number
 * keys in the file's byte order, header blobs as values, and record 0 holding
 * the next record number. Made by db5.3_load (Berkeley DB itself).
 */
function makeBdbRoot(dir: string, rows: Array<[number, Buffer]>, bigEndian: boolean): string {
  const key = (n: number) => {
    const b = Buffer.alloc(4);
    if (bigEndian) b.writeUInt32BE(n);
    else b.writeUInt32LE(n);
    return b.toString('hex');
  };
  const lines = ['VERSION=3', 'format=bytevalue', 'type=hash', `db_lorder=${bigEndian ? 4321 : 1234}`, 'db_pagesize=4096', 'HEADER=END'];
  lines.push(` ${key(0)}`, ` ${key(Math.max(...rows.map(([n]) => n)) + 1)}`);
  for (const [n, blob] of rows) lines.push(` ${key(n)}`, ` ${blob.toString('hex')}`);
  lines.push('DATA=END', '');
  const dbdir = join(dir, 'var/lib/rpm');
  mkdirSync(dbdir, { recursive: true });
  execFileSync('db5.3_load', [join(dbdir, 'Packages')], { input: lines.join('\n') });
  return dir;
}

const bdbRpm = (r: string, ...args: string[]) =>
  execFileSync('rpm', ['--root', r, '--dbpath', '/var/lib/rpm', '--define', '_db_backend bdb_ro', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });

/** The shared fixtures' expected.tsv as rpm -qa printed it (EPOCH empty when absent). */
function fixtureExpectation(): string[] {
  return readFileSync(join(FIXTURES, 'expected.tsv'), 'utf8').trim().split('\n').sort();
}
const FIXTURES = rpmdbFixtures();
const showFixture = (p: pkgdb.RpmPackage) => [p.name, p.epoch ?? '', p.version, p.release, p.arch, p.installTid, p.installTime].join('\t');

/**
 * Damages a database and reads it: random bytes flipped (a read may still
 * succeed: free space, string contents) or the file cut short (always an
 * error). Every failure must be a PkgdbError; returns how many flips were caught.
 */
async function corruptAndRead(original: Buffer, dir: string, file: string, rounds: number): Promise<number> {
  const dbdir = join(dir, 'var/lib/rpm');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dbdir, { recursive: true });
  let seed = 11;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  let rejected = 0;
  for (let i = 0; i < rounds; i++) {
    const truncate = i % 10 === 9;
    const b = Buffer.from(original);
    if (!truncate) for (let k = 0; k < 1 + rand(8); k++) b[rand(b.length)] = rand(256);
    writeFileSync(join(dbdir, file), truncate ? b.subarray(0, rand(b.length)) : b);
    const outcome = await pkgdb.readRpmDb(dir).then(
      () => 'read',
      (e: unknown) => e,
    );
    if (outcome === 'read') {
      expect(truncate, 'a truncated file was read').toBe(false);
    } else {
      expect(outcome).toBeInstanceOf(PkgdbError);
      if (!truncate) rejected++;
    }
  }
  return rejected;
}

describe('readRpmDb (Berkeley DB, read-only like rpm bdb_ro)', () => {
  for (const bigEndian of [false, true]) {
    it(`reads a Packages hash made by Berkeley DB (${bigEndian ? 'big' : 'little'}-endian) as rpm's bdb_ro does`, async () => {
      const rows = sqliteRows(join(root, 'var/lib/rpm/rpmdb.sqlite'));
      const dir = makeBdbRoot(join(work, `bdb-${bigEndian ? 'be' : 'le'}`), rows, bigEndian);
      const ours = await pkgdb.readRpmDb(dir);
      expect(ours.map(show).sort()).toEqual(bdbRpm(dir, '-qa', '--qf', QF).trim().split('\n').sort());
      // The same packages as the sqlite database they came from, record numbers included.
      expect(ours.map(show).sort()).toEqual((await pkgdb.readRpmDb(root)).map(show).sort());
    });
  }

  it('reads the shared fixture (a 34 KB header on overflow pages) as rpm -qa printed it', async () => {
    const dir = join(FIXTURES, 'bdb');
    const ours = await pkgdb.readRpmDb(dir);
    expect(ours.map(showFixture).sort()).toEqual(fixtureExpectation());
    expect(ours.map(show).sort()).toEqual(bdbRpm(dir, '-qa', '--qf', QF).trim().split('\n').sort());
  });

  it('rejects corrupt and truncated files with PkgdbError, never a crash', async () => {
    const original = readFileSync(join(FIXTURES, 'bdb/var/lib/rpm/Packages'));
    // Most of this file is free page space and header strings: few random flips are structural.
    expect(await corruptAndRead(original, join(work, 'bdb-bad'), 'Packages', 400)).toBeGreaterThan(0);
    const at = join(work, 'bdb-bad/var/lib/rpm/Packages');
    const reject = async (edit: (b: Buffer) => void, message: string) => {
      const b = Buffer.from(original);
      edit(b);
      writeFileSync(at, b);
      await expect(pkgdb.readRpmDb(join(work, 'bdb-bad'))).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(message) });
    };
    await reject((b) => b.fill(0, 0, 512), 'bad magic');
    await reject((b) => b.writeUInt32LE(4096 + 512, 20), 'page size');
    await reject((b) => b.writeUInt32LE(1000, 32), 'beyond the end of the file');
    await reject((b) => b.writeUInt32LE(1, 4096 + 16), 'linked twice'); // bucket 0's page links to itself
    await reject((b) => b.writeUInt32LE(7, 4096 + 8), "another page's number");
    await reject((b) => b.writeUInt16LE(4095, 4096 + 20), 'bad entry count');
  });
});

describe('readRpmDb (ndb)', () => {
  it('reads the shared fixture made by an ndb-enabled rpm as rpm -qa printed it', async () => {
    const ours = await pkgdb.readRpmDb(join(FIXTURES, 'ndb'));
    expect(ours.map(showFixture).sort()).toEqual(fixtureExpectation());
    // One name installed in two versions, one in two architectures, as the fixture says.
    const names = ours.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length - 2);
    expect(new Set(ours.map((p) => p.dbInstance)).size).toBe(ours.length);
  });

  it('checks every blob: a flipped byte anywhere in a package fails its checksum', async () => {
    const original = readFileSync(join(FIXTURES, 'ndb/var/lib/rpm/Packages.db'));
    const dir = join(work, 'ndb-one');
    mkdirSync(join(dir, 'var/lib/rpm'), { recursive: true });
    const b = Buffer.from(original);
    b.writeUInt8(b.readUInt8(b.length - 100) ^ 0x01, b.length - 100); // inside the last blob
    writeFileSync(join(dir, 'var/lib/rpm/Packages.db'), b);
    await expect(pkgdb.readRpmDb(dir)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('checksum') });
  });

  it('rejects corrupt and truncated files with PkgdbError, never a crash', async () => {
    const original = readFileSync(join(FIXTURES, 'ndb/var/lib/rpm/Packages.db'));
    expect(await corruptAndRead(original, join(work, 'ndb-bad'), 'Packages.db', 400)).toBeGreaterThan(200);
  });

  it('prefers the back end the root configures, then sqlite, ndb, Berkeley DB as rpm detects them', async () => {
    const dir = join(work, 'both');
    mkdirSync(join(dir, 'var/lib/rpm'), { recursive: true });
    copyFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite'), join(dir, 'var/lib/rpm/rpmdb.sqlite'));
    copyFileSync(join(FIXTURES, 'ndb/var/lib/rpm/Packages.db'), join(dir, 'var/lib/rpm/Packages.db'));
    expect((await pkgdb.readRpmDb(dir)).length).toBe(3);
    expect((await pkgdb.readRpmDb(dir, { backend: 'ndb' })).length).toBe(28);
    mkdirSync(join(dir, 'etc/rpm'), { recursive: true });
    writeFileSync(join(dir, 'etc/rpm/macros.db'), '%_db_backend ndb\n');
    expect((await pkgdb.readRpmDb(dir)).length).toBe(28);
  });
});
