// The pure parts of zcp undo: what the package managers' answers say, and which
// names may go on their command lines (a forged database is data, never an option).
import { describe, expect, it } from 'vitest';
import { debFileName, parseAptCheck } from '../../src/undo/deb.js';
import { parseNeededBy, rpmFileName, rpmName } from '../../src/undo/rpm.js';
import { wellFormed } from '../../src/undo/undo.js';

describe('zcp undo: parsing and names', () => {
  it("apt-get check: each broken package with apt's lines", () => {
    const out = [
      'Reading package lists...',
      'The following packages have unmet dependencies:',
      ' d : Depends: a (>= 2.0) but 1.0 is installed',
      '     Depends: c but it is not installable',
      ' jq:amd64 : Depends: libjq1 (= 1.6-2.1) but it is not installed',
      "E: Unmet dependencies. Try 'apt --fix-broken install' with no packages (or specify a solution).",
    ].join('\n');
    expect(parseAptCheck(out)).toEqual([
      { name: 'd', problems: ['Depends: a (>= 2.0) but 1.0 is installed', 'Depends: c but it is not installable'] },
      { name: 'jq', problems: ['Depends: libjq1 (= 1.6-2.1) but it is not installed'] },
    ]);
    expect(parseAptCheck('Reading package lists...\n')).toEqual([]);
  });

  it('rpm -e --test: what is needed by which installed package', () => {
    const err = 'error: Failed dependencies:\n\trone >= 2.0 is needed by (installed) rthree-1.0-1.noarch\n\t/bin/sh is needed by (installed) rone-2:1.0-1.noarch\n';
    expect(parseNeededBy(err)).toEqual([
      { needs: { name: 'rone', op: '>=', evr: '2.0' }, by: 'rthree-1.0-1.noarch' },
      { needs: { name: '/bin/sh' }, by: 'rone-2:1.0-1.noarch' },
    ]);
  });

  it('file names without the epoch, as dpkg-deb and rpmbuild write them', () => {
    expect(debFileName({ name: 'libc6', architecture: 'amd64', version: '2.36-9+deb12u4' })).toBe('libc6_2.36-9+deb12u4_amd64.deb');
    expect(debFileName({ name: 'hello', architecture: 'all', version: '1:2.0-1' })).toBe('hello_2.0-1_all.deb');
    expect(rpmFileName({ name: 'perl', architecture: 'x86_64', version: '4:5.36.1-1' })).toBe('perl-5.36.1-1.x86_64.rpm');
    expect(rpmName({ name: 'perl', architecture: 'x86_64' })).toBe('perl.x86_64');
  });

  it('only names, architectures and versions the package managers allow go on their command lines', () => {
    expect(wellFormed('dpkg', { name: 'libpam-modules', architecture: 'amd64', version: '1.5.2-6+deb12u1' })).toBe(true);
    expect(wellFormed('dpkg', { name: 'hello', architecture: 'all', version: '1:2.0~rc1-1' })).toBe(true);
    for (const bad of [
      { name: '--root=/etc', architecture: 'all', version: '1.0' },
      { name: 'a b', architecture: 'all', version: '1.0' },
      { name: 'ok', architecture: 'all; rm', version: '1.0' },
      { name: 'ok', architecture: 'all', version: '1.0/../../x' },
      { name: 'ok', architecture: 'all', version: '-1' },
    ]) expect(wellFormed('dpkg', bad), JSON.stringify(bad)).toBe(false);
    expect(wellFormed('rpm', { name: 'NetworkManager', architecture: 'x86_64', version: '1:1.44.2-1.fc39' })).toBe(true);
    expect(wellFormed('rpm', { name: '-e', architecture: 'noarch', version: '1.0-1' })).toBe(false);
    expect(wellFormed('rpm', { name: 'ok', architecture: 'noarch', version: '1.0' })).toBe(false); // no release
  });
});
