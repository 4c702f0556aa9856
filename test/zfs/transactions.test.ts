// Transactions through the CLI on small real systems in the guest: apt-clone's
// example 1 (a failing upgrade rolled back when offered), the RPM article
// (three transactions, rollback to a date, no stale leftovers, TIDs never
// reused), history, undo plans and prune.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Run, createFilesystems, fresh, run, spawnAsync } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { buildDeb, buildRpm, initDpkgRoot, treeDigest } from '../support/systems.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];
const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));

function system(prefix: string): { ds: string; root: string; zcp: (args: string[], input?: string) => Promise<Run> } {
  const ds = fresh(POOL, prefix);
  createFilesystems(ds, `${ds}/var`);
  const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
  const zcp = (args: string[], input = '') => spawnAsync(process.execPath, [CLI, '--dataset', ds, '--dataset', `${ds}/var`, '--root', root, ...args], input);
  return { ds, root, zcp };
}

const dpkgArgs = (root: string) => ['dpkg', `--root=${root}`, '--force-script-chrootless', '--force-not-root'];

describe('transactions (guest)', () => {
  it('apt-clone example 1: an upgrade whose postinst fails; the rollback is offered and taken; byte-identical after', async () => {
    const { root, zcp } = system('ex1');
    initDpkgRoot(root);
    const v1 = buildDeb('app', '1.0-1', { 'usr/share/app/v': '1\n', 'etc/app.conf': 'a=1\n' });
    const v2 = buildDeb('app', '2.0-1', { 'usr/share/app/v': '2\n', 'etc/app.conf': 'a=2\n' }, 'echo configuring; exit 1');
    expect((await zcp(['run', '-m', 'install app', '--', ...dpkgArgs(root), '-i', v1])).code).toBe(0);
    const before = treeDigest(root);
    const r = (await zcp(['run', '-m', 'upgrade app', '--', ...dpkgArgs(root), '-i', v2], 'y\n'));
    expect(r.code).toBe(1); // dpkg's own exit status
    expect(r.stderr).toMatch(/dpkg failed \(exit 1\)/);
    expect(r.stderr).toMatch(/dpkg failed\. Roll back to zcp-\d+\? \[y\/N\]/);
    expect(r.stderr).toMatch(/rolled back to zcp-\d+/);
    expect(treeDigest(root)).toBe(before);
    // Non-interactive: --rollback-on-failure, no question.
    const auto = (await zcp(['run', '--rollback-on-failure', '--json', '--', ...dpkgArgs(root), '-i', v2]));
    expect(auto.code).toBe(1);
    expect(JSON.parse(auto.stdout)).toMatchObject({ rolledBack: true, transaction: { state: 'rolled-back', exitCode: 1 } });
    expect(treeDigest(root)).toBe(before);
    // Declined: the failed state stays, and says how to undo it later.
    const kept = (await zcp(['run', '--', ...dpkgArgs(root), '-i', v2]));
    expect(kept.stderr).toMatch(/left as it is; zcp rollback zcp-\d+ undoes it later/);
    expect(readFileSync(`${root}/var/lib/dpkg/status`, 'utf8')).toContain('half-configured');
    const h = JSON.parse((await zcp(['history', '--json'])).stdout) as { history: { tid: number; state: string; rollback?: unknown; changes?: { upgraded: unknown[] } }[] };
    const tx = h.history.filter((e) => !e.rollback);
    expect(tx.map((e) => e.state)).toEqual(['committed', 'rolled-back', 'rolled-back', 'failed']);
    expect(tx[3]!.changes!.upgraded).toEqual([{ name: 'app', architecture: 'all', from: '1.0-1', to: '2.0-1' }]);
    expect(h.history.filter((e) => e.rollback)).toHaveLength(2);
    expect((await zcp(['history'])).stdout).toMatch(/^TID +STATE +DATE +CHANGES +WHAT/);
    // A command that does not exist: exit 127, the transaction failed, nothing to undo.
    expect((await zcp(['run', '--rollback-on-failure', '--', '/no/such/command'])).code).toBe(127);
  });

  it('undo TID: the plan with the commands as a dry run (nothing changed); unconfirmed, nothing changes; an unknown TID is an error', async () => {
    const { root, zcp } = system('undo');
    initDpkgRoot(root);
    const a = buildDeb('undoa', '1.0', { 'usr/share/undoa/v': '1\n' });
    const b = buildDeb('undob', '1.0', { 'usr/share/undob/v': '1\n' });
    expect((await zcp(['run', '--', ...dpkgArgs(root), '-i', a])).code).toBe(0);
    const second = JSON.parse((await zcp(['run', '--json', '--', ...dpkgArgs(root), '-i', b])).stdout) as { transaction: { tid: number } };
    const before = treeDigest(root);
    const plan = await zcp(['undo', String(second.transaction.tid), '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('remove      undob:all 1.0');
    expect(plan.stdout).toMatch(/run: apt-get -y --allow-downgrades .* install undob-$/m);
    expect(plan.stdout).toContain('(dry run: nothing changed)');
    const unasked = await zcp(['undo', String(second.transaction.tid)]);
    expect(unasked.code).toBe(1);
    expect(unasked.stdout).toContain('not confirmed: nothing changed');
    expect(treeDigest(root)).toBe(before);
    expect((await zcp(['undo', '999999'])).code).toBe(1);
  });

  it('the RPM article: three transactions at different times; rollback to a date between the first and second undoes the later two; then new ones work', async () => {
    const { root, zcp } = system('rpm');
    const build = buildRpm;
    const rpm = ['rpm', '--root', root, '--dbpath', '/var/lib/rpm', '--nodeps', '--nosignature'];
    execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '--initdb']);
    const [one1, one2, two, three] = [build('one', '1.0'), build('one', '2.0'), build('two', '1.0'), build('three', '1.0')];
    expect((await zcp(['run', '-m', 'base', '--', ...rpm, '-i', one1])).code).toBe(0);
    const start = treeDigest(root);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    expect((await zcp(['run', '-m', 'T1', '--', ...rpm, '-i', two])).code).toBe(0);
    await sleep(2100);
    const between = new Date();
    await sleep(2100);
    expect((await zcp(['run', '-m', 'T2', '--', ...rpm, '-U', one2])).code).toBe(0);
    expect((await zcp(['run', '-m', 'T3', '--', ...rpm, '-i', three])).code).toBe(0);
    const before = JSON.parse((await zcp(['history', '--json'])).stdout) as { history: { tid: number; title: string }[] };
    const [, t1, t2, t3] = before.history.map((e) => e.tid);
    const dry = JSON.parse((await zcp(['rollback', '--to', between.toISOString(), '--dry-run', '--json'])).stdout) as { plan: { target: { tid: number }; packages: { manager: string; downgrade: { name: string; from: string; to: string }[]; remove: { name: string }[] } } };
    expect(dry.plan.target.tid).toBe(t2);
    expect(dry.plan.packages.manager).toBe('rpm');
    expect(dry.plan.packages.downgrade).toEqual([expect.objectContaining({ name: 'one', from: '2.0-1', to: '1.0-1' })]);
    expect(dry.plan.packages.remove.map((p) => p.name)).toEqual(['three']);
    const done = JSON.parse((await zcp(['rollback', '--to', between.toISOString(), '--yes', '--json'])).stdout) as { done: boolean; undid: number[] };
    expect(done).toMatchObject({ done: true, undid: [t3, t2] }); // newest first
    const q = (r: string) => execFileSync('rpm', ['--root', r, '--dbpath', '/var/lib/rpm', '-qa', '--qf', '%{NAME}-%{VERSION}\\n'], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(q(root)).toEqual(['one-1.0', 'two-1.0']);
    // No stale leftovers: a new transaction and a new rollback both work; TIDs keep growing.
    const t4 = (JSON.parse((await zcp(['run', '--json', '--', ...rpm, '-i', three])).stdout) as { transaction: { tid: number } }).transaction.tid;
    expect(t4).toBeGreaterThan(t3!);
    expect((await zcp(['rollback', '--tid', String(t1), '--yes'])).code).toBe(0);
    expect(treeDigest(root)).toBe(start); // before rpm reads it: a reader rewrites rpmdb.sqlite-shm
    expect(q(root)).toEqual(['one-1.0']);
    const states = (JSON.parse((await zcp(['history', '--json'])).stdout) as { history: { tid: number; state: string; rollback?: unknown }[] }).history.filter((e) => !e.rollback);
    expect(states.map((e) => [e.tid, e.state])).toEqual([[before.history[0]!.tid, 'committed'], [t1, 'rolled-back'], [t2, 'rolled-back'], [t3, 'rolled-back'], [t4, 'rolled-back']]);
  }, 300_000); // a dozen zcp and rpm runs, each a Node start-up in the emulated guest: near 120 s on a busy host

  it('prune: keeps the newest N, never a held one, dry run first, confirms', async () => {
    const { zcp } = system('prune');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((JSON.parse((await zcp(['create', '-m', `c${i}`, '--json'])).stdout) as { checkpoint: { id: string } }).checkpoint.id);
    expect((await zcp(['hold', ids[0]!])).code).toBe(0);
    const dry = JSON.parse((await zcp(['prune', '--keep', '1', '--dry-run', '--json'])).stdout) as { pruned: { id: string }[] };
    expect(dry.pruned.map((p) => p.id)).toEqual([ids[1], ids[2]]);
    expect((await zcp(['prune', '--keep', '1'])).code).toBe(1); // not confirmed
    expect((await zcp(['prune', '--keep', '1', '--yes'])).code).toBe(0);
    const left = (JSON.parse((await zcp(['list', '--json'])).stdout) as { checkpoints: { id: string }[] }).checkpoints.map((c) => c.id);
    expect(left).toEqual([ids[0], ids[3]]);
    expect((await zcp(['prune', '--keep', 'many'])).code).toBe(2);
  });
});
