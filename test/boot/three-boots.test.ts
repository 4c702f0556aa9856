// Boot environments that really boot: the real Debian root on a pool on a
// host disk image, booted three times by Debian's kernel and Debian's own
// zfs-initramfs (root=zfs:AUTO: the pool's bootfs is mounted at /).
// The disk is the one the `debian` project just left (test/run-all.ts runs
// this right after it; the root is not unpacked twice): ROOT/debian after its
// scenarios, with the boot environment that scenario 5 made with `zcp apt -s
// upgrade`. Boot 1 runs from ROOT/debian: `zcp list` finds that boot
// environment, `zcp activate` it. Boot 2's / is that boot environment, with
// the upgrades; destroying it is refused; `zcp activate debian`. Boot 3 is
// back on ROOT/debian, as it was. Runs on the host: a guest can't span boots.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { POOL, ROOT_DS } from '../debian/layout.js';
import { type BootResult, bootStep } from './boot.js';

const STEP = fileURLToPath(new URL('./step.mjs', import.meta.url));

type Zcp = { code: number; json: Record<string, any> | null };
type Report = { root: string; var: string; versions: Record<string, string>; activate?: Zcp; list?: Zcp; destroy?: Zcp };

const said = (b: BootResult) => `step output:\n${b.log}\nconsole (end):\n${b.console.split('\n').slice(-30).join('\n')}`;

describe('three boots of the real root (Debian kernel, zfs-initramfs, root=zfs:AUTO)', () => {
  it('boots the boot environment zcp activate chose, and the old one again after activating it', async () => {
    const disk = process.env.ZCP_BOOT_DISK;
    const beFile = process.env.ZCP_BOOT_BE;
    if (!disk || !beFile || !existsSync(disk) || !existsSync(beFile)) {
      throw new Error('the three boots run on the disk the debian project leaves: use `npm test`, or `npx tsx test/debian/run-guest.ts --boot`');
    }
    // What scenario 5 made: the boot environment's name and the upgrades in it.
    const made = JSON.parse(readFileSync(beFile, 'utf8')) as { name: string; dataset: string; upgrades: { name: string; from: string; to: string }[] };
    const dir = dirname(disk);
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
