/**
 * `npm run deb`: the Debian package of zcp, built with Debian's own tools
 * (dpkg-shlibdeps for the addon's library dependencies, dpkg-deb to pack it,
 * go-md2man for the man page), from the project's build. The tree mirrors the
 * npm package's, so the CLI finds its package.json and addon as it does there:
 *
 *   /usr/lib/zcp/package.json, dist/cli/main.cjs (the bundled CLI; main.js loads it,
 *     for hooks an older zcp wrote), build/Release/zcp.node
 *   /usr/sbin/zcp -> ../lib/zcp/dist/cli/main.cjs
 *   /usr/share/man/man8/zcp.8.gz, /usr/share/bash-completion/completions/zcp
 *   /lib/systemd/system/zcp-prune.{service,timer} (installed, not enabled)
 *   /usr/share/doc/zcp/ (copyright, changelog, an example config, the fleet playbook under examples/ansible)
 *
 * Depends on Debian 12's own nodejs (>= 18, the oldest Node zcp supports).
 * Writes .cache/deb/zcp_VERSION_ARCH.deb (or into `out`) and prints its path.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, '.cache', 'deb');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; description: string };
const sh = (cmd: string, args: string[], cwd = ROOT, stderr: 'inherit' | 'ignore' = 'inherit') => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', stderr] });
/** The package's maintainer field (and the changelog's): ZCP_DEB_MAINTAINER, for whoever builds it for their fleet. */
const MAINTAINER = process.env.ZCP_DEB_MAINTAINER ?? 'zcp developers <zcp@example.org>';

export function buildDeb(out = OUT): string {
  for (const built of ['dist/cli/main.cjs', 'dist/cli/main.js', 'build/Release/zcp.node']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is not built: run npm install first`);
  }
  const arch = sh('dpkg', ['--print-architecture']).trim();
  const stage = join(out, 'stage');
  rmSync(stage, { recursive: true, force: true });
  const put = (path: string, data: string | Buffer, mode = 0o644) => {
    const to = join(stage, path);
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    writeFileSync(to, data);
    chmodSync(to, mode);
  };

  // The program: what `npm run build` made (the bundle is one file; the addon stripped, as dh_strip would).
  const lib = 'usr/lib/zcp';
  put(`${lib}/package.json`, `${JSON.stringify({ name: 'zcp', version: pkg.version, type: 'module', private: true }, null, 2)}\n`);
  for (const f of ['main.cjs', 'main.js']) put(`${lib}/dist/cli/${f}`, readFileSync(join(ROOT, 'dist/cli', f)), 0o755);
  put(`${lib}/build/Release/zcp.node`, readFileSync(join(ROOT, 'build/Release/zcp.node')));
  sh('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', join(stage, lib, 'build/Release/zcp.node')]);
  mkdirSync(join(stage, 'usr/sbin'), { recursive: true });
  symlinkSync('../lib/zcp/dist/cli/main.cjs', join(stage, 'usr/sbin/zcp'));

  // What admins expect beside it.
  const man = sh('go-md2man', ['-in', join(ROOT, 'docs/zcp.8.md')]);
  put('usr/share/man/man8/zcp.8.gz', gzipSync(man, { level: 9 }));
  put('usr/share/bash-completion/completions/zcp', sh(process.execPath, [join(ROOT, 'dist/cli/main.cjs'), 'completion', 'bash']));
  for (const unit of ['zcp-prune.service', 'zcp-prune.timer']) put(`lib/systemd/system/${unit}`, readFileSync(join(ROOT, 'packaging/systemd', unit)));
  put('usr/share/doc/zcp/copyright', readFileSync(join(ROOT, 'packaging/debian/copyright')));
  put('usr/share/lintian/overrides/zcp', readFileSync(join(ROOT, 'packaging/debian/lintian-overrides')));
  put('usr/share/doc/zcp/examples/ansible/zcp-upgrade.yml', readFileSync(join(ROOT, 'packaging/ansible/zcp-upgrade.yml')));
  put('usr/share/doc/zcp/examples/config.json', `${JSON.stringify({ keep: 20, olderThan: '30d', minFree: '10G' }, null, 2)}\n`);
  const date = new Date().toUTCString().replace(/GMT$/, '+0000');
  const changelog = `zcp (${pkg.version}) unstable; urgency=medium\n\n  * Built from the zcp repository (npm run deb).\n\n -- ${MAINTAINER}  ${date}\n`;
  put('usr/share/doc/zcp/changelog.gz', gzipSync(changelog, { level: 9 }));

  // The addon's shared-library dependencies, as dpkg-shlibdeps reads them (libzfs_core is opened at run time: not among them).
  const work = join(out, 'shlibs');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'debian'), { recursive: true });
  writeFileSync(join(work, 'debian/control'), 'Source: zcp\n\nPackage: zcp\nArchitecture: any\n');
  // (--warnings=0: the napi_* symbols it can't place are node's own, resolved when node loads the addon.)
  const shlibs = sh('dpkg-shlibdeps', ['-O', '--warnings=0', join(stage, lib, 'build/Release/zcp.node')], work, 'ignore').trim().replace(/^shlibs:Depends=/, '');

  const size = Number(sh('du', ['-sk', '--apparent-size', stage]).split('\t')[0]);
  put('DEBIAN/control', [
    'Package: zcp',
    `Version: ${pkg.version}`,
    `Architecture: ${arch}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${size}`,
    `Depends: nodejs (>= 18), ${shlibs}`,
    'Recommends: zfsutils-linux',
    'Section: admin',
    'Priority: optional',
    'Description: undoable package-manager transactions with OpenZFS checkpoints',
    ' zcp takes one atomic ZFS checkpoint of the system\'s datasets before an',
    ' apt/dpkg or rpm/dnf transaction, shows what the transaction changed,',
    ' package by package, and rolls the system back in seconds: in place, or',
    ' by booting a boot environment cloned from the checkpoint.',
    ' .',
    ' This package has the zcp command, its man page, bash completion, and a',
    ' systemd timer for retention (installed, not enabled).',
    '',
  ].join('\n'));
  for (const script of ['prerm', 'postrm']) put(`DEBIAN/${script}`, readFileSync(join(ROOT, 'packaging/debian', script)), 0o755);

  const deb = join(out, `zcp_${pkg.version}_${arch}.deb`);
  sh('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb]);
  return deb;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${buildDeb()}\n`);
}
