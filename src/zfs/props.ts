/**
 * Listing and properties in one kernel round trip each, and atomic
 * user-property updates: channel programs (`lua.ts`) behind plain calls.
 * @module
 */
import { ZfsError, errno } from './errors.js';
import { type Returned, defineProgram, runProgram } from './lua.js';
import { checkName, checkUserProps, datasetOf, poolOf } from './names.js';
import { altrootOf, garbled, mountpointFromLibzfs, withoutAltroot } from './mountpoint.js';
import { writeSpace } from './stored-values.js';
import { MAP, lzcError } from './translate.js';
import type { ProgramLimits } from './channel-program.js';

/** A property value: strings as they are, numbers as unsigned 64-bit (BigInt beyond 2^53). */
export type PropValue = string | number | bigint;

// Lua numbers are int64; ZFS's numeric properties are uint64.
function unsigned(r: Returned): PropValue {
  const v = r.scalar();
  if (typeof v === 'number' && v < 0) return BigInt.asUintN(64, BigInt(v));
  if (typeof v === 'bigint' && v < 0n) return BigInt.asUintN(64, v);
  return v;
}

function notFound(operation: string, name: string): ZfsError {
  const kind = name.includes('@') ? 'SNAPSHOT_NOT_FOUND' : 'DATASET_NOT_FOUND';
  return new ZfsError({
    code: kind,
    errno: errno('ENOENT'),
    operation,
    dataset: name,
    message: `${operation} ${name}: ${kind === 'SNAPSHOT_NOT_FOUND' ? 'snapshot' : 'dataset'} does not exist`,
  });
}

/** The snapshots of a dataset with the properties asked for (unset ones left out). */
export const LIST_SNAPSHOTS = defineProgram<{ dataset: string; props: string[] }, { missing: true } | { missing: false; snapshots: SnapshotInfo[] }>({
  name: 'list-snapshots',
  body: `if not zfs.exists(args.dataset) then return {missing = true} end
local out = {}
for snap in zfs.list.snapshots(args.dataset) do
  local p = {}
  for _, name in ipairs(args.props) do
    local v = zfs.get_prop(snap, name)
    if v ~= nil then p[name] = v end
  end
  out[snap] = p
end
return {snapshots = out}`,
  decode: (r) =>
    r.has('missing')
      ? { missing: true }
      : { missing: false, snapshots: r.get('snapshots').entries().map(([name, p]) => ({ name, props: Object.fromEntries(p.entries().map(([k, v]) => [k, unsigned(v)])) })) },
});

/** A snapshot with the properties asked for (always `createtxg` and `creation`). */
export interface SnapshotInfo {
  name: string;
  props: Record<string, PropValue>;
}

/** Options of {@link listSnapshots}. */
export interface ListSnapshotsOptions {
  /** Properties to read with each snapshot: native (`used`, `guid`) or user (`zcp:tid`). Unset user properties are left out. */
  props?: readonly string[];
  /** Channel program limits to start with (see {@link channelProgram}). */
  limits?: ProgramLimits;
}

/**
 * The snapshots of one dataset, oldest first (by `createtxg`), with their
 * properties: one channel program, one kernel round trip.
 * @throws {@link ZfsError} `DATASET_NOT_FOUND`, `CHANNEL_PROGRAM_MEMORY` /
 * `CHANNEL_PROGRAM_TIMEOUT` (beyond the module's maximum limits),
 * `INVALID_NAME`, `PERMISSION_DENIED`, `ZFS_UNAVAILABLE`.
 */
export async function listSnapshots(dataset: string, options: ListSnapshotsOptions = {}): Promise<SnapshotInfo[]> {
  const op = 'listSnapshots';
  checkName(op, dataset, 'dataset');
  const props = [...new Set(['createtxg', 'creation', ...(options.props ?? [])])];
  for (const p of props) checkPropName(op, dataset, p);
  const ret = await runProgram(poolOf(dataset), LIST_SNAPSHOTS, { dataset, props }, options.limits ? { limits: options.limits } : {});
  if (ret.missing) throw notFound(op, dataset);
  return ret.snapshots.sort((a, b) => Number(a.props.createtxg) - Number(b.props.createtxg) || a.name.localeCompare(b.name));
}

/** The children of a dataset (all descendants with `recursive`). */
export const LIST_CHILDREN = defineProgram<{ dataset: string; recursive: boolean }, string[] | undefined>({
  name: 'list-children',
  body: `if not zfs.exists(args.dataset) then return {missing = true} end
local out = {}
local function walk(ds)
  for child in zfs.list.children(ds) do
    out[child] = true
    if args.recursive then walk(child) end
  end
end
walk(args.dataset)
return {children = out}`,
  decode: (r) => (r.has('missing') ? undefined : r.get('children').entries().map(([name]) => name)),
});

/**
 * The child filesystems and volumes of a dataset, sorted by name; with
 * `recursive`, all descendants.
 * @throws {@link ZfsError} `DATASET_NOT_FOUND`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function listChildren(dataset: string, options: { recursive?: boolean } = {}): Promise<string[]> {
  const op = 'listChildren';
  checkName(op, dataset, 'dataset');
  const children = await runProgram(poolOf(dataset), LIST_CHILDREN, { dataset, recursive: options.recursive === true });
  if (!children) throw notFound(op, dataset);
  return children.sort();
}

/** Properties of a dataset or snapshot with their sources: the ones named, or every native and user one. */
export const GET_PROPS = defineProgram<{ name: string; props?: string[] }, Record<string, { value: PropValue; source: string | undefined }> | undefined>({
  name: 'get-props',
  body: `if not zfs.exists(args.name) then return {missing = true} end
local out = {}
local names = args.props
if names == nil then names = zfs.list.system_properties(args.name) end
for _, n in ipairs(names) do
  local v, src = zfs.get_prop(args.name, n)
  if v ~= nil then out[n] = {value = v, source = src} end
end
if args.props == nil then
  for n, v, src in zfs.list.user_properties(args.name) do out[n] = {value = v, source = src} end
end
return {props = out}`,
  decode: (r) =>
    r.has('missing') ? undefined : Object.fromEntries(r.get('props').entries().map(([k, e]) => [k, { value: unsigned(e.get('value')), source: e.get('source').optional((x) => x.string()) }])),
});

/**
 * The user properties of a dataset whose names start with `prefix`, with
 * their sources: one pass over them (the kernel fetches a dataset's
 * properties once for it), not a read per native property as GET_PROPS
 * without names does (about 50 reads, 1 ms each in the guest).
 */
export const GET_USER_PROPS = defineProgram<{ name: string; prefix: string }, Record<string, { value: string; source: string }> | undefined>({
  name: 'get-user-props',
  body: `if not zfs.exists(args.name) then return {missing = true} end
local out = {}
for n, v, src in zfs.list.user_properties(args.name) do
  if string.sub(n, 1, #args.prefix) == args.prefix then out[n] = {value = v, source = src} end
end
return {props = out}`,
  decode: (r) => (r.has('missing') ? undefined : Object.fromEntries(r.get('props').entries().map(([k, e]) => [k, { value: e.get('value').string(), source: e.get('source').string() }]))),
});

/**
 * The user properties of a dataset or snapshot whose names start with
 * `prefix` (every one with ''), as {@link getProps} gives them.
 * @throws {@link ZfsError} `DATASET_NOT_FOUND` / `SNAPSHOT_NOT_FOUND`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function getUserProps(name: string, prefix = ''): Promise<Record<string, PropEntry>> {
  const op = 'getUserProps';
  checkName(op, name, name.includes('@') ? 'snapshot' : 'dataset');
  const ret = await runProgram(poolOf(name), GET_USER_PROPS, { name, prefix });
  if (!ret) throw notFound(op, name);
  const out: Record<string, PropEntry> = {};
  for (const [k, { value, source }] of Object.entries(ret)) out[k] = { value, source: sourceWords(source, name) };
  return out;
}

/** Where a channel program says a property of `name` comes from (a dataset's name, 'default', none for statistics), in the words of `zfs get`. */
function sourceWords(source: string | undefined, name: string): string {
  return source === undefined ? '-' : source === name ? 'local' : source === 'default' ? 'default' : `inherited from ${source}`;
}

/** A property's value and where it comes from, in the words of `zfs get`. */
export interface PropEntry {
  value: PropValue;
  /** `local`, `default`, `inherited from POOL/DS`, or `-` for read-only statistics. */
  source: string;
}

function checkPropName(operation: string, name: string, prop: string): void {
  if (typeof prop !== 'string' || !/^[a-z0-9_.:@-]+$/i.test(prop) || Buffer.byteLength(prop) > 255) {
    throw new ZfsError({ code: 'INVALID_PROPERTY', errno: errno('EINVAL'), operation, dataset: name, message: `${operation} ${name}: invalid property name ${JSON.stringify(prop)}` });
  }
}

/**
 * Properties of a dataset or snapshot: the ones named, or all (native and
 * user) when `names` is left out. Properties that don't apply are left out.
 * @throws {@link ZfsError} `DATASET_NOT_FOUND` / `SNAPSHOT_NOT_FOUND`,
 * `INVALID_PROPERTY` (a bad property name), `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function getProps(name: string, names?: readonly string[]): Promise<Record<string, PropEntry>> {
  const out = await readProps('getProps', name, names);
  const mp = out.mountpoint;
  if (mp && typeof mp.value === 'string' && garbled(mp.value)) mp.value = await mountpointFromLibzfs(name);
  return out;
}

/** The properties as the channel program reads them (a mountpoint under an altroot still garbled). */
async function readProps(op: string, name: string, names?: readonly string[]): Promise<Record<string, PropEntry>> {
  checkName(op, name, name.includes('@') ? 'snapshot' : 'dataset');
  for (const p of names ?? []) checkPropName(op, name, p);
  let ret: Awaited<ReturnType<typeof GET_PROPS.decode>>;
  try {
    ret = await runProgram(poolOf(name), GET_PROPS, names ? { name, props: [...names] } : { name });
  } catch (e) {
    // zfs.get_prop raises for a name that is no property at all.
    if (e instanceof ZfsError && e.code === 'CHANNEL_PROGRAM_ERROR' && /property|Invalid/i.test(e.message)) {
      throw new ZfsError({ code: 'INVALID_PROPERTY', errno: errno('EINVAL'), operation: op, dataset: name, message: `${op} ${name}: ${e.message}` });
    }
    throw e;
  }
  if (!ret) throw notFound(op, name);
  const out: Record<string, PropEntry> = {};
  for (const [k, { value, source }] of Object.entries(ret)) {
    out[k] = { value, source: sourceWords(source, name) };
  }
  return out;
}

/** A dataset's mountpoint: where it mounts, and what to copy to another dataset. */
export interface Mountpoint {
  /** Where it mounts, as `zfs get` prints it (the pool's altroot in front), or `none` / `legacy`. */
  value: string;
  /** The path as set, without the pool's altroot: what a copy of it on another dataset must say. */
  setting: string;
  /** `local`, `default`, `inherited from POOL/DS`. */
  source: string;
  /** The pool's alternate root, when it was imported with one. */
  altroot?: string;
}

/**
 * A dataset's mountpoint, right on a pool imported with an alternate root too.
 * @throws {@link ZfsError} `DATASET_NOT_FOUND`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function getMountpoint(dataset: string): Promise<Mountpoint> {
  checkName('getMountpoint', dataset, 'dataset');
  const entry = (await readProps('getMountpoint', dataset, ['mountpoint'])).mountpoint;
  let value = typeof entry?.value === 'string' ? entry.value : 'none';
  if (garbled(value)) value = await mountpointFromLibzfs(dataset);
  const altroot = value.startsWith('/') ? await altrootOf(poolOf(dataset)) : undefined;
  return { value, setting: withoutAltroot(value, altroot), source: entry?.source ?? '-', ...(altroot ? { altroot } : {}) };
}

/** Sets user properties all or none: every one checked before any is set, and the free space first. */
export const SET_USER_PROPS = defineProgram<
  { name: string; props: Record<string, string>; space_of: string; need: number },
  { done: 'set' } | { done: 'missing' } | { done: 'nospace'; available: number } | { done: 'failed'; property: string; errno: number }
>({
  name: 'set-user-props',
  sync: true,
  body: `if not zfs.exists(args.name) then return {missing = true} end
local avail = zfs.get_prop(args.space_of, "available")
if avail < args.need then return {nospace = avail} end
for k, v in pairs(args.props) do
  local err = zfs.check.set_prop(args.name, k, v)
  if err ~= 0 then return {failed = k, errno = err} end
end
for k, v in pairs(args.props) do
  local err = zfs.sync.set_prop(args.name, k, v)
  if err ~= 0 then return {failed = k, errno = err} end
end
return {ok = true}`,
  decode: (r) => {
    if (r.has('missing')) return { done: 'missing' };
    if (r.has('nospace')) return { done: 'nospace', available: r.get('nospace').number() };
    if (r.has('failed')) return { done: 'failed', property: r.get('failed').string(), errno: r.get('errno').number() };
    if (!r.has('ok')) r.unexpected('{ok}, {missing}, {nospace} or {failed}');
    return { done: 'set' };
  },
});

/**
 * Sets user properties (`module:name` → string) on a dataset or snapshot, all
 * in one transaction group: every one is checked before any is set, so a
 * failure leaves none of them changed. On a (nearly) full pool, with less
 * than 1 MiB plus twice their size `available`, it fails with NO_SPACE before
 * setting any: OpenZFS would let a channel program write into the pool's
 * reserved slop and fail half-way.
 * @throws {@link ZfsError} `INVALID_PROPERTY`, `DATASET_NOT_FOUND` /
 * `SNAPSHOT_NOT_FOUND`, `NO_SPACE`, `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function setUserProps(name: string, props: Record<string, string>): Promise<void> {
  const op = 'setUserProps';
  checkName(op, name, name.includes('@') ? 'snapshot' : 'dataset');
  if (Object.keys(props).length === 0) return;
  checkUserProps(op, name, props);
  // Room the new values need, plus headroom: a pool that close to full also
  // refuses snapshots, and a half-set group can't be undone.
  const need = writeSpace(props);
  const args = { name, props: { ...props }, space_of: datasetOf(name), need };
  const ret = await runProgram(poolOf(name), SET_USER_PROPS, args).catch((e: unknown) => {
    if (e instanceof ZfsError && e.operation === 'channelProgram') {
      throw new ZfsError({ code: e.code, errno: e.errno, operation: op, dataset: name, errors: e.errors, message: e.message.replace(/^channelProgram \S+/, `${op} ${name}`) });
    }
    throw e;
  });
  if (ret.done === 'missing') throw notFound(op, name);
  const failure = propWriteFailure(op, name, ret, need);
  if (failure) throw failure;
}

/**
 * The error of a program that writes properties of `name` and says why it
 * did not (`nospace`, or the property that `failed`), as operation `op`;
 * undefined when it did.
 */
export function propWriteFailure(
  op: string,
  name: string,
  ret: { done: 'set' | 'missing' } | { done: 'nospace'; available: number } | { done: 'failed'; property: string; errno: number },
  need: number,
): ZfsError | undefined {
  if (ret.done === 'nospace') {
    return lzcError(op, [name], { errno: errno('ENOSPC') }, () => 'NO_SPACE', `out of space: ${ret.available} bytes available, about ${need} needed`);
  }
  if (ret.done === 'failed') {
    return lzcError(op, [name], { errno: ret.errno }, MAP.setProp, `cannot set ${ret.property} (${MAP.setProp(ret.errno, name)}, errno ${ret.errno})`);
  }
  return undefined;
}
