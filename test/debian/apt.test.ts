// zcp on a real Debian 12 root (mmdebstrap, real packages, real upgrades from
// bookworm-updates and bookworm-security) on ZFS in the guest, laid out as a
// Debian root on ZFS is: ROOT/debian at /, its /var a child, /home beside
// it. The scenarios run one after another on the one system, as an admin's
// day would: each leaves it as a rollback must, and /home is never touched.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALTROOT, HOME_DS, ROOT_DS, VAR_DS } from './layout.js';
import { parseSimulatedUpgrade } from './root-image.js';
import { digestDifference, dpkgQuery, inRoot, json, listingDiff, treeDigest, zcp } from './system.js';

const STATUS = join(ALTROOT, 'var/lib/dpkg/status');
const HOME_FILE = join(ALTROOT, 'home/alice/notes.txt');
// The home dataset is not the system's: a digest of the system leaves it out.
const systemDigest = () => treeDigest(ALTROOT, ['./home']);

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
  beforeAll(async () => {
    note('written before any zcp command');
  });

  it('finds the system by its root: ROOT/debian and its /var, not /home', async () => {
    const r = await zcp(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = json<{ system: { datasets: string[]; root: string }; packageManager?: string }>(r);
    expect(s.system.datasets).toEqual([ROOT_DS, VAR_DS]);
    expect(s.system.datasets).not.toContain(HOME_DS);
  });

  let before: { status: Buffer; listing: string[]; digest: string; passwd: string };
  let install: Tx;

  it('1. zcp apt install of real packages with their dependencies: zcp diff says what dpkg-query says changed, and the program runs', async () => {
    before = { status: readFileSync(STATUS), listing: dpkgQuery(), digest: systemDigest(), passwd: readFileSync(join(ALTROOT, 'etc/passwd'), 'utf8') };
    expect(before.listing.length).toBeGreaterThan(80);
    const r = await zcp(['apt', '--yes', '--json', '-m', 'jq and uuidd', 'install', 'jq', 'uuid-runtime']);
    expect(r.code, r.stderr).toBe(0);
    install = json<{ transaction: Tx }>(r).transaction;
    expect(install).toMatchObject({ state: 'committed', title: 'jq and uuidd' });
    const after = dpkgQuery();
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
    expect(inRoot('sh', '-c', 'echo \'{"a": [1, 2]}\' | jq -c .a')).toBe('[1,2]\n');
    expect(readFileSync(join(ALTROOT, 'etc/passwd'), 'utf8')).toMatch(/^uuidd:/m);
    expect(existsSync(join(ALTROOT, 'lib/systemd/system/uuidd.service'))).toBe(true);
    expect(inRoot('sh', '-c', 'ls /proc | head -1; true')).toBe(''); // zcp unmounted the chroot's /proc again
  });

  it('2. zcp rollback to before it: status byte-identical, the trees identical, dpkg --audit clean, the user gone, /home untouched', async () => {
    const home = note('written after the install, before the rollback');
    const r = await zcp(['rollback', install.checkpoint, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(STATUS).equals(before.status)).toBe(true);
    const now = systemDigest();
    expect(digestDifference(before.digest, now)).toEqual([]);
    expect(inRoot('dpkg', '--audit')).toBe('');
    expect(readFileSync(join(ALTROOT, 'etc/passwd'), 'utf8')).toBe(before.passwd);
    expect(readFileSync(HOME_FILE, 'utf8')).toBe(home);
    expect(dpkgQuery()).toEqual(before.listing);
  });

  it('3. a real upgrade from bookworm-updates and -security: the plan is apt-get -s upgrade, zcp diff shows both versions of each, rollback --to DATE undoes it and what came after, newest first', async () => {
    const oracle = parseSimulatedUpgrade(inRoot('apt-get', '-s', 'upgrade'));
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
    expect(inRoot('dpkg', '--audit')).toBe('');
    // A second transaction after it: the rollback to the date undoes both.
    const second = json<{ transaction: Tx }>(await zcp(['apt', '--yes', '--json', 'install', 'jq'])).transaction;
    expect(second.state).toBe('committed');
    const back = await zcp(['rollback', '--to', date, '--yes', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(json<{ undid: number[] }>(back).undid).toEqual([second.tid, upgrade.tid]);
    expect(readFileSync(STATUS).equals(before.status)).toBe(true);
    expect(dpkgQuery()).toEqual(before.listing);
    expect(readFileSync(HOME_FILE, 'utf8')).toBe(home);
  });
});
