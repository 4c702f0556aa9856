// RPM headers against rpm itself: packages made by rpmbuild, read by
// readRpmFile and parseRpmHeader, compared with `rpm -qp --qf`; hostile
// headers rejected with an offset, never read out of bounds.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PkgdbError, pkgdb } from '../../src/index.js';

let top: string;
const rpms: string[] = [];

function spec(name: string, version: string, release: string, epoch: number | undefined, arch: string): string {
  return [
    `Name: ${name}`,
    `Version: ${version}`,
    `Release: ${release}`,
    ...(epoch === undefined ? [] : [`Epoch: ${epoch}`]),
    'Summary: zcp test package',
    'License: MIT',
    `BuildArch: ${arch}`,
    '%description',
    'A package made for zcp tests.',
    '%install',
    `mkdir -p %{buildroot}/usr/share/${name}`,
    `echo ${name} > %{buildroot}/usr/share/${name}/README`,
    '%files',
    `/usr/share/${name}/README`,
    '',
  ].join('\n');
}

beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'zcp-rpmbuild-'));
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const packages: [string, string, string, number | undefined, string][] = [
    ['zcp-alpha', '1.0', '1', undefined, 'noarch'],
    ['zcp-beta', '2.3.4', '5.el9', 0, 'noarch'],
    ['zcp-delta', '2.0^git1', '1.fc38', 3, 'x86_64'],
    ['zcp-tilde', '1.0~rc1', '0.1', 12, 'noarch'],
  ];
  for (const [name, ...rest] of packages) {
    const file = join(top, 'SPECS', `${name}.spec`);
    writeFileSync(file, spec(name, ...rest));
    execFileSync('rpmbuild', ['-bb', '--nodeps', '--quiet', '--define', `_topdir ${top}`, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  for (const dir of readdirSync(join(top, 'RPMS'))) for (const f of readdirSync(join(top, 'RPMS', dir))) rpms.push(join(top, 'RPMS', dir, f));
}, 120_000);

afterAll(() => rmSync(top, { recursive: true, force: true }));

const QF = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n';
const show = (h: pkgdb.RpmHeaderInfo) => [h.name, h.epoch ?? '(none)', h.version, h.release, h.arch, h.tags?.['1044'] ?? ''].join('\t');

/** The main header of a .rpm file as a bare blob (what an rpmdb stores). */
function mainHeaderBlob(file: string): Buffer {
  const b = readFileSync(file);
  let at = 96 + 16 + b.readUInt32BE(96 + 8) * 16 + b.readUInt32BE(96 + 12);
  at += (8 - (at % 8)) % 8;
  const end = at + 16 + b.readUInt32BE(at + 8) * 16 + b.readUInt32BE(at + 12);
  return b.subarray(at + 8, end);
}

describe('RPM headers', () => {
  it('readRpmFile agrees with rpm -qp for packages made by rpmbuild', async () => {
    expect(rpms).toHaveLength(4);
    for (const file of rpms) {
      const oracle = execFileSync('rpm', ['-qp', '--nosignature', '--qf', QF, file], { encoding: 'utf8' }).trim();
      expect(show(await pkgdb.readRpmFile(file, { tags: [1044] })), file).toBe(oracle);
    }
  });

  it('parseRpmHeader reads the same header as an rpmdb would store it', () => {
    for (const file of rpms) {
      const oracle = execFileSync('rpm', ['-qp', '--nosignature', '--qf', QF, file], { encoding: 'utf8' }).trim();
      const h = pkgdb.parseRpmHeader(mainHeaderBlob(file), { tags: [1044, 1116, 1117, 1118] });
      expect(show(h)).toBe(oracle);
      // The file list from DIRINDEXES (int32 array), BASENAMES and DIRNAMES (string arrays).
      const dirIndexes = h.tags?.['1116'] as number[];
      const baseNames = h.tags?.['1117'] as string[];
      const dirNames = h.tags?.['1118'] as string[];
      const files = baseNames.map((b, i) => `${dirNames[dirIndexes[i]!]}${b}`);
      expect(files.join('\n')).toBe(execFileSync('rpm', ['-qpl', '--nosignature', file], { encoding: 'utf8' }).trim());
    }
  });

  it('rejects hostile headers with CORRUPT and an offset', () => {
    const good = mainHeaderBlob(rpms[0]!);
    const il = good.readUInt32BE(0);
    const mutate = (f: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    const cases: [string, Buffer, RegExp][] = [
      ['truncated', good.subarray(0, good.length - 1), /sizes say/],
      ['too short', good.subarray(0, 5), /truncated/],
      ['absurd count', mutate((b) => b.writeUInt32BE(0x7fffffff, 0)), /absurd index entry count/],
      ['absurd data length', mutate((b) => b.writeUInt32BE(0x7fffffff, 4)), /absurd data length/],
      ['offset outside', mutate((b) => b.writeUInt32BE(0x00ffffff, 8 + 16 + 8)), /outside the data store|region/],
      ['unknown type', mutate((b) => b.writeUInt32BE(42, 8 + 16 + 4)), /unknown type/],
      ['zero count', mutate((b) => b.writeUInt32BE(0, 8 + 16 + 12)), /bad count/],
      ['huge count', mutate((b) => b.writeUInt32BE(0x0fffffff, 8 + 16 * (il - 1) + 12)), /past the data store|unterminated|bad count/],
      // The region tag's trailer sits in the data store; its offset must be minus a whole index.
      ['region trailer', mutate((b) => b.writeUInt32BE(0x7fffffff, 8 + il * 16 + b.readUInt32BE(16) + 8)), /region trailer out of range/],
      ['region tag not first', mutate((b) => b.copy(b, 8 + 16, 8, 8 + 4)), /region tag must come first/],
      [
        'unterminated string',
        mutate((b) => {
          // NAME (tag 1000) pointed at the store's last byte, which is not a NUL.
          for (let i = 0; i < il; i++) if (b.readUInt32BE(8 + 16 * i) === 1000) b.writeUInt32BE(b.readUInt32BE(4) - 1, 8 + 16 * i + 8);
          b[b.length - 1] = 0x41;
        }),
        /tag 1000.*unterminated string/,
      ],
    ];
    for (const [label, blob, why] of cases) {
      let err: unknown;
      try {
        pkgdb.parseRpmHeader(blob);
      } catch (e) {
        err = e;
      }
      expect(err, label).toBeInstanceOf(PkgdbError);
      expect((err as PkgdbError).code, label).toBe('CORRUPT');
      expect(typeof (err as PkgdbError).offset, label).toBe('number');
      expect((err as PkgdbError).message, label).toMatch(why);
    }
  });

  it('survives 5,000 random corruptions of a real header (parse or CORRUPT, nothing else)', () => {
    const good = mainHeaderBlob(rpms[1]!);
    let seed = 4242;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(good);
      for (let k = 0, n = 1 + rand(6); k < n; k++) b[rand(Math.min(b.length, 8 + 16 * 12))] = rand(256);
      try {
        pkgdb.parseRpmHeader(b);
      } catch (e) {
        expect(e).toBeInstanceOf(PkgdbError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });

  it('refuses a file that is not an rpm', async () => {
    const e = await pkgdb.readRpmFile('/etc/hostname').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PkgdbError);
    expect((e as PkgdbError).code).toBe('CORRUPT');
    expect((await pkgdb.readRpmFile('/nonexistent.rpm').catch((x: PkgdbError) => x.code))).toBe('UNREADABLE');
  });
});
