/**
 * One view of a system's packages, whichever manager it uses, and the
 * package-level difference between two such views (a checkpoint and now).
 * @module
 */
import { access } from 'node:fs/promises';
import { type SystemRoot, describeRoot, inRoot } from './root.js';
import { compareDebVersions } from './debversion.js';
import { type DpkgPackage, readDpkgStatus } from './dpkg.js';
import { PkgdbError } from './errors.js';
import { readRpmDb } from './rpmdb.js';
import { compareRpmEVR } from './rpmversion.js';

/** A package as zcp compares them. */
export interface Package {
  name: string;
  /** The full version: dpkg's `[epoch:]upstream[-revision]`, rpm's `[epoch:]version-release`. */
  version: string;
  architecture: string;
  /** dpkg: `want flag state`. */
  status?: string;
  /** rpm: the transaction that installed it, and when. */
  installTid?: number;
  installTime?: number;
}

/** The package database a system has. */
export type PackageManager = 'dpkg' | 'rpm';

/** The packages of a system and the manager that keeps them. */
export interface PackageSet {
  manager: PackageManager;
  packages: Package[];
}

// dpkg states of a package that is (at least partly) on the system.
const PRESENT = new Set(['installed', 'half-installed', 'unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending']);

/** The package set of a dpkg status already read: the packages on the system (removed ones left out). */
export function dpkgPackageSet(list: readonly DpkgPackage[]): PackageSet {
  return {
    manager: 'dpkg',
    packages: list
      .filter((p) => p.status === undefined || PRESENT.has(p.status.state))
      .map((p) => ({
        name: p.name,
        version: p.version,
        architecture: p.architecture,
        ...(p.status ? { status: `${p.status.want} ${p.status.flag} ${p.status.state}` } : {}),
      })),
  };
}

/**
 * The installed packages under `root`: dpkg's status file if there is one,
 * else the rpmdb. Packages dpkg lists as removed (`config-files`,
 * `not-installed`) are left out.
 * @throws {@link PkgdbError} `NO_DATABASE` when neither is there; `CORRUPT`, `UNREADABLE`.
 */
export async function readPackages(root: SystemRoot = '/'): Promise<PackageSet> {
  const dpkg = await access(inRoot(root, 'var/lib/dpkg/status')).then(
    () => true,
    () => false,
  );
  if (dpkg) return dpkgPackageSet(await readDpkgStatus(root));
  try {
    const list = await readRpmDb(root);
    return {
      manager: 'rpm',
      packages: list
        .filter((p) => p.name !== 'gpg-pubkey') // imported keys live in the rpmdb as pseudo-packages
        .map((p) => ({
          name: p.name,
          version: `${p.epoch !== undefined ? `${p.epoch}:` : ''}${p.version}-${p.release}`,
          architecture: p.arch,
          ...(p.installTid !== undefined ? { installTid: p.installTid } : {}),
          ...(p.installTime !== undefined ? { installTime: p.installTime } : {}),
        })),
    };
  } catch (e) {
    if (e instanceof PkgdbError && e.code === 'NO_DATABASE') {
      throw new PkgdbError({ code: 'NO_DATABASE', message: `no package database under ${describeRoot(root)} (neither dpkg's status nor an rpmdb)` });
    }
    throw e;
  }
}

/** A package whose version changed. */
export interface VersionChange {
  name: string;
  architecture: string;
  from: string;
  to: string;
}

/** What changed between two package sets, by name and architecture. */
export interface PackageDiff {
  installed: Package[];
  removed: Package[];
  upgraded: VersionChange[];
  downgraded: VersionChange[];
}

/**
 * The packages installed, removed, upgraded and downgraded from `before` to
 * `after` (by name and architecture; versions compared as their manager
 * does). Where one name and architecture has several versions (rpm's
 * kernels), versions that appear or disappear count as installed or removed.
 * @throws {@link PkgdbError} `INVALID_VERSION` for a version the manager rejects.
 */
export function diff(before: PackageSet, after: PackageSet): PackageDiff {
  const compare = after.manager === 'rpm' ? compareRpmEVR : compareDebVersions;
  const group = (s: PackageSet) => {
    const m = new Map<string, Package[]>();
    for (const p of s.packages) {
      const k = `${p.name}\u0000${p.architecture}`;
      m.set(k, [...(m.get(k) ?? []), p]);
    }
    return m;
  };
  const a = group(before);
  const b = group(after);
  const out: PackageDiff = { installed: [], removed: [], upgraded: [], downgraded: [] };
  for (const [k, olds] of a) {
    const news = b.get(k) ?? [];
    if (olds.length === 1 && news.length === 1) {
      const [o, n] = [olds[0]!, news[0]!];
      const c = compare(o.version, n.version);
      if (c < 0) out.upgraded.push({ name: n.name, architecture: n.architecture, from: o.version, to: n.version });
      else if (c > 0) out.downgraded.push({ name: n.name, architecture: n.architecture, from: o.version, to: n.version });
      continue;
    }
    const newVersions = new Set(news.map((p) => p.version));
    const oldVersions = new Set(olds.map((p) => p.version));
    out.removed.push(...olds.filter((p) => !newVersions.has(p.version)));
    out.installed.push(...news.filter((p) => !oldVersions.has(p.version)));
  }
  for (const [k, news] of b) if (!a.has(k)) out.installed.push(...news);
  const byName = (x: { name: string; architecture: string }, y: { name: string; architecture: string }) =>
    x.name.localeCompare(y.name) || x.architecture.localeCompare(y.architecture);
  out.installed.sort(byName);
  out.removed.sort(byName);
  out.upgraded.sort(byName);
  out.downgraded.sort(byName);
  return out;
}
