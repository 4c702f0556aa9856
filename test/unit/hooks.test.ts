// The package-manager hooks on the host, where there is no ZFS: installed
// into a root in a temporary directory, driven by real apt-get and dpkg.
// A hook must never stop the package manager: here zcp can only warn.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { realDirectory } from '../../src/fs/in-root.js';
import { brokenPackages } from '../../src/hooks/apt.js';
import { readDpkgStatus } from '../../src/pkgdb/dpkg.js';
import { aptRepository, buildDeb, dpkg, initAptRoot, initDpkgRoot, writeAptConfig } from '../support/systems.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

function run(program: string, args: string[], env: Record<string, string> = {}, cwd?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(program, args, { env: { ...process.env, ...env }, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}
const zcp = (args: string[]) => run(process.execPath, [cli, ...args]);

let root: string;
let aptConfig: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'zcp-hookroot-'));
  initDpkgRoot(root);
  initAptRoot(root, aptRepository([buildDeb('hooked', '1.0', { 'usr/share/hooked/v': '1\n' }), buildDeb('hooked', '2.0', { 'usr/share/hooked/v': '2\n' }, 'exit 1')]));
  aptConfig = writeAptConfig(root, join(root, 'apt-test.conf'));
});

describe('hooks (host: no ZFS here)', () => {
  it('installs the apt hook; apt runs with it and goes on with one warning when ZFS is missing; remove takes it away', async () => {
    const path = join(root, 'etc/apt/apt.conf.d/80zcp');
    expect((await zcp(['hook', 'install', 'apt', '--root', root, '--dry-run'])).stdout).toBe(`would write ${path}\n`);
    expect(existsSync(path)).toBe(false);
    expect((await zcp(['hook', 'install', 'apt', '--root', root])).code).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^DPkg::Pre-Invoke \{ "\[ -z \$ZCP_TRANSACTION \] && '.*node.*' '.*dist\/cli\/main\.cjs' '--root' '.*' hook pre apt \|\| true"; \};$/m);
    expect(text).toMatch(/^DPkg::Post-Invoke \{ ".* hook post apt \|\| true"; \};$/m);
    // apt itself parses the snippet: apt-config shows the hook as apt will run it.
    const dump = execFileSync('apt-config', ['dump', 'DPkg::Pre-Invoke'], { env: { ...process.env, APT_CONFIG: aptConfig }, encoding: 'utf8' });
    expect(dump).toContain('hook pre apt || true');

    const r = await run('apt-get', ['-y', 'install', 'hooked=1.0'], { APT_CONFIG: aptConfig });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/^zcp: warning: no checkpoint before this apt run: ZFS is not usable here/gm)).toHaveLength(1);
    expect(r.stderr.match(/^zcp: warning: this apt run was not recorded/gm)).toHaveLength(1);
    expect(readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8')).toMatch(/Package: hooked\nStatus: install ok installed/);
    // A zcp-made transaction (ZCP_TRANSACTION set) is left alone: not even a warning.
    const inside = await run('apt-get', ['-y', '--reinstall', 'install', 'hooked=1.0'], { APT_CONFIG: aptConfig, ZCP_TRANSACTION: '7' });
    expect(inside.code).toBe(0);
    expect(inside.stderr).not.toContain('zcp:');

    expect((await zcp(['hook', 'remove', 'apt', '--root', root])).stdout).toBe(`removed ${path}\n`);
    expect(existsSync(path)).toBe(false);
    expect((await zcp(['hook', 'remove', 'apt', '--root', root])).stdout).toBe(`no zcp apt hook under ${root}\n`);
  });

  it('never overwrites or removes a file it did not write', async () => {
    const other = mkdtempSync(join(tmpdir(), 'zcp-hookother-'));
    mkdirSync(join(other, 'etc/apt/apt.conf.d'), { recursive: true });
    writeFileSync(join(other, 'etc/apt/apt.conf.d/80zcp'), 'APT::Get::Assume-Yes "true";\n');
    const r = await zcp(['hook', 'install', 'apt', '--root', other, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'HOOK_CONFLICT', message: expect.stringContaining("exists and is not zcp's"), subject: expect.stringMatching(/80zcp$/) } });
    expect((await zcp(['hook', 'remove', 'apt', '--root', other])).code).toBe(0);
    expect(readFileSync(join(other, 'etc/apt/apt.conf.d/80zcp'), 'utf8')).toBe('APT::Get::Assume-Yes "true";\n');
    expect((await zcp(['hook', 'install', 'yum', '--root', other])).code).toBe(2);
  });

  it('a % in the root path stays a %: apt decodes %27 to a quote, the hook writes %25 (apt-config and a real apt run)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'zcp-pct-'));
    const evil = join(base, "r%27;touch pwned;%27");
    mkdirSync(evil);
    initDpkgRoot(evil);
    initAptRoot(evil, aptRepository([buildDeb('pct', '1.0', { 'usr/share/pct/v': '1\n' })]));
    const conf = writeAptConfig(evil, join(base, 'apt.conf'));
    expect((await zcp(['hook', 'install', 'apt', '--root', evil])).code).toBe(0);
    const dump = execFileSync('apt-config', ['dump', 'DPkg::Pre-Invoke'], { env: { ...process.env, APT_CONFIG: conf }, encoding: 'utf8' });
    expect(dump).toContain(`'--root' '${evil}' hook pre apt`);
    const cwd = mkdtempSync(join(tmpdir(), 'zcp-pctcwd-'));
    const r = await run('apt-get', ['-y', 'install', 'pct'], { APT_CONFIG: conf }, cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/zcp: warning: no checkpoint before this apt run/);
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
  });

  it('never writes through a symbolic link inside the root: a linked file or directory is refused, its target untouched', async () => {
    const victim = mkdtempSync(join(tmpdir(), 'zcp-victim-'));
    writeFileSync(join(victim, 'secret'), 'root only\n');
    // The hook file itself a link to a root-only file.
    const a = mkdtempSync(join(tmpdir(), 'zcp-linkfile-'));
    mkdirSync(join(a, 'etc/apt/apt.conf.d'), { recursive: true });
    symlinkSync(join(victim, 'secret'), join(a, 'etc/apt/apt.conf.d/80zcp'));
    const ra = await zcp(['hook', 'install', 'apt', '--root', a, '--json']);
    expect(JSON.parse(ra.stdout)).toMatchObject({ error: { code: 'UNSAFE_PATH' } });
    // A directory on the way a link out of the root.
    const b = mkdtempSync(join(tmpdir(), 'zcp-linkdir-'));
    mkdirSync(join(b, 'etc/apt'), { recursive: true });
    symlinkSync(victim, join(b, 'etc/apt/apt.conf.d'));
    const rb = await zcp(['hook', 'install', 'apt', '--root', b, '--json']);
    expect(JSON.parse(rb.stdout)).toMatchObject({ error: { code: 'UNSAFE_PATH' } });
    expect(readdirSync(victim)).toEqual(['secret']);
    expect(readFileSync(join(victim, 'secret'), 'utf8')).toBe('root only\n');
    // Mount targets are checked the same way (a planted dev -> /etc in a root entered with chroot).
    const c = mkdtempSync(join(tmpdir(), 'zcp-linkmnt-'));
    symlinkSync(victim, join(c, 'dev'));
    expect(() => realDirectory(c, 'dev/pts')).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
    expect(realDirectory(c, 'proc')).toBe(join(c, 'proc'));
    expect(readdirSync(victim)).toEqual(['secret']);
  });

  it('knows a failed dpkg run by the packages it left half-done, as dpkg --audit does', async () => {
    const r = mkdtempSync(join(tmpdir(), 'zcp-broken-'));
    initDpkgRoot(r);
    expect(dpkg(r, '-i', buildDeb('fine', '1', { 'usr/share/fine/v': '1\n' }))).toBe(0);
    expect(dpkg(r, '-i', buildDeb('bad', '1', { 'usr/share/bad/v': '1\n' }, 'exit 1'))).not.toBe(0);
    const broken = brokenPackages(await readDpkgStatus(r)).map((p) => `${p.name} ${p.status!.state}`);
    expect(broken).toEqual(['bad half-configured']);
    const audit = execFileSync('dpkg', [`--root=${r}`, '--audit'], { encoding: 'utf8' });
    expect(audit).toMatch(/^ bad +/m);
    expect(audit).not.toMatch(/^ fine +/m);
  });

  it('writes a dnf plugin (valid Python; the guest test runs it in real dnf) and its config, into the root\'s plugin path', async () => {
    const r = mkdtempSync(join(tmpdir(), 'zcp-dnfroot-'));
    mkdirSync(join(r, 'usr/lib/python3/dist-packages/dnf-plugins'), { recursive: true });
    expect((await zcp(['hook', 'install', 'dnf', '--root', r])).code).toBe(0);
    const plugin = readFileSync(join(r, 'usr/lib/python3/dist-packages/dnf-plugins/zcp.py'), 'utf8');
    expect(plugin).toContain('class Zcp(dnf.Plugin)');
    execFileSync('/usr/bin/python3', ['-c', `import ast,sys; ast.parse(open(sys.argv[1]).read())`, join(r, 'usr/lib/python3/dist-packages/dnf-plugins/zcp.py')]);
    expect(readFileSync(join(r, 'etc/dnf/plugins/zcp.conf'), 'utf8')).toContain('enabled=1');
    expect((await zcp(['hook', 'remove', 'dnf', '--root', r])).code).toBe(0);
    expect(existsSync(join(r, 'etc/dnf/plugins/zcp.conf'))).toBe(false);
    const none = await zcp(['hook', 'install', 'dnf', '--root', mkdtempSync(join(tmpdir(), 'zcp-nodnf-'))]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no dnf plugin directory under .* \(is dnf installed\?\)/);
  });

  it('zcp rpm stands in for rpm: without ZFS it warns once and runs rpm anyway, with rpm\'s exit status', async () => {
    const r = await zcp(['rpm', '--', '--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(execFileSync('rpm', ['--version'], { encoding: 'utf8' }));
    expect(r.stderr.match(/^zcp: warning: no checkpoint before this rpm run: ZFS is not usable here/gm)).toHaveLength(1);
    const bad = await zcp(['rpm', '--', '-q', 'no-such-package-here', '--dbpath', mkdtempSync(join(tmpdir(), 'zcp-emptydb-'))]);
    expect(bad.code).toBe(1);
  });
});
