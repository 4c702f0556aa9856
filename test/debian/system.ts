/**
 * The real Debian root in the guest as the tests see it: zcp run on it (by
 * its root only: zcp finds the datasets itself), its own tools run inside it
 * with chroot, dpkg-query as the oracle, and what two tree digests differ in.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Run, spawnAsync } from '../zfs/helpers.js';
import { ALTROOT } from './layout.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

/** `zcp --root /mnt/deb ARGS`: no --dataset, so zcp finds the system at that root itself. */
export function zcp(args: string[], input = '', env?: NodeJS.ProcessEnv): Promise<Run> {
  return spawnAsync(process.execPath, [CLI, '--root', ALTROOT, ...args], input, env);
}

// Every command here runs without blocking the test's worker: under the emulator one can take minutes, past vitest's 60 s RPC timeout.
const execFileAsync = promisify(execFile);

/** A command of the root's own, inside it (chroot), its stdout. */
export async function inRoot(...argv: string[]): Promise<string> {
  return (await execFileAsync('chroot', [ALTROOT, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 })).stdout;
}

/** The root's dpkg-query (the oracle): `name:arch version status` of every package it lists, sorted. */
export async function dpkgQuery(admindir = `${ALTROOT}/var/lib/dpkg`): Promise<string[]> {
  const { stdout: out } = await execFileAsync('dpkg-query', [`--admindir=${admindir}`, '-W', '-f', '${Package}:${Architecture} ${Version} ${db:Status-Abbrev}\n'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.split('\n').filter(Boolean).map((l) => l.trimEnd()).sort();
}

/** What changed from one dpkg-query listing to another, as zcp diff states it: name:arch lists and version changes. */
export function listingDiff(before: string[], after: string[]) {
  // Present on the system: dpkg's state letter (the second of Status-Abbrev) is not n (not-installed) or c (config-files).
  const parse = (l: string[]) => new Map(l.map((x) => x.split(' ')).filter((w) => /^[iUFHWt]$/.test(w[2]?.[1] ?? '')).map((w) => [w[0]!, w[1]!] as const));
  const a = parse(before);
  const b = parse(after);
  return {
    installed: [...b.keys()].filter((k) => !a.has(k)).sort(),
    removed: [...a.keys()].filter((k) => !b.has(k)).sort(),
    changed: [...b].filter(([k, v]) => a.has(k) && a.get(k) !== v).map(([k, v]) => `${k} ${a.get(k)} ${v}`).sort(),
  };
}

/** The lines two digests differ in (for a readable failure). */
export function digestDifference(a: string, b: string): string[] {
  const x = new Set(a.split('\n'));
  const y = new Set(b.split('\n'));
  return [...[...x].filter((l) => !y.has(l)).map((l) => `- ${l}`), ...[...y].filter((l) => !x.has(l)).map((l) => `+ ${l}`)].slice(0, 40);
}

export const json = <T = Record<string, unknown>>(r: Run): T => JSON.parse(r.stdout) as T;

// In layout.ts (no vitest there): the apt benchmark enters the root too.
export { enterable } from './layout.js';
