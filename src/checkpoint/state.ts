/**
 * zcp's own state on each pool: a small dataset `POOL/zcp` (never mounted,
 * marked `zcp:role=state`) that holds the TID counter and the history as
 * user properties, outside every dataset a rollback touches, and a snapshot
 * `POOL/zcp@lock` whose user hold is the per-system lock. The hold is tied
 * to a /dev/zfs descriptor of this process, so the kernel drops it when the
 * process ends, even by kill -9: a crashed zcp never leaves a stale lock.
 * @module
 */
import { closeSync, openSync } from 'node:fs';
import { run } from '../subprocess.js';
import * as zfs from '../zfs/index.js';
import { ZfsError } from '../zfs/errors.js';
import { CheckpointError } from './errors.js';

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
    if (bad.length) out.push(`${m[1]}${m[3] ? ` ${m[2]}` : ''} ${bad.join(',')} (from ${on})`);
  }
  return out;
}

/** Refuses a state dataset that delegated users may change (STATE_DELEGATED). */
export async function refuseDelegated(ds: string): Promise<void> {
  // No zfs command (or it fails): no delegation can be read, as none can be made.
  const text = await run(['zfs', 'allow', ds]).then(
    (r) => (r.status === 0 ? r.stdout : ''),
    () => '',
  );
  const found = writingDelegations(text, ds);
  if (found.length) {
    throw new CheckpointError(
      'STATE_DELEGATED',
      `${ds} holds zcp's journal, history and lock, and delegated permissions let others change it: ${found.join('; ')}. zcp refuses to trust it; delegate those on other datasets, or with zfs allow -l (local only) on the pool`,
      ds,
    );
  }
}

/**
 * Makes `POOL/zcp` and its lock snapshot if they are not there; refuses a
 * `POOL/zcp` that zcp did not make, or that delegated users may change.
 * @throws {@link CheckpointError} `NOT_ZCP`, `STATE_DELEGATED`.
 */
export async function ensureState(pool: string): Promise<string> {
  const ds = stateDataset(pool);
  if (await zfs.exists(ds)) {
    const role = (await zfs.getProps(ds, ['zcp:role']))['zcp:role'];
    if (role?.value !== 'state' || role.source !== 'local') {
      throw new CheckpointError('NOT_ZCP', `${ds} exists and was not made by zcp (no zcp:role=state); zcp keeps its state there and will not touch it`, ds);
    }
    await refuseDelegated(ds);
  } else {
    try {
      await zfs.create(ds, { canmount: 'off', mountpoint: 'none', 'zcp:role': 'state' });
    } catch (e) {
      if (!(e instanceof ZfsError && e.code === 'DATASET_EXISTS')) throw e; // another zcp made it just now
    }
    await refuseDelegated(ds); // inherited from the pool
  }
  if (!(await zfs.exists(`${ds}@lock`))) {
    try {
      await zfs.snapshot([`${ds}@lock`]);
    } catch (e) {
      if (!(e instanceof ZfsError && e.code === 'SNAPSHOT_EXISTS')) throw e;
    }
  }
  return ds;
}

/** The lock of one system, held until {@link SystemLock.release} or the process's end. */
export class SystemLock {
  private constructor(private fd: number | undefined) {}

  /**
   * Takes the lock of the system whose first dataset is `key`, on `pool`.
   * @throws {@link CheckpointError} `LOCKED` when another process holds it.
   */
  static async acquire(pool: string, key: string): Promise<SystemLock> {
    const snapshot = `${await ensureState(pool)}@lock`;
    // A hold tag is at most 255 bytes; dataset names can be longer.
    const tag = `zcp-lock:${key}`.slice(0, 250);
    const fd = openSync('/dev/zfs', 'r');
    try {
      await zfs.hold({ [snapshot]: tag }, { cleanupFd: fd });
    } catch (e) {
      closeSync(fd);
      if (e instanceof ZfsError && e.code === 'HOLD_EXISTS') {
        throw new CheckpointError('LOCKED', `another zcp process is working on ${key}; try again when it is done`, key);
      }
      throw e;
    }
    return new SystemLock(fd);
  }

  /** Releases the lock (closing the descriptor drops the hold). */
  release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

