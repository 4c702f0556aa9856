/**
 * A *system*: the datasets checkpointed together (the root dataset first,
 * then `/var`, zones, a boot pool's dataset...) and the root path whose
 * package database describes them. Found from the options, then
 * `/etc/zcp/config.json` and `ZCP_*` variables, then the dataset mounted at
 * `/`.
 * @module
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, normalize } from 'node:path';
import * as zfs from '../zfs/index.js';
import { nameProblem, poolOf } from '../zfs/names.js';
import { CheckpointError } from './errors.js';
import type { PrunePolicy } from './prune.js';
import { ageDays, sizeBytes } from './quantities.js';
import { mountTable } from '../fs/mount-table.js';

/** How to pick a system. */
export interface SystemOptions {
  /** The datasets, root first. Default: config and `ZCP_DATASETS`, else the dataset mounted at `/` (plus configured extras). */
  datasets?: readonly string[];
  /** Where its package database is. Default: the first dataset's mountpoint. */
  root?: string;
  /** The config file. Default `ZCP_CONFIG` or `/etc/zcp/config.json`. */
  configFile?: string;
}

/** A resolved system. */
export interface System {
  /**
   * The system's id: its first dataset's ZFS guid (it stays through renames;
   * a boot environment, a clone, has its own). Every checkpoint carries it
   * (`zcp:system`), so datasets shared by two systems (a `/home` of a dual
   * boot, the extras a boot environment's cloned config names) never get
   * one system's checkpoints treated as the other's.
   */
  id: string;
  /** Every dataset, root first, in the order checkpoints are taken. */
  datasets: string[];
  /** The pools, in the order their snapshots are taken (the first dataset's pool first). */
  pools: string[];
  /** The datasets of each pool. */
  byPool: Map<string, string[]>;
  /** The package database root. */
  root: string;
  /** The retention the config file sets (keep, olderThan, minFree): what prune takes unless told otherwise. */
  retention: PrunePolicy;
}

/** The configuration file's contents (all optional). */
export interface ZcpConfig {
  /** The system's datasets, root first (instead of finding them at the root). */
  datasets?: string[];
  /** Datasets added to the found ones (a separate boot pool's dataset, say). */
  extraDatasets?: string[];
  /** The system's root (default /). */
  root?: string;
  /** Retention, for `zcp prune` without options and the zcp-prune timer: keep the newest N (default 10). */
  keep?: number;
  /** Retention: let checkpoints older than this go (`30d`, `12h`, `2w`, or a number of days). */
  olderThan?: string | number;
  /** Retention: let the oldest go until each pool has this much free (`10G`, or bytes). */
  minFree?: string | number;
}

/** The config file zcp reads: `ZCP_CONFIG`, else /etc/zcp/config.json. */
export function configFile(): string {
  return process.env.ZCP_CONFIG ?? '/etc/zcp/config.json';
}

/** Every key the config file may have: any other is refused (a typo must not silently mean the default). */
export const CONFIG_KEYS: readonly (keyof ZcpConfig)[] = ['datasets', 'extraDatasets', 'root', 'keep', 'olderThan', 'minFree'];

/** The retention the config sets: the policy `zcp prune` takes when no option overrides it. */
export function configRetention(config: ZcpConfig): PrunePolicy {
  const policy: PrunePolicy = {};
  if (config.keep !== undefined) policy.keep = config.keep;
  if (config.olderThan !== undefined) policy.maxAgeDays = typeof config.olderThan === 'number' ? config.olderThan : ageDays(config.olderThan)!;
  if (config.minFree !== undefined) policy.minFreeBytes = typeof config.minFree === 'number' ? config.minFree : sizeBytes(config.minFree)!;
  return policy;
}

/** ZFS mounts from /proc/self/mountinfo: mountpoint → dataset (empty where there is none: callers pass datasets explicitly). */
export async function zfsMounts(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const m of mountTable()) if (m.fstype === 'zfs') out.set(m.mountpoint, m.source);
  return out;
}

/**
 * Reads the config file, refusing one that others than root may change (as
 * sudo refuses a writable sudoers): it decides which datasets zcp rolls back.
 */
export async function readConfig(file: string): Promise<ZcpConfig> {
  // The checks are on the descriptor that is read, not on the path again: a
  // file swapped between the check and the read can't slip through.
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    if (code === 'ELOOP') throw new CheckpointError('CONFIG_INSECURE', `${file} is a symbolic link; zcp reads its configuration only from a file that is root's own`, file);
    throw new CheckpointError('BAD_CONFIG', `${file}: ${(e as Error).message}`, file, e);
  }
  let text: string;
  try {
    const insecure = (path: string, st: { uid: number; mode: number }) => {
      if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
        throw new CheckpointError('CONFIG_INSECURE', `${path} may be changed by users other than root (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); zcp refuses it, as sudo refuses a writable sudoers`, path);
      }
    };
    insecure(file, await handle.stat());
    insecure(dirname(file), await stat(dirname(file)));
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('BAD_CONFIG', `${file}: not valid JSON (${(e as Error).message})`, file, e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CheckpointError('BAD_CONFIG', `${file}: must be a JSON object ({"datasets": [...], ...})`, file);
  const unknown = Object.keys(parsed).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new CheckpointError('BAD_CONFIG', `${file}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (the keys are ${CONFIG_KEYS.join(', ')})`, file);
  }
  const c = parsed as ZcpConfig;
  const list = (v: unknown, key: string) => {
    if (v === undefined) return;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new CheckpointError('BAD_CONFIG', `${file}: "${key}" must be a list of dataset names`, file);
  };
  list(c.datasets, 'datasets');
  list(c.extraDatasets, 'extraDatasets');
  if (c.root !== undefined && typeof c.root !== 'string') throw new CheckpointError('BAD_CONFIG', `${file}: "root" must be a path`, file);
  if (c.keep !== undefined && !(Number.isInteger(c.keep) && c.keep >= 0)) throw new CheckpointError('BAD_CONFIG', `${file}: "keep" must be a whole number, not ${JSON.stringify(c.keep)}`, file);
  const valued = (v: unknown, key: string, parse: (t: string) => number | undefined, form: string) => {
    if (v === undefined) return;
    if (typeof v === 'number' ? !(v >= 0 && Number.isFinite(v)) : typeof v !== 'string' || parse(v) === undefined) {
      throw new CheckpointError('BAD_CONFIG', `${file}: "${key}" must be ${form}, not ${JSON.stringify(v)}`, file);
    }
  };
  valued(c.olderThan, 'olderThan', ageDays, 'an age (30d, 12h, 2w) or a number of days');
  valued(c.minFree, 'minFree', sizeBytes, 'a size (10G, 512M) or a number of bytes');
  return c;
}

/**
 * Resolves and checks a system: every dataset exists and is a filesystem.
 * @throws {@link CheckpointError} `NOT_ZFS`, `BAD_SYSTEM`, `INVALID_NAME`, `BAD_CONFIG`, `CONFIG_INSECURE`.
 */
export async function resolveSystem(options: SystemOptions = {}): Promise<System> {
  const config = await readConfig(options.configFile ?? configFile());
  const env = process.env.ZCP_DATASETS?.split(',').map((s) => s.trim()).filter(Boolean);
  let datasets = options.datasets?.length ? [...options.datasets] : env?.length ? env : config.datasets?.length ? [...config.datasets] : undefined;
  const mounts = await zfsMounts();
  let root = options.root ?? process.env.ZCP_ROOT ?? config.root;
  // What zcp found below the root's boot environment itself: its volumes (a swap zvol) are left out below.
  let below = new Set<string>();
  if (!datasets) {
    const at = normalize(root ?? '/').replace(/(.)\/+$/, '$1');
    const top = mounts.get(at);
    if (!top) throw new CheckpointError('NOT_ZFS', `${at === '/' ? 'the root filesystem' : at} is not on ZFS; name the datasets with --dataset (or ZCP_DATASETS, or /etc/zcp/config.json)`);
    below = new Set(await bootEnvironmentChildren(top));
    datasets = [top, ...below];
    for (const extra of config.extraDatasets ?? []) if (!datasets.includes(extra)) datasets.push(extra);
  }
  const seen = new Set<string>();
  for (const ds of datasets) {
    const problem = nameProblem(ds, 'dataset');
    if (problem) throw new CheckpointError('INVALID_NAME', `"${ds}" is not a dataset name: ${problem}`, ds);
    if (seen.has(ds)) throw new CheckpointError('BAD_SYSTEM', `${ds} is named twice`, ds);
    seen.add(ds);
  }
  const byPool = new Map<string, string[]>();
  let id = '';
  const kept: string[] = [];
  for (const ds of datasets) {
    if (!(await zfs.exists(ds))) throw new CheckpointError('NOT_ZFS', `${ds}: no such ZFS dataset`, ds);
    const props = await zfs.getProps(ds, ds === datasets[0] ? ['type', 'guid'] : ['type']);
    const type = props.type?.value;
    if (ds === datasets[0]) id = guidString(props.guid?.value);
    if (type !== 'filesystem' && type !== 'volume') throw new CheckpointError('BAD_SYSTEM', `${ds} is a ${String(type)}, not a filesystem or volume`, ds);
    if (type === 'volume' && below.has(ds)) continue;
    const pool = poolOf(ds);
    byPool.set(pool, [...(byPool.get(pool) ?? []), ds]);
    kept.push(ds);
  }
  datasets = kept;
  if (!root) {
    for (const [mp, ds] of mounts) if (ds === datasets[0]) root = mp;
  }
  if (!root) {
    const mp = (await zfs.getProps(datasets[0]!, ['mountpoint'])).mountpoint?.value;
    if (typeof mp !== 'string' || !mp.startsWith('/')) {
      throw new CheckpointError('BAD_SYSTEM', `${datasets[0]} is not mounted; give the package database root with --root`, datasets[0]);
    }
    root = mp;
  }
  return { id, datasets, pools: [...byPool.keys()], byPool, root, retention: configRetention(config) };
}

/**
 * The datasets below a boot environment (`POOL/ROOT/debian/var`): its file
 * systems are part of the system, as bectl and zectl take a boot environment
 * with its children (resolveSystem drops the volumes when it reads each
 * one's type). Only below a dataset that is not its pool's top one: under
 * `rpool` mounted at `/` sits everything else the pool holds (`rpool/home`),
 * which is not.
 */
async function bootEnvironmentChildren(dataset: string): Promise<string[]> {
  return dataset.includes('/') ? zfs.listChildren(dataset, { recursive: true }) : [];
}

/** A guid as the decimal string of the unsigned 64-bit number (Lua and nvlists may hand it over signed or as a bigint). */
export function guidString(v: unknown): string {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v).toString();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt.asUintN(64, BigInt(v)).toString();
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return BigInt.asUintN(64, BigInt(v)).toString();
  return '';
}
