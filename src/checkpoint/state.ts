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
import * as zfs from '../zfs/index.js';
import { ZfsError } from '../zfs/errors.js';
import { CheckpointError } from './errors.js';

export const STATE_NAME = 'zcp';

/** The state dataset of a pool. */
export function stateDataset(pool: string): string {
  return `${pool}/${STATE_NAME}`;
}

/** Makes `POOL/zcp` and its lock snapshot if they are not there; refuses a `POOL/zcp` that zcp did not make. */
export async function ensureState(pool: string, dryRun = false): Promise<string> {
  const ds = stateDataset(pool);
  if (await zfs.exists(ds)) {
    const role = (await zfs.getProps(ds, ['zcp:role']))['zcp:role']?.value;
    if (role !== 'state') {
      throw new CheckpointError('NOT_ZCP', `${ds} exists and was not made by zcp (no zcp:role=state); zcp keeps its state there and will not touch it`, ds);
    }
  } else if (!dryRun) {
    try {
      await zfs.create(ds, { canmount: 'off', mountpoint: 'none', 'zcp:role': 'state' });
    } catch (e) {
      if (!(e instanceof ZfsError && e.code === 'DATASET_EXISTS')) throw e; // another zcp made it just now
    }
  }
  if (!dryRun && !(await zfs.exists(`${ds}@lock`))) {
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
  private constructor(
    private readonly snapshot: string,
    private readonly tag: string,
    private fd: number | undefined,
  ) {}

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
    return new SystemLock(snapshot, tag, fd);
  }

  /** Releases the lock (closing the descriptor drops the hold). */
  release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** The hold that is the lock, for messages. */
  toString(): string {
    return `${this.snapshot}#${this.tag}`;
  }
}

