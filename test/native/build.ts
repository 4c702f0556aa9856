// Builds native/pkgdb (pure C++, no N-API) with clang and sanitizers, for the
// C++ unit tests and the libFuzzer targets. Rebuilds only when a source is
// newer than the binary.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
const PKGDB = join(ROOT, 'native/pkgdb');

/** ASan + UBSan, stopping at the first finding (UBSan otherwise only prints). */
export const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

function pkgdbSources(): string[] {
  return readdirSync(PKGDB).filter((f) => f.endsWith('.cc')).map((f) => join(PKGDB, f));
}

function newestInput(files: string[]): number {
  const headers = readdirSync(PKGDB).filter((f) => f.endsWith('.h')).map((f) => join(PKGDB, f));
  return Math.max(...[...files, ...headers].map((f) => statSync(f).mtimeMs));
}

/** Compiles `main` (and any extra sources) with all of native/pkgdb into `out`. */
export function buildWithPkgdb(out: string, main: string[], flags: string[]): string {
  const sources = [...main, ...pkgdbSources()];
  let fresh = false;
  try {
    fresh = statSync(out).mtimeMs >= newestInput(sources);
  } catch {
    // not built yet
  }
  if (!fresh) {
    mkdirSync(dirname(out), { recursive: true });
    execFileSync('clang++', ['-std=c++17', '-g', '-O1', '-Wall', '-Wextra', `-I${join(ROOT, 'native')}`, `-I${join(ROOT, 'test/native')}`, ...flags, '-o', out, ...sources], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  return out;
}
