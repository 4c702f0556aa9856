// readPackages and diff: one view of a system's packages, and what changed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pkgdb } from '../../src/index.js';

const roots = mkdtempSync(join(tmpdir(), 'zcp-packages-'));
afterAll(() => rmSync(roots, { recursive: true, force: true }));

function dpkgRoot(name: string, packages: [string, string, string, string, string?][]): string {
  const root = join(roots, name);
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  const text = packages
    .map(([pkg, version, arch, state, multiArch]) => `Package: ${pkg}\nStatus: ${state}\nArchitecture: ${arch}\n${multiArch ? `Multi-Arch: ${multiArch}\n` : ''}Version: ${version}\n`)
    .join('\n');
  writeFileSync(join(root, 'var/lib/dpkg/status'), text);
  return root;
}

describe('readPackages', () => {
  it('reads this machine as dpkg, with what dpkg-query lists as installed', async () => {
    const set = await pkgdb.readPackages('/');
    expect(set.manager).toBe('dpkg');
    const oracle = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}\\t${Package}\\t${Architecture}\\t${Version}\\n'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((l) => /^.[iUFHWt]/.test(l)) // present on the system: not "n" (not-installed) or "c" (config-files)
      .map((l) => l.split('\t').slice(1).join('\t'))
      .sort();
    expect(set.packages.map((p) => `${p.name}\t${p.architecture}\t${p.version}`).sort()).toEqual(oracle);
  });

  it('says NO_DATABASE for a root without one', async () => {
    mkdirSync(join(roots, 'empty'));
    await expect(pkgdb.readPackages(join(roots, 'empty'))).rejects.toMatchObject({ code: 'NO_DATABASE' });
  });
});

describe('diff', () => {
  it('finds installed, removed, upgraded and downgraded packages by name and architecture', async () => {
    const ok = 'install ok installed';
    const before = await pkgdb.readPackages(
      dpkgRoot('before', [
        ['apt', '2.6.0', 'amd64', ok],
        ['libc6', '2.36-9', 'amd64', ok, 'same'],
        ['libc6', '2.36-9', 'i386', ok, 'same'],
        ['gone', '1.0', 'all', ok],
        ['configs-only', '1.0', 'all', 'deinstall ok config-files'],
        ['tool', '1:1.0~rc1-1', 'amd64', ok],
        ['same', '3', 'all', ok],
      ]),
    );
    const after = await pkgdb.readPackages(
      dpkgRoot('after', [
        ['apt', '2.6.1', 'amd64', ok],
        ['libc6', '2.36-9+deb12u1', 'amd64', ok, 'same'],
        ['libc6', '2.36-9', 'i386', ok, 'same'],
        ['configs-only', '1.0', 'all', ok],
        ['tool', '1:1.0~beta1-1', 'amd64', ok],
        ['new', '0.1', 'all', ok],
        ['same', '3', 'all', ok],
      ]),
    );
    const d = pkgdb.diff(before, after);
    expect(d.installed.map((p) => p.name)).toEqual(['configs-only', 'new']);
    expect(d.removed.map((p) => p.name)).toEqual(['gone']);
    expect(d.upgraded).toEqual([
      { name: 'apt', architecture: 'amd64', from: '2.6.0', to: '2.6.1' },
      { name: 'libc6', architecture: 'amd64', from: '2.36-9', to: '2.36-9+deb12u1' },
    ]);
    expect(d.downgraded).toEqual([{ name: 'tool', architecture: 'amd64', from: '1:1.0~rc1-1', to: '1:1.0~beta1-1' }]);
  });

  it('compares rpm versions as rpm does and keeps multiple installed versions apart', () => {
    const pkg = (name: string, version: string) => ({ name, version, architecture: 'x86_64' });
    const before: pkgdb.PackageSet = { manager: 'rpm', packages: [pkg('kernel', '6.1-1'), pkg('kernel', '6.2-1'), pkg('bash', '5.2-1.el9'), pkg('git', '2.0^git1-1')] };
    const after: pkgdb.PackageSet = { manager: 'rpm', packages: [pkg('kernel', '6.2-1'), pkg('kernel', '6.3-1'), pkg('bash', '5.2-1.el10'), pkg('git', '2.0-1')] };
    const d = pkgdb.diff(before, after);
    expect(d.installed.map((p) => p.version)).toEqual(['6.3-1']);
    expect(d.removed.map((p) => p.version)).toEqual(['6.1-1']);
    expect(d.upgraded.map((c) => c.name)).toEqual(['bash']);
    expect(d.downgraded.map((c) => c.name)).toEqual(['git']); // 2.0^git1 is newer than 2.0
  });
});
