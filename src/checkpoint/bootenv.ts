/**
 * Boot environments: a checkpoint cloned into writable datasets (every
 * dataset of the system, under a new name), made to boot next by the pool's
 * `bootfs` (as zectl and bectl do), and destroyed only when it neither boots
 * next nor runs.
 * @module
 */
import { dirname, join } from 'node:path';
import * as zfs from '../zfs/index.js';
import { nameProblem, poolOf } from '../zfs/names.js';
import type { CheckpointSource } from './checkpoints.js';
import { CheckpointError } from './errors.js';
import { faultPoint } from './fault.js';
import { uninterruptible } from './interrupt.js';
import type { Mounts } from './mount.js';
import { type System, zfsMounts } from './system.js';

/**
 * One boot environment: the system itself, a zcp-made clone of one of its
 * checkpoints, or (when the system is such a clone, booted) the system it
 * was cloned from, so that there is a way back.
 */
export interface BootEnvironment {
  name: string;
  /** `system`: the one zcp works on; `clone`: made by zcp from its checkpoint `origin`; `parent`: the system this one was cloned from (not zcp's: never destroyed). */
  kind: 'system' | 'clone' | 'parent';
  /** Its root dataset. */
  dataset: string;
  /** All its datasets, root first. */
  datasets: string[];
  /** The checkpoint it was cloned from (absent for the system itself). */
  origin?: string;
  /** A = the pool's bootfs: it boots next. */
  active: boolean;
  /** C = it is the running system (mounted at /) or the system zcp works on. */
  current: boolean;
}

/** Where each dataset of the system goes in a boot environment called `name`. */
export function cloneTargets(system: Pick<System, 'datasets'>, name: string): Map<string, string> {
  const [root, ...rest] = system.datasets as [string, ...string[]];
  const newRoot = `${dirname(root) === '.' ? root : dirname(root)}/${name}`;
  const out = new Map<string, string>([[root, newRoot]]);
  for (const ds of rest) {
    // Under the root: the same place under the new root; elsewhere (a boot pool): NAME next to it.
    out.set(ds, ds.startsWith(`${root}/`) ? newRoot + ds.slice(root.length) : `${dirname(ds)}/${name}`);
  }
  return out;
}

/** Why `name` can't name a boot environment, or undefined when it can (the CLI checks it before anything else). */
export function bootEnvironmentNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(name) && name.length <= 200) return undefined;
  return `"${name}" is not a boot environment name (letters, digits, _ . : -; not starting with a symbol; at most 200)`;
}

/**
 * Clones checkpoint `ref` into a boot environment `name` (every dataset, not
 * mounted: `canmount=noauto`, the origin's own mountpoints kept).
 * @returns the datasets made (or, with dryRun, that would be).
 */
export async function cloneCheckpoint(cps: CheckpointSource, ref: string, name: string, options: { dryRun?: boolean } = {}): Promise<string[]> {
  const bad = bootEnvironmentNameProblem(name);
  if (bad) throw new CheckpointError('INVALID_NAME', bad);
  const c = await cps.get(ref);
  if (c.state !== 'complete') throw new CheckpointError('INCOMPLETE', `${c.id} is incomplete; zcp will not clone it`, c.snapshots[0]);
  const targets = cloneTargets(cps.system, name);
  const seen = new Set<string>();
  for (const [ds, target] of targets) {
    // Two datasets of the system in one parent outside the root would get the same copy's name.
    if (seen.has(target)) throw new CheckpointError('CLONE_CONFLICT', `boot environment ${name}: ${ds} and another dataset of the system would both be cloned to ${target}; give the extra dataset a parent of its own`, ds);
    seen.add(target);
  }
  for (const [, target] of targets) {
    const problem = nameProblem(target, 'dataset');
    if (problem) throw new CheckpointError('INVALID_NAME', `${target}: ${problem}`, target);
    if (await zfs.exists(target)) throw new CheckpointError('BOOT_ENVIRONMENT_EXISTS', `${target} already exists`, target);
  }
  if (options.dryRun) return [...targets.values()];
  const made: string[] = [];
  // All the clones or none: Ctrl-C waits for the last one; a kill -9 between two leaves a
  // boot environment that lacks datasets, which destroy removes (it destroys what is there).
  await uninterruptible(async () => {
    try {
      for (const [ds, target] of targets) {
        const props: Record<string, string> = { canmount: 'noauto', 'zcp:be': name, 'zcp:origin': c.id };
        // The setting, not where it mounts now: a pool imported under an altroot
        // (a rescue system) must not give the clone a mountpoint of /mnt/alt.
        const mp = await zfs.getMountpoint(ds);
        if (mp.source === 'local') props.mountpoint = mp.setting;
        await zfs.clone(`${ds}@${c.id}`, target, props);
        made.push(target);
        if (made.length === 1) faultPoint('be-clone-first');
      }
    } catch (e) {
      for (const d of made.reverse()) await zfs.destroy(d).catch(() => undefined);
      throw e;
    }
  });
  return made;
}

/** The system itself and every zcp-made boot environment of it, with A and C. */
export async function bootEnvironments(cps: CheckpointSource): Promise<BootEnvironment[]> {
  const root = cps.system.datasets[0]!;
  const pool = poolOf(root);
  const bootfs = await zfs.getPoolProp(pool, 'bootfs').catch(() => '-');
  const slash = (await zfsMounts()).get('/');
  const out: BootEnvironment[] = [
    { kind: 'system', name: root.slice(root.lastIndexOf('/') + 1), dataset: root, datasets: [...cps.system.datasets], active: bootfs === root, current: true },
  ];
  const parent = await parentSystem(cps.system.datasets);
  if (parent) out.push({ ...parent, active: bootfs === parent.dataset, current: slash === parent.dataset });
  // A boot environment's root is cloned next to the system's root (cloneTargets): its siblings are
  // read, not the clones of every checkpoint (that would open each of thousands of snapshots).
  const tids = new Map((await cps.list()).map((c) => [c.id, c.tid]));
  const clones: (BootEnvironment & { tid: number })[] = [];
  for (const clone of await zfs.listChildren(dirname(root) === '.' ? root : dirname(root))) {
    if (clone === root) continue;
    const p = await zfs.getProps(clone, ['origin', 'zcp:be', 'zcp:origin']);
    const name = p['zcp:be']?.value;
    const id = p['zcp:origin']?.value;
    // A zcp boot environment of one of this system's checkpoints: cloned from its root's snapshot.
    if (typeof name !== 'string' || typeof id !== 'string' || !tids.has(id) || p.origin?.value !== `${root}@${id}`) continue;
    const targets = [...cloneTargets(cps.system, name).values()];
    if (targets[0] !== clone) continue;
    clones.push({ kind: 'clone', name, dataset: clone, datasets: targets, origin: id, active: bootfs === clone, current: slash === clone, tid: tids.get(id)! });
  }
  clones.sort((a, b) => a.tid - b.tid || a.dataset.localeCompare(b.dataset));
  return [...out, ...clones.map(({ tid: _, ...be }) => be)];
}

/**
 * The system a booted boot environment was cloned from: the dataset of its
 * root's `origin`, when that snapshot is a zcp checkpoint (its `zcp:tid` set
 * on the snapshot itself, not inherited: anyone with `userprop` on a dataset
 * could set it there). Its datasets are the origins of this system's
 * datasets from the same checkpoint. Without it, a machine booted into a
 * boot environment would have no zcp way back to the system it came from.
 */
async function parentSystem(datasets: readonly string[]): Promise<Omit<BootEnvironment, 'active' | 'current'> | undefined> {
  const originOf = async (ds: string) => {
    const v = (await zfs.getProps(ds, ['origin'])).origin?.value;
    return typeof v === 'string' && v.includes('@') ? v : undefined;
  };
  const rootOrigin = await originOf(datasets[0]!);
  if (!rootOrigin) return undefined;
  const [parentRoot, snap] = rootOrigin.split('@') as [string, string];
  const tid = (await zfs.getProps(rootOrigin, ['zcp:tid']))['zcp:tid'];
  if (tid?.source !== 'local' || !/^zcp-\d+$/.test(snap)) return undefined;
  const parentDatasets = [parentRoot];
  for (const ds of datasets.slice(1)) {
    const o = await originOf(ds);
    if (o?.endsWith(`@${snap}`)) parentDatasets.push(o.slice(0, -snap.length - 1));
  }
  return { kind: 'parent', name: parentRoot.slice(parentRoot.lastIndexOf('/') + 1), dataset: parentRoot, datasets: parentDatasets };
}

/** Boot environment `name` (by name or root dataset; the system itself included). */
async function findBootEnvironment(cps: CheckpointSource, name: string): Promise<BootEnvironment> {
  const be = (await bootEnvironments(cps)).find((b) => b.name === name || b.dataset === name);
  if (!be) throw new CheckpointError('BOOT_ENVIRONMENT_NOT_FOUND', `no boot environment ${name} of ${cps.system.datasets[0]}`, name);
  return be;
}

/** Makes boot environment `name` (or the system itself, by its name) boot next: the pool's bootfs. */
export async function activate(cps: CheckpointSource, name: string, options: { dryRun?: boolean } = {}): Promise<BootEnvironment> {
  const be = await findBootEnvironment(cps, name);
  if (!options.dryRun) await zfs.setPoolProp(poolOf(be.dataset), 'bootfs', be.dataset);
  return { ...be, active: true };
}

/**
 * The datasets of boot environment `be` that zcp may destroy: each must be a
 * clone of the boot environment's checkpoint that zcp marked as this boot
 * environment's (`zcp:be`, `zcp:origin` set locally, `origin` a snapshot
 * named after the checkpoint). They are found both where today's config puts
 * them and among the checkpoint's clones, so a changed config neither adds a
 * stranger nor hides one of its own; one that was never made (a clone cut
 * short) is simply not there. Deepest first.
 */
async function ownDatasets(cps: CheckpointSource, be: BootEnvironment): Promise<string[]> {
  const c = be.origin === undefined ? undefined : await cps.get(be.origin).catch(() => undefined);
  const candidates = new Set([...be.datasets, ...(c?.clones ?? [])]);
  const own: string[] = [];
  for (const ds of candidates) {
    if (!(await zfs.exists(ds))) continue;
    const p = await zfs.getProps(ds, ['zcp:be', 'zcp:origin', 'origin']);
    const local = (k: string) => (p[k]?.source === 'local' ? p[k]?.value : undefined);
    if (local('zcp:be') !== be.name || local('zcp:origin') !== be.origin) continue;
    if (typeof p.origin?.value !== 'string' || !p.origin.value.endsWith(`@${be.origin}`)) continue;
    own.push(ds);
  }
  return own.sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}

/** Destroys a zcp-made boot environment: only the datasets verified as its own; refuses the active and the current one. */
export async function destroyBootEnvironment(cps: CheckpointSource, name: string, options: { dryRun?: boolean } = {}): Promise<string[]> {
  const be = await findBootEnvironment(cps, name);
  if (be.current) throw new CheckpointError('CURRENT', `${be.name} is the running system; zcp will not destroy it`, be.dataset);
  if (be.kind === 'parent') throw new CheckpointError('NOT_ZCP', `${be.name} is the system ${cps.system.datasets[0]} was cloned from; zcp did not make it and will not destroy it`, be.dataset);
  if (be.active) throw new CheckpointError('ACTIVE', `${be.name} boots next (bootfs); activate another first`, be.dataset);
  const doomed = await ownDatasets(cps, be);
  if (!options.dryRun) {
    await uninterruptible(async () => {
      for (const [i, d] of doomed.entries()) {
        await zfs.destroy(d);
        if (i === 0) faultPoint('be-destroy-first');
      }
    });
  }
  return doomed;
}

/**
 * Mounts boot environment `name` at `dir`: its root there, every other
 * dataset where the system has it relative to its root (/var at DIR/var).
 * Undo with `mounts.undo()`.
 */
export async function mountBootEnvironment(cps: CheckpointSource, name: string, dir: string, mounts: Mounts): Promise<BootEnvironment> {
  const be = await findBootEnvironment(cps, name);
  if (!be.origin) throw new CheckpointError('BOOT_ENVIRONMENT_NOT_FOUND', `no boot environment ${name} of ${cps.system.datasets[0]}`, name);
  if (be.current) throw new CheckpointError('CURRENT', `${be.name} is the running system`, be.dataset);
  const mountpoint = async (ds: string) => {
    const v = (await zfs.getProps(ds, ['mountpoint'])).mountpoint?.value;
    return typeof v === 'string' && v.startsWith('/') ? v : undefined;
  };
  const [sysRoot, ...sysRest] = cps.system.datasets as [string, ...string[]];
  const rootMp = (await mountpoint(sysRoot)) ?? '/';
  await mounts.zfs(be.datasets[0]!, dir);
  for (const [i, ds] of sysRest.entries()) {
    const mp = await mountpoint(ds);
    if (!mp) continue; // legacy or none: not part of the tree
    const rel = rootMp === '/' ? mp : mp.startsWith(`${rootMp}/`) ? mp.slice(rootMp.length) : mp;
    await mounts.zfs(be.datasets[i + 1]!, dir, rel);
  }
  return be;
}
