/**
 * What an apt-get run will do, asked of apt itself before any checkpoint
 * (as apt-clone did): the packages from `apt-get -s`, their sizes from
 * `apt-cache show`, the space the change needs beside a checkpoint, and
 * whether it touches the kernel, libc or init (a reboot).
 * @module
 */
import { lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ZcpError } from '../errors.js';
import { mountTable } from '../fs/mount-table.js';
import { type Finished, run } from '../subprocess.js';
import { touchesNames } from '../transaction/important.js';
import { aptProgram } from './command.js';

/** The apt-get actions zcp wraps (apt-clone did install, upgrade, dist-upgrade). */
export const APT_ACTIONS = ['install', 'reinstall', 'remove', 'purge', 'upgrade', 'dist-upgrade', 'full-upgrade', 'autoremove'] as const;
export type AptAction = (typeof APT_ACTIONS)[number];

/** One package apt will unpack (`from` when it replaces an installed version). */
export interface AptInstall {
  name: string;
  version: string;
  from?: string;
  architecture?: string;
  /** The .deb's size (bytes), from apt-cache. */
  size?: number;
  /** Its unpacked size (bytes), from apt-cache's Installed-Size. */
  installedSize?: number;
}

export interface AptPlan {
  action: AptAction;
  /** apt-get's own arguments after the action, as given. */
  args: string[];
  install: AptInstall[];
  remove: { name: string; version?: string; purge: boolean }[];
  /** kernel / libc / init: a reboot is needed to use the change. */
  touches: string[];
  /**
   * Bytes the change needs on the pool: the archives to fetch plus the full
   * unpacked size of every new version. Not apt's net figure: a checkpoint
   * keeps the old files' blocks, so nothing apt replaces or removes frees space.
   */
  needBytes: number;
}

/** Asking must not write: no planner log (apt-get -s writes eipp.log.xz). */
const NO_PLANNER_LOG = ['-o', 'Dir::Log::Planner=/dev/null'];
/** Nor package cache files, where there is no scratch room for them: apt builds its cache in memory, each call anew. */
const NO_CACHE_FILES = ['-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache='];
/** Where apt keeps its package caches unless told otherwise. */
const APT_CACHES = { pkgcache: '/var/cache/apt/pkgcache.bin', srcpkgcache: '/var/cache/apt/srcpkgcache.bin' } as const;

/** The scratch directories' names: this and six characters of mkdtemp's. */
const SCRATCH_PREFIX = 'zcp-apt-';
const SCRATCH_NAME = new RegExp(`^${SCRATCH_PREFIX}[A-Za-z0-9]{6}$`);

/**
 * apt's package caches for asking, read but never written: a scratch
 * directory on the system's /run (a tmpfs, on no dataset) holding symlinks to
 * apt's own cache files. A valid cache is read through its link (apt-get -s
 * takes seconds less than building it from the lists, and under emulation
 * ten); an outdated one is rebuilt into the scratch directory (apt writes
 * a temporary file there and renames it over the link, never through it),
 * where the next question reads it. Only for the running system and a root
 * entered with chroot whose /run is a tmpfs; elsewhere the caches stay off.
 * @returns apt's options and the scratch directory's removal, or undefined.
 */
export function scratchCaches(dir: string): { options: string[]; remove: () => void } | undefined {
  const running = dir === '/' || dir === '';
  if (!running && aptProgram(dir, 'apt-get')[0] !== 'chroot') return undefined; // the host's apt pointed at a root: its paths are the host's
  const run = running ? '/run' : join(dir, 'run');
  if (!lstatSync(run, { throwIfNoEntry: false })?.isDirectory() || !mountTable().some((m) => m.mountpoint === run && m.fstype === 'tmpfs')) return undefined;
  sweepStaleScratch(run);
  let scratch: string;
  try {
    scratch = mkdtempSync(join(run, SCRATCH_PREFIX));
  } catch {
    return undefined;
  }
  const remove = () => rmSync(scratch, { recursive: true, force: true });
  try {
    for (const [name, target] of Object.entries(APT_CACHES)) symlinkSync(target, join(scratch, `${name}.bin`));
  } catch {
    remove();
    return undefined;
  }
  // The path apt sees: inside the root when apt runs chrooted into it.
  const seen = running ? scratch : scratch.slice(dir.replace(/\/+$/, '').length);
  return { options: ['-o', `Dir::Cache::pkgcache=${seen}/pkgcache.bin`, '-o', `Dir::Cache::srcpkgcache=${seen}/srcpkgcache.bin`], remove };
}

/** A scratch directory this old was left by a zcp killed during its plan (a plan takes seconds). */
const STALE_SCRATCH_MS = 24 * 3600_000;

/**
 * Removes the scratch directories (`zcp-apt-XXXXXX` in `run`, made by this user) of plans
 * killed before they could: links, and perhaps a rebuilt cache of tens of MB
 * in memory until reboot. Only real directories by that name, a day old;
 * what is inside is unlinked, never followed.
 */
export function sweepStaleScratch(run: string, now = Date.now()): string[] {
  const swept: string[] = [];
  let names: string[];
  try {
    names = readdirSync(run);
  } catch {
    return swept;
  }
  for (const name of names) {
    if (!SCRATCH_NAME.test(name)) continue;
    const path = join(run, name);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st?.isDirectory() || st.uid !== (process.getuid?.() ?? 0) || now - st.mtimeMs < STALE_SCRATCH_MS) continue;
    try {
      rmSync(path, { recursive: true, force: true });
      swept.push(path);
    } catch {
      // not ours to insist on: the next plan tries again
    }
  }
  return swept;
}

/** A failed apt-get or apt-cache: its exit status and what it said. */
export class AptError extends ZcpError {
  override readonly name = 'AptError';
  /** The stable code in zcp's --json errors. */
  readonly code = 'APT_REFUSED';
  constructor(
    message: string,
    readonly exitCode: number,
    cause?: unknown,
  ) {
    super(message, { subject: 'apt-get', cause });
  }
}

async function apt(argv: string[], label: string): Promise<string> {
  let r: Finished;
  try {
    r = await run(argv, { maxBuffer: 1 << 28 });
  } catch (e) {
    throw new AptError(`${label}: ${(e as Error).message}`, 127, e);
  }
  if (r.status === 0) return r.stdout;
  const said = r.stderr.split('\n').filter((l) => /^(E|W): /.test(l)).join('; ') || r.stderr.trim() || `exit status ${r.status}`;
  throw new AptError(`${label}: ${said}`, r.status);
}

/** Reads apt-get -s output: `Inst NAME [OLD] (NEW ORIGIN [ARCH])`, `Remv NAME [OLD]`, `Purg NAME [OLD]`. */
export function parseSimulation(text: string): Pick<AptPlan, 'install' | 'remove'> {
  const install: AptInstall[] = [];
  const remove: AptPlan['remove'] = [];
  for (const line of text.split('\n')) {
    let m = /^Inst (\S+) (?:\[([^\]]*)\] )?\((\S+)(?: [^[]*)?(?:\[([^\]]*)\])?\)/.exec(line);
    if (m) {
      install.push({ name: m[1]!, version: m[3]!, ...(m[2] ? { from: m[2] } : {}), ...(m[4] ? { architecture: m[4] } : {}) });
      continue;
    }
    m = /^(Remv|Purg) (\S+)(?: \[([^\]]*)\])?/.exec(line);
    if (m) remove.push({ name: m[2]!, ...(m[3] ? { version: m[3] } : {}), purge: m[1] === 'Purg' });
  }
  return { install, remove };
}

/** Size and Installed-Size (KiB in the field) of each paragraph of apt-cache show, by name=version. */
export function parseCacheSizes(text: string): Map<string, { size: number; installedSize: number }> {
  const out = new Map<string, { size: number; installedSize: number }>();
  for (const para of text.split(/\n\s*\n/)) {
    const field = (f: string) => new RegExp(`^${f}: *(.*)$`, 'm').exec(para)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (!name || !version) continue;
    out.set(`${name}=${version}`, { size: Number(field('Size') ?? 0) || 0, installedSize: (Number(field('Installed-Size') ?? 0) || 0) * 1024 });
  }
  return out;
}

/**
 * Asks apt what `apt-get ACTION ARGS` would do on the system at `root`
 * (nothing changes).
 * @throws {@link AptError} when apt refuses (an unknown package: apt's own message and exit status).
 */
export async function planApt(action: AptAction, args: readonly string[], root = '/'): Promise<AptPlan> {
  const caches = scratchCaches(root);
  try {
    return await askApt(action, args, root, [...NO_PLANNER_LOG, ...(caches?.options ?? NO_CACHE_FILES)]);
  } finally {
    caches?.remove();
  }
}

async function askApt(action: AptAction, args: readonly string[], root: string, readOnly: string[]): Promise<AptPlan> {
  const sim = await apt([...aptProgram(root, 'apt-get'), ...readOnly, '-s', '-q', action, ...args], `apt-get -s ${action}`);
  const { install, remove } = parseSimulation(sim);
  if (install.length) {
    // Only -o options carry over to apt-cache (they select the configuration); the rest are apt-get's.
    const opts: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '-o' && i + 1 < args.length) opts.push('-o', args[++i]!);
      else if (args[i]!.startsWith('-o') && args[i]!.length > 2) opts.push(args[i]!);
    }
    const shown = await apt([...aptProgram(root, 'apt-cache'), ...readOnly, ...opts, 'show', '--no-all-versions', ...install.map((p) => `${p.name}=${p.version}`)], 'apt-cache show').catch(() => '');
    const sizes = parseCacheSizes(shown);
    for (const p of install) {
      const s = sizes.get(`${p.name}=${p.version}`);
      if (s) Object.assign(p, { size: s.size, installedSize: s.installedSize });
    }
  }
  const needBytes = install.reduce((n, p) => n + (p.size ?? 0) + (p.installedSize ?? 0), 0);
  const touches = touchesNames([...install.map((p) => p.name), ...remove.map((p) => p.name)]);
  return { action, args: [...args], install, remove, touches, needBytes };
}

/** One line per kind of change, for people. */
export function describePlan(plan: AptPlan): string[] {
  const up = plan.install.filter((p) => p.from !== undefined);
  const fresh = plan.install.filter((p) => p.from === undefined);
  const lines: string[] = [];
  if (fresh.length) lines.push(`install ${fresh.length}: ${fresh.map((p) => `${p.name} ${p.version}`).join(', ')}`);
  if (up.length) lines.push(`replace ${up.length}: ${up.map((p) => `${p.name} ${p.from} -> ${p.version}`).join(', ')}`);
  if (plan.remove.length) lines.push(`${plan.remove.some((p) => p.purge) ? 'remove/purge' : 'remove'} ${plan.remove.length}: ${plan.remove.map((p) => p.name).join(', ')}`);
  return lines;
}
