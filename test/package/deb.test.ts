// The Debian package (npm run deb, scripts/build-deb.ts) as an admin gets it:
// lintian clean (the one override justified in packaging/debian), the files
// where Debian puts them, the CLI running from its tree on the oldest Node
// zcp supports with its addon, a man page that renders without a warning and
// names every command, option, config key and exit code, a completion bash
// reads, systemd units systemd accepts. (Installed with apt into the real
// Debian root and run there under its systemd: test/boot, step four.)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDeb } from '../../scripts/build-deb.js';
import { CONFIG_KEYS } from '../../src/checkpoint/index.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { EXIT } from '../../src/cli/output.js';
import { OPTIONS } from '../../src/cli/options.js';
import { ensureNode } from '../other-node.js';

let deb: string;
let tree: string;
const version = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./package.json"))'], { encoding: 'utf8' })).version as string;

beforeAll(() => {
  deb = buildDeb();
  tree = mkdtempSync(join(tmpdir(), 'zcp-deb-'));
  execFileSync('dpkg-deb', ['-x', deb, tree]);
}, 120_000);

describe('the Debian package', () => {
  it('is lintian clean', () => {
    const r = spawnSync('lintian', ['--fail-on', 'error,warning', deb], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('has the program, the man page, completion, the timer and the docs where Debian puts them; needs Debian 12\'s nodejs', () => {
    const files = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' }).split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter(Boolean);
    for (const f of ['./usr/lib/zcp/dist/cli/main.cjs', './usr/lib/zcp/dist/cli/main.js', './usr/lib/zcp/build/Release/zcp.node', './usr/lib/zcp/package.json', './usr/sbin/zcp -> ../lib/zcp/dist/cli/main.cjs', './usr/share/man/man8/zcp.8.gz', './usr/share/bash-completion/completions/zcp', './lib/systemd/system/zcp-prune.service', './lib/systemd/system/zcp-prune.timer', './usr/share/doc/zcp/copyright', './usr/share/doc/zcp/changelog.gz', './usr/share/doc/zcp/examples/ansible/zcp-upgrade.yml']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /\.map$|\/src\/|node_modules/.test(f))).toEqual([]);
    const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
    expect(control).toMatch(/^Depends: nodejs \(>= 18\), libc6/m);
    expect(control).toMatch(/^Version: /m);
    expect(readlinkSync(join(tree, 'usr/sbin/zcp'))).toBe('../lib/zcp/dist/cli/main.cjs');
  });

  it('runs from its own tree on Node 18, the addon loaded from it', () => {
    const node18 = ensureNode(18);
    expect(node18.ok, node18.ok ? '' : node18.reason).toBe(true);
    const cli = join(tree, 'usr/sbin/zcp');
    for (const node of [process.execPath, (node18 as { path: string }).path]) {
      expect(execFileSync(node, [cli, '--version'], { encoding: 'utf8' }).trim()).toBe(version);
      const st = spawnSync(node, [cli, 'status', '--json'], { encoding: 'utf8' });
      // No ZFS on this host: the addon itself loaded (its reason is libzfs_core's, not ADDON_UNAVAILABLE).
      expect(st.status).toBe(69);
      expect(JSON.parse(st.stdout).zfs).toMatchObject({ ok: false, reason: expect.stringMatching(/dev\/zfs|libzfs_core/) });
      expect(st.stdout).not.toContain('ADDON_UNAVAILABLE');
    }
  });

  it('has a man page that renders without a warning and names every command, option, config key and exit code', () => {
    const page = join(tree, 'usr/share/man/man8/zcp.8.gz');
    const r = spawnSync('man', ['--warnings', '-l', page], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const text = r.stdout.replace(/‐\n\s+/g, '').replace(/\s+/g, ' ');
    for (const c of Object.keys(COMMANDS)) expect(text, c).toMatch(new RegExp(`\\b${c}\\b`));
    for (const o of Object.keys(OPTIONS)) expect(text, o).toContain(`--${o}`);
    for (const k of CONFIG_KEYS) expect(text, k).toContain(k);
    for (const code of Object.values(EXIT)) expect(text, String(code)).toMatch(new RegExp(`EXIT STATUS.* ${code} `));
  });

  it('has a completion bash reads and units systemd accepts', () => {
    expect(spawnSync('bash', ['-n', join(tree, 'usr/share/bash-completion/completions/zcp')]).status).toBe(0);
    const units = ['zcp-prune.service', 'zcp-prune.timer'].map((u) => join(tree, 'lib/systemd/system', u));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8' });
    // The one complaint allowed: the program is not installed on this host.
    const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l && !/Command \/usr\/sbin\/zcp is not executable/.test(l));
    expect(said).toEqual([]);
  });
});
