// The dpkg reader against real dpkg: the machine's own status file against
// dpkg-query, every apt Packages list, and broken input.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addon } from '../../src/addon.js';
import { PkgdbError, pkgdb } from '../../src/index.js';

const LISTS = '/var/lib/apt/lists';

function aptLists(): string[] {
  return readdirSync(LISTS)
    .filter((f) => /_Packages(\.\w+)?$/.test(f))
    .map((f) => `${LISTS}/${f}`);
}

/** apt's own decompression (lz4, gz, xz, plain), as apt reads its lists. */
function catList(file: string): Buffer {
  return execFileSync('/usr/lib/apt/apt-helper', ['cat-file', file], { maxBuffer: 1 << 30 });
}

describe('dpkg status', () => {
  it("reads this machine's status file exactly as dpkg-query -W shows it", async () => {
    const ours = await pkgdb.readDpkgStatus('/', { fields: ['Installed-Size'] });
    const fmt = '${Package}\\t${Architecture}\\t${Version}\\t${Status}\\t${Multi-Arch}\\t${Source}\\t${Installed-Size}\\n';
    const oracle = execFileSync('dpkg-query', ['-W', '-f', fmt], { encoding: 'utf8', maxBuffer: 1 << 26 }).trimEnd().split('\n');
    const shown = ours
      .filter((p) => p.status?.state !== 'not-installed')
      .map((p) =>
        [p.name, p.architecture, p.version, p.status ? `${p.status.want} ${p.status.flag} ${p.status.state}` : '', p.multiArch, p.source ?? '', p.fields?.['Installed-Size'] ?? ''].join('\t'),
      );
    expect(shown.length).toBeGreaterThan(100);
    expect(shown.sort()).toEqual(oracle.sort());
  });

  it('parses every apt Packages list on this machine', () => {
    const lists = aptLists();
    expect(lists.length).toBeGreaterThan(0);
    let total = 0;
    for (const file of lists) {
      const text = catList(file);
      const pkgs = pkgdb.parseDpkgStatus(text, { file });
      // Oracle: the Package and Version lines in order, as plain text.
      const lines = text.toString('utf8').split('\n');
      const names = lines.filter((l) => l.startsWith('Package: ')).map((l) => l.slice(9).trim());
      const versions = lines.filter((l) => l.startsWith('Version: ')).map((l) => l.slice(9).trim());
      expect(pkgs.map((p) => p.name), file).toEqual(names);
      expect(pkgs.map((p) => p.version), file).toEqual(versions);
      total += pkgs.length;
    }
    expect(total).toBeGreaterThan(10_000);
  });

  it('gives the same packages on the fast path (index + JS slices) as on the object path, multibyte text included', () => {
    const withoutFields = (ps: pkgdb.DpkgPackage[]) => ps.map(({ fields: _f, ...p }) => p);
    const text =
      'Package: caf\u00e9\nVersion: 1.0-\u00e91\nMaintainer: S\u00e9bastien \u{1F600} <s@x>\nArchitecture: all\nSource: s\u00f6urce (1)\n' +
      'Depends: a,\n b \u{1F600}\nStatus: install ok installed\n\nPackage: \u{1F600}two\nMulti-Arch: same\n';
    const slow = (b: Uint8Array) => withoutFields(pkgdb.parseDpkgStatus(b, { fields: ['x-none'] }));
    for (const buf of [Buffer.from(text), Buffer.from(text.replace(/\n/g, '\r\n')), readFileSync('/var/lib/dpkg/status')]) {
      expect(pkgdb.parseDpkgStatus(buf)).toEqual(slow(buf));
    }
    expect(pkgdb.parseDpkgStatus(Buffer.from(text))[1]!.name).toBe('\u{1F600}two');
    // Invalid UTF-8 takes the object path (replacement characters), not the index.
    const bad = Buffer.concat([Buffer.from('Package: a\xff'.slice(0, 10)), Buffer.from([0xff]), Buffer.from('\nVersion: 1\n')]);
    expect(pkgdb.parseDpkgStatus(bad)[0]!.name).toBe('a\ufffd');
  });

  it('parses a copy of its input: JS run during the parse (a field name\'s toString) can\'t change what it reads', () => {
    const text = 'Package: a\nVersion: 1\nArchitecture: all\nDescription: x\n\nPackage: b\nVersion: 2\nArchitecture: all\n';
    const ab = new ArrayBuffer(Buffer.byteLength(text));
    const view = new Uint8Array(ab);
    view.set(Buffer.from(text));
    // Detaches the caller's buffer and overwrites the memory it had (the moved backing store).
    const sneaky = { toString: () => (new Uint8Array(structuredClone(ab, { transfer: [ab] })).fill(0x21), 'Description') };
    const native = addon().pkgdb as unknown as { parseDpkgStatus(d: Uint8Array, f: unknown[]): { name: string }[] };
    const parsed = native.parseDpkgStatus(view, [sneaky]);
    expect(ab.byteLength).toBe(0); // it was detached during the call
    expect(parsed.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('takes CRLF, no final newline, folded fields, any case, and comments', () => {
    const text =
      'package: a\r\nVERSION: 1:2.0-1\r\nArchitecture: amd64\r\nStatus: install ok installed\r\nDescription: short\r\n long line\r\n .\r\n  indented\r\n\r\n' +
      '# a comment\nPackage: b\nVersion: 1\nArchitecture: all\nDepends: a (>= 1),\n c';
    const [a, b] = pkgdb.parseDpkgStatus(text, { fields: ['description'] });
    expect(a).toMatchObject({ name: 'a', version: '1:2.0-1', architecture: 'amd64', status: { want: 'install', flag: 'ok', state: 'installed' } });
    expect(a!.fields).toEqual({ description: 'short\nlong line\n\n indented' });
    expect(b).toMatchObject({ name: 'b', version: '1', depends: 'a (>= 1),\n c' });
    expect(b!.status).toBeUndefined();
  });

  it('rejects malformed input with PkgdbError CORRUPT and the offset', () => {
    const cases: [string, number, RegExp][] = [
      [' continuation first\n', 0, /continuation/],
      ['Package: a\nno colon here\n', 11, /neither a field/],
      ['Version: 1\n\n', 0, /without a Package/],
      ['Package: a\nStatus: install ok\n', 0, /three words/],
      ['Package: a\n\nPackage: b\nbad line', 23, /neither a field/],
    ];
    for (const [text, offset, why] of cases) {
      let err: unknown;
      try {
        pkgdb.parseDpkgStatus(text, { file: 'test' });
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(PkgdbError);
      expect((err as PkgdbError).code).toBe('CORRUPT');
      expect((err as PkgdbError).offset, text).toBe(offset);
      expect((err as PkgdbError).message).toMatch(why);
      expect((err as PkgdbError).message).toMatch(/^test: byte \d+/);
    }
  });

  it('survives 3,000 random corruptions of the real status file (parse or CORRUPT, nothing else)', () => {
    const real = readFileSync('/var/lib/dpkg/status');
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    let corrupt = 0;
    for (let i = 0; i < 3000; i++) {
      const start = rand(real.length - 2000);
      const buf = Buffer.from(real.subarray(start, start + 2000));
      for (let k = 0; k < 8; k++) buf[rand(buf.length)] = rand(256);
      try {
        pkgdb.parseDpkgStatus(buf);
      } catch (e) {
        expect(e).toBeInstanceOf(PkgdbError);
        corrupt++;
      }
    }
    expect(corrupt).toBeGreaterThan(0);
  });
});

// dpkg's database as dpkg itself reads it, dpkg-query (--admindir) the oracle:
// status, then the updates/ an interrupted dpkg leaves, and what it refuses.
describe('dpkg database (status + updates/)', () => {
  const dirs = mkdtempSync(join(tmpdir(), 'zcp-dpkgdb-'));
  afterAll(() => rmSync(dirs, { recursive: true, force: true }));
  const stanza = (name: string, status: string, arch: string, version: string, more = '') =>
    `Package: ${name}\nStatus: ${status}\n${arch ? `Architecture: ${arch}\n` : ''}${more}${version ? `Version: ${version}\n` : ''}`;
  const ok = 'install ok installed';
  let n = 0;
  function root(status: string, updates: Record<string, string> = {}): string {
    const r = join(dirs, String(n++));
    mkdirSync(join(r, 'var/lib/dpkg/updates'), { recursive: true });
    mkdirSync(join(r, 'var/lib/dpkg/info'));
    writeFileSync(join(r, 'var/lib/dpkg/status'), status);
    for (const [f, text] of Object.entries(updates)) writeFileSync(join(r, 'var/lib/dpkg/updates', f), text);
    return r;
  }
  /** dpkg-query's listing, or undefined where it refuses the database. */
  function oracle(r: string): string[] | undefined {
    const q = spawnSync('dpkg-query', [`--admindir=${r}/var/lib/dpkg`, '-W', '-f', '${Package}\\t${Architecture}\\t${Version}\\t${Status}\\n'], { encoding: 'utf8' });
    return q.status === 0 ? q.stdout.split('\n').filter(Boolean).sort() : undefined;
  }
  const listed = (ps: pkgdb.DpkgPackage[]) =>
    ps.filter((p) => p.status?.state !== 'not-installed').map((p) => [p.name, p.architecture, p.version, `${p.status!.want} ${p.status!.flag} ${p.status!.state}`].join('\t')).sort();

  const cases: [string, string, Record<string, string>?][] = [
    ['a package listed twice, the first a forgotten selection', `${stanza('b', 'purge ok not-installed', 'all', '1')}\n${stanza('b', ok, 'all', '2')}`],
    ['a Multi-Arch: same package listed twice for one architecture', `${stanza('c', ok, 'amd64', '1', 'Multi-Arch: same\n')}\n${stanza('c', ok, 'amd64', '2', 'Multi-Arch: same\n')}\n${stanza('c', ok, 'i386', '2', 'Multi-Arch: same\n')}`],
    ['an installed package listed twice (refused)', `${stanza('b', ok, 'all', '1')}\n${stanza('b', ok, 'all', '2')}`],
    ['config-files and installed for one package (refused: both are instances)', `${stanza('b', 'deinstall ok config-files', 'all', '1')}\n${stanza('b', ok, 'all', '2')}`],
    ['Multi-Arch: same beside another instance (refused)', `${stanza('c', ok, 'amd64', '1', 'Multi-Arch: same\n')}\n${stanza('c', ok, 'i386', '1')}`],
    ['a line of blanks that joins two paragraphs (refused: Package twice)', `${stanza('a', ok, 'all', '1')} \n${stanza('b', ok, 'all', '2')}`],
    [
      'pending updates: a newer version half-installed, a new package, a cross-grade to all, a removal, several in a file, an empty one, tmp.i ignored',
      `${stanza('a', ok, 'amd64', '1')}\n${stanza('d', ok, 'amd64', '1')}\n${stanza('r', ok, 'amd64', '1')}\n${stanza('m', ok, 'amd64', '1', 'Multi-Arch: same\n')}\n`,
      {
        '0000': stanza('d', 'install ok unpacked', 'all', '2'),
        '0001': stanza('e', 'install ok half-installed', 'amd64', '5'),
        '0002': stanza('a', 'install reinstreq half-installed', 'amd64', '1.1'),
        '0003': stanza('r', 'purge ok not-installed', '', ''),
        '0004': `${stanza('m', ok, 'i386', '1', 'Multi-Arch: same\n')}\n${stanza('z', 'install ok unpacked', 'all', '3')}`,
        '0005': '',
        'tmp.i': 'Package: junk\n',
      },
    ],
    ['update names of two lengths (refused)', stanza('a', ok, 'all', '1'), { '0000': stanza('a', 'install ok unpacked', 'all', '2'), '00001': stanza('a', ok, 'all', '3') }],
    ['an update that is not Multi-Arch: same for a package with two instances (refused)', `${stanza('m', ok, 'amd64', '1', 'Multi-Arch: same\n')}\n${stanza('m', ok, 'i386', '1', 'Multi-Arch: same\n')}`, { '0000': stanza('m', 'install ok unpacked', 'all', '2') }],
  ];
  for (const [what, status, updates] of cases) {
    it(`reads ${what} as dpkg-query does`, async () => {
      const r = root(status, updates);
      const want = oracle(r);
      if (want === undefined) {
        await expect(pkgdb.readDpkgStatus(r)).rejects.toMatchObject({ code: 'CORRUPT' });
        await expect(pkgdb.readPackages(r)).rejects.toMatchObject({ code: 'CORRUPT' });
      } else {
        expect(want.length).toBeGreaterThan(0);
        expect(listed(await pkgdb.readDpkgStatus(r))).toEqual(want);
        // zcp's package view (what a checkpoint records) holds the ones on the system.
        const present = want.filter((l) => !/\t\S+ \S+ (not-installed|config-files)$/.test(l)).map((l) => l.split('\t').slice(0, 3).join('\t'));
        expect((await pkgdb.readPackages(r)).packages.map((p) => `${p.name}\t${p.architecture}\t${p.version}`).sort()).toEqual(present);
      }
    });
  }

  it('names the pending update an entry came from', async () => {
    const r = root(stanza('a', ok, 'all', '1'), { '0007': `${stanza('b', ok, 'all', '1')}\n${stanza('a', 'install ok unpacked', 'all', '2')}` });
    const [a] = await pkgdb.readDpkgStatus(r);
    expect(a).toMatchObject({ name: 'a', version: '2', update: 'updates/0007', offset: stanza('b', ok, 'all', '1').length + 1 });
  });

  it('keeps a Description line of blanks in the field, as dpkg-query shows it', () => {
    const text = `${stanza('a', ok, 'amd64', '1')}Description: short\n long\n \n  more\n\t\n .\n end\nMaintainer: m\n`;
    const r = root(text);
    const raw = execFileSync('dpkg-query', [`--admindir=${r}/var/lib/dpkg`, '-W', '-f', '${Description}', 'a'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // deb822's folding undone: one leading blank per continuation line, "." an empty line.
    const unfolded = raw.split('\n').map((l, i) => (i === 0 ? l : l.slice(1).trimEnd() === '.' ? '' : l.slice(1).trimEnd())).join('\n');
    const [a] = pkgdb.parseDpkgStatus(text, { fields: ['Description', 'Maintainer'] });
    expect(a!.fields).toEqual({ Description: unfolded, Maintainer: 'm' });
    expect(unfolded).toBe('short\nlong\n\n more\n\n\nend');
  });
});
