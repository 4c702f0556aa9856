// Boot environments that really boot: the real Debian root on a pool on a
// host disk image, booted three times by Debian's kernel and Debian's own
// zfs-initramfs (root=zfs:AUTO: the pool's bootfs is mounted at /).
// The disk is the one the `debian` project just left (test/run-all.ts runs
// this right after it; the root is not unpacked twice): ROOT/debian after its
// scenarios, with the boot environment that scenario 5 made with `zcp apt -s
// upgrade`. Boot 1 runs from ROOT/debian: `zcp list` finds that boot
// environment, `zcp activate` it. Boot 2's / is that boot environment, with
// the upgrades; destroying it is refused; `zcp activate debian`. Boot 3 is
// back on ROOT/debian, as it was; boot 4 (below) installs zcp's .deb there,
// under the root's systemd. Runs on the host: a guest can't span boots.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildDeb } from '../../scripts/build-deb.js';
import { POOL, ROOT_DS } from '../debian/layout.js';
import { type BootResult, bootStep } from './boot.js';

const STEP = fileURLToPath(new URL('./step.mjs', import.meta.url));

type Zcp = { code: number; json: Record<string, any> | null };
type Report = { root: string; var: string; versions: Record<string, string>; activate?: Zcp; list?: Zcp; destroy?: Zcp };

const said = (b: BootResult) => `step output:\n${b.log}\nconsole (end):\n${b.console.split('\n').slice(-30).join('\n')}`;

type Made = { name: string; dataset: string; upgrades: { name: string; from: string; to: string }[] };

/** The disk the debian project left, and what its scenario 5 made: the boot environment's name and the upgrades in it. */
function handedOver(): { disk: string; made: Made; dir: string } {
  const disk = process.env.ZCP_BOOT_DISK;
  const beFile = process.env.ZCP_BOOT_BE;
  if (!disk || !beFile || !existsSync(disk) || !existsSync(beFile)) {
    throw new Error('the boots run on the disk the debian project leaves: use `npm test`, or `npx tsx test/debian/run-guest.ts --boot`');
  }
  return { disk, made: JSON.parse(readFileSync(beFile, 'utf8')) as Made, dir: dirname(disk) };
}

describe('three boots of the real root (Debian kernel, zfs-initramfs, root=zfs:AUTO)', () => {
  it('boots the boot environment zcp activate chose, and the old one again after activating it', async () => {
    const { disk, made, dir } = handedOver();
    const boot = async (step: string) => {
      const b = await bootStep(disk, dir, STEP, step);
      process.stdout.write(`boot ${step}: ${b.seconds.toFixed(0)} s, step status ${b.status}\n`);
      expect(b.status, said(b)).toBe(0);
      return { ...b, r: b.report as Report };
    };
    const upgrades = made.upgrades;
    expect(upgrades.length).toBeGreaterThan(0);
    const { name } = made;
    const be = `${POOL}/ROOT/${name}`;
    expect(made.dataset).toBe(be);

    // Boot 1: the stock initramfs mounted bootfs (ROOT/debian) at / and its /var below it.
    const one = await boot('one');
    expect(one.r.root, said(one)).toBe(ROOT_DS);
    expect(one.r.var).toBe(`${ROOT_DS}/var`);
    for (const u of upgrades) expect(one.r.versions[u.name], u.name).toBe(u.from);
    const listed = one.r.list!.json!.bootEnvironments as { name: string; kind: string; dataset: string; active: boolean; current: boolean }[];
    expect(listed, said(one)).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'debian', kind: 'system', active: true, current: true }),
      expect.objectContaining({ name, kind: 'clone', dataset: be, active: false, current: false }),
    ]));
    expect(one.r.activate?.code, said(one)).toBe(0);
    // This machine boots by root=zfs:AUTO: the pool's bootfs, so the activation takes effect.
    expect(one.r.activate!.json).toMatchObject({ bootPath: { kind: 'bootfs' }, takesEffect: true });

    // Boot 2: / is the boot environment, with the upgrades; it is C and A; not destroyed while it runs.
    const two = await boot('two');
    expect(two.r.root, said(two)).toBe(be);
    expect(two.r.var).toBe(`${be}/var`);
    for (const u of upgrades) expect(two.r.versions[u.name], u.name).toBe(u.to);
    const bes = two.r.list!.json!.bootEnvironments as { name: string; kind: string; dataset: string; active: boolean; current: boolean }[];
    expect(bes).toEqual(expect.arrayContaining([
      expect.objectContaining({ name, kind: 'system', dataset: be, active: true, current: true }),
      expect.objectContaining({ name: 'debian', kind: 'parent', dataset: ROOT_DS, active: false, current: false }),
    ]));
    expect(two.r.destroy?.code).toBe(1);
    expect(two.r.destroy!.json).toMatchObject({ error: { code: 'CURRENT' } });
    expect(two.r.activate?.code, said(two)).toBe(0);
    expect(two.r.activate!.json).toMatchObject({ bootPath: { kind: 'bootfs' }, takesEffect: true });

    // Boot 3: back on ROOT/debian, its packages as before the upgrade.
    const three = await boot('three');
    expect(three.r.root, said(three)).toBe(ROOT_DS);
    for (const u of upgrades) expect(three.r.versions[u.name], u.name).toBe(u.from);
    expect(three.r.list!.json!.bootEnvironments).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'debian', kind: 'system', active: true, current: true }),
      expect.objectContaining({ name, kind: 'clone', dataset: be, active: false, current: false }),
    ]));
  }, 20 * 60_000);
});

// The fourth boot, on ROOT/debian as the third left it, is the root's own
// systemd: zcp as an admin installs it (apt, its .deb, Debian's nodejs 18
// coming with it), its apt hook, retention by the timer's service, the
// journal, the fleet playbook with Debian's ansible-core, and removal.
describe('zcp installed from its .deb on the booted real root (systemd, Debian\'s nodejs)', () => {
  it('installs with apt, works, prunes by its service, runs the playbook, and leaves no hook when removed', async () => {
    const { disk, made, dir } = handedOver();
    const deb = buildDeb(join(dir, 'deb'));
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
    copyFileSync(deb, join(dir, basename(deb)));
    // The playbook's upgrade: one small package of the root's real upgrades.
    const upgrade = made.upgrades.find((u) => u.name === 'libexpat1') ?? made.upgrades.find((u) => u.name.startsWith('lib')) ?? made.upgrades[0]!;
    writeFileSync(join(dir, 'ansible.json'), JSON.stringify({ upgrade: upgrade.name }));
    const b = await bootStep(disk, dir, STEP, 'four', { systemd: true, timeoutMs: 25 * 60_000 });
    process.stdout.write(`boot four (systemd): ${b.seconds.toFixed(0)} s, step status ${b.status}\n`);
    expect(b.status, said(b)).toBe(0);
    const r = b.report as Record<string, any>;
    const why = said(b);

    // Under the root's own systemd, zcp installed by apt with Debian's nodejs as its dependency.
    expect(r.init, why).toMatch(/\/systemd$/);
    expect(r.install.code, why).toBe(0);
    expect(r.node, why).toMatch(/^v18\./);
    expect(r.packages.zcp).toBe(version);
    expect(r.packages.nodejs).toMatch(/^18\./);
    expect(r.zcpVersion).toBe(version);

    // Its commands on the running system: status, create, list.
    expect(r.status.code, why).toBe(0);
    expect(JSON.stringify(r.status.json.system)).toContain(ROOT_DS);
    expect(r.create.code, why).toBe(0);
    const byHand = r.create.json.checkpoint.id as string;
    expect(r.list.json.checkpoints.map((c: { id: string }) => c.id)).toContain(byHand);

    // The apt hook: a plain apt-get install is a committed transaction naming jq.
    expect(r.hook.code, why).toBe(0);
    expect(r.aptWithHook.code, why).toBe(0);
    const last = r.history.json.history.at(-1);
    expect(last.state, why).toBe('committed');
    expect(JSON.stringify(last)).toContain('jq');

    // The timer's service prunes by the config's keep (1); its run is in the journal.
    expect(r.pruneService.code, why).toBe(0);
    expect(r.pruneResult).toMatch(/Result=success/);
    expect(r.pruneResult).toMatch(/ExecMainStatus=0/);
    expect(r.beforePrune.json.checkpoints.map((c: { id: string }) => c.id)).toContain(byHand);
    expect(r.afterPrune.json.checkpoints.map((c: { id: string }) => c.id)).not.toContain(byHand);
    expect(r.journal, why).toMatch(/prune/);
    expect(r.timerEnabled).toBe('enabled');

    // The playbook: --check changes nothing but says the upgrade would; the real run upgrades in a
    // transaction (changed); run again, nothing to do (not changed).
    const a = r.ansible;
    expect(a.check.code, why).toBe(0);
    expect(a.check).toMatchObject({ failed: 0 });
    expect(a.check.changed).toBeGreaterThan(0);
    expect(a.afterCheck).toEqual(a.before);
    expect(a.real.code, why).toBe(0);
    expect(a.real).toMatchObject({ failed: 0 });
    expect(a.real.changed).toBeGreaterThan(0);
    expect(a.afterCheck.versions[upgrade.name]).toBe(upgrade.from);
    expect(a.afterReal.versions[upgrade.name], upgrade.name).toBe(upgrade.to);
    expect(a.afterReal.checkpoints.length).toBe(a.before.checkpoints.length + 1);
    expect(r.history2.json.history.at(-1)).toMatchObject({ state: 'committed', title: `ansible: install --only-upgrade ${upgrade.name}` });
    expect(a.again).toMatchObject({ code: 0, changed: 0, failed: 0 });
    expect(a.afterAgain).toEqual(a.afterReal);

    // apt remove zcp takes the hook with it; apt runs on without it.
    expect(r.remove.code, why).toBe(0);
    expect(r.hooksLeft).toEqual([]);
    expect(r.aptAfterRemove.code, why).toBe(0);
    expect(r.aptAfterRemove.out).not.toMatch(/zcp/);
  }, 30 * 60_000);
});
