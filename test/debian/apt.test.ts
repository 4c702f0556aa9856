// zcp on a real Debian 12 root (mmdebstrap, real packages, real upgrades from
// bookworm-updates and bookworm-security) on ZFS in the guest, laid out as a
// Debian root on ZFS is: ROOT/debian at /, its /var a child, /home beside
// it. The scenarios run one after another on the one system, as an admin's
// day would: each leaves it as a rollback must, and /home is never touched.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALTROOT, BOOT_ENVIRONMENT_FILE, HOME_DS, POOL, ROOT_DS, VAR_DS } from './layout.js';
import { parseSimulatedUpgrade } from './root-image.js';
import { scratchCaches } from '../../src/apt/plan.js';
import { buildDeb, treeDigestAsync } from '../support/systems.js';
import { digestDifference, dpkgQuery, enterable, inRoot, json, listingDiff, zcp } from './system.js';
import { spawnAsync } from '../zfs/helpers.js';

const STATUS = join(ALTROOT, 'var/lib/dpkg/status');
const HOME_FILE = join(ALTROOT, 'home/alice/notes.txt');
// The home dataset is not the system's: a digest of the system leaves it out.
// (Not blocking the worker: the whole root takes minutes under the emulator, past vitest's RPC timeout.)
const systemDigest = () => treeDigestAsync(ALTROOT, { owners: true, skip: ['./home'] });

/** Writes a line to alice's notes in /home (user data: no rollback may take it back). */
function note(line: string): string {
  mkdirSync(join(ALTROOT, 'home/alice'), { recursive: true });
  writeFileSync(HOME_FILE, `${existsSync(HOME_FILE) ? readFileSync(HOME_FILE, 'utf8') : ''}${line}\n`);
  return readFileSync(HOME_FILE, 'utf8');
}

interface Tx {
  tid: number;
  checkpoint: string;
  state: string;
  title: string;
  changes?: { installed: { name: string; version: string; architecture: string }[]; upgraded: { name: string; from: string; to: string }[] };
}

describe('a real Debian 12 root on ZFS (guest)', () => {
  // The system as it came: every scenario leaves it so again.
  let before: { status: Buffer; listing: string[]; digest: string; passwd: string };
  beforeAll(async () => {
    note('written before any zcp command');
    before = { status: readFileSync(STATUS), listing: await dpkgQuery(), digest: await systemDigest(), passwd: readFileSync(join(ALTROOT, 'etc/passwd'), 'utf8') };
  });

  it('finds the system by its root: ROOT/debian and its /var, not /home', async () => {
    const r = await zcp(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = json<{ system: { datasets: string[]; root: string }; packageManager?: string }>(r);
    expect(s.system.datasets).toEqual([ROOT_DS, VAR_DS]);
    expect(s.system.datasets).not.toContain(HOME_DS);
  });

  let install: Tx;

  it('1. zcp apt install of real packages with their dependencies: zcp diff says what dpkg-query says changed, and the program runs', async () => {
    expect(before.listing.length).toBeGreaterThan(80);
    const r = await zcp(['apt', '--yes', '--json', '-m', 'jq and uuidd', 'install', 'jq', 'uuid-runtime']);
    expect(r.code, r.stderr).toBe(0);
    install = json<{ transaction: Tx }>(r).transaction;
    expect(install).toMatchObject({ state: 'committed', title: 'jq and uuidd' });
    const after = await dpkgQuery();
    const oracle = listingDiff(before.listing, after);
    // jq pulls two libraries; uuid-runtime adduser and more.
    expect(oracle.installed).toEqual(expect.arrayContaining(['jq:amd64', 'libjq1:amd64', 'libonig5:amd64', 'uuid-runtime:amd64']));
    expect(oracle.removed).toEqual([]);
    const d = await zcp(['diff', install.checkpoint, '--json']);
    expect(d.code, d.stderr).toBe(0);
    const diff = json<{ installed: { name: string; architecture: string; version: string }[]; removed: unknown[]; upgraded: unknown[]; downgraded: unknown[] }>(d);
    expect(diff.installed.map((p) => `${p.name}:${p.architecture}`).sort()).toEqual(oracle.installed);
    expect(diff.removed).toEqual([]);
    expect(diff.upgraded).toEqual(oracle.changed);
    // The transaction recorded the same changes.
    expect(install.changes!.installed.map((p) => `${p.name}:${p.architecture}`).sort()).toEqual(oracle.installed);
    // The program runs in the root; the package's script added its system user and unit; no daemon was started.
    expect(await inRoot('sh', '-c', 'echo \'{"a": [1, 2]}\' | jq -c .a')).toBe('[1,2]\n');
    expect(readFileSync(join(ALTROOT, 'etc/passwd'), 'utf8')).toMatch(/^uuidd:/m);
    expect(existsSync(join(ALTROOT, 'lib/systemd/system/uuidd.service'))).toBe(true);
    expect(await inRoot('sh', '-c', 'ls /proc | head -1; true')).toBe(''); // zcp unmounted the chroot's /proc again
  });

  it('2. zcp rollback to before it: status byte-identical, the trees identical, dpkg --audit clean, the user gone, /home untouched', async () => {
    const home = note('written after the install, before the rollback');
    const r = await zcp(['rollback', install.checkpoint, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(STATUS).equals(before.status)).toBe(true);
    const now = await systemDigest();
    expect(digestDifference(before.digest, now)).toEqual([]);
    expect(await inRoot('dpkg', '--audit')).toBe('');
    expect(readFileSync(join(ALTROOT, 'etc/passwd'), 'utf8')).toBe(before.passwd);
    expect(readFileSync(HOME_FILE, 'utf8')).toBe(home);
    expect(await dpkgQuery()).toEqual(before.listing);
  });

  it('3. a real upgrade from bookworm-updates and -security: the plan is apt-get -s upgrade, zcp diff shows both versions of each, rollback --to DATE undoes it and what came after, newest first', async () => {
    const oracle = parseSimulatedUpgrade(await inRoot('apt-get', '-s', 'upgrade'));
    expect(oracle.length).toBeGreaterThan(3); // the root is made from bookworm alone: there are real upgrades
    const dry = await zcp(['apt', '--dry-run', '--json', 'upgrade']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = json<{ plan: { install: { name: string; version: string; from?: string; installedSize?: number; size?: number }[]; remove: unknown[]; touches: string[]; reboot: boolean; needBytes: number } }>(dry).plan;
    expect(plan.install.map((p) => `${p.name} ${p.from} ${p.version}`).sort()).toEqual(oracle.map((u) => `${u.name} ${u.from} ${u.to}`).sort());
    expect(plan.remove).toEqual([]);
    // A reboot is foretold exactly when the kernel, libc or init is among them (on some days it is).
    const rebootWorthy = oracle.filter((u) => /^(linux-image-|libc6$|libc-bin$|systemd$|systemd-sysv$|init$)/.test(u.name));
    expect(plan.reboot).toBe(rebootWorthy.length > 0);
    // Space: at least the new versions unpacked, as apt-cache gives their sizes; at most that and every archive fetched.
    const unpacked = plan.install.reduce((n, p) => n + p.installedSize!, 0);
    expect(unpacked).toBeGreaterThan(0);
    expect(plan.needBytes).toBeGreaterThanOrEqual(unpacked);
    expect(plan.needBytes).toBeLessThanOrEqual(unpacked + plan.install.reduce((n, p) => n + (p.size ?? 0), 0));
    expect(readFileSync(STATUS).equals(before.status)).toBe(true); // the dry run changed nothing

    const home = note('before the upgrade');
    const date = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    const up = await zcp(['apt', '--yes', '--json', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    const upgrade = json<{ transaction: Tx }>(up).transaction;
    expect(upgrade.state).toBe('committed');
    const d = json<{ upgraded: { name: string; from: string; to: string }[]; installed: unknown[]; removed: unknown[] }>(await zcp(['diff', upgrade.checkpoint, '--json']));
    expect(d.upgraded.map((u) => `${u.name} ${u.from} ${u.to}`).sort()).toEqual(oracle.map((u) => `${u.name} ${u.from} ${u.to}`).sort());
    expect(d.installed).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(await inRoot('dpkg', '--audit')).toBe('');
    // A second transaction after it: the rollback to the date undoes both.
    const second = json<{ transaction: Tx }>(await zcp(['apt', '--yes', '--json', 'install', 'jq'])).transaction;
    expect(second.state).toBe('committed');
    const back = await zcp(['rollback', '--to', date, '--yes', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(json<{ undid: number[] }>(back).undid).toEqual([second.tid, upgrade.tid]);
    expect(readFileSync(STATUS).equals(before.status)).toBe(true);
    expect(await dpkgQuery()).toEqual(before.listing);
    expect(readFileSync(HOME_FILE, 'utf8')).toBe(home);
  });

  it('4. the apt hook on the real root: a plain apt-get inside it is a transaction titled by its command line; a failing maintainer script is recorded as failed', async () => {
    const inside = enterable();
    try {
      // (Asynchronous, as every long command here: see systemDigest.)
      const zcpInside = (...args: string[]) => spawnAsync('chroot', [ALTROOT, ...inside.zcp, ...args]);
      // zcp inside the root sees it as / (the mount table from inside): the same system as from outside.
      const st = await zcpInside('status', '--json');
      expect(st.code, st.stderr).toBe(0);
      expect(JSON.parse(st.stdout).system.datasets).toEqual([ROOT_DS, VAR_DS]);
      const hook = await zcpInside('hook', 'install', 'apt');
      expect(hook.code, hook.stderr).toBe(0);
      expect(readFileSync(join(ALTROOT, 'etc/apt/apt.conf.d/80zcp'), 'utf8')).toContain("'/run/zcp/node' '/run/zcp/project/dist/cli/main.cjs' hook pre apt");
      const home = note('before the hooked apt-get runs');
      const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const plain = await spawnAsync('chroot', [ALTROOT, 'apt-get', 'install', '-y', '-q', 'jq'], '', aptEnv);
      expect(plain.code, plain.stderr).toBe(0);
      // A local package beside the real ones, whose postinst fails.
      copyFileSync(buildDeb('zcp-fails', '1.0', { 'usr/share/zcp-fails/v': '1\n' }, 'echo failing on purpose >&2; exit 1'), join(ALTROOT, 'tmp/zcp-fails_1.0_all.deb'));
      const failing = await spawnAsync('chroot', [ALTROOT, 'apt-get', 'install', '-y', '-q', '/tmp/zcp-fails_1.0_all.deb'], '', aptEnv);
      expect(failing.code).toBe(100);
      const history = json<{ history: Tx[] }>(await zcp(['history', '--json'])).history;
      const ok = history.find((e) => e.title === 'apt-get install -y -q jq');
      const bad = history.find((e) => e.title === 'apt-get install -y -q /tmp/zcp-fails_1.0_all.deb');
      expect(ok).toMatchObject({ title: 'apt-get install -y -q jq', state: 'committed' });
      expect(ok!.changes!.installed.map((p) => p.name).sort()).toEqual(['jq', 'libjq1', 'libonig5']);
      expect(bad).toMatchObject({ title: 'apt-get install -y -q /tmp/zcp-fails_1.0_all.deb', state: 'failed' });
      expect(await inRoot('dpkg-query', '-W', '-f', '${db:Status-Abbrev}', 'zcp-fails')).toMatch(/^iF/);
      // Both undone; the hook goes with zcp hook remove (it was put there before either checkpoint).
      const back = await zcp(['rollback', ok!.checkpoint, '--yes']);
      expect(back.code, back.stderr).toBe(0);
      expect((await zcpInside('hook', 'remove', 'apt')).code).toBe(0);
      expect(readFileSync(STATUS).equals(before.status)).toBe(true);
      expect(await inRoot('dpkg', '--audit')).toBe('');
      expect(readFileSync(HOME_FILE, 'utf8')).toBe(home);
    } finally {
      inside.leave();
    }
  });

  // (Before 5, which leaves its boot environment for the boots.)
  it('6. zcp undo of one real upgrade while a later real install stays: the old version rebuilt from the checkpoint with no .deb of it anywhere; then rolled back as before', async () => {
    const upgrades = parseSimulatedUpgrade(await inRoot('apt-get', '-s', 'upgrade'));
    const pick = upgrades.find((u) => u.name === 'libexpat1') ?? upgrades.find((u) => u.name.startsWith('lib')) ?? upgrades[0]!;
    const up = json<{ transaction: Tx }>(await zcp(['apt', '--yes', '--json', 'install', '--only-upgrade', pick.name])).transaction;
    expect(up.state).toBe('committed');
    const later = json<{ transaction: Tx }>(await zcp(['apt', '--yes', '--json', 'install', 'jq'])).transaction;
    expect(later.state).toBe('committed');
    const version = (name: string) => inRoot('dpkg-query', '-W', '-f', '${Version}', name);
    expect(await version(pick.name)).toBe(pick.to);
    // The old version's .deb is nowhere: not in apt's cache, not in the root at all.
    const old = `${pick.name}_${pick.from.replace(/^\d+:/, '')}_`;
    // (Asynchronously: a find over the whole root, run synchronously, kept the worker from vitest's RPC past its timeout.)
    expect((await spawnAsync('sh', ['-c', 'find "$1" -xdev -name "$2*.deb" | wc -l', 'sh', ALTROOT, old])).stdout.trim()).toBe('0');
    const home = note('before the undo');
    const u = await zcp(['undo', String(up.tid), '--yes', '--json']);
    expect(u.code, u.stderr).toBe(0);
    const undo = json<{ undo: { downgrade: { name: string; from: string; to: string }[]; later: unknown[] }; transactions: (Tx & { undoes: number })[] }>(u);
    expect(undo.undo.downgrade.map((d) => `${d.name} ${d.from} ${d.to}`)).toEqual([`${pick.name} ${pick.to} ${pick.from}`]);
    expect(undo.undo.later).toEqual([]);
    expect(undo.transactions).toMatchObject([{ undoes: up.tid, state: 'committed' }]);
    expect(await version(pick.name)).toBe(pick.from);
    expect(await version('jq')).not.toBe(''); // the later install stays
    expect(await inRoot('dpkg', '--audit')).toBe('');
    expect(await inRoot('sh', '-c', `dpkg --verify ${pick.name}; echo $?`)).toBe('0\n');
    expect(await inRoot('sh', '-c', 'echo \'{"a": 1}\' | jq -c .a')).toBe('1\n');
    expect(existsSync(join(ALTROOT, 'var/cache/apt/archives')) && execFileSync('sh', ['-c', 'ls "$1" | grep -c zcp-undo || true', 'sh', join(ALTROOT, 'var/cache/apt/archives')], { encoding: 'utf8' }).trim()).toBe('0');
    expect(readFileSync(HOME_FILE, 'utf8')).toBe(home);
    // Back to before the upgrade (the undo and the install with it): as the scenarios leave the system.
    const back = await zcp(['rollback', '--tid', String(up.tid), '--yes', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(STATUS).equals(before.status)).toBe(true);
    expect(await dpkgQuery()).toEqual(before.listing);
  });

  it('7. zcp apt asks apt with apt\'s own package caches, read through a scratch directory on the running root\'s /run and never written: missing, they are built there and go with it; valid, they are read as they are', async () => {
    const base = json<{ checkpoint: { id: string } }>(await zcp(['create', '-m', 'before the cache scenario', '--json'])).checkpoint;
    const inside = enterable();
    try {
      const caches = ['var/cache/apt/pkgcache.bin', 'var/cache/apt/srcpkgcache.bin'].map((f) => join(ALTROOT, f));
      const state = () => caches.map((f) => (existsSync(f) ? `${statSync(f).mtimeMs} ${createHash('sha256').update(readFileSync(f)).digest('hex')}` : 'missing'));
      const scratch = () => readdirSync(join(ALTROOT, 'run')).filter((n) => n.startsWith('zcp-apt-'));
      const oracle = parseSimulatedUpgrade(await inRoot('apt-get', '-s', '-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache=', 'upgrade'))
        .map((u) => `${u.name} ${u.from} ${u.to}`)
        .sort();
      const dryRun = async () => {
        const r = await spawnAsync('chroot', [ALTROOT, ...inside.zcp, 'apt', '--dry-run', '--json', 'upgrade']);
        expect(r.code, r.stderr).toBe(0);
        return json<{ plan: { install: { name: string; version: string; from?: string }[] } }>(r).plan.install.map((p) => `${p.name} ${p.from} ${p.version}`).sort();
      };
      // The room apt is given: links to its own caches, on the root's tmpfs /run, as apt inside the root sees them.
      const room = scratchCaches(ALTROOT)!;
      expect(room.options).toEqual(['-o', expect.stringMatching(/^Dir::Cache::pkgcache=\/run\/zcp-apt-\w+\/pkgcache\.bin$/), '-o', expect.stringMatching(/^Dir::Cache::srcpkgcache=\/run\/zcp-apt-\w+\/srcpkgcache\.bin$/)]);
      const link = join(ALTROOT, room.options[1]!.slice('Dir::Cache::pkgcache='.length));
      expect(readlinkSync(link)).toBe('/var/cache/apt/pkgcache.bin');
      room.remove();
      expect(scratch()).toEqual([]);
      // Missing: built in the scratch directory (both questions use it), not in /var/cache/apt.
      for (const f of caches) rmSync(f, { force: true });
      expect(await dryRun()).toEqual(oracle);
      expect(state()).toEqual(['missing', 'missing']);
      expect(scratch()).toEqual([]);
      // Valid (apt-get check builds them as apt does): read, left byte for byte and time for time.
      await inRoot('apt-get', '-q', 'check');
      const valid = state();
      expect(valid).not.toContain('missing');
      expect(await dryRun()).toEqual(oracle);
      expect(state()).toEqual(valid);
      expect(scratch()).toEqual([]);
    } finally {
      inside.leave();
    }
    const back = await zcp(['rollback', base.id, '--yes']);
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(STATUS).equals(before.status)).toBe(true);
  });

  it('5. zcp apt -s into a boot environment: the running root untouched, the upgrades and the new package there, and no daemon started by their scripts; the upgrade\'s stays for the boots', async () => {
    // (apt-get -s writes its planner log, /var/log/apt/eipp.log.xz: the digest is taken after it.)
    const oracle = parseSimulatedUpgrade(await inRoot('apt-get', '-s', 'upgrade'));
    const digest = await systemDigest();
    const up = await zcp(['apt', '-s', '--yes', '--json', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    const upJson = json<{ bootEnvironment: { name: string }; changes: { upgraded: { name: string; from: string; to: string }[] } }>(up);
    const be = { ...upJson.bootEnvironment, dataset: `${POOL}/ROOT/${upJson.bootEnvironment.name}` }; // cloned beside ROOT/debian
    expect(upJson.changes.upgraded.map((u) => `${u.name} ${u.from} ${u.to}`).sort()).toEqual(oracle.map((u) => `${u.name} ${u.from} ${u.to}`).sort());
    // uuid-runtime's postinst would start uuidd; inside a boot environment policy-rc.d forbids it.
    const add = await zcp(['apt', '-s', '--yes', '--json', 'install', 'uuid-runtime']);
    expect(add.code, add.stderr).toBe(0);
    const name2 = json<{ bootEnvironment: { name: string } }>(add).bootEnvironment.name;
    const be2 = { name: name2, dataset: `${POOL}/ROOT/${name2}` };
    expect(spawnSync('pgrep', ['-x', 'uuidd']).status).toBe(1); // no such process
    expect(digestDifference(digest, await systemDigest())).toEqual([]);
    expect(readFileSync(STATUS).equals(before.status)).toBe(true);
    await lookInto(be.dataset, async (dir) => {
      const listing = await dpkgQuery(`${dir}/var/lib/dpkg`);
      const upgraded = listingDiff(before.listing, listing).changed.map((l) => l.replace(/:\S+/, ''));
      expect(upgraded.sort()).toEqual(oracle.map((u) => `${u.name} ${u.from} ${u.to}`).sort());
      expect(existsSync(`${dir}/usr/sbin/policy-rc.d`)).toBe(false); // zcp's is gone again
    });
    await lookInto(be2.dataset, (dir) => {
      expect(readFileSync(`${dir}/etc/passwd`, 'utf8')).toMatch(/^uuidd:/m);
      expect(existsSync(`${dir}/usr/sbin/policy-rc.d`)).toBe(false);
    });
    const d = await zcp(['destroy', be2.name, '--yes']);
    expect(d.code, d.stderr).toBe(0);
    expect(json<{ bootEnvironments: { name: string }[] }>(await zcp(['list', '--json'])).bootEnvironments.map((b) => b.name).sort()).toEqual(['debian', be.name].sort());
    // The upgrade's boot environment stays: test/boot boots it from this disk next (its name in the job folder for the host).
    if (process.env.ZCP_JOB_DIR) writeFileSync(join(process.env.ZCP_JOB_DIR, BOOT_ENVIRONMENT_FILE), JSON.stringify({ name: be.name, dataset: be.dataset, upgrades: upJson.changes.upgraded }));
  });
});

/** A boot environment's root and /var mounted aside (read-only) while `look` runs. */
async function lookInto(dataset: string, look: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync('/tmp/zcp-be-');
  const mounted: string[] = [];
  try {
    for (const [ds, at] of [[dataset, dir], [`${dataset}/var`, `${dir}/var`]] as const) {
      execFileSync('mount', ['-t', 'zfs', '-o', 'ro,zfsutil', ds, at]);
      mounted.unshift(at);
    }
    await look(dir);
  } finally {
    for (const m of mounted) execFileSync('umount', [m]);
    rmSync(dir, { recursive: true, force: true });
  }
}
