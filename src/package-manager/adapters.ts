/**
 * What differs between the package managers zcp works with, in one place:
 * how a package version is named on their command lines and how one
 * transaction is undone at package level (apt-get for dpkg systems, dnf for
 * rpm ones).
 * @module
 */
import type { PackageManager } from '../pkgdb/packages.js';

/** A package at a version, as an undo plan lists them. */
export interface PackageAt {
  name: string;
  architecture: string;
  /** The version to go to (or to reinstall). */
  version: string;
}

/** One package manager as zcp drives it. */
export interface ManagerAdapter {
  /** The package database's manager. */
  readonly manager: PackageManager;
  /** How `pkg` at its version is named on the command line. */
  spec(pkg: PackageAt): string;
  /** The commands that install `install` (at those versions, downgrades allowed) and remove `remove`. */
  undoCommands(install: readonly PackageAt[], remove: readonly Omit<PackageAt, 'version'>[]): string[];
}

/** dpkg systems, through apt-get: `name:arch=version`. */
export const APT: ManagerAdapter = {
  manager: 'dpkg',
  spec: (p) => `${p.name}:${p.architecture}=${p.version}`,
  undoCommands(install, remove) {
    const out: string[] = [];
    if (install.length) out.push(`apt-get install --allow-downgrades ${install.map(APT.spec).join(' ')}`);
    if (remove.length) out.push(`apt-get remove ${remove.map((p) => `${p.name}:${p.architecture}`).join(' ')}`);
    return out;
  },
};

/** rpm systems, through dnf: `name-version-release.arch` (no epoch: dnf's NEVRA form without it). */
export const DNF: ManagerAdapter = {
  manager: 'rpm',
  spec: (p) => `${p.name}-${p.version.replace(/^\d+:/, '')}.${p.architecture}`,
  undoCommands(install, remove) {
    const out: string[] = [];
    if (install.length) out.push(`dnf install --allowerasing ${install.map(DNF.spec).join(' ')}`);
    if (remove.length) out.push(`dnf remove ${remove.map((p) => `${p.name}.${p.architecture}`).join(' ')}`);
    return out;
  },
};

/** The adapter of a package database's manager. */
export function adapterFor(manager: PackageManager): ManagerAdapter {
  return manager === 'rpm' ? DNF : APT;
}
