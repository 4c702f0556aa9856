/**
 * Name and property rules of zfs(8), checked before a call reaches C++ so that
 * a bad name fails with a precise ZfsError instead of a bare EINVAL.
 * @module
 */
import { ZfsError, errno } from './errors.js';

/** ZFS_MAX_DATASET_NAME_LEN is 256 with the terminating NUL. */
export const MAX_NAME_BYTES = 255;
/** ZAP_MAXNAMELEN - 1: the longest property name. */
export const MAX_PROP_NAME_BYTES = 255;
/** ZFS_MAXPROPLEN - 1: the longest user property value. */
export const MAX_PROP_VALUE_BYTES = 8191;

// zfs_namecheck.c: letters, digits and "-_.: " (space included).
const COMPONENT = /^[A-Za-z0-9_.: -]+$/;
// zprop_valid_char(): user property names are lowercase, and need a colon.
const USER_PROP = /^[a-z0-9_.:-]+$/;

export type NameKind = 'dataset' | 'snapshot' | 'bookmark';

function invalid(operation: string, name: string, why: string): ZfsError {
  return new ZfsError({
    code: 'INVALID_NAME',
    errno: errno('EINVAL'),
    operation,
    dataset: name,
    message: `${operation} ${JSON.stringify(name)}: invalid name: ${why}`,
  });
}

/** Why `name` is not a valid name of that kind, or undefined when it is. */
export function nameProblem(name: string, kind: NameKind): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'empty name';
  const sep = kind === 'snapshot' ? '@' : kind === 'bookmark' ? '#' : undefined;
  let dataset = name;
  let leaf: string | undefined;
  if (sep) {
    const at = name.indexOf(sep);
    if (at < 0) return `a ${kind} name needs "${sep}" (dataset${sep}name)`;
    dataset = name.slice(0, at);
    leaf = name.slice(at + 1);
  }
  if (/[@#]/.test(dataset)) return `"@" and "#" may only separate a ${kind === 'dataset' ? 'snapshot or bookmark' : kind} name`;
  const parts = dataset.split('/');
  for (const part of parts) {
    if (part === '') return 'empty component (leading, trailing or double "/")';
    if (part === '.' || part === '..') return `"${part}" is not a valid component`;
    if (!COMPONENT.test(part)) return `component "${part}" has a character outside [A-Za-z0-9_.: -]`;
  }
  const pool = parts[0] as string;
  if (!/^[A-Za-z]/.test(pool)) return `pool name "${pool}" must begin with a letter`;
  if (leaf !== undefined) {
    if (leaf === '') return `empty ${kind} name after "${sep}"`;
    if (!COMPONENT.test(leaf)) return `${kind} name "${leaf}" has a character outside [A-Za-z0-9_.: -]`;
  }
  return undefined;
}

/** Throws INVALID_NAME or NAME_TOO_LONG unless `name` is a valid name of `kind`. */
export function checkName(operation: string, name: string, kind: NameKind): void {
  const problem = nameProblem(name, kind);
  if (problem) throw invalid(operation, name, problem);
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new ZfsError({
      code: 'NAME_TOO_LONG',
      errno: errno('ENAMETOOLONG'),
      operation,
      dataset: name,
      message: `${operation} ${name.slice(0, 40)}...: name is ${Buffer.byteLength(name)} bytes, the limit is ${MAX_NAME_BYTES}`,
    });
  }
}

/** The pool a dataset, snapshot or bookmark name belongs to. */
export function poolOf(name: string): string {
  return name.split(/[/@#]/, 1)[0] as string;
}

/** The dataset part of a snapshot or bookmark name. */
export function datasetOf(name: string): string {
  return name.split(/[@#]/, 1)[0] as string;
}

/** Throws INVALID_PROPERTY unless every entry is a valid user property (name with a colon, string value). */
export function checkUserProps(operation: string, dataset: string | undefined, props: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(props)) {
    let why: string | undefined;
    if (!key.includes(':')) why = 'a user property name needs a colon (module:property)';
    else if (!USER_PROP.test(key)) why = 'user property names use only [a-z0-9_.:-]';
    else if (Buffer.byteLength(key) > MAX_PROP_NAME_BYTES) why = `name longer than ${MAX_PROP_NAME_BYTES} bytes`;
    else if (typeof value !== 'string') why = 'the value must be a string';
    else if (Buffer.byteLength(value) > MAX_PROP_VALUE_BYTES) why = `value longer than ${MAX_PROP_VALUE_BYTES} bytes`;
    else if (value.includes('\0')) why = 'the value contains a NUL byte';
    if (why) {
      throw new ZfsError({
        code: 'INVALID_PROPERTY',
        errno: errno('EINVAL'),
        operation,
        dataset,
        message: `${operation}: invalid property ${JSON.stringify(key)}: ${why}`,
      });
    }
  }
}

/** Names grouped by pool, pools and names in the order given (lzc calls take one pool each). */
export function groupByPool(names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of names) {
    const pool = poolOf(n);
    out.set(pool, [...(out.get(pool) ?? []), n]);
  }
  return out;
}

/** Throws POOLS_DIFFER unless every name is in one pool. */
export function checkSamePool(operation: string, names: readonly string[], hint = ''): void {
  const pools = [...new Set(names.map(poolOf))];
  if (pools.length > 1) {
    throw new ZfsError({
      code: 'POOLS_DIFFER',
      errno: errno('EXDEV'),
      operation,
      dataset: names[0],
      message: `${operation}: the names are in different pools (${pools.join(', ')})${hint}`,
    });
  }
}

/** Throws INVALID_ARGUMENT when a list that must not be empty is. */
export function checkNotEmpty(operation: string, what: string, list: readonly unknown[]): void {
  if (!Array.isArray(list) || list.length === 0) {
    throw new ZfsError({ code: 'INVALID_ARGUMENT', errno: errno('EINVAL'), operation, message: `${operation}: no ${what} given` });
  }
}

/** Hold tags: any text up to 255 bytes, without NUL (MAXNAMELEN). */
export function checkHoldTag(operation: string, snapshot: string, tag: string): void {
  let why: string | undefined;
  if (typeof tag !== 'string' || tag.length === 0) why = 'empty hold tag';
  else if (tag.includes('\0')) why = 'hold tag contains a NUL byte';
  else if (Buffer.byteLength(tag) > MAX_NAME_BYTES) {
    throw new ZfsError({ code: 'NAME_TOO_LONG', errno: errno('E2BIG'), operation, dataset: snapshot, message: `${operation} ${snapshot}: hold tag longer than ${MAX_NAME_BYTES} bytes` });
  }
  if (why) throw new ZfsError({ code: 'INVALID_ARGUMENT', errno: errno('EINVAL'), operation, dataset: snapshot, message: `${operation} ${snapshot}: ${why}` });
}
