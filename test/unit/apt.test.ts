// What zcp asks apt before an apt transaction, checked against real apt-get,
// apt-cache and dpkg-deb on a root in a temporary directory (no ZFS needed).
import { execFileSync } from 'node:child_process';
import { lutimesSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { aptProgram, hasOwnApt } from '../../src/apt/command.js';
import { AptError, describePlan, planApt, sweepStaleScratch } from '../../src/apt/plan.js';
import { APT_TEST_OPTIONS, aptRepository, buildDeb, dpkg, initAptRoot, initDpkgRoot, treeDigest } from '../support/systems.js';

let root: string;
let debs: Record<string, string>;
beforeAll(() => {
  debs = {
    old: buildDeb('tool', '1.0', { 'usr/share/tool/v': '1\n' }),
    new: buildDeb('tool', '1.1', { 'usr/share/tool/v': '1.1\n'.repeat(2000) }, undefined, 'Installed-Size: 12\n'),
    libc: buildDeb('libc6', '9.9', { 'usr/share/libc6/v': 'x\n' }, undefined, 'Installed-Size: 5\n'),
    gone: buildDeb('gone', '1', { 'usr/share/gone/v': 'x\n' }),
  };
  root = mkdtempSync(join(tmpdir(), 'zcp-aptroot-'));
  initDpkgRoot(root);
  initAptRoot(root, aptRepository(Object.values(debs)));
  expect(dpkg(root, '-i', debs.old!, debs.gone!)).toBe(0);
});

describe('asking apt (real apt-get on a temporary root)', () => {
  it('plans an upgrade, an install and a removal as apt-get -s says, with sizes from apt-cache, writing nothing', async () => {
    const before = treeDigest(root);
    const plan = await planApt('install', ['tool', 'libc6', 'gone-', ...APT_TEST_OPTIONS], root);
    expect(plan.install).toEqual([
      { name: 'libc6', version: '9.9', architecture: 'all', size: statSync(debs.libc!).size, installedSize: 5 * 1024 },
      { name: 'tool', version: '1.1', from: '1.0', architecture: 'all', size: statSync(debs.new!).size, installedSize: 12 * 1024 },
    ]);
    expect(plan.remove).toEqual([{ name: 'gone', version: '1', purge: false }]);
    expect(plan.touches).toEqual(['libc']);
    expect(plan.needBytes).toBe(plan.install.reduce((n, p) => n + p.size! + p.installedSize!, 0));
    expect(describePlan(plan)).toEqual(['install 1: libc6 9.9', 'replace 1: tool 1.0 -> 1.1', 'remove 1: gone']);
    expect(treeDigest(root)).toBe(before); // no eipp log, no cache files, no lock left
    // The same packages as dpkg's own view after a real run would show: the versions are apt's.
    expect(execFileSync('dpkg-deb', ['-f', debs.new!, 'Version'], { encoding: 'utf8' }).trim()).toBe(plan.install[1]!.version);
  });

  it('reads purges and nothing-to-do; an unknown package is apt\'s error with apt\'s exit status', async () => {
    const purge = await planApt('purge', ['gone', ...APT_TEST_OPTIONS], root);
    expect(purge.remove).toEqual([{ name: 'gone', version: '1', purge: true }]);
    expect((await planApt('upgrade', APT_TEST_OPTIONS, root)).install.map((p) => `${p.name} ${p.from} -> ${p.version}`)).toEqual(['tool 1.0 -> 1.1']);
    const e = await planApt('install', ['no-such-thing', ...APT_TEST_OPTIONS], root).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AptError);
    expect((e as AptError).exitCode).toBe(100);
    expect((e as AptError).message).toContain('Unable to locate package no-such-thing');
  });

  it('runs the host apt pointed at a root without apt, and chroots into one with its own', () => {
    expect(hasOwnApt(root)).toBe(false);
    expect(aptProgram(root, 'apt-get')).toEqual(['apt-get', '-o', `Dir=${root}`, '-o', `Dir::State::status=${root}/var/lib/dpkg/status`, '-o', `DPkg::Options::=--root=${root}`]);
    expect(aptProgram('/', 'apt-cache')).toEqual(['apt-cache']);
    expect(hasOwnApt('/')).toBe(true);
  });
});

describe('scratch directories a killed plan left', () => {
  it('are swept once a day old: only real directories by that name, their links unlinked and never followed', () => {
    const run = mkdtempSync(join(tmpdir(), 'zcp-run-'));
    const outside = mkdtempSync(join(tmpdir(), 'zcp-outside-'));
    writeFileSync(join(outside, 'pkgcache.bin'), 'apt\'s own');
    const day = 24 * 3600_000;
    const make = (name: string) => {
      mkdirSync(join(run, name));
      symlinkSync(join(outside, 'pkgcache.bin'), join(run, name, 'pkgcache.bin'));
      return join(run, name);
    };
    const old = make('zcp-apt-AbC123');
    const fresh = make('zcp-apt-XyZ789');
    const other = make('zcp-apt-not-ours');
    symlinkSync(outside, join(run, 'zcp-apt-LiNk00')); // a link by that name: not a directory of zcp's
    const then = (Date.now() - 2 * day) / 1000;
    for (const p of [old, other, join(run, 'zcp-apt-LiNk00')]) lutimesSync(p, then, then);
    expect(sweepStaleScratch(run)).toEqual([old]);
    expect(readdirSync(run).sort()).toEqual(['zcp-apt-LiNk00', 'zcp-apt-XyZ789', 'zcp-apt-not-ours']);
    expect(readFileSync(join(outside, 'pkgcache.bin'), 'utf8')).toBe('apt\'s own');
    // The fresh one is a plan under way: swept only when it is a day old too.
    expect(sweepStaleScratch(run, Date.now() + 2 * day)).toEqual([fresh]);
    expect(readFileSync(join(outside, 'pkgcache.bin'), 'utf8')).toBe('apt\'s own');
  });
});
