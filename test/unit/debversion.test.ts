// compareDebVersions against `dpkg --compare-versions` itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PkgdbError, pkgdb } from '../../src/index.js';

/** dpkg's answer for many pairs from one shell (one or two dpkg runs per pair); "|" never occurs in a version. */
function dpkgCompare(pairs: [string, string][]): number[] {
  const script = 'while IFS="|" read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done';
  const out = execFileSync('sh', ['-c', script], { input: pairs.map(([a, b]) => `${a}|${b}`).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.trim().split('\n').map(Number);
}

function realVersions(): string[] {
  const lists = readdirSync('/var/lib/apt/lists').filter((f) => /_Packages(\.\w+)?$/.test(f));
  const set = new Set<string>();
  for (const f of lists) {
    const text = execFileSync('/usr/lib/apt/apt-helper', ['cat-file', `/var/lib/apt/lists/${f}`], { maxBuffer: 1 << 30 });
    for (const p of pkgdb.parseDpkgStatus(text)) set.add(p.version);
  }
  return [...set].sort();
}

describe('compareDebVersions', () => {
  it('agrees with dpkg on the hard cases', () => {
    const hard: [string, string][] = [
      ['1.0~rc1', '1.0'], ['1.0~~', '1.0~'], ['1.0~', '1.0'], ['1.0', '1.0+'], ['1.0a', '1.0+'], ['1.0', '1.0a'],
      ['1:1.0', '2.0'], ['0:1.0', '1.0'], ['1.0-1', '1.0-1.1'], ['1.0-1', '1.0'], ['1.00', '1.0'], ['1.0.0', '1.0'],
      ['2.0-1ubuntu1', '2.0-1'], ['1.2.3-4+deb12u1', '1.2.3-4'], ['10', '9'], ['1a', '1B'], ['a', 'b'], ['1-1-1', '1-1'],
      ['1.0-0', '1.0'], ['7.4.052-1', '7.4.52-1'], ['1.0^', '1.0'], ['1:0', '0:1'], ['1.0-~', '1.0-'.concat('0')],
    ];
    const oracle = dpkgCompare(hard);
    expect(hard.map(([a, b]) => pkgdb.compareDebVersions(a, b))).toEqual(oracle);
  });

  it('agrees with dpkg on 2,000 pairs of real versions from the apt lists', () => {
    const versions = realVersions();
    expect(versions.length).toBeGreaterThan(10_000);
    let seed = 777;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const pairs: [string, string][] = [];
    // Half neighbours in sort order (close calls), half random.
    for (let i = 0; i < 1000; i++) {
      const k = rand(versions.length - 1);
      pairs.push([versions[k]!, versions[k + 1]!]);
      pairs.push([versions[rand(versions.length)]!, versions[rand(versions.length)]!]);
    }
    const oracle = dpkgCompare(pairs);
    const ours = pairs.map(([a, b]) => pkgdb.compareDebVersions(a, b));
    const wrong = pairs.filter((_, i) => ours[i] !== oracle[i]);
    expect(wrong).toEqual([]);
  }, 120_000);

  it('sorts the empty version below every other, as dpkg does', () => {
    expect(pkgdb.compareDebVersions('', '0')).toBe(-1);
    expect(pkgdb.compareDebVersions('~', '')).toBe(1);
    expect(pkgdb.compareDebVersions('', '')).toBe(0);
    expect(dpkgCompare([['', '0'], ['~~', '']])).toEqual([-1, 1]);
  });

  it('rejects what dpkg rejects, with dpkg\'s reason', () => {
    for (const [bad, why] of [
      ['  ', /empty/],
      ['1 0', /embedded spaces/],
      [':1.0', /epoch in version is empty/],
      ['a:1.0', /epoch in version is not number/],
      ['1:', /nothing after colon/],
      ['1.0-', /revision number is empty/],
    ] as const) {
      expect(() => pkgdb.compareDebVersions(bad, '1.0'), bad).toThrow(PkgdbError);
      expect(() => pkgdb.compareDebVersions(bad, '1.0')).toThrow(why);
      // dpkg also refuses it (exit 2 with "bad syntax").
      const r = spawnSync('dpkg', ['--compare-versions', bad, 'lt', '1.0'], { encoding: 'utf8' });
      expect(r.status, bad).toBe(2);
    }
  });
});
