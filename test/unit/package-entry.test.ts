// zcp is an ES module; `engines` says Node 18. require('zcp') works where
// Node can require an ES module (20.19 on), and on Node 18 says why in one
// line (require.cjs) instead of Node's ERR_REQUIRE_ESM trace. This file runs
// under each Node of npm test (18, 20, 24).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the package entry', () => {
  it('imports as ESM, and require() works or says why in one line', () => {
    const node = (code: string, type = 'commonjs') => spawnSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: ROOT, encoding: 'utf8' });
    expect(node("import { Checkpoints, zfs } from 'zcp'; console.log(typeof Checkpoints, typeof zfs.snapshot)", 'module').stdout.trim()).toBe('function function');
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const r = node("console.log(typeof require('zcp').Checkpoints)");
    if (major > 20 || (major === 20 && minor >= 19)) {
      expect(r.stdout.trim(), r.stderr).toBe('function');
    } else {
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/^Error: zcp is an ES module: use import \{ Checkpoints \} from 'zcp' \(or await import\('zcp'\)\); require\('zcp'\) works from Node 20\.19 on$/m);
    }
    expect(JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).engines.node).toBe('>=18');
  });

  it('packs what users run: no source maps, the CLI as its one bundle', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/cli/')).sort()).toEqual(['dist/cli/main.cjs', 'dist/cli/main.js']);
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'require.cjs', 'binding.gyp', 'package.json']) expect(files, f).toContain(f);
  }, 60_000);
});
