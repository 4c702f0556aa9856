// compareDebVersions against `dpkg --compare-versions` itself, and against
// libdpkg's own compare linked into a small oracle (test/oracles) for tens of
// thousands of pairs; the addon's native compare is held to the same oracle.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addon } from '../../src/addon.js';
import { PkgdbError, pkgdb } from '../../src/index.js';
import { buildOracle } from '../oracles/build.js';

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

  it('agrees with libdpkg on 60,000 pairs: real versions, neighbours and variants (TypeScript and native)', () => {
    const versions = realVersions();
    let seed = 4242;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const pick = () => versions[rand(versions.length)]!;
    // Small edits that land on dpkg's corner cases: ~, +, trailing zeros, epochs, revisions.
    const variants = ['~', '~~', '+', '.0', '0', 'a', '-1', '-0', '~rc1', '+deb12u1', '^', '.'];
    const vary = (v: string) => (rand(3) === 0 ? `${rand(3)}:` : '') + v + variants[rand(variants.length)]!;
    const pairs: [string, string][] = [];
    for (let i = 0; i < 20_000; i++) {
      const k = rand(versions.length - 1);
      pairs.push([versions[k]!, versions[k + 1]!]);
      pairs.push([pick(), pick()]);
      const v = pick();
      pairs.push(rand(2) ? [v, vary(v)] : [vary(v), vary(v)]);
    }
    const out = execFileSync(buildOracle('dpkg-vercmp'), { input: pairs.map(([a, b]) => `${a}|${b}`).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 });
    const oracle = out.trim().split('\n');
    expect(oracle).toHaveLength(pairs.length);
    const answer = (f: (a: string, b: string) => number) => (a: string, b: string) => {
      try {
        return String(f(a, b));
      } catch {
        return 'E';
      }
    };
    const ts = answer(pkgdb.compareDebVersions);
    const native = answer((a, b) => addon().pkgdb.compareDebVersions(a, b));
    const wrong = pairs.filter(([a, b], i) => {
      const want = oracle[i]!.startsWith('E') ? 'E' : oracle[i];
      return ts(a, b) !== want || native(a, b) !== want;
    });
    expect(wrong).toEqual([]);
    expect(new Set(oracle)).toEqual(new Set(['-1', '0', '1']));
  }, 120_000);

  it('the libdpkg oracle itself agrees with the dpkg command', () => {
    const pairs: [string, string][] = [['1.0~rc1', '1.0'], ['1:0', '0:1'], ['', '0'], ['<unknown>', '~'], ['1.0', '1.0'], ['1.0a', '1.0+'], ['2', '10']];
    const out = execFileSync(buildOracle('dpkg-vercmp'), { input: pairs.map(([a, b]) => `${a}|${b}`).join('\n') + '\n', encoding: 'utf8' });
    expect(out.trim().split('\n').map(Number)).toEqual(dpkgCompare(pairs));
  });

  it('sorts the empty version (and <unknown>) below every other, as dpkg does', () => {
    expect(pkgdb.compareDebVersions('<unknown>', '0')).toBe(-1);
    expect(pkgdb.compareDebVersions('<unknown>', '')).toBe(0);
    expect(pkgdb.compareDebVersions('', '0')).toBe(-1);
    expect(pkgdb.compareDebVersions('~', '')).toBe(1);
    expect(pkgdb.compareDebVersions('', '')).toBe(0);
    expect(dpkgCompare([['', '0'], ['~~', ''], ['<unknown>', '0']])).toEqual([-1, 1, -1]);
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
