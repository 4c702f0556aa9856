// compareRpmVersions / compareRpmEVR against rpm's own comparison (rpm.vercmp
// in rpm's Lua), thousands of pairs in one rpm process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRpmVersionsTs } from '../../src/pkgdb/rpmversion.js';
import { pkgdb } from '../../src/index.js';
import { rpmdbFixtures } from '../shared-fixtures.js';

function rpmVercmp(pairs: [string, string][]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'zcp-vercmp-'));
  try {
    const file = join(dir, 'pairs');
    writeFileSync(file, pairs.map(([a, b]) => `${a}|${b}`).join('\n') + '\n');
    const lua = `%{lua: for l in io.lines("${file}") do local a, b = l:match("^(.*)|(.*)$"); io.write(rpm.vercmp(a, b), "\\n") end}`;
    return execFileSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sign = (n: number) => Math.sign(n);

describe('RPM version comparison', () => {
  it('agrees with rpm on the hard cases', () => {
    const hard: [string, string][] = [
      ['1.0', '1.0'], ['1.0', '1.1'], ['1.0~rc1', '1.0'], ['1.0~rc1', '1.0~rc2'], ['1.0~~', '1.0~'], ['1.0^git1', '1.0'],
      ['1.0^git1', '1.0.1'], ['1.0^git1', '1.0^git2'], ['1.0^', '1.0~'], ['1.0a', '1.0'], ['1.0a', '1.0.1'], ['1.a', '1.1'],
      ['010', '10'], ['1.01', '1.1'], ['1_0', '1.0'], ['1..0', '1.0'], ['a', 'B'], ['1.0+', '1.0'], ['2.0^git1', '2.0~rc1'],
      ['1:1.0-1', '2.0-1'], ['1.0-1', '1.0-1.el9'], ['0:1.0-1', '1.0-1'], ['1.0-1', '1.0'], ['2.3.4-5.el9', '2.3.4-5.el8'],
      ['12345678901234567890', '12345678901234567891'], ['1.0.0', '1.0'], ['1~', '1'], ['1^', '1'], ['1^~', '1^'],
    ];
    const oracle = rpmVercmp(hard);
    expect(hard.map(([a, b]) => pkgdb.compareRpmEVR(a, b))).toEqual(oracle.map(sign));
  });

  it('agrees with rpm on 5,000 pairs from real and generated versions', () => {
    const fixture = readFileSync(join(rpmdbFixtures(), 'expected.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .flatMap(([, e, v, r]) => [v!, r!, `${e ? `${e}:` : ''}${v}-${r}`]);
    const dpkg = execFileSync('dpkg-query', ['-W', '-f', '${Version}\\n'], { encoding: 'utf8' }).trim().split('\n');
    const base = [...new Set([...fixture, ...dpkg])].filter((v) => !v.includes('|'));
    let seed = 99;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const variants = ['', '~rc1', '^git20240101', '.1', 'a', '~', '^', '-1', '.0'];
    const pick = () => base[rand(base.length)]! + variants[rand(variants.length)]!;
    const pairs: [string, string][] = [];
    for (let i = 0; i < 5000; i++) {
      const a = pick();
      pairs.push([a, rand(4) === 0 ? a + variants[rand(variants.length)]! : pick()]);
    }
    const oracle = rpmVercmp(pairs).map(sign);
    const ours = pairs.map(([a, b]) => pkgdb.compareRpmEVR(a, b));
    expect(pairs.filter((_, i) => ours[i] !== oracle[i])).toEqual([]);
    // Plain version strings (no epoch, no release): rpmvercmp itself, TypeScript and the addon's native one.
    const plain = pairs.map(([a, b]): [string, string] => [a.replace(/[-:]/g, '.'), b.replace(/[-:]/g, '.')]);
    const plainOracle = rpmVercmp(plain).map(sign);
    expect(plain.filter(([a, b], i) => pkgdb.compareRpmVersions(a, b) !== plainOracle[i])).toEqual([]);
    expect(plain.filter(([a, b], i) => compareRpmVersionsTs(a, b) !== plainOracle[i])).toEqual([]);
  });

  it('compares single version strings with rpmvercmp and EVR objects field by field', () => {
    expect(pkgdb.compareRpmVersions('1.0~rc1', '1.0')).toBe(-1);
    expect(pkgdb.compareRpmVersions('5.el9', '5.el10')).toBe(-1);
    expect(pkgdb.compareRpmEVR({ epoch: 1, version: '1.0', release: '1' }, { version: '9.9', release: '9' })).toBe(1);
    expect(pkgdb.parseRpmEVR('3:2.0^git1-1.fc38')).toEqual({ epoch: '3', version: '2.0^git1', release: '1.fc38' });
  });
});
