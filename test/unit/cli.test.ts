import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

function zcp(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('zcp CLI (built in dist/)', () => {
  it('status exits 69 with the reason when ZFS is unavailable', async () => {
    const r = await zcp(['status'], { ZCP_LIBZFS_CORE: '/nonexistent/libzfs_core.so.3' });
    expect(r.code).toBe(69);
    expect(r.stdout).toMatch(/zfs: unavailable: libzfs_core is not installed/);
  });

  it('status without ZFS still tells the package manager and the config, or why the config is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zcp-status-'));
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, '{"keep": 5, "olderThan": "2w"}', { mode: 0o644 });
    const env = { ZCP_LIBZFS_CORE: '/nonexistent/libzfs_core.so.3', ZCP_CONFIG: cfg };
    const text = await zcp(['status'], env);
    expect(text.code).toBe(69);
    expect(text.stdout).toContain('packages: dpkg (at /)');
    expect(text.stdout).toContain(`config: ${cfg}: keep 5; olderThan 2w`);
    const body = JSON.parse((await zcp(['status', '--json'], env)).stdout);
    expect(body).toMatchObject({ zfs: { ok: false }, system: null, packageManager: 'dpkg', config: { file: cfg, present: true, settings: { keep: 5, olderThan: '2w' } } });
    writeFileSync(cfg, '{"kepp": 5}');
    const refused = JSON.parse((await zcp(['status', '--json'], env)).stdout);
    expect(refused.config).toEqual({ file: cfg, present: true, error: { code: 'BAD_CONFIG', message: expect.stringContaining('unknown key "kepp"') } });
    const missing = JSON.parse((await zcp(['status', '--json'], { ...env, ZCP_CONFIG: join(dir, 'none.json') })).stdout);
    expect(missing.config).toEqual({ file: join(dir, 'none.json'), present: false, settings: {} });
  });

  it('status --json gives a stable shape', async () => {
    const r = await zcp(['--json', 'status']);
    const body = JSON.parse(r.stdout) as { zfs: { ok: boolean; reason?: string } };
    expect(r.code).toBe(body.zfs.ok ? 0 : 69);
    expect(body.zfs.ok).toBe(existsSync('/dev/zfs'));
  });

  it('usage errors exit 2; --json usage errors are JSON', async () => {
    expect((await zcp(['frobnicate'])).code).toBe(2);
    const r = await zcp(['--json', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'USAGE', message: expect.stringMatching(/frobnicate/) } });
    expect((await zcp(['--help'])).stdout).toMatch(/usage: zcp/);
  });

  it('checks arguments and options before anything else: usage errors exit 2 in zcp\'s words, even without ZFS', async () => {
    const noZfs = { ZCP_LIBZFS_CORE: '/nonexistent/libzfs_core.so.3' };
    const cases: [string[], RegExp][] = [
      [['rollback', '--tid', 'abc'], /--tid takes a transaction number, not "abc"/],
      [['rollback', '--to', 'not a date'], /--to takes a date/],
      [['clone', 'zcp-1', 'bad;'], /"bad;" is not a boot environment name/],
      [['rollback'], /rollback takes one of: ID, --tid TID, --to DATE/],
      [['rollback', 'zcp-1', '--tid', '1'], /rollback takes one of/],
      [['list', '--keep', '3'], /--keep: not an option of zcp list/],
      [['status', '--yes'], /--yes: not an option of zcp status/],
      [['create', '--once', '--tid', '2'], /--tid, --once: not options of zcp create|--once, --tid: not options of zcp create/],
      [['list', '--frobnicate'], /^zcp: unknown option --frobnicate$/m],
      [['rollback', '--tid'], /^zcp: --tid needs a value$/m],
      [['list', '--json=yes'], /^zcp: --json takes no value$/m],
      [['prune', '--older-than', 'a while'], /an age is a number with h, d or w/],
      [['prune', '--keep', '1.5'], /--keep takes a whole number/],
      [['prune', '--min-free', 'lots'], /a size is a number with K, M, G or T/],
      [['undo', 'zcp-3'], /undo takes a TID/],
      [['show'], /expected one checkpoint id/],
      [['hook', 'install', 'yum'], /hooks exist for apt and dnf/],
      [['apt', 'frob'], /apt takes one of/],
      [['bench', 'tank', '0'], /ITERATIONS is a whole number/],
    ];
    for (const [args, message] of cases) {
      const r = await zcp(args, noZfs);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).not.toMatch(/ERR_PARSE_ARGS|To specify a positional/);
      expect(r.stderr).toMatch(new RegExp(`\\(zcp ${args[0]} --help for usage\\)|\\(zcp --help for usage\\)`));
    }
    // The same checks pass where the arguments are right: then ZFS is looked for (69 here).
    for (const args of [['rollback', '--tid', '3'], ['rollback', '--to', '2026-11-23 14:00'], ['clone', 'zcp-1', 'good'], ['list', '-H'], ['history', '-H'], ['prune', '--older-than', '30d', '--min-free', '10G', '--dry-run']]) {
      expect((await zcp(args, noZfs)).code, args.join(' ')).toBe(69);
    }
  });

  it('a malformed boot environment name is a usage error (exit 2) with the code INVALID_NAME', async () => {
    const r = await zcp(['clone', 'zcp-1', 'bad;', '--json'], { ZCP_LIBZFS_CORE: '/nonexistent/libzfs_core.so.3' });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'INVALID_NAME', message: expect.stringContaining('"bad;" is not a boot environment name') } });
  });

  it('--json always prints one JSON document: --version, --help, usage errors', async () => {
    const v = await zcp(['--version', '--json']);
    expect(JSON.parse(v.stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const h = await zcp(['list', '--help', '--json']);
    expect(JSON.parse(h.stdout).help).toMatch(/^usage: zcp list/);
    const u = await zcp(['list', '--keep', '1', '--json']);
    expect(u.code).toBe(2);
    expect(JSON.parse(u.stdout)).toEqual({ error: { code: 'USAGE', message: '--keep: not an option of zcp list' } });
  });

  it('dist/cli/main.js, the ES module that loads the bundle, is the same command (hooks an older zcp wrote run it)', () => {
    const shim = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    const run = (file: string, args: string[]) => spawnSync(process.execPath, [file, ...args], { encoding: 'utf8' });
    for (const args of [['--version', '--json'], ['list', '--keep', '1', '--json']]) {
      const [a, b] = [run(shim, args), run(cli, args)];
      expect([a.status, a.stdout, a.stderr], args.join(' ')).toEqual([b.status, b.stdout, b.stderr]);
    }
    expect(run(shim, ['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('help fits 80 columns and lists each command\'s own options with their units', async () => {
    for (const c of [undefined, 'status', 'create', 'list', 'show', 'diff', 'rollback', 'clone', 'activate', 'destroy', 'run', 'history', 'undo', 'prune', 'hold', 'release', 'repair', 'completion', 'apt', 'rpm', 'hook', 'bench']) {
      const text = (await zcp(c ? [c, '--help'] : ['--help'])).stdout;
      for (const line of text.split('\n')) expect(line.length, `${c ?? 'zcp'}: ${line}`).toBeLessThanOrEqual(80);
    }
    const prune = (await zcp(['prune', '--help'])).stdout;
    expect(prune).toMatch(/--older-than AGE +let go checkpoints older than AGE: 30d, 12h, 2w/);
    expect(prune).toMatch(/--min-free SIZE +let go the oldest until SIZE is free on each pool:\s+10G/);
    expect(prune).toMatch(/--keep N +keep the newest N checkpoints/);
    expect((await zcp(['list', '--help'])).stdout).toMatch(/--no-header, -H +no header line; columns separated by a tab/);
    expect((await zcp(['show', '--help'])).stdout).not.toMatch(/^options:$/m); // no options of its own
  });

  it('completion bash: a script bash accepts, completing commands and options', async () => {
    const script = (await zcp(['completion', 'bash'])).stdout;
    const complete = (words: string[]) =>
      execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _zcp; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).trim().split('\n');
    expect(complete(['zcp', 'ro'])).toEqual(['rollback']);
    expect(complete(['zcp', 'h'])).toEqual(['hold', 'history', 'hook']);
    expect(complete(['zcp', 'rollback', '--dr'])).toEqual(['--dry-run']);
    expect(complete(['zcp', 'completion', ''])).toEqual(['bash']);
    expect(complete(['zcp', 'apt', 'dist'])).toEqual(['dist-upgrade']);
    expect(complete(['zcp', 'apt', '--into'])).toEqual(['--into-clone']);
    expect((await zcp(['completion', 'fish'])).code).toBe(2);
    // An option's value is not the command; apt's packages as apt's own completion offers them.
    expect(complete(['zcp', '--dataset', 'rpool/ROOT/debian', 'li'])).toEqual(['list']);
    expect(complete(['zcp', '--root', '/mnt', '-m', 'title', 'create', '--dr'])).toEqual(['--dry-run']);
    expect(complete(['zcp', 'apt', '-m', 'x', 'install', 'dpkg-de'])).toContain('dpkg-dev');
    expect(complete(['zcp', 'apt', 'remove', 'dpkg-de'])).toEqual(['dpkg-dev']); // installed here by setup.sh
    expect(complete(['zcp', 'hook', ''])).toEqual(['install', 'remove']);
    expect(complete(['zcp', 'hook', 'install', ''])).toEqual(['apt', 'dnf']);
  });

  it('every command has help with examples; run needs a command', async () => {
    for (const c of ['status', 'create', 'list', 'show', 'diff', 'rollback', 'clone', 'activate', 'destroy', 'run', 'history', 'undo', 'prune', 'hold', 'release', 'repair', 'completion', 'apt', 'rpm', 'hook', 'bench']) {
      const r = await zcp([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(new RegExp(`^usage: zcp ${c}[\\s\\S]*examples:\\n  zcp ${c}`));
    }
    expect((await zcp(['run'])).code).toBe(2);
  });
});

describe('sizes and boot environment targets (host)', () => {
  it('parses sizes as zcp prune --min-free takes them', async () => {
    const { parseSize } = await import('../../src/cli/commands.js');
    expect(parseSize('10G')).toBe(10 * 2 ** 30);
    expect(parseSize('512M')).toBe(512 * 2 ** 20);
    expect(parseSize('1.5T')).toBe(1.5 * 2 ** 40);
    expect(parseSize('2KiB')).toBe(2048);
    expect(parseSize('100')).toBe(100);
    for (const bad of ['', 'G', '10Q', '-1G', '1e9']) expect(() => parseSize(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('puts each dataset of the system where a boot environment of it goes', async () => {
    const { cloneTargets } = await import('../../src/checkpoint/bootenv.js');
    expect(cloneTargets({ datasets: ['rpool/ROOT/debian', 'rpool/ROOT/debian/var', 'bpool/BOOT/debian'] }, 'be1')).toEqual(
      new Map([['rpool/ROOT/debian', 'rpool/ROOT/be1'], ['rpool/ROOT/debian/var', 'rpool/ROOT/be1/var'], ['bpool/BOOT/debian', 'bpool/BOOT/be1']]),
    );
    expect(cloneTargets({ datasets: ['tank'] }, 'be1')).toEqual(new Map([['tank', 'tank/be1']]));
  });
});
