// Small real systems for the checkpoint tests and the demo: a dpkg root on
// ZFS datasets, packages built with dpkg-deb and installed with dpkg --root
// (maintainer scripts run without chroot: the root has no shell of its own),
// a local apt repository, and a self-contained root with its own apt, dpkg
// and shell that chroot can enter.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, cpSync, lstatSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';

const execFileAsync = promisify(execFile);

const work = mkdtempSync(join(tmpdir(), 'zcp-debs-'));

/** Makes an empty dpkg database under `root`. */
export function initDpkgRoot(root: string): void {
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'etc', 'usr/share']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(join(root, 'var/lib/dpkg/available'), '');
}

/** Builds NAME_VERSION.deb with the given files (path → content), an optional postinst, extra control fields and the files dpkg keeps as conffiles. */
export function buildDeb(name: string, version: string, files: Record<string, string>, postinst?: string, control = '', conffiles: string[] = []): string {
  const dir = join(work, `${name}-${version}`);
  mkdirSync(join(dir, 'DEBIAN'), { recursive: true });
  writeFileSync(join(dir, 'DEBIAN/control'), `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: zcp tests <t@example.org>\nDescription: zcp test package\n${control}`);
  if (postinst !== undefined) writeFileSync(join(dir, 'DEBIAN/postinst'), `#!/bin/sh\n${postinst}\n`, { mode: 0o755 });
  if (conffiles.length) writeFileSync(join(dir, 'DEBIAN/conffiles'), conffiles.map((f) => `/${f}\n`).join(''));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const deb = join(work, `${name}_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', dir, deb], { stdio: 'ignore' });
  return deb;
}

/**
 * Builds NAME-VERSION-1.noarch.rpm with rpmbuild: one file, /usr/share/NAME/v, and optional %pre/%post scripts (a failing %pre fails rpm; a failing %post only warns);
 * with `more`, Requires and Provides lines and a config file /etc/NAME.conf (`%config(noreplace)`).
 */
export function buildRpm(name: string, version: string, scripts: { pre?: string; post?: string } = {}, more: { requires?: string[]; provides?: string[]; config?: boolean } = {}): string {
  const top = join(work, 'rpmbuild');
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const spec = join(top, 'SPECS', `${name}-${version}.spec`);
  const lines = [`Name: ${name}`, `Version: ${version}`, 'Release: 1', 'Summary: zcp test package', 'License: MIT', 'BuildArch: noarch'];
  lines.push(...(more.requires ?? []).map((r) => `Requires: ${r}`), ...(more.provides ?? []).map((r) => `Provides: ${r}`));
  lines.push('%description', 'zcp test package', '%install', `mkdir -p %{buildroot}/usr/share/${name}`, `echo ${version} > %{buildroot}/usr/share/${name}/v`);
  if (more.config) lines.push('mkdir -p %{buildroot}/etc', `echo conf=${version} > %{buildroot}/etc/${name}.conf`);
  if (scripts.pre !== undefined) lines.push('%pre', scripts.pre);
  if (scripts.post !== undefined) lines.push('%post', scripts.post);
  lines.push('%files', `/usr/share/${name}`, ...(more.config ? [`%config(noreplace) /etc/${name}.conf`] : []), '');
  writeFileSync(spec, lines.join('\n'));
  execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, spec], { stdio: 'ignore' });
  return join(top, 'RPMS/noarch', `${name}-${version}-1.noarch.rpm`);
}

/** dpkg --root ROOT ARGS...; returns the exit status (0 ok). */
export function dpkg(root: string, ...args: string[]): number {
  return spawnSync('dpkg', [`--root=${root}`, '--force-script-chrootless', '--force-not-root', ...args], { stdio: 'ignore' }).status ?? -1;
}

/**
 * Every file, directory and link under `dir` with its mode, size and content
 * hash (and, with `owners`, its owner and group): equal digests, equal
 * trees. Every `.zfs` and the relative paths in `skip` (`./home`) are left out.
 * The content of sqlite's `-shm` files is left out (its size is kept): it
 * is shared memory that every reader rewrites through mmap and rebuilds
 * from the database, not data.
 */
export function treeDigest(dir: string, options: DigestOptions = {}): string {
  return execFileSync('sh', digestArgs(dir, options), { encoding: 'utf8', maxBuffer: 1 << 28 });
}

/**
 * treeDigest without blocking: a whole system's tree takes minutes under the
 * emulator, and a worker blocked that long misses vitest's RPC timeout.
 */
export async function treeDigestAsync(dir: string, options: DigestOptions = {}): Promise<string> {
  const { stdout } = await execFileAsync('sh', digestArgs(dir, options), { encoding: 'utf8', maxBuffer: 1 << 28 });
  return stdout;
}

interface DigestOptions {
  owners?: boolean;
  skip?: string[];
}

function digestArgs(dir: string, options: DigestOptions): string[] {
  // .zfs of every dataset in the tree (a child dataset has its own), and what the caller leaves out.
  const prune = ['-name', '.zfs', ...(options.skip ?? []).flatMap((p) => ['-o', '-path', p])].map((a) => `'${a}'`).join(' ');
  const format = options.owners ? '%p %y %m %U %G %s %l\\n' : '%p %y %m %s %l\\n';
  return ['-c', `cd "$1" && find . \\( ${prune} \\) -prune -o -printf "${format}" | LC_ALL=C sort && find . \\( ${prune} \\) -prune -o -type f ! -name "*-shm" -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum`, 'sh', dir];
}

/** A flat apt repository (every version kept: dpkg-scanpackages -m) holding `debs`. */
export function aptRepository(debs: string[]): string {
  const repo = mkdtempSync(join(tmpdir(), 'zcp-repo-'));
  for (const d of debs) copyFileSync(d, join(repo, basename(d)));
  writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['-m', '.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'] }));
  return repo;
}

/**
 * apt-get's options for a test root: maintainer scripts run outside it (it
 * has no shell), as root without the _apt sandbox user (the guest has none).
 */
export const APT_TEST_OPTIONS = ['-o', 'DPkg::Options::=--force-script-chrootless', '-o', 'DPkg::Options::=--force-not-root', '-o', 'APT::Sandbox::User=root'];

/**
 * Writes an APT_CONFIG file that makes a plain `apt-get` work on `root`: apt
 * reads APT_CONFIG before its apt.conf.d, so Dir here makes it read
 * ROOT/etc/apt/apt.conf.d (where zcp's hook goes). Returns `file`.
 */
export function writeAptConfig(root: string, file: string): string {
  writeFileSync(file, `Dir "${root}/";\nDir::State::status "${root}/var/lib/dpkg/status";\nDPkg::Options { "--root=${root}"; "--force-script-chrootless"; "--force-not-root"; };\nAPT::Sandbox::User "root";\n`);
  return file;
}

/** apt's directories under `root`, `repo` as its one source, and apt-get update run. */
export function initAptRoot(root: string, repo: string): void {
  for (const d of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/log/apt']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/apt/sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
  execFileSync('apt-get', ['-o', `Dir=${root}`, '-o', `Dir::State::status=${root}/var/lib/dpkg/status`, ...APT_TEST_OPTIONS, '-q', 'update'], { stdio: 'ignore' });
}

/**
 * Makes `root` a system with an apt of its own that chroot can enter: the
 * host's apt, dpkg, GNU tar and ldconfig with the libraries they load, busybox as
 * /bin/sh and the small tools, `repo` copied to /srv/repo as its source,
 * and apt-get update run inside.
 */
export function initSelfContainedRoot(root: string, repo: string): void {
  // Few processes: in the emulated guest each costs about 0.1 s (one cp and
  // one ldd per file took 50 s here, long enough to trip vitest's RPC timeout).
  for (const l of ['bin', 'lib', 'lib64', 'sbin']) {
    mkdirSync(join(root, 'usr', l), { recursive: true });
    symlinkSync(`usr/${l}`, join(root, l));
  }
  const listed = execFileSync('dpkg', ['-L', 'apt', 'dpkg', 'libapt-pkg6.0', 'tar', 'libc-bin'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.startsWith('/') && (!f.includes('/share/') || f.startsWith('/usr/share/dpkg/')) && !f.startsWith('/etc/'));
  const programs = listed.filter((f) => lstatSync(f, { throwIfNoEntry: false })?.isFile());
  // One ldd for every ELF file (it exits 1 when one of them is static: its output still lists the rest).
  const elf = programs.filter(isElf);
  const ldd = spawnSync('ldd', elf, { encoding: 'utf8', maxBuffer: 1 << 24 }).stdout;
  const libraries = [...new Set(ldd.match(/\/[^\s:]+(?=\s\(0x)/g) ?? [])];
  execFileSync('cp', ['--parents', '-L', ...programs, ...libraries, `${root}/`]);
  copyFileSync('/bin/busybox', join(root, 'usr/bin/busybox'));
  for (const applet of ['sh', 'rm', 'cat', 'ls', 'mkdir', 'diff', 'find', 'test']) {
    rmSync(join(root, 'usr/bin', applet), { force: true });
    symlinkSync('busybox', join(root, 'usr/bin', applet));
  }
  for (const d of ['tmp', 'var/tmp', 'root', 'proc', 'sys', 'dev', 'srv']) mkdirSync(join(root, d), { recursive: true });
  for (const d of ['tmp', 'var/tmp']) chmodSync(join(root, d), 0o1777);
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  cpSync(repo, join(root, 'srv/repo'), { recursive: true });
  for (const d of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/log/apt']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/apt/sources.list'), 'deb [trusted=yes] file:/srv/repo ./\n');
  writeFileSync(join(root, 'etc/apt/apt.conf.d/00sandbox'), 'APT::Sandbox::User "root";\n'); // no _apt user in this small root
  execFileSync('chroot', [root, 'apt-get', '-q', 'update'], { stdio: 'ignore' });
}

/** Whether `file` starts with the ELF magic. */
function isElf(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes Debian's dnf work on `root` (an rpm database there, zcp's plugin
 * directory under it) and returns the argv of `dnf -y ... ARGS` on it, with
 * `env` for extra variables. Debian's rpm keeps its database in ~/.rpmdb: dnf
 * (through rpm's macros in a HOME of its own, `home`) is told the standard
 * place, as on Fedora.
 */
export function initDnfRoot(root: string, home: string): { pluginDir: string; dnf: (args: string[], env?: string[]) => string[] } {
  execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '--initdb']);
  const pluginDir = join(root, 'usr/lib/python3/dist-packages/dnf-plugins');
  mkdirSync(pluginDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.rpmmacros'), '%_dbpath /var/lib/rpm\n');
  const options = ['-y', `--installroot=${root}`, '--releasever=12', '--disablerepo=*', '--setopt=reposdir=/dev/null', `--setopt=pluginpath=${pluginDir}`, `--setopt=pluginconfpath=${join(root, 'etc/dnf/plugins')}`, '--nogpgcheck'];
  return { pluginDir, dnf: (args, env = []) => [`HOME=${home}`, ...env, 'dnf', ...options, ...args] };
}

/** The names of the packages rpm has on `root` (its database in the standard place), sorted. */
export function rpmNames(root: string): string[] {
  return execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-qa', '--qf', '%{NAME}\\n'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort();
}
