/**
 * The transaction history of a system, as user properties on the pool's zcp
 * state dataset: outside every dataset a rollback touches, so it survives
 * rollbacks and records them too. One entry per TID (split over properties
 * past 7 KiB: `zfs/stored-values.ts`).
 * @module
 */
import { createHash } from 'node:crypto';
import * as zfs from '../zfs/index.js';
import { ZfsError } from '../zfs/errors.js';
import type { VersionChange, Package } from '../pkgdb/packages.js';
import { joinValue, splitValue } from '../zfs/stored-values.js';
import { stateDataset } from '../checkpoint/state.js';
import type { MountRecord } from '../checkpoint/mount.js';
import type { TransactionOwner } from './owner.js';

/** One transaction as the history keeps it. */
export interface HistoryEntry {
  tid: number;
  /** The checkpoint taken before it. */
  checkpoint: string;
  title: string;
  command?: string[];
  /** running (begun, not ended), committed, failed, rolled-back (undone by a rollback). */
  state: 'running' | 'committed' | 'failed' | 'rolled-back';
  started: string;
  ended?: string;
  /** The command's exit status, for a failed one. */
  exitCode?: number;
  /** Package changes it made (computed when it ended). */
  changes?: { installed: Package[]; removed: Package[]; upgraded: VersionChange[]; downgraded: VersionChange[] };
  /** kernel, libc, init: the reboot-worthy parts it touched. */
  touches?: string[];
  /** The process it runs in (while running): `zcp repair` settles it as failed once that is gone. */
  owner?: TransactionOwner;
  /** What it mounts (while running): `zcp repair` undoes what is left once its process is gone. */
  mounts?: MountRecord;
  /** Ended by `zcp repair` because its process died before recording the end. */
  interrupted?: boolean;
  /** For an undo (`zcp undo`): the TID of the transaction it undoes. */
  undoes?: number;
  /** For a rollback event (tid = the target's): the checkpoint it went back to and the TIDs it undid. */
  rollback?: { to: string; undid: number[] };
}

/** The property prefix of a system's history (user property names are lowercase: a hash of the system). */
function prefix(system: string): string {
  return `zcp:h:${createHash('sha256').update(system).digest('hex').slice(0, 16)}:`;
}

/** Writes a transaction's entry (keyed by TID) or, with `event`, a rollback event (keyed by its time). */
export async function writeEntry(pool: string, system: string, entry: HistoryEntry, event = false): Promise<void> {
  const text = JSON.stringify(entry);
  const key = `${prefix(system)}${event ? `r${Date.now()}` : entry.tid}`;
  // An entry is rewritten as its transaction goes on: rewritable, so a shorter one never reads a longer one's tail.
  await zfs.setUserProps(stateDataset(pool), splitValue(key, text, { rewritable: true }));
}

/** Every entry of the system's history, by TID. */
export async function readHistory(pool: string, system: string): Promise<HistoryEntry[]> {
  const ds = stateDataset(pool);
  const p = prefix(system);
  let all: Record<string, zfs.PropEntry>;
  try {
    all = await zfs.getUserProps(ds, p);
  } catch (e) {
    if (e instanceof ZfsError && e.code === 'DATASET_NOT_FOUND') return [];
    throw e;
  }
  const props: Record<string, string> = {};
  // Only what is set on POOL/zcp itself: values inherited from the pool are anyone's with userprop there.
  for (const [k, v] of Object.entries(all)) if (k.startsWith(p) && v.source === 'local' && typeof v.value === 'string') props[k] = v.value;
  const out: HistoryEntry[] = [];
  for (const k of Object.keys(props)) {
    if (!/^r?\d+$/.test(k.slice(p.length))) continue;
    try {
      out.push(JSON.parse(joinValue(props, k) ?? '') as HistoryEntry);
    } catch {
      // a damaged entry is skipped, not fatal
    }
  }
  return out.sort((a, b) => a.started.localeCompare(b.started) || a.tid - b.tid);
}
