/**
 * zcp's own state on each pool: a small dataset `POOL/zcp` (never mounted,
 * marked `zcp:role=state`) that holds the TID counter, the journal and the
 * history as user properties, outside every dataset a rollback touches; and
 * the per-system lock, an flock(2) on a file under /run/zcp as dpkg and apt
 * take theirs: it costs no ZFS transaction, and the kernel drops it when the
 * process ends, even by kill -9, so a crashed zcp never leaves a stale lock.
 * @module
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { addon } from '../addon.js';
import { run } from '../subprocess.js';
import * as zfs from '../zfs/index.js';
import { ZfsError, errno } from '../zfs/errors.js';
import { delegationsOn, getDelegations } from '../zfs/delegations.js';
import { CheckpointError } from './errors.js';
import { STATE_READ, type StateRead } from './programs.js';

export const STATE_NAME = 'zcp';

/** The state dataset of a pool. */
export function stateDataset(pool: string): string {
  return `${pool}/${STATE_NAME}`;
}

/**
 * Delegated permissions (`zfs allow`) that would let someone other than root
 * change zcp's state dataset: forge the journal, the history or the TID
 * counter (userprop), replace or remove it, or release the lock's hold.
 * Harmless ones (send, snapshot, hold, mount, ...) are allowed.
 */
const WRITING = new Set(['userprop', 'create', 'destroy', 'rename', 'rollback', 'receive', 'promote', 'release', 'allow', 'clone']);

/**
 * The delegations of `zfs allow DS` that apply to DS and let others change
 * it, as "user nobody userprop (from tank)". Permission sets are expanded.
 */
export function writingDelegations(zfsAllowOutput: string, ds: string): string[] {
  const out: string[] = [];
  const sets = new Map<string, string[]>();
  let on = '';
  let section = '';
  const lines = zfsAllowOutput.split('\n');
  // Sets first: they may be defined on any section above.
  for (const line of lines) {
    const m = /^	(@\S+)\s+(\S+)$/.exec(line);
    if (m) sets.set(m[1]!, m[2]!.split(','));
  }
  const expand = (perms: string[], seen = new Set<string>()): string[] =>
    perms.flatMap((p) => (p.startsWith('@') && !seen.has(p) ? (seen.add(p), expand(sets.get(p) ?? [], seen)) : [p]));
  for (const line of lines) {
    const head = /^-+ Permissions on (\S+) -*$/.exec(line.trim());
    if (head) {
      on = head[1]!;
      continue;
    }
    if (/^\S.*:$/.test(line)) {
      section = line.slice(0, -1);
      continue;
    }
    const m = /^	(user|group|everyone)\s*(\S*)\s+(\S+)$/.exec(line) ?? /^	(everyone)\s+(\S+)$/.exec(line);
    if (!m || section === 'Permission sets' || section === 'Create time permissions') continue;
    const applies = on === ds ? section.startsWith('Local') : section.includes('Descendent');
    if (!applies) continue;
    const perms = expand((m[3] ?? m[2] ?? '').split(','));
    const bad = perms.filter((p) => WRITING.has(p));
    if (bad.length) out.push(`${m[1]}${m[3] && m[2] ? ` ${m[2]}` : ''} ${bad.join(',')} (from ${on})`);
  }
  return out;
}

/** A uid's or gid's name from /etc/passwd or /etc/group (the number when it has none). */
function idName(kind: 'user' | 'group', id: string): string {
  try {
    const line = readFileSync(kind === 'user' ? '/etc/passwd' : '/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === id);
    return line?.split(':')[0] || id;
  } catch {
    return id;
  }
}

/**
 * The delegations that let others change `ds`, as "user nobody userprop
 * (from tank)": read through libzfs (no process), or from `zfs allow` where
 * libzfs can't be loaded.
 */
export async function writingDelegationsOf(ds: string): Promise<string[]> {
  const acl = await getDelegations(ds);
  if (acl === undefined) {
    // No zfs command (or it fails): no delegation can be read, as none can be made.
    const text = await run(['zfs', 'allow', ds]).then(
      (r) => (r.status === 0 ? r.stdout : ''),
      () => '',
    );
    return writingDelegations(text, ds);
  }
  return delegationsOn(acl, ds).flatMap((d) => {
    const bad = d.permissions.filter((p) => WRITING.has(p));
    return bad.length ? [`${d.who}${d.who === 'everyone' ? '' : ` ${idName(d.who, d.id)}`} ${bad.join(',')} (from ${d.from})`] : [];
  });
}

/** Refuses a state dataset that delegated users may change (STATE_DELEGATED). */
export async function refuseDelegated(ds: string): Promise<void> {
  const found = await writingDelegationsOf(ds);
  if (found.length) {
    throw new CheckpointError(
      'STATE_DELEGATED',
      `${ds} holds zcp's journal, history and counter, and delegated permissions let others change it: ${found.join('; ')}. zcp refuses to trust it; delegate those on other datasets, or with zfs allow -l (local only) on the pool`,
      ds,
    );
  }
}

/**
 * A pool's zcp state in one read-only call: POOL/zcp there or not, its role,
 * and, given a journal property, that journal's text.
 */
export async function readState(pool: string, journal?: { key: string; chunks: number }): Promise<StateRead> {
  try {
    return await zfs.runProgram(pool, STATE_READ, { state: stateDataset(pool), chunks: journal?.chunks ?? 0, ...(journal ? { journal: journal.key } : {}) });
  } catch (e) {
    // STATE_READ does not ask first whether POOL/zcp is there: a missing one fails it.
    if (!(await zfs.exists(stateDataset(pool)))) return { there: false };
    throw e;
  }
}

/** {@link refuseDelegated} on a pool's state dataset when it is there (ensureState checks one it makes). */
export async function refuseDelegatedIfThere(pool: string): Promise<void> {
  try {
    await refuseDelegated(stateDataset(pool));
  } catch (e) {
    if (!(e instanceof ZfsError && e.code === 'DATASET_NOT_FOUND')) throw e;
  }
}

/**
 * Makes `POOL/zcp` (and its index) if it is not there (an index that went
 * later is made again by the next checkpoint); refuses a
 * `POOL/zcp` that zcp did not make, or that delegated users may change.
 * The state read and the delegations (read through libzfs) side by side:
 * every locked command starts here. Given a journal property, the same read
 * brings that journal's text (one call, not two, before every command).
 * @returns what the read found (a `POOL/zcp` made just now has no journal).
 * @throws {@link CheckpointError} `NOT_ZCP`, `STATE_DELEGATED`.
 */
export async function ensureState(pool: string, journal?: { key: string; chunks: number }): Promise<Extract<StateRead, { there: true }>> {
  const ds = stateDataset(pool);
  const [read, delegated] = await Promise.allSettled([readState(pool, journal), refuseDelegatedIfThere(pool)]);
  if (read.status === 'rejected') throw read.reason;
  const state = read.value;
  if (state.there) {
    if (state.role !== 'state') {
      throw new CheckpointError('NOT_ZCP', `${ds} exists and was not made by zcp (no zcp:role=state); zcp keeps its state there and will not touch it`, ds);
    }
    if (delegated.status === 'rejected') throw delegated.reason;
    return state;
  }
  await createIfNotThere(ds, 'state');
  await refuseDelegated(ds); // inherited from the pool
  await ensureIndex(pool);
  return { there: true, role: 'state' };
}

/**
 * The checkpoint index of a pool: `POOL/zcp/index` (`zcp:role=index`), apart
 * from POOL/zcp because reading a dataset's delegations through libzfs
 * fetches all its properties, and there would be one entry per checkpoint.
 * It only speeds up listing (every decision reads the snapshots), so one
 * that is not zcp's is left alone and unused.
 */
export const indexDataset = (pool: string): string => `${stateDataset(pool)}/index`;

/** Makes the pool's index dataset when it is not there. */
export async function ensureIndex(pool: string): Promise<void> {
  if (!(await zfs.exists(indexDataset(pool)))) await createIfNotThere(indexDataset(pool), 'index');
}

/** Creates a dataset of zcp's (never mounted), unless another zcp made it just now. */
async function createIfNotThere(ds: string, role: 'state' | 'index'): Promise<void> {
  try {
    await zfs.create(ds, { canmount: 'off', mountpoint: 'none', 'zcp:role': role });
  } catch (e) {
    if (!(e instanceof ZfsError && e.code === 'DATASET_EXISTS')) throw e;
  }
}

/** Where the lock files are: /run/zcp (/var/run/zcp where there is no /run: FreeBSD, illumos). */
export function lockDirectory(): string {
  lockDir ??= join(existsSync('/run') && statSync('/run').isDirectory() ? '/run' : '/var/run', 'zcp');
  return lockDir;
}
let lockDir: string | undefined;

/**
 * The lock directory, made if need be; refused (UNSAFE_PATH) when it is a
 * link, not a directory, not ours, or writable by others: a lock file there
 * could be swapped under zcp.
 */
function safeLockDirectory(): string {
  const dir = lockDirectory();
  // Made only when missing (a failed mkdir costs more than the lstat that tells).
  let st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    st = lstatSync(dir);
  }
  const uid = process.geteuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new CheckpointError('UNSAFE_PATH', `${dir} holds zcp's locks and is ${st.isSymbolicLink() ? 'a symbolic link' : !st.isDirectory() ? 'not a directory' : st.uid !== uid ? `owned by uid ${st.uid}` : 'writable by others'}; zcp will not take its lock there (remove it: zcp makes it again)`);
  }
  return dir;
}

/** The lock of one system, held until {@link SystemLock.release} or the process's end. */
export class SystemLock {
  private constructor(private fd: number | undefined) {}

  /** The lock file of the system whose first dataset is `key` (its name hashed: any length, any character). */
  static file(key: string, dir = lockDirectory()): string {
    return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.lock`);
  }

  /**
   * Takes the lock of the system whose first dataset is `key`: an flock on
   * its file under /run/zcp. Two systems never block each other.
   * @throws {@link CheckpointError} `LOCKED` when another process holds it; `UNSAFE_PATH`.
   */
  static acquire(key: string): SystemLock {
    const file = SystemLock.file(key, safeLockDirectory());
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const err = addon().sys.tryLock(fd);
    if (err !== 0) {
      closeSync(fd);
      if (err === errno('EAGAIN') || err === errno('EWOULDBLOCK')) {
        throw new CheckpointError('LOCKED', `another zcp process is working on ${key}; try again when it is done`, key);
      }
      throw new CheckpointError('LOCKED', `can't lock ${file} (errno ${err}) for ${key}`, key);
    }
    // Which system the file is for, for an admin reading /run/zcp (lslocks shows who holds it).
    if (fstatSync(fd).size === 0) writeSync(fd, `${key}\n`);
    return new SystemLock(fd);
  }

  /** Releases the lock (closing the descriptor drops the flock). */
  release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
