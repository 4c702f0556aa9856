/**
 * A checkpoint's system as one read-only tree: the root dataset's snapshot
 * (`MOUNTPOINT/.zfs/snapshot/ID`) shown at a directory, each other dataset's
 * snapshot shown over its place in it (`/var` on `var`), so that a tool
 * that reads an installed system from a root (zcp's .deb rebuild,
 * `rpm --root`) reads the system as it was. Bind mounts (nullfs, lofs):
 * a snapshot already automounted under `.zfs` can't be mounted a second time.
 * @module
 */
import { realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';
import type { Mounts } from '../checkpoint/mount.js';
import { mountpoints } from '../checkpoint/packages.js';
import type { System } from '../checkpoint/system.js';

/** Where each of the system's datasets goes in the tree: its path under the root ('' for the root), its snapshot directory. */
export async function snapshotLayers(system: System, id: string): Promise<{ rel: string; source: string }[]> {
  const root = realpathSync(system.root);
  const layers: { rel: string; source: string }[] = [];
  for (const { mountpoint } of await mountpoints(system)) {
    const rel = relative(root, mountpoint);
    if (rel.startsWith('..')) continue; // mounted outside the root (a boot pool elsewhere): no package files there
    layers.push({ rel, source: join(mountpoint, '.zfs/snapshot', id) });
  }
  layers.sort((a, b) => a.rel.split('/').length - b.rel.split('/').length || a.rel.localeCompare(b.rel));
  if (layers[0]?.rel !== '') throw new CheckpointError('BAD_SYSTEM', `the system's first dataset is not mounted at its root ${system.root}: its checkpoint can't be read as a tree`, system.datasets[0]);
  return layers;
}

/**
 * Shows checkpoint `id` of `system` at `dir` (read-only: snapshots are).
 * The mounts go into `mounts`, undone by the caller.
 * @throws {@link CheckpointError} `INCOMPLETE` (a dataset's snapshot is missing), `BAD_SYSTEM`, `UNSAFE_PATH`.
 */
export async function mountSnapshotTree(system: System, id: string, dir: string, mounts: Mounts): Promise<void> {
  for (const { rel, source } of await snapshotLayers(system, id)) {
    try {
      statSync(join(source, '.')); // the stat automounts it
    } catch {
      throw new CheckpointError('INCOMPLETE', `checkpoint ${id} has no snapshot at ${source}`, source);
    }
    await mounts.bind(source, dir, rel);
  }
}
