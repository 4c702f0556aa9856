/**
 * Delegated permissions (`zfs allow`) as the kernel keeps them, read through
 * libzfs in the addon (no `zfs` process: about 1 ms against 150 ms for the
 * command under the emulator), and which of them reach one dataset.
 *
 * The kernel's form (ZFS_IOC_GET_FSACL, see OpenZFS's zfs_deleg.h): for the
 * dataset and each ancestor that has any, `{source: {whokey: {perm: true}}}`.
 * A who key is TYPE INHERIT `$` NAME: TYPE `u` user, `g` group, `e` everyone
 * (upper case: the permission *sets* they were given), `c`/`C` create-time,
 * `s`/`S` a named set's permissions/included sets; INHERIT `l` this dataset, `d` its
 * descendants, `-` none; NAME a uid, a gid, a set's `@name` or empty.
 * @module
 */
import { lzc } from './call.js';
import { ZfsError, errno, errnoName } from './errors.js';
import { checkName } from './names.js';

/** The delegations on a dataset and its ancestors, by source dataset. */
export type Delegations = Record<string, Record<string, Record<string, unknown>>>;

/** One grant that reaches a dataset, its sets expanded. */
export interface Delegation {
  who: 'user' | 'group' | 'everyone';
  /** The uid or gid (empty for everyone). */
  id: string;
  permissions: string[];
  /** The dataset it was granted on. */
  from: string;
}

/**
 * The delegations on `dataset` and its ancestors, or undefined where libzfs
 * can't be loaded (the caller falls back to the `zfs allow` command).
 * @throws {@link ZfsError} `DATASET_NOT_FOUND` and the kernel's others; `ZFS_UNAVAILABLE`.
 */
export async function getDelegations(dataset: string): Promise<Delegations | undefined> {
  checkName('getDelegations', dataset, 'dataset');
  const out = await lzc('getDelegations', dataset, (n) => n.getDelegations(dataset));
  if (out.errno === undefined || out.errno === 0) return (out.result ?? {}) as Delegations;
  if (out.errno === errno('ENOSYS')) return undefined;
  const code = out.errno === errno('ENOENT') ? 'DATASET_NOT_FOUND' : 'COMMAND_FAILED';
  throw new ZfsError({ code, errno: out.errno, operation: 'getDelegations', dataset, message: `getDelegations ${dataset}: ${code === 'DATASET_NOT_FOUND' ? 'dataset does not exist' : `the kernel refused to read its delegations (${errnoName(out.errno)})`}` });
}

const WHO = { u: 'user', g: 'group', e: 'everyone' } as const;

/**
 * The grants in `acl` that apply to `dataset` itself: those made on it for
 * itself (`l`), and those made on an ancestor for its descendants (`d`).
 * Permission sets (`@name`) are expanded from the definitions on the grant's
 * dataset or its ancestors, nested sets too. Create-time grants apply to
 * datasets not yet made: not counted.
 */
export function delegationsOn(acl: Delegations, dataset: string): Delegation[] {
  const ancestry = (ds: string) => Object.keys(acl).filter((src) => src === ds || ds.startsWith(`${src}/`)).sort((a, b) => b.length - a.length);
  // A set's definition: its permissions under `s-$@name`, the sets it includes under `S-$@name`.
  const setOf = (name: string, from: string): string[] => {
    for (const src of ancestry(from)) {
      const perms = acl[src]?.[`s-$${name}`];
      const sets = acl[src]?.[`S-$${name}`];
      if (perms || sets) return [...Object.keys(perms ?? {}), ...Object.keys(sets ?? {})];
    }
    return [];
  };
  const expand = (perms: string[], from: string, seen = new Set<string>()): string[] =>
    perms.flatMap((p) => (p.startsWith('@') ? (seen.has(p) ? [] : (seen.add(p), expand(setOf(p, from), from, seen))) : [p]));
  const out: Delegation[] = [];
  for (const src of ancestry(dataset)) {
    for (const [key, perms] of Object.entries(acl[src] ?? {})) {
      const type = key[0] ?? '';
      const inherit = key[1];
      const who = WHO[type.toLowerCase() as keyof typeof WHO];
      if (!who || key[2] !== '$') continue;
      if (src === dataset ? inherit !== 'l' : inherit !== 'd') continue;
      const names = Object.keys(perms);
      const permissions = [...new Set(expand(type === type.toUpperCase() ? names.map((n) => (n.startsWith('@') ? n : `@${n}`)) : names, src))];
      if (permissions.length) out.push({ who, id: key.slice(3), permissions, from: src });
    }
  }
  return out;
}
