// The zcp command (dist/cli/main.cjs, as installed) on a small real dpkg
// system in the guest: every checkpoint command, text and --json, prompts
// and --yes, --dry-run, exit codes and error codes.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Run, createFilesystems, fresh, run, spawnAsync, zfsSnapshots } from './helpers.js';
import { TEST_POOLS } from './pools.js';
import { buildDeb, dpkg, initDpkgRoot, treeDigest } from '../support/systems.js';

const [POOL] = TEST_POOLS.map((p) => p.name) as [string, string];
const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));


let sys: { ds: string; root: string; flags: string[] };

/** zcp with the test system's --dataset/--root; stdin is empty unless given. Async: a blocked test worker times out vitest's RPC. */
function zcp(args: string[], input = '', asUser?: number): Promise<Run> {
  const argv = [CLI, ...sys.flags, ...args];
  return asUser === undefined
    ? spawnAsync(process.execPath, argv, input)
    : spawnAsync('setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', '--', process.execPath, ...argv], input);
}
const json = (r: Run) => JSON.parse(r.stdout) as Record<string, unknown>;

let debs: Record<string, string>;
beforeAll(() => {
  const ds = fresh(POOL, 'cli');
  createFilesystems(ds, `${ds}/var`);
  const root = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', ds).trim();
  initDpkgRoot(root);
  sys = { ds, root, flags: ['--dataset', ds, '--dataset', `${ds}/var`, '--root', root] };
  debs = {
    a1: buildDeb('alpha', '1.0', { 'usr/share/alpha/v': '1\n' }),
    a2: buildDeb('alpha', '2.0', { 'usr/share/alpha/v': '2\n' }),
    b1: buildDeb('beta', '1.0', { 'usr/share/beta/v': '1\n' }),
    c1: buildDeb('gamma', '1.0', { 'usr/share/gamma/v': '1\n' }),
  };
  expect(dpkg(root, '-i', debs.a1!)).toBe(0);
});

describe('zcp CLI (guest)', () => {
  it('status, create, list, show: text and a stable --json', async () => {
    const st = (await zcp(['status', '--json']));
    expect(st.code).toBe(0);
    expect(json(st)).toMatchObject({ zfs: { ok: true }, system: { datasets: [sys.ds, `${sys.ds}/var`], root: sys.root, manager: 'dpkg', pools: [POOL] } });
    const title = 'it\'s "quoted" $(touch /tmp/cli-pwned)\nline two';
    const cr = (await zcp(['create', '-m', title]));
    expect(cr.code).toBe(0);
    const [, id, tid] = /^created (zcp-(\d+)) \(TID \d+\) of 2 datasets$/m.exec(cr.stdout)!;
    expect(Number(tid)).toBeGreaterThan(0);
    expect(run('sh', '-c', 'test -e /tmp/cli-pwned && echo yes || echo no').trim()).toBe('no');
    const list = (await zcp(['list']));
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^A {2}C {2}ID +DATE +KIND +TITLE$/);
    expect(lines[1]).toMatch(new RegExp(`^ {3}C {2}${sys.ds.split('/').pop()} +- +live +the system`));
    // The newline in the title can't forge a row.
    expect(lines[2]).toMatch(new RegExp(`^ {6}${id} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +manual +it's "quoted" \\$\\(touch /tmp/cli-pwned\\)⏎line two$`));
    expect(lines).toHaveLength(3);
    // -H: for scripts, no header, one tab between columns, empty flags empty.
    const scripted = (await zcp(['list', '-H'])).stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(scripted).toEqual([
      ['', 'C', sys.ds.split('/').pop(), '-', 'live', `the system (${sys.ds})`],
      ['', '', id, expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), 'manual', 'it\'s "quoted" $(touch /tmp/cli-pwned)⏎line two'],
    ]);
    const lj = json((await zcp(['list', '--json']))) as { checkpoints: Record<string, unknown>[]; bootEnvironments: Record<string, unknown>[] };
    // Quick by default: no space or clones (they'd open every snapshot); --details adds them.
    expect(Object.keys(lj.checkpoints[0]!).sort()).toEqual(['created', 'held', 'id', 'important', 'kind', 'missing', 'snapshots', 'state', 'tid', 'title'].sort());
    expect(lj.checkpoints[0]).toMatchObject({ id, tid: Number(tid), kind: 'manual', title, state: 'complete', held: false });
    const dj = json((await zcp(['list', '--details', '--json']))) as { checkpoints: Record<string, unknown>[] };
    expect(Object.keys(dj.checkpoints[0]!).sort()).toEqual(['clones', 'created', 'held', 'id', 'important', 'kind', 'missing', 'snapshots', 'state', 'tid', 'title', 'used'].sort());
    expect(dj.checkpoints[0]).toMatchObject({ ...lj.checkpoints[0], clones: [], used: expect.any(Number) });
    expect(lj.bootEnvironments).toEqual([{ name: sys.ds.split('/').pop(), kind: 'system', dataset: sys.ds, datasets: [sys.ds, `${sys.ds}/var`], origin: null, active: false, current: true }]);
    const show = (await zcp(['show', tid!]));
    expect(show.stdout).toContain(`snapshot: ${sys.ds}/var@${id}`);
    expect((json((await zcp(['show', id!, '--json']))) as { checkpoint: { title: string } }).checkpoint.title).toBe(title);
    // -v: each step on stderr as it starts, then its time.
    const verbose = await zcp(['-v', 'create', '-m', 'verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/^zcp: finding the system\.\.\.\nzcp: finding the system: \d+ ms\nzcp: checkpointing\.\.\.\nzcp: checkpointing: \d+ ms$/m);
  });

  it('diff and rollback: the plan, no stdin = no, --dry-run, --yes; exit codes', async () => {
    const base = (json((await zcp(['create', '-m', 'base', '--json']))) as { checkpoint: { id: string } }).checkpoint.id;
    const before = treeDigest(sys.root);
    expect(dpkg(sys.root, '-i', debs.a2!, debs.b1!)).toBe(0);
    const diff = (await zcp(['diff', base]));
    expect(diff.stdout).toContain('upgraded    alpha:all 1.0 -> 2.0');
    expect(diff.stdout).toContain('installed   beta:all 1.0');
    expect(json((await zcp(['diff', base, '--json'])))).toMatchObject({ from: base, to: null, upgraded: [{ name: 'alpha', from: '1.0', to: '2.0' }], installed: [{ name: 'beta' }] });

    const dry = (await zcp(['rollback', base, '--dry-run']));
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('downgrade   alpha:all 2.0 -> 1.0');
    expect(dry.stdout).toContain('remove      beta:all 1.0');
    expect(dry.stdout).toContain('(dry run: nothing changed)');
    // No terminal, no --yes: the question is asked on stderr and taken as no.
    const no = (await zcp(['rollback', base]));
    expect(no.code).toBe(1);
    expect(no.stderr).toContain(`Roll back to ${base}? [y/N]`);
    expect(no.stdout).toContain('not confirmed: nothing changed');
    expect(treeDigest(sys.root)).not.toBe(before);
    const yes = (await zcp(['rollback', base], 'y\n'));
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`rolled back to ${base}`);
    expect(treeDigest(sys.root)).toBe(before);
  });

  it('rollback --to DATE undoes every transaction after it, newest first; TIDs never come back', async () => {
    const t1 = (json((await zcp(['create', '-m', 'before beta', '--json']))) as { checkpoint: { id: string; tid: number } }).checkpoint;
    expect(dpkg(sys.root, '-i', debs.b1!)).toBe(0);
    await new Promise((r) => setTimeout(r, 2100));
    const between = new Date();
    await new Promise((r) => setTimeout(r, 2100));
    const t2 = (json((await zcp(['create', '-m', 'before gamma', '--json']))) as { checkpoint: { id: string; tid: number } }).checkpoint;
    expect(dpkg(sys.root, '-i', debs.c1!)).toBe(0);
    const t3 = (json((await zcp(['create', '-m', 'before alpha 2', '--json']))) as { checkpoint: { id: string; tid: number } }).checkpoint;
    expect(dpkg(sys.root, '-i', debs.a2!)).toBe(0);
    const plan = json((await zcp(['rollback', '--to', between.toISOString(), '--dry-run', '--json']))) as { plan: { target: { id: string }; consumes: string[]; packages: { downgrade: unknown[]; remove: unknown[] } } };
    expect(plan.plan.target.id).toBe(t2.id);
    expect(plan.plan.consumes).toEqual([t3.id]);
    expect(plan.plan.packages).toMatchObject({ downgrade: [{ name: 'alpha', from: '2.0', to: '1.0' }], remove: [{ name: 'gamma' }] });
    expect((await zcp(['rollback', '--to', between.toISOString(), '--yes'])).code).toBe(0);
    // history -H: the rollback is its last row, tab-separated, no header.
    const rows = (await zcp(['history', '-H'])).stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.at(-1)).toEqual(['-', 'rollback', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), '', expect.stringMatching(new RegExp(`^rollback to ${t2.id}, undid `))]);
    expect(rows.every((r) => r.length === 5)).toBe(true);
    const status = readFileSync(`${sys.root}/var/lib/dpkg/status`, 'utf8');
    expect(status).toContain('Package: beta');
    expect(status).not.toContain('Package: gamma');
    const ids = (json((await zcp(['list', '--json']))) as { checkpoints: { id: string }[] }).checkpoints.map((c) => c.id);
    expect(ids).toContain(t1.id);
    expect(ids).toContain(t2.id);
    expect(ids).not.toContain(t3.id);
    const t4 = (json((await zcp(['create', '-m', 'after', '--json']))) as { checkpoint: { tid: number } }).checkpoint;
    expect(t4.tid).toBeGreaterThan(t3.tid);
    expect((await zcp(['rollback', '--tid', String(t1.tid), '--yes'])).code).toBe(0);
    expect(readFileSync(`${sys.root}/var/lib/dpkg/status`, 'utf8')).not.toContain('Package: beta');
  });

  it('clone, activate (A moves), destroy: confirms, refuses the active and the current', async () => {
    const id = (json((await zcp(['create', '-m', 'be source', '--json']))) as { checkpoint: { id: string } }).checkpoint.id;
    const name = `clibe${id.slice(4)}`;
    expect((await zcp(['clone', id, name, '--dry-run'])).stdout).toContain(`would make boot environment ${name}`);
    expect(run('zfs', 'list', '-H', '-o', 'name', '-r', POOL)).not.toContain(`${POOL}/${name}`);
    expect((await zcp(['clone', id, name])).code).toBe(0);
    // --once is refused (bootfs is no one-shot, zcp writes no boot loader entries) and changes nothing.
    const bootfs = () => run('zpool', 'get', '-H', '-o', 'value', 'bootfs', POOL).trim();
    const was = bootfs();
    const once = await zcp(['activate', '--once', name, '--json']);
    expect(once.code).toBe(1);
    expect(json(once)).toMatchObject({ error: { code: 'NOT_SUPPORTED', message: expect.stringContaining('grub-reboot'), subject: name } });
    expect(bootfs()).toBe(was);
    const activated = await zcp(['activate', name, '--json']);
    expect(activated.code).toBe(0);
    // This system is not the running one (its root is not /): its boot path can't be read from this kernel, and zcp says so.
    expect(json(activated)).toMatchObject({ bootPath: { kind: 'unknown', evidence: expect.stringContaining('not the running one') }, takesEffect: null });
    expect(bootfs()).toBe(`${POOL}/${name}`);
    const list = (await zcp(['list'])).stdout.split('\n');
    expect(list.find((l) => l.includes(` ${name} `))).toMatch(/^A {4}/);
    expect(list[1]).toMatch(/^ {3}C/);
    const active = (await zcp(['destroy', name, '--yes', '--json']));
    expect(active.code).toBe(1);
    expect(json(active)).toEqual({ error: { code: 'ACTIVE', message: expect.stringContaining('boots next'), subject: `${POOL}/${name}`, dataset: `${POOL}/${name}` } });
    // Codes of their own: a boot environment that is not there, a name that is no name, a name that is taken.
    expect(json(await zcp(['activate', 'no-such-be', '--json']))).toMatchObject({ error: { code: 'BOOT_ENVIRONMENT_NOT_FOUND', subject: 'no-such-be' } });
    expect(json(await zcp(['clone', id, 'bad!name', '--json']))).toMatchObject({ error: { code: 'INVALID_NAME' } });
    expect(json(await zcp(['clone', id, name, '--json']))).toMatchObject({ error: { code: 'BOOT_ENVIRONMENT_EXISTS', subject: `${POOL}/${name}` } });
    const current = (await zcp(['destroy', sys.ds.split('/').pop()!, '--yes']));
    expect(current.code).toBe(1);
    expect(current.stderr).toContain('is the running system');
    expect((await zcp(['activate', sys.ds])).code).toBe(0);
    expect((await zcp(['destroy', name])).code).toBe(1); // not confirmed
    expect((await zcp(['destroy', name], 'yes\n')).code).toBe(0);
    expect((await zcp(['destroy', id, '--dry-run'])).stdout).toContain(`would destroy: ${sys.ds}@${id}, ${sys.ds}/var@${id}`);
    expect((await zcp(['destroy', id, '-y'])).code).toBe(0);
    expect(zfsSnapshots(sys.ds)).not.toContain(`${sys.ds}@${id}`);
    run('zpool', 'set', 'bootfs=', POOL);
  });

  it('from inside a boot environment, the system it was cloned from is listed: activate goes back to it, destroy is refused', async () => {
    const id = (json((await zcp(['create', '-m', 'be parent', '--json']))) as { checkpoint: { id: string } }).checkpoint.id;
    const name = `cliup${id.slice(4)}`;
    expect((await zcp(['clone', id, name])).code).toBe(0);
    const be = `${POOL}/${name}`;
    // As if booted into it: its datasets mounted, zcp run on them.
    run('zfs', 'mount', be);
    run('zfs', 'mount', `${be}/var`);
    const beRoot = run('zfs', 'get', '-H', '-o', 'value', 'mountpoint', be).trim();
    const inBe = (args: string[], input = '') => spawnAsync(process.execPath, [CLI, '--dataset', be, '--dataset', `${be}/var`, '--root', beRoot, ...args], input);
    try {
      const parent = { name: sys.ds.split('/').pop(), kind: 'parent', dataset: sys.ds, datasets: [sys.ds, `${sys.ds}/var`], origin: null, active: false, current: false };
      expect(json(await inBe(['list', '--json'])).bootEnvironments).toEqual([
        { name, kind: 'system', dataset: be, datasets: [be, `${be}/var`], origin: null, active: false, current: true },
        parent,
      ]);
      expect((await inBe(['list'])).stdout).toMatch(new RegExp(` ${parent.name} +- +live +the system this one was cloned from \\(${sys.ds}\\)`));
      expect((await inBe(['activate', parent.name!])).code).toBe(0);
      expect(run('zpool', 'get', '-H', '-o', 'value', 'bootfs', POOL).trim()).toBe(sys.ds);
      run('zpool', 'set', 'bootfs=', POOL);
      // Not zcp's: never destroyed, not even with --yes (and it has the boot environment as a clone).
      const refused = await inBe(['destroy', parent.name!, '--yes', '--json']);
      expect(refused.code).toBe(1);
      expect(json(refused)).toMatchObject({ error: { code: 'NOT_ZCP', message: expect.stringContaining('cloned from'), subject: sys.ds } });
      expect(run('zfs', 'list', '-H', '-o', 'name', sys.ds).trim()).toBe(sys.ds);
      // A clone of a snapshot that only inherits zcp:tid from its dataset (anyone with userprop could set it there) has no parent.
      const other = fresh(POOL, 'forged');
      createFilesystems(other);
      run('zfs', 'set', 'zcp:tid=7', other);
      run('zfs', 'snapshot', `${other}@zcp-7`);
      run('zfs', 'clone', `${other}@zcp-7`, `${other}c`);
      const forged = await spawnAsync(process.execPath, [CLI, '--dataset', `${other}c`, 'list', '--json']);
      expect(json(forged).bootEnvironments).toEqual([expect.objectContaining({ kind: 'system', dataset: `${other}c` })]);
      run('zfs', 'destroy', `${other}c`);
      run('zfs', 'destroy', '-r', other);
    } finally {
      run('zfs', 'unmount', `${be}/var`);
      run('zfs', 'unmount', be);
    }
    expect((await zcp(['destroy', name, '--yes'])).code).toBe(0);
    expect((await zcp(['destroy', id, '--yes'])).code).toBe(0);
  });

  it('bad input: unknown id, not a ZFS dataset, usage, a non-root user (77), --json errors', async () => {
    const unknown = (await zcp(['show', 'zcp-999999', '--json']));
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toMatchObject({ error: { code: 'CHECKPOINT_NOT_FOUND' } });
    expect(json(await zcp(['undo', '999999', '--json']))).toMatchObject({ error: { code: 'TRANSACTION_NOT_FOUND', subject: '999999' } });
    const notZfs = spawnSync(process.execPath, [CLI, 'list', '--dataset', `${POOL}/no/such`, '--json'], { encoding: 'utf8' });
    expect(notZfs.status).toBe(1);
    expect(JSON.parse(notZfs.stdout)).toMatchObject({ error: { code: 'NOT_ZFS', dataset: `${POOL}/no/such` } });
    expect((await zcp(['rollback'])).code).toBe(2);
    expect((await zcp(['rollback', 'zcp-1', '--tid', '1'])).code).toBe(2);
    expect((await zcp(['rollback', '--to', 'not a date'])).code).toBe(2);
    expect((await zcp(['create', 'extra'])).code).toBe(2);
    const nobody = (await zcp(['create', '-m', 'as nobody'], '', 65534));
    expect(nobody.code).toBe(77);
    expect(nobody.stderr).toMatch(/permission denied/i);
  });

  it('two zcp processes at once: the second is told LOCKED (exit 1) and changes nothing; the lock goes with a killed holder', async () => {
    const id = (json(await zcp(['create', '-m', 'before the lock', '--json'])) as { checkpoint: { id: string } }).checkpoint.id;
    const holder = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url)), POOL, sys.ds], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(holder.stdout!, 'data')) as [Buffer];
    expect(line.toString()).toBe('locked\n');
    const before = zfsSnapshots(sys.ds);
    const second = await zcp(['create', '-m', 'while locked', '--json']);
    expect(second.code).toBe(1);
    expect(json(second)).toEqual({ error: { code: 'LOCKED', message: expect.stringMatching(/another zcp|locked/i), subject: expect.any(String), dataset: expect.any(String) } });
    const text = await zcp(['rollback', id, '--yes']);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/^zcp: .*(another zcp|locked)/im);
    expect(zfsSnapshots(sys.ds)).toEqual(before);
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect((await zcp(['create', '-m', 'after the holder died'])).code).toBe(0);
  });

  it('logs what it did and what it refused to the system log (/dev/log), with the TID', async () => {
    // A syslog socket as journald or rsyslog serves it: whatever arrives goes to a file.
    const file = '/tmp/zcp-syslog.txt';
    const listener = spawn('python3', ['-c', [
      'import os, socket, sys',
      "p = '/dev/log'",
      'os.path.exists(p) and os.unlink(p)',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(p)',
      "f = open(sys.argv[1], 'ab', 0); print('ready', flush=True)",
      "while True: f.write(s.recv(65536) + b'\\n')",
    ].join('\n'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(listener.stdout!, 'data');
      const made = (json(await zcp(['create', '-m', 'logged', '--json'])) as { checkpoint: { id: string; tid: number } }).checkpoint;
      expect((await zcp(['hold', made.id])).code).toBe(0);
      const refused = await zcp(['destroy', made.id, '--yes', '--json']);
      expect((json(refused) as { error: { code: string } }).error.code).toBe('HELD');
      expect((await zcp(['release', made.id])).code).toBe(0);
      expect((await zcp(['create', '--dry-run'])).code).toBe(0); // a dry run: nothing to log
      expect((await zcp(['rollback', made.id, '--yes'])).code).toBe(0);
      expect((await zcp(['destroy', made.id, '--yes'])).code).toBe(0);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const at = (re: RegExp) => lines.filter((l) => re.test(l)).length;
      // <13> is user.notice, <12> user.warning; each line tagged zcp[PID].
      expect(at(new RegExp(`^<13>.* zcp\\[\\d+\\]: checkpoint ${made.id} \\(TID ${made.tid}\\) created: logged$`))).toBe(1);
      expect(at(new RegExp(`^<13>.* zcp\\[\\d+\\]: held ${made.id} \\(TID ${made.tid}\\)$`))).toBe(1);
      expect(at(new RegExp(`^<12>.* zcp\\[\\d+\\]: zcp destroy refused \\(HELD\\): ${made.id} is held`))).toBe(1);
      expect(at(new RegExp(`^<13>.* zcp\\[\\d+\\]: rolled back to ${made.id} \\(TID ${made.tid}\\): ${sys.ds}, ${sys.ds}/var;`))).toBe(1);
      expect(at(new RegExp(`^<13>.* zcp\\[\\d+\\]: destroyed ${sys.ds}@${made.id}`))).toBe(1);
      expect(lines).toHaveLength(6); // create, hold, refusal, release, rollback, destroy: nothing for the dry run
    } finally {
      listener.kill();
      run('rm', '-f', '/dev/log', file);
    }
  });

  it('bench: checkpoint latency on the pool, the addon against the zfs command, in a scratch dataset that is gone afterwards', async () => {
    const dry = await zcp(['bench', POOL, '3', '--dry-run']);
    expect(dry.stdout).toMatch(new RegExp(`^would make ${POOL}/zcp-bench-\\d+ \\(not mounted\\)`));
    const r = await zcp(['bench', POOL, '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const body = json(r) as { scratch: string; iterations: number; rows: { case: string; tool: string; min: number; median: number; p95: number }[] };
    expect(body.iterations).toBe(3);
    expect(body.rows.map((x) => `${x.case} / ${x.tool}`)).toEqual(['1 dataset per checkpoint / zcp addon', '1 dataset per checkpoint / zfs command', '20 datasets per checkpoint / zcp addon', '20 datasets per checkpoint / zfs command']);
    for (const x of body.rows) expect(0 < x.min && x.min <= x.median && x.median <= x.p95).toBe(true);
    expect(run('zfs', 'list', '-H', '-o', 'name', '-r', POOL)).not.toContain('zcp-bench-');
    expect((await zcp(['bench', POOL, 'many'])).code).toBe(2);
  });
});
