// The npm package as a Node developer gets it: `npm pack` from the sources
// (its prepack builds the bundle and the prebuilt addon), then `npm install`
// of that tarball on a machine with no compiler: PATH holds only node and sh,
// so node-gyp-build's fallback (a source build) can't run and the addon must
// load from prebuilds/. The same install without prebuilds/ fails, which
// shows the machine really had no way to compile.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'zcp-npm-'));
const npmCli = join(dirname(realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())), 'npm-cli.js');
/** The PATH of the installs: node and sh only, no cc, g++, make or python3. */
const bareBin = join(work, 'bin');
let tarball: string;
/** Where npm pack ran: a developer's tree, which packing must leave built. */
let packedTree: string;

/** npm install of a tarball into a new app folder, with nothing on PATH but node and sh. */
function installBare(tgz: string, app: string) {
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const env = { HOME: process.env.HOME ?? '/root', PATH: bareBin, CC: '/bin/false', CXX: '/bin/false' };
  const install = spawnSync(process.execPath, [npmCli, 'install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tgz], { cwd: app, env, encoding: 'utf8' });
  return { install, env };
}

beforeAll(() => {
  // The tracked sources, as a fresh clone has them, with this tree's node_modules.
  const src = join(work, 'src');
  mkdirSync(src);
  for (const f of execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean)) {
    cpSync(join(ROOT, f), join(src, f), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
  const pack = spawnSync('npm', ['pack', '--pack-destination', work], { cwd: src, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  packedTree = src;
  mkdirSync(bareBin);
  symlinkSync(process.execPath, join(bareBin, 'node'));
  symlinkSync('/bin/sh', join(bareBin, 'sh'));
}, 180_000);

describe('the npm tarball', () => {
  it('carries a prebuilt addon for linux-x64', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files.filter((f) => f.startsWith('package/prebuilds/'))).toEqual(['package/prebuilds/linux-x64/zcp.glibc.node']);
    expect(files.filter((f) => f.startsWith('package/build/'))).toEqual([]);
    // prebuildify moves the addon it built out of build/Release; prepack builds it back.
    expect(existsSync(join(packedTree, 'build/Release/zcp.node'))).toBe(true);
  });

  it('installs without a compiler and loads the prebuilt addon', () => {
    const app = join(work, 'app');
    const { install, env } = installBare(tarball, app);
    expect(install.status, install.stdout + install.stderr).toBe(0);
    expect(readdirSync(join(app, 'node_modules/zcp'))).not.toContain('build'); // nothing was compiled
    const lib = spawnSync('node', ['--input-type=module', '-e', "import { zfs } from 'zcp'; console.log(JSON.stringify(await zfs.available()))"], { cwd: app, env, encoding: 'utf8' });
    expect(lib.status, lib.stderr).toBe(0);
    // No ZFS on this host: the addon itself loaded (its reason is /dev/zfs or libzfs_core, not ADDON_UNAVAILABLE).
    expect(JSON.parse(lib.stdout)).toMatchObject({ ok: false, reason: expect.stringMatching(/dev\/zfs|libzfs_core/) });
    const cli = spawnSync(join(app, 'node_modules/.bin/zcp'), ['--version'], { cwd: app, env, encoding: 'utf8' });
    expect(cli.stdout.trim(), cli.stderr).toMatch(/^\d+\.\d+\.\d+$/);
  }, 120_000);

  it('without the prebuilt addon, the same install fails: this machine could not compile', () => {
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    rmSync(join(unpacked, 'package/prebuilds'), { recursive: true });
    const bare = join(work, 'zcp-no-prebuilds.tgz');
    execFileSync('tar', ['czf', bare, '-C', unpacked, 'package']);
    const { install } = installBare(bare, join(work, 'app-no-prebuilds'));
    expect(install.status).not.toBe(0);
    expect(install.stdout + install.stderr).toMatch(/node-gyp|python|make|ENOENT/i);
  }, 120_000);
});
