/**
 * Channel programs (lzc_channel_program): listing and properties in one
 * kernel round trip each, and atomic user-property updates.
 *
 * Channel programs run under an instruction and a memory limit. zcp starts
 * with OpenZFS's defaults and, when a program runs out (thousands of
 * snapshots), runs it once more at the module's maximum limits, so listing
 * stays one call however many snapshots there are.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { NvValue } from '../addon.js';
import { lzc } from './call.js';
import { ZfsError, errno } from './errors.js';
import { checkName, checkUserProps, datasetOf, poolOf } from './names.js';
import { MAP, lzcError } from './translate.js';

/** Instruction and memory limits of one channel program run. */
export interface ProgramLimits {
  instructions: number;
  memory: number;
}

/** OpenZFS's defaults (ZCP_DEFAULT_INSTRLIMIT, ZCP_DEFAULT_MEMLIMIT). */
export const DEFAULT_LIMITS: ProgramLimits = { instructions: 10_000_000, memory: 10 * 1024 * 1024 };

async function moduleParam(name: string): Promise<number | undefined> {
  try {
    const v = Number((await readFile(`/sys/module/zfs/parameters/${name}`, 'utf8')).trim());
    return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The largest limits the kernel accepts (zfs_lua_max_instrlimit / _memlimit; 100M and 100 MiB by default). */
export async function maxLimits(): Promise<ProgramLimits> {
  return {
    instructions: (await moduleParam('zfs_lua_max_instrlimit')) ?? 100_000_000,
    memory: (await moduleParam('zfs_lua_max_memlimit')) ?? 100 * 1024 * 1024,
  };
}

/** Options of {@link channelProgram}. */
export interface ChannelProgramOptions {
  /** The program's argument (`local args = ...`): strings, booleans, integers, string arrays, objects. */
  args?: Record<string, NvValue>;
  /** Start with these limits instead of the defaults. */
  limits?: ProgramLimits;
  /** Run in syncing context, so it may change things (zfs.sync.*). Default false: read-only, faster. */
  sync?: boolean;
  /** When a limit is hit, run once more at the maximum limits. Default true. */
  growLimits?: boolean;
}

/**
 * Runs a ZFS channel program (Lua) on a pool and returns what it returned.
 * Numbers come back as JavaScript numbers, or BigInts beyond 2^53.
 * @throws {@link ZfsError} `CHANNEL_PROGRAM_ERROR` (syntax or run-time error:
 * the message has Lua's text), `CHANNEL_PROGRAM_TIMEOUT`, `CHANNEL_PROGRAM_MEMORY`,
 * `POOL_NOT_FOUND`, `NO_SPACE`, `PERMISSION_DENIED`, `ZFS_UNAVAILABLE`.
 */
export async function channelProgram(pool: string, program: string, options: ChannelProgramOptions = {}): Promise<unknown> {
  const op = 'channelProgram';
  checkName(op, pool, 'dataset');
  if (pool.includes('/')) {
    throw new ZfsError({ code: 'INVALID_NAME', errno: errno('EINVAL'), operation: op, dataset: pool, message: `${op}: "${pool}" is not a pool name` });
  }
  const args = options.args ?? {};
  let limits = options.limits ?? DEFAULT_LIMITS;
  const sync = options.sync === true;
  for (let attempt = 0; ; attempt++) {
    const out = await lzc(op, pool, (n) => n.channelProgram(pool, program, args, limits.instructions, limits.memory, sync));
    if (!out.errno) return out.result?.return;
    const code = MAP.channelProgram(out.errno, pool);
    if ((code === 'CHANNEL_PROGRAM_MEMORY' || code === 'CHANNEL_PROGRAM_TIMEOUT') && options.growLimits !== false && attempt === 0) {
      const max = await maxLimits();
      const grown = { instructions: Math.max(limits.instructions, max.instructions), memory: Math.max(limits.memory, max.memory) };
      if (grown.instructions !== limits.instructions || grown.memory !== limits.memory) {
        limits = grown;
        continue;
      }
    }
    if (sync && out.errno === errno('ENOSPC')) {
      // In syncing context ENOSPC is also the pool's answer when it is full;
      // Lua running out of memory at the largest limit is the unlikely one.
      throw lzcError(op, [pool], out, () => 'NO_SPACE');
    }
    const luaError = typeof out.result?.error === 'string' ? out.result.error.split('\nstack traceback')[0] : undefined;
    throw lzcError(op, [pool], out, MAP.channelProgram, luaError ? `channel program failed: ${luaError}` : undefined);
  }
}

/** A property value: strings as they are, numbers as unsigned 64-bit (BigInt beyond 2^53). */
export type PropValue = string | number | bigint;

// Lua numbers are int64; ZFS's numeric properties are uint64.
function unsigned(v: unknown): PropValue {
  if (typeof v === 'number' && v < 0) return BigInt.asUintN(64, BigInt(v));
  if (typeof v === 'bigint' && v < 0n) return BigInt.asUintN(64, v);
  return v as PropValue;
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

const LIST_SNAPSHOTS = `local args = ...
if not zfs.exists(args.dataset) then return {missing = true} end
local out = {}
for snap in zfs.list.snapshots(args.dataset) do
  local p = {}
  for _, name in ipairs(args.props) do
    local v = zfs.get_prop(snap, name)
    if v ~= nil then p[name] = v end
  end
  out[snap] = p
end
return {snapshots = out}`;

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
  const ret = (await channelProgram(poolOf(dataset), LIST_SNAPSHOTS, {
    args: { dataset, props },
    ...(options.limits ? { limits: options.limits } : {}),
  })) as { missing?: boolean; snapshots?: Record<string, Record<string, unknown>> } | undefined;
  if (!ret || ret.missing) throw notFound(op, dataset);
  const list: SnapshotInfo[] = Object.entries(ret.snapshots ?? {}).map(([name, values]) => ({
    name,
    props: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, unsigned(v)])),
  }));
  return list.sort((a, b) => Number(a.props.createtxg) - Number(b.props.createtxg) || a.name.localeCompare(b.name));
}

const LIST_CHILDREN = `local args = ...
if not zfs.exists(args.dataset) then return {missing = true} end
local out = {}
local function walk(ds)
  for child in zfs.list.children(ds) do
    out[child] = true
    if args.recursive then walk(child) end
  end
end
walk(args.dataset)
return {children = out}`;

/**
 * The child filesystems and volumes of a dataset, sorted by name; with
 * `recursive`, all descendants.
 * @throws {@link ZfsError} `DATASET_NOT_FOUND`, `INVALID_NAME`, `ZFS_UNAVAILABLE`.
 */
export async function listChildren(dataset: string, options: { recursive?: boolean } = {}): Promise<string[]> {
  const op = 'listChildren';
  checkName(op, dataset, 'dataset');
  const ret = (await channelProgram(poolOf(dataset), LIST_CHILDREN, { args: { dataset, recursive: options.recursive === true } })) as
    | { missing?: boolean; children?: Record<string, boolean> }
    | undefined;
  if (!ret || ret.missing) throw notFound(op, dataset);
  return Object.keys(ret.children ?? {}).sort();
}

const GET_PROPS = `local args = ...
if not zfs.exists(args.name) then return {missing = true} end
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
return {props = out}`;

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
  const op = 'getProps';
  checkName(op, name, name.includes('@') ? 'snapshot' : 'dataset');
  for (const p of names ?? []) checkPropName(op, name, p);
  let ret: { missing?: boolean; props?: Record<string, { value: unknown; source?: string }> } | undefined;
  try {
    ret = (await channelProgram(poolOf(name), GET_PROPS, { args: names ? { name, props: [...names] } : { name } })) as typeof ret;
  } catch (e) {
    // zfs.get_prop raises for a name that is no property at all.
    if (e instanceof ZfsError && e.code === 'CHANNEL_PROGRAM_ERROR' && /property|Invalid/i.test(e.message)) {
      throw new ZfsError({ code: 'INVALID_PROPERTY', errno: errno('EINVAL'), operation: op, dataset: name, message: `${op} ${name}: ${e.message}` });
    }
    throw e;
  }
  if (!ret || ret.missing) throw notFound(op, name);
  const out: Record<string, PropEntry> = {};
  for (const [k, { value, source }] of Object.entries(ret.props ?? {})) {
    const src = source === undefined ? '-' : source === name ? 'local' : source === 'default' ? 'default' : `inherited from ${source}`;
    out[k] = { value: unsigned(value), source: src };
  }
  return out;
}

const SET_USER_PROPS = `local args = ...
if not zfs.exists(args.name) then return {missing = true} end
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
return {ok = true}`;

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
  // Room the new values need, plus 1 MiB of headroom: a pool that close to
  // full also refuses snapshots, and a half-set group can't be undone.
  let need = 1024 * 1024;
  for (const [k, v] of Object.entries(props)) need += 2 * (Buffer.byteLength(k) + Buffer.byteLength(v)) + 512;
  const args = { name, props: { ...props }, space_of: datasetOf(name), need };
  const ret = (await channelProgram(poolOf(name), SET_USER_PROPS, { args, sync: true }).catch((e: unknown) => {
    if (e instanceof ZfsError && e.operation === 'channelProgram') {
      throw new ZfsError({ code: e.code, errno: e.errno, operation: op, dataset: name, errors: e.errors, message: e.message.replace(/^channelProgram \S+/, `${op} ${name}`) });
    }
    throw e;
  })) as { missing?: boolean; nospace?: number; failed?: string; errno?: number } | undefined;
  if (!ret || ret.missing) throw notFound(op, name);
  if (ret.nospace !== undefined) {
    throw lzcError(op, [name], { errno: errno('ENOSPC') }, () => 'NO_SPACE', `out of space: ${ret.nospace} bytes available, about ${need} needed`);
  }
  if (ret.failed !== undefined) {
    const e = Number(ret.errno);
    const code = e === errno('ENOSPC') ? 'NO_SPACE' : e === errno('EPERM') || e === errno('EACCES') ? 'PERMISSION_DENIED' : 'INVALID_PROPERTY';
    throw lzcError(op, [name], { errno: e }, () => code, `${code === 'INVALID_PROPERTY' ? 'cannot set' : 'failed to set'} ${ret.failed} (errno ${e})`);
  }
}
