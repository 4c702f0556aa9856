// Small real systems for the checkpoint tests: a dpkg root on ZFS datasets,
// packages built with dpkg-deb and installed with dpkg --root (maintainer
// scripts run without chroot: the root has no shell of its own).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'zcp-debs-'));

/** Makes an empty dpkg database under `root`. */
export function initDpkgRoot(root: string): void {
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'etc', 'usr/share']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(join(root, 'var/lib/dpkg/available'), '');
}

/** Builds NAME_VERSION.deb with the given files (path → content) and an optional postinst. */
export function buildDeb(name: string, version: string, files: Record<string, string>, postinst?: string): string {
  const dir = join(work, `${name}-${version}`);
  mkdirSync(join(dir, 'DEBIAN'), { recursive: true });
  writeFileSync(join(dir, 'DEBIAN/control'), `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: zcp tests <t@example.org>\nDescription: zcp test package\n`);
  if (postinst !== undefined) writeFileSync(join(dir, 'DEBIAN/postinst'), `#!/bin/sh\n${postinst}\n`, { mode: 0o755 });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const deb = join(work, `${name}_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', dir, deb], { stdio: 'ignore' });
  return deb;
}

/** dpkg --root ROOT ARGS...; returns the exit status (0 ok). */
export function dpkg(root: string, ...args: string[]): number {
  return spawnSync('dpkg', [`--root=${root}`, '--force-script-chrootless', '--force-not-root', ...args], { stdio: 'ignore' }).status ?? -1;
}

/**
 * Every file, directory and link under `dir` with its mode, size and content
 * hash: equal digests, equal trees. The content of sqlite's `-shm` files is
 * left out (its size is kept): it is shared memory that every reader
 * rewrites through mmap and rebuilds from the database, not data.
 */
export function treeDigest(dir: string): string {
  return execFileSync('sh', ['-c', 'cd "$1" && find . -path ./.zfs -prune -o -printf "%p %y %m %s %l\\n" | LC_ALL=C sort && find . -path ./.zfs -prune -o -type f ! -name "*-shm" -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum', 'sh', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
}
