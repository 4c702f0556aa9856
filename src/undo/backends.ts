/**
 * What differs between dpkg and rpm systems in an undo, in one place: how
 * the old packages are rebuilt, how what the undo would break is found,
 * which edited configuration files are there, and the commands that carry
 * it out (apt-get on dpkg systems; rpm itself on rpm ones, whose removals
 * and installs are two runs: rpm's command line has no mixed transaction).
 * @module
 */
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { aptCommand, aptProgram } from '../apt/command.js';
import { CheckpointError } from '../checkpoint/errors.js';
import type { Mounts } from '../checkpoint/mount.js';
import { snapshotRoot } from '../checkpoint/packages.js';
import type { System } from '../checkpoint/system.js';
import { realDirectory } from '../fs/in-root.js';
import type { PackageManager } from '../pkgdb/packages.js';
import { inRoot } from '../pkgdb/root.js';
import { findRpmDb } from '../pkgdb/rpmdb.js';
import { type EditedConffile, type PackageRef, type Unmet, aptName, debFileName, editedConffiles, repackDebs, unmetAfter } from './deb.js';
import { rebuildRpms, rpmEditedConfigs, rpmFileName, rpmName, rpmUnmetAfter } from './rpm.js';

/** What an undo removes and installs back, as a backend needs it. */
export interface UndoSet {
  /** Packages going back to (or coming back at) the checkpoint's version, rebuilt from it. */
  rebuild: PackageRef[];
  /** Packages removed (installed by the transaction). */
  remove: PackageRef[];
}

/** The commands an undo runs, and what to clean up after them. */
export interface UndoCommands {
  argvs: string[][];
  cleanup: () => void;
}

/** One package manager's part of an undo. */
export interface UndoBackend {
  readonly manager: PackageManager;
  /** The rebuilt package's file name. */
  fileName(p: PackageRef): string;
  /** The packages that would lose a dependency after the undo (broken already now is not the undo's doing). */
  unmet(system: System, checkpoint: string, set: UndoSet): Promise<Unmet[]>;
  /** Edited configuration files of packages going back. */
  edited(system: System, packages: readonly Omit<PackageRef, 'version'>[]): Promise<EditedConffile[]>;
  /** Rebuilds `packages` from the checkpoint's tree into `out`: their files. */
  rebuild(tree: string, out: string, packages: readonly PackageRef[]): Promise<string[]>;
  /** The rebuild, as the plan shows it. */
  rebuildCommand(checkpoint: string, packages: readonly PackageRef[]): string;
  /** The commands that carry the undo out with the rebuilt `files` (kernel file systems for a chroot go into `mounts`). */
  commands(system: System, set: UndoSet, files: string[], options: { replaceConffiles?: boolean }, mounts?: Mounts): Promise<UndoCommands>;
}

/** apt-get's arguments: the rebuilt files installed (downgrades allowed), the removals, edited conffiles kept or replaced. */
function aptArgs(set: UndoSet, files: string[], options: { replaceConffiles?: boolean }): string[] {
  const conf = options.replaceConffiles ? ['-o', 'Dpkg::Options::=--force-confnew'] : ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];
  return ['-y', '--allow-downgrades', ...conf, 'install', ...files, ...set.remove.map((r) => `${aptName(r)}-`)];
}

/** dpkg systems: each package rebuilt as dpkg-repack does (deb-repack.ts), apt-get check, one apt-get run. */
export const DPKG_UNDO: UndoBackend = {
  manager: 'dpkg',
  fileName: debFileName,
  async unmet(system, checkpoint, set) {
    return unmetAfter(system.root, await snapshotRoot(system, checkpoint), set.rebuild, set.remove);
  },
  edited: (system, packages) => editedConffiles(system.root, packages),
  rebuild: repackDebs,
  rebuildCommand: (checkpoint, packages) => `dpkg-deb -Zgzip -z1 --build <each package's files, control and scripts in checkpoint ${checkpoint}>: ${packages.map((r) => `${r.name}:${r.architecture}`).join(' ')}`,
  async commands(system, set, files, options, mounts) {
    const root = system.root;
    let staged: string | undefined;
    if (mounts && aptProgram(root, 'apt-get')[0] === 'chroot' && files.length) {
      // apt-get inside the system sees its own files only: the packages go in for the run.
      staged = mkdtempSync(join(realDirectory(root, 'var/cache/apt/archives'), 'zcp-undo-'));
      for (const f of files) copyFileSync(f, join(staged, basename(f)));
      const inside = staged.slice(root.replace(/\/+$/, '').length);
      files = files.map((f) => join('/', inside, basename(f)));
    }
    const args = aptArgs(set, files, options);
    const argv = mounts ? await aptCommand(root, args, mounts) : ['apt-get', ...args];
    return { argvs: [argv], cleanup: () => staged && rmSync(staged, { recursive: true, force: true }) };
  },
};

/** `rpm` on the system: `--root` when it is not `/`, and its database where it is. */
async function rpmOn(root: string): Promise<string[]> {
  const db = await findRpmDb(root);
  if (!db) throw new CheckpointError('BAD_SYSTEM', `no rpmdb under ${root}`, root);
  return ['rpm', ...(root === '/' ? [] : ['--root', root]), '--dbpath', `/${db}`];
}

/** rpm systems: a spec from the header and rpmbuild, rpm -e --test, rpm -e then rpm -U --oldpackage. */
export const RPM_UNDO: UndoBackend = {
  manager: 'rpm',
  fileName: rpmFileName,
  async unmet(system, checkpoint, set) {
    const snapshot = await snapshotRoot(system, checkpoint);
    const db = await findRpmDb(snapshot);
    if (!db) throw new CheckpointError('INCOMPLETE', `no rpmdb in checkpoint ${checkpoint}`, checkpoint);
    const copy = mkdtempSync(join(tmpdir(), 'zcp-rpmdb-'));
    try {
      cpSync(inRoot(snapshot, db), copy, { recursive: true }); // rpm may write to a database it opens; the snapshot is read-only
      return await rpmUnmetAfter(await rpmOn(system.root), copy, set.rebuild, set.remove);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  },
  async edited(system, packages) {
    return rpmEditedConfigs(await rpmOn(system.root), packages);
  },
  rebuild: rebuildRpms,
  rebuildCommand: (checkpoint, packages) => `rpmbuild -bb <a spec from each header in checkpoint ${checkpoint}'s rpmdb, over its files>: ${packages.map((p) => rpmName(p)).join(' ')}`,
  async commands(system, set, files, options) {
    if (options.replaceConffiles) throw new CheckpointError('NOT_SUPPORTED', "rpm has no option to take the package's config files: it keeps %config(noreplace) ones (the package's beside them as .rpmnew) and saves the others as .rpmsave");
    const rpm = await rpmOn(system.root);
    return {
      argvs: [...(set.remove.length ? [[...rpm, '-e', ...set.remove.map((p) => rpmName(p))]] : []), ...(files.length ? [[...rpm, '-U', '--oldpackage', ...files]] : [])],
      cleanup: () => undefined,
    };
  },
};

/** The backend of a package manager. */
export function undoBackend(manager: PackageManager): UndoBackend {
  return manager === 'rpm' ? RPM_UNDO : DPKG_UNDO;
}
