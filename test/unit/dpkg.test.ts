// The dpkg reader against real dpkg: the machine's own status file against
// dpkg-query, every apt Packages list, and broken input.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
