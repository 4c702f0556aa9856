/**
 * The package database of a checkpoint, read from its snapshots
 * (`MOUNTPOINT/.zfs/snapshot/ID/...` of whichever of the system's datasets
 * holds each path, so a separate `/var` is read from its own snapshot), and
 * package-level diffs between checkpoints and the live system.
 * @module
 */
import { join, relative } from 'node:path';
import * as zfs from '../zfs/index.js';
import { type PackageDiff, type PackageSet, diff, readPackages } from '../pkgdb/packages.js';
import type { SystemRoot } from '../pkgdb/root.js';
import { CheckpointError } from './errors.js';
import { type System, zfsMounts } from './system.js';

/**
 * Where each mounted dataset of the system is mounted (`mounted` is not a
 * kernel property: the mount table says, /proc/self/mountinfo on Linux; the
 * `mountpoint` property elsewhere).
 */
export async function mountpoints(system: System): Promise<{ dataset: string; mountpoint: string }[]> {
  const table = await zfsMounts();
  const out: { dataset: string; mountpoint: string }[] = [];
  for (const ds of system.datasets) {
    let mp = [...table].find(([, d]) => d === ds)?.[0];
    if (mp === undefined && table.size === 0) {
      const v = (await zfs.getProps(ds, ['mountpoint'])).mountpoint?.value;
      if (typeof v === 'string' && v.startsWith('/')) mp = v;
    }
    if (mp !== undefined) out.push({ dataset: ds, mountpoint: mp });
  }
  return out;
}

/** A resolver of system paths into checkpoint `id`'s snapshots. */
export async function snapshotRoot(system: System, id: string): Promise<SystemRoot> {
  const mounts = (await mountpoints(system)).sort((a, b) => b.mountpoint.length - a.mountpoint.length);
  return (rel: string) => {
    const abs = join(system.root, rel);
    const m = mounts.find((x) => abs === x.mountpoint || abs.startsWith(x.mountpoint === '/' ? '/' : `${x.mountpoint}/`));
    if (!m) {
      throw new CheckpointError('BAD_SYSTEM', `${abs} is on none of the system's mounted datasets, so it can't be read from checkpoint ${id}`);
    }
    return join(m.mountpoint, '.zfs/snapshot', id, relative(m.mountpoint, abs));
  };
}

/** The packages in checkpoint `id` (or, without id, of the live system). */
export async function packagesOf(system: System, id?: string): Promise<PackageSet> {
  return readPackages(id ? await snapshotRoot(system, id) : system.root);
}

/** What changed from checkpoint `from` to checkpoint `to` (or the live system). */
export async function packageDiff(system: System, from: string, to?: string): Promise<PackageDiff> {
  return diff(await packagesOf(system, from), await packagesOf(system, to));
}
