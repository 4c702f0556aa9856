/**
 * The journal of an operation that changes several datasets one kernel call
 * at a time (a rollback in place): written to the state dataset before the
 * first change and cleared after the last, so an interrupted one is found
 * and finished by the next zcp command.
 * @module
 */
import { createHash } from 'node:crypto';
import * as zfs from '../zfs/index.js';
import { stateDataset } from './state.js';

/**
 * Small on purpose (one user property): what to finish is recomputed from the
 * system, since everything a rollback does is idempotent (destroy the later
 * checkpoints that are still there, roll every dataset back to the target).
 */
export interface RollbackJournal {
  op: 'rollback';
  /** The checkpoint rolled back to. */
  id: string;
  tid: number;
  /** The system's first dataset: the journal is per system. */
  system: string;
  started: string;
}

/** One journal property per system on the pool's state dataset (user property names are lowercase: a hash of the name). */
const key = (system: string) => `zcp:journal:${createHash('sha256').update(system).digest('hex').slice(0, 24)}`;

export async function readJournal(pool: string, system: string): Promise<RollbackJournal | undefined> {
  const ds = stateDataset(pool);
  if (!(await zfs.exists(ds))) return undefined;
  const k = key(system);
  const text = (await zfs.getProps(ds, [k]))[k]?.value;
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text) as RollbackJournal;
  } catch {
    return undefined;
  }
}

export async function writeJournal(pool: string, system: string, entry: RollbackJournal | undefined): Promise<void> {
  await zfs.setUserProps(stateDataset(pool), { [key(system)]: entry ? JSON.stringify(entry) : '' });
}
