// Builds a C oracle from test/oracles into .cache/oracles (again when its
// source is newer), linked against the real library it wraps.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const HERE = import.meta.dirname;
const OUT = join(HERE, '../../.cache/oracles');

const LIBRARIES: Record<string, string> = { 'dpkg-vercmp': 'libdpkg' };

export function buildOracle(name: string): string {
  const source = join(HERE, `${name}.c`);
  const binary = join(OUT, name);
  let fresh = false;
  try {
    fresh = statSync(binary).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    // not built yet
  }
  if (!fresh) {
    mkdirSync(OUT, { recursive: true });
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', LIBRARIES[name]!], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
    execFileSync('cc', ['-O2', '-Wall', '-o', binary, source, ...flags], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return binary;
}
