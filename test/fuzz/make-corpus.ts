// Regenerates the small seed corpora in test/fuzz/corpus (committed; the
// fuzzers grow their own copies under .cache/fuzz). Every seed is made by the
// real tool where one exists: rpmbuild and rpm for packages and headers,
// Python's sqlite3 for the sqlite file, db5.3_load for Berkeley DB, and a cut
// of the shared ndb fixture (made by rpm) for ndb.
//   npx tsx test/fuzz/make-corpus.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rpmdbFixtures } from '../shared-fixtures.js';

const CORPUS = join(import.meta.dirname, 'corpus');
const FIXTURES = rpmdbFixtures();
const work = mkdtempSync(join(tmpdir(), 'zcp-corpus-'));

function seed(target: string, name: string, data: Buffer | string): void {
  mkdirSync(join(CORPUS, target), { recursive: true });
  writeFileSync(join(CORPUS, target, name), data);
}

function rpmbuild(name: string, files: number): string {
  mkdirSync(join(work, 'SPECS'), { recursive: true });
  const spec = join(work, 'SPECS', `${name}.spec`);
  writeFileSync(spec, [
    `Name: ${name}`, 'Version: 1.0~rc1', 'Release: 1', 'Epoch: 2', 'Summary: seed', 'License: MIT', 'BuildArch: noarch',
    'Requires: /bin/sh', 'Provides: seed-virtual = 1.0', '%description', 'seed', '%install',
    `mkdir -p %{buildroot}/usr/share/${name}`, `for i in $(seq 1 ${files}); do echo $i > %{buildroot}/usr/share/${name}/f$i; done`,
    '%files', `/usr/share/${name}`, '',
  ].join('\n'));
  execFileSync('rpmbuild', ['-bb', '--nodeps', '--quiet', '--define', `_topdir ${work}`, '--define', '_binary_payload w0.gzdio', spec], { stdio: 'ignore' });
  return join(work, 'RPMS/noarch', `${name}-1.0~rc1-1.noarch.rpm`);
}

try {
  // dpkg status: a crafted paragraph set and the head of this machine's status.
  seed('dpkg_status', 'crafted', 'Package: a\r\nStatus: install ok installed\r\nVersion: 1:2.0~rc1-1\r\nDescription: x\r\n more\r\n .\r\n end\r\n\r\npackage: b\nversion: 1\nMulti-Arch: same');
  const status = readFileSync('/var/lib/dpkg/status', 'utf8').split('\n\n').slice(0, 6).join('\n\n') + '\n';
  seed('dpkg_status', 'status-head', status);
  // What dpkg reads and zcp once did not: a line of blanks inside a field, and a field given twice.
  seed('dpkg_status', 'blank-continuation', 'Package: a\nStatus: install ok installed\nDescription: short\n long\n \n\t\n .\n end\nVersion: 1\n\n \nPackage: b\n');
  seed('dpkg_status', 'duplicate-field', 'Package: a\nVersion: 1\n \nPackage: b\nVersion: 2\n');

  // RPM: a tiny package, its installed header blob, and an rpmdb holding it.
  const small = rpmbuild('seed-small', 2);
  const big = rpmbuild('seed-big', 60); // a header larger than a 512-byte page
  seed('rpm_header', 'small.rpm', readFileSync(small));
  const root = join(work, 'root');
  execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '--initdb']);
  execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', '--nosignature', '--justdb', small, big]);
  const py = `import sqlite3, sys
for n, b in sqlite3.connect(sys.argv[1]).execute('SELECT hnum, blob FROM Packages ORDER BY hnum'): print(n, b.hex())`;
  const rows = execFileSync('/usr/bin/python3', ['-c', py, join(root, 'var/lib/rpm/rpmdb.sqlite')], { encoding: 'utf8' })
    .trim().split('\n').map((l) => l.split(' ')).map(([n, hex]) => [Number(n), Buffer.from(hex!, 'hex')] as const);
  seed('rpm_header', 'installed-blob', rows[0]![1]);

  // sqlite: rpm's Packages table with 512-byte pages (the big header overflows).
  const sqliteFile = join(work, 'seed.sqlite');
  const make = `import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA page_size=512')
c.execute('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)')
for h in sys.argv[2:]: c.execute('INSERT INTO Packages (blob) VALUES (?)', (bytes.fromhex(h),))
c.commit()`;
  execFileSync('/usr/bin/python3', ['-c', make, sqliteFile, ...rows.map(([, b]) => b.toString('hex'))]);
  seed('sqlite', 'rpmdb.sqlite', readFileSync(sqliteFile));

  // Berkeley DB: rpm's Packages hash, 512-byte pages, both byte orders.
  for (const [order, name] of [[1234, 'Packages-le'], [4321, 'Packages-be']] as const) {
    const key = (n: number) => {
      const b = Buffer.alloc(4);
      if (order === 1234) b.writeUInt32LE(n);
      else b.writeUInt32BE(n);
      return b.toString('hex');
    };
    const dump = ['VERSION=3', 'format=bytevalue', 'type=hash', `db_lorder=${order}`, 'db_pagesize=512', 'HEADER=END', ` ${key(0)}`, ` ${key(rows.length + 1)}`];
    for (const [n, b] of rows) dump.push(` ${key(n)}`, ` ${b.toString('hex')}`);
    dump.push('DATA=END', '');
    const out = join(work, name);
    execFileSync('db5.3_load', [out], { input: dump.join('\n') });
    seed('bdb', name, readFileSync(out));
  }

  // ndb: the shared fixture (made by rpm) cut to its first two packages.
  const ndb = Buffer.from(readFileSync(join(FIXTURES, 'ndb/var/lib/rpm/Packages.db')));
  const slot = (i: number) => 32 + 16 * i;
  const end = (ndb.readUInt32LE(slot(1) + 8) + ndb.readUInt32LE(slot(1) + 12)) * 16;
  for (let i = 2; slot(i) < 4096; i++) ndb.fill(0, slot(i) + 4, slot(i) + 16);
  seed('ndb', 'two-packages', ndb.subarray(0, end));

  // versions: "a|b" pairs at the corners of both orderings.
  seed('versions', 'tilde', '1.0~rc1|1.0');
  seed('versions', 'epoch', '2:1.0-1+deb12u1|1:9.9');
  seed('versions', 'caret', '1.0^git20240101.abc|1.0.1');
} finally {
  rmSync(work, { recursive: true, force: true });
}
