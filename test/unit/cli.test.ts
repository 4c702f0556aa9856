import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

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
