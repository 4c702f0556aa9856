// One adapter per package manager (apt-get for dpkg systems, dnf for rpm ones): how a version is
// named on its command line and how one transaction is undone at package level.
import { describe, expect, it } from 'vitest';
import { APT, DNF, adapterFor } from '../../src/package-manager/adapters.js';

describe('package-manager adapters', () => {
  it('apt-get: name:arch=version, downgrades allowed; removals by name:arch', () => {
    expect(adapterFor('dpkg')).toBe(APT);
    expect(APT.undoCommands([{ name: 'libc6', architecture: 'amd64', version: '2.36-9+deb12u4' }, { name: 'hello', architecture: 'all', version: '1:1.0-1' }], [{ name: 'new', architecture: 'amd64' }])).toEqual([
      'apt-get install --allow-downgrades libc6:amd64=2.36-9+deb12u4 hello:all=1:1.0-1',
      'apt-get remove new:amd64',
    ]);
    expect(APT.undoCommands([], [])).toEqual([]);
  });

  it('dnf: name-version-release.arch without the epoch, --allowerasing; removals by name.arch', () => {
    expect(adapterFor('rpm')).toBe(DNF);
    expect(DNF.undoCommands([{ name: 'bash', architecture: 'x86_64', version: '5.2.15-3.fc39' }, { name: 'perl', architecture: 'x86_64', version: '4:5.36.1-1' }], [{ name: 'new', architecture: 'noarch' }])).toEqual([
      'dnf install --allowerasing bash-5.2.15-3.fc39.x86_64 perl-5.36.1-1.x86_64',
      'dnf remove new.noarch',
    ]);
  });
});
