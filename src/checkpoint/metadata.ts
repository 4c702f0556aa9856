/**
 * Checkpoint metadata as ZFS user properties on the checkpoint's snapshots
 * (`zcp:tid`, `zcp:kind`, ...): the whole of it on the system's first
 * snapshot, its TID, state and system on the first snapshot on each other
 * pool, none on the rest (their name and createtxg tie them to it), so it
 * lives with the data and needs no side database. A value longer than one user property may hold (8 KiB) is split
 * into `zcp:title`, `zcp:title.1`, ... (`zfs/stored-values.ts`) and joined on
 * reading: nothing is cut.
 * @module
 */
import { joinValue, splitValue } from '../zfs/stored-values.js';
import { CheckpointError } from './errors.js';

/** Checkpoint snapshots are named PREFIX + TID. */
export const SNAPSHOT_PREFIX = 'zcp-';

/** The short name (`zcp-12`) a checkpoint reference means: an id, a TID (`12`) or a snapshot name. */
export function shortName(ref: string): string {
  return ref.includes('@') ? ref.slice(ref.indexOf('@') + 1) : /^[0-9]+$/.test(ref) ? `${SNAPSHOT_PREFIX}${Number(ref)}` : ref;
}

/** A TID as zcp writes it, in names and index keys: at most 15 digits (a Lua number holds it exactly), as the channel programs read it. */
export const TID_DIGITS = '[1-9][0-9]{0,14}';

/** Whether a snapshot's short name is a checkpoint's (`zcp-N`): one rule for every reader. */
const CHECKPOINT_NAME = new RegExp(`^${SNAPSHOT_PREFIX}${TID_DIGITS}$`);
export const isCheckpointName = (short: string): boolean => CHECKPOINT_NAME.test(short);

/** What a checkpoint is for. */
export type CheckpointKind = 'manual' | 'run' | 'apt' | 'rpm' | 'upgrade' | 'pre-rollback' | 'undo';

/** Where a checkpoint is in its life: `creating` only while (or if interrupted while) it is made. */
export type CheckpointState = 'creating' | 'complete';

/** A checkpoint's metadata: whole on the system's first snapshot (and in the index); {@link TAGS} and `zcp:tid` on the first snapshot on each other pool. */
export interface CheckpointMeta {
  tid: number;
  kind: CheckpointKind;
  state: CheckpointState;
  title: string;
  /** The command it was taken for (argv), if any. */
  command?: string[];
  /** The transaction touches the kernel, libc or init: kept longer by prune. */
  important: boolean;
  /** Every dataset of the system when it was taken. */
  datasets: string[];
  /** The id of the system that took it (its first dataset's guid); empty on checkpoints of zcp before 0.2. */
  system: string;
  /** zcp's version that made it. */
  version: string;
}

export const PREFIX = 'zcp:';

/**
 * What the first snapshot of a checkpoint on a later pool carries besides
 * `zcp:tid`: its state and its system. The rest of the metadata is on the
 * system's first snapshot (and in the index), and the other snapshots carry
 * none: each property set is a write in the checkpoint's txg.
 */
export const TAGS = [`${PREFIX}state`, `${PREFIX}system`] as const;
/** More than this in one field is refused: it is no longer metadata. */
const MAX_FIELD = 256 * 1024;
export const KINDS: readonly CheckpointKind[] = ['manual', 'run', 'apt', 'rpm', 'upgrade', 'pre-rollback', 'undo'];

/** One field as properties (split over several when long); refuses one too long to be metadata. */
function chunks(key: string, value: string): Record<string, string> {
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_FIELD) {
    throw new CheckpointError('METADATA_TOO_LARGE', `${key} is ${bytes} bytes; zcp keeps at most ${MAX_FIELD} bytes per field`);
  }
  return splitValue(key, value);
}

/** The user properties for a checkpoint's metadata. */
export function encodeMeta(meta: CheckpointMeta): Record<string, string> {
  return {
    [`${PREFIX}tid`]: String(meta.tid),
    [`${PREFIX}kind`]: meta.kind,
    [`${PREFIX}state`]: meta.state,
    [`${PREFIX}important`]: meta.important ? 'yes' : 'no',
    [`${PREFIX}version`]: meta.version,
    [`${PREFIX}system`]: meta.system,
    ...chunks(`${PREFIX}title`, meta.title),
    ...(meta.command ? chunks(`${PREFIX}command`, JSON.stringify(meta.command)) : {}),
    ...chunks(`${PREFIX}datasets`, JSON.stringify(meta.datasets)),
  };
}

/** Metadata from a snapshot's `zcp:` properties; undefined when it is not a zcp checkpoint. */
export function decodeMeta(props: Record<string, string>): CheckpointMeta | undefined {
  const tid = Number(props[`${PREFIX}tid`]);
  if (!Number.isSafeInteger(tid) || tid <= 0) return undefined;
  const kind = props[`${PREFIX}kind`] as CheckpointKind;
  const parse = <T>(text: string | undefined, fallback: T): T => {
    try {
      return text === undefined ? fallback : (JSON.parse(text) as T);
    } catch {
      return fallback;
    }
  };
  const command = parse<string[] | undefined>(joinValue(props, `${PREFIX}command`), undefined);
  return {
    tid,
    kind: KINDS.includes(kind) ? kind : 'manual',
    state: props[`${PREFIX}state`] === 'complete' ? 'complete' : 'creating',
    title: joinValue(props, `${PREFIX}title`) ?? '',
    ...(command ? { command } : {}),
    important: props[`${PREFIX}important`] === 'yes',
    datasets: parse<string[]>(joinValue(props, `${PREFIX}datasets`), []),
    version: props[`${PREFIX}version`] ?? '',
    system: props[`${PREFIX}system`] ?? '',
  };
}

/**
 * The index: a checkpoint's metadata once more, as one compact JSON user
 * property on its pool's state dataset (`zcp:cp:SYSTEM.TID`), written by
 * CREATE in the snapshots' own txg. Listing 2,000 checkpoints then reads
 * their names and this one dataset's properties, not ten properties of each
 * snapshot (every snapshot opened costs milliseconds). The snapshots keep
 * their own properties: they stay the truth, read wherever the index has no
 * entry or a command destroys something.
 */
export function indexKey(system: string): string {
  return `${PREFIX}cp:${system}.`;
}

/** An entry's key read back: `indexKey(system)` + TID. */
const ENTRY_KEY = new RegExp(`^${PREFIX}cp:(.+)\\.(${TID_DIGITS})$`);

/** The system and TID of an index entry's key, whichever system's; undefined for any other key (a hold mark `...TID.held` too). */
export function entryKeyOf(key: string): { system: string; tid: string } | undefined {
  const m = ENTRY_KEY.exec(key);
  return m ? { system: m[1]!, tid: m[2]! } : undefined;
}

/** An entry longer than this is not written (a long title or command): that checkpoint is listed the slow way. */
const MAX_ENTRY = 7000;

/** A checkpoint's index entry without its creation time (CREATE adds it); `state` first, as MARK_COMPLETE rewrites it in place. Undefined when too long. */
export function encodeIndexEntry(meta: CheckpointMeta): string | undefined {
  const text = JSON.stringify({
    state: meta.state,
    kind: meta.kind,
    title: meta.title,
    ...(meta.command ? { command: meta.command } : {}),
    important: meta.important,
    datasets: meta.datasets,
    version: meta.version,
  });
  return Buffer.byteLength(text) > MAX_ENTRY ? undefined : text;
}

/** An index entry read back, checked field by field (anything else: undefined, and the checkpoint is read from its snapshots). */
export function decodeIndexEntry(text: string, tid: number, system: string): { meta: CheckpointMeta; created: Date } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if ((e.state !== 'complete' && e.state !== 'creating') || !KINDS.includes(e.kind as CheckpointKind) || typeof e.title !== 'string') return undefined;
  if (typeof e.important !== 'boolean' || !strings(e.datasets) || typeof e.version !== 'string' || typeof e.created !== 'number') return undefined;
  if (e.command !== undefined && !strings(e.command)) return undefined;
  return {
    meta: { tid, kind: e.kind as CheckpointKind, state: e.state, title: e.title, ...(e.command ? { command: e.command } : {}), important: e.important, datasets: e.datasets, version: e.version, system },
    created: new Date(e.created * 1000),
  };
}
