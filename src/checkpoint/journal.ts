/**
 * The journal of a rollback in place, which changes several datasets one
 * kernel call at a time: written to the pool's state dataset before the
 * first change, cleared after the last. It names exactly what the rollback acts on (the system's id and
 * datasets, the target's snapshots and the snapshots it consumes, each by
 * guid) and which datasets carry a marker file that the rollback takes
 * away (so what is done can be told for sure), so that an interrupted rollback can be *shown*
 * truthfully and finished by `zcp repair` only, and only after the journal
 * checks out against the pool: a journal that does not (forged by someone
 * who may set user properties, left by another zcp, naming another
 * system) is refused, never acted on.
 * @module
 */
import { createHash } from 'node:crypto';
import * as zfs from '../zfs/index.js';
import { checkUserProps } from '../zfs/names.js';
import { propWriteFailure } from '../zfs/props.js';
import { splitValue, writeSpace } from '../zfs/stored-values.js';
import { CheckpointError } from './errors.js';
import { type StateRead, WRITE_JOURNAL } from './programs.js';
import { readState, stateDataset } from './state.js';

/** A rollback under way, as the journal keeps it. */
export interface RollbackJournal {
  op: 'rollback';
  version: 2;
  /** The system's id (its first dataset's guid). */
  system: string;
  /** The system's datasets, in the order they are rolled back. */
  datasets: string[];
  /** The checkpoint rolled back to: its id, TID, and the guid of its snapshot on each dataset. */
  target: { id: string; tid: number; snapshots: Record<string, string> };
  /** The later checkpoints' snapshots it destroys, each with its guid. */
  destroy: Record<string, string>;
  /** Datasets that got a marker file before the journal was written (the mounted ones): the rollback takes it away. */
  marked: string[];
  started: string;
}

/** What the journal property holds: a valid-looking entry, or text that is not one (shown, refused). */
export type JournalRead = { journal: RollbackJournal } | { unreadable: string };

/** One journal property per system on the pool's state dataset (user property names are lowercase: a hash of the name). */
/** Chunks of 7 KiB a journal may take: some 1,000 datasets' names and guids. */
const JOURNAL_CHUNKS = 16;

/** The journal's property on the state dataset (a system's first dataset, hashed: user property names are lowercase). */
export const journalKey = (system: string): string => `zcp:journal:${createHash('sha256').update(system).digest('hex').slice(0, 24)}`;

const isRecordOfStrings = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks the journal's shape (its truth against the pool is checked by the rollback code). */
export function parseJournal(text: string): JournalRead {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return { unreadable: 'not JSON' };
  }
  const o = j as Partial<RollbackJournal> & Record<string, unknown>;
  if (typeof o !== 'object' || o === null) return { unreadable: 'not an object' };
  if (o.op !== 'rollback') return { unreadable: `op is ${JSON.stringify(o.op)}, not "rollback"` };
  if (o.version !== 2) return { unreadable: `version ${JSON.stringify(o.version)}: written by an older zcp, it does not name what it acts on` };
  const t = o.target as RollbackJournal['target'] | undefined;
  if (typeof o.system !== 'string' || !isStrings(o.datasets) || !isStrings(o.marked) || typeof o.started !== 'string' || !isRecordOfStrings(o.destroy)) {
    return { unreadable: 'a field is missing or of the wrong type' };
  }
  if (typeof t !== 'object' || t === null || typeof t.id !== 'string' || !Number.isSafeInteger(t.tid) || t.tid <= 0 || !isRecordOfStrings(t.snapshots)) {
    return { unreadable: 'the target is missing or malformed' };
  }
  if (t.id !== `zcp-${t.tid}`) return { unreadable: `the target ${JSON.stringify(t.id)} does not match its TID ${t.tid}` };
  return { journal: o as RollbackJournal };
}

/** What a state read asks to bring a system's journal along ({@link ensureState} or {@link readState}). */
export const journalQuery = (system: string): { key: string; chunks: number } => ({ key: journalKey(system), chunks: JOURNAL_CHUNKS });

/** The journal a state read brought (undefined: none, or no state dataset). */
export function journalIn(read: StateRead): JournalRead | undefined {
  if (!read.there || read.journal === undefined) return undefined;
  return parseJournal(read.journal);
}

/** The journal property of a system, if there is one (set on POOL/zcp itself: one inherited from the pool is anyone's with userprop there). */
export async function readJournal(pool: string, system: string): Promise<JournalRead | undefined> {
  return journalIn(await readState(pool, journalQuery(system)));
}

/**
 * Writes (or, with undefined, clears) the system's journal: one txg, its
 * first chunk last (see {@link WRITE_JOURNAL}). A rollback pays this twice,
 * so it holds the state dataset as few times as it can.
 */
export async function writeJournal(pool: string, system: string, entry: RollbackJournal | undefined): Promise<void> {
  const text = entry ? JSON.stringify(entry) : '';
  // Cleared: the first chunk empty is no journal (a read stops there), so one property, not two.
  const props = entry ? splitValue(journalKey(system), text, { rewritable: true }) : { [journalKey(system)]: '' };
  if (Object.keys(props).length > JOURNAL_CHUNKS + 1) {
    throw new CheckpointError('METADATA_TOO_LARGE', `the rollback journal would be ${Buffer.byteLength(text)} bytes: more datasets than zcp rolls back in one go`);
  }
  const state = stateDataset(pool);
  checkUserProps('setUserProps', state, props);
  const keys = Object.keys(props).reverse(); // the first chunk last
  const need = entry ? writeSpace(props) : 0;
  const ret = await zfs.runProgram(pool, WRITE_JOURNAL, { state, keys, values: keys.map((k) => props[k]!), need });
  const failure = propWriteFailure('setUserProps', state, ret, need);
  if (failure) throw failure;
}
