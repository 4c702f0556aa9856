/**
 * The channel programs of the checkpoint layer, as typed units (see
 * `zfs/lua.ts`): each runs as one kernel call per pool, so a checkpoint of
 * 100 datasets is still one call (and one txg) per pool, and what it checks
 * and what it does can't be interleaved with another writer. The parts they
 * share are Lua local functions; `test/unit/programs.test.ts` runs each on
 * the host against a fake `zfs` table.
 * @module
 */
import { type LuaFunction, type Returned, defineProgram } from '../zfs/lua.js';

/** The first of `datasets`, or the pool's state dataset `counter_ds` (when given), that does not exist; nil when all do. */
const FIRST_MISSING: LuaFunction = {
  name: 'first_missing',
  lua: `local function first_missing(datasets, counter_ds)
  for _, ds in ipairs(datasets) do
    if not zfs.exists(ds) then return ds end
  end
  if counter_ds and not zfs.exists(counter_ds) then return counter_ds end
  return nil
end`,
};

/** The next TID the pool's counter gives, and whether it has one: 1 and false when it has none (set on the state dataset itself), or when its value is not a plain positive integer (a TID is a snapshot name's number). */
const NEXT_TID: LuaFunction = {
  name: 'next_tid',
  lua: `local function next_tid(counter_ds)
  local stored, src = zfs.get_prop(counter_ds, "zcp:next-tid")
  if src ~= counter_ds then return 1, false end -- inherited from the pool: not the counter
  if type(stored) == "string" and #stored <= 15 and string.match(stored, "^[1-9][0-9]*$") then return tonumber(stored), true end
  return 1, false
end`,
};

/** `floor` raised to the highest N of the PREFIX-N snapshot names of `datasets` (names only: no property read per snapshot, so it stays cheap with thousands). */
const NAME_FLOOR: LuaFunction = {
  name: 'name_floor',
  lua: `local function name_floor(datasets, prefix, floor)
  for _, ds in ipairs(datasets) do
    for snap in zfs.list.snapshots(ds) do
      local short = string.sub(snap, #ds + 2)
      if string.sub(short, 1, #prefix) == prefix then
        local n = string.sub(short, #prefix + 1)
        if #n <= 15 and string.match(n, "^[1-9][0-9]*$") then
          local v = tonumber(n)
          if v > floor then floor = v end
        end
      end
    end
  end
  return floor
end`,
};

/** The pool's state dataset and the system's datasets on it, as the TID programs take them. */
interface TidArgs {
  [key: string]: string | string[] | number | Record<string, string>;
  datasets: string[];
  prefix: string;
  /** The pool's zcp state dataset (its `zcp:next-tid` is the counter). */
  counter: string;
}

/**
 * The TID floor a later pool of a system sets: its counter's last TID and
 * the highest N of its `zcp-N` snapshot names. CREATE goes above these on
 * its own pool; on a system of two pools the first pool's CREATE must go
 * above the second's too, or a `zcp-N` there (made by hand, or left by a
 * lost counter) would fail every create.
 */
export const TID_FLOOR = defineProgram<TidArgs, { floor: number } | { missing: string }>({
  name: 'tid-floor',
  uses: [FIRST_MISSING, NEXT_TID, NAME_FLOOR],
  body: `local missing = first_missing(args.datasets, args.counter)
if missing then return {missing = missing} end
return {floor = name_floor(args.datasets, args.prefix, next_tid(args.counter) - 1)}`,
  decode: (r) => (r.has('missing') ? { missing: r.get('missing').string() } : { floor: r.get('floor').number() }),
});

/** What CREATE did: made the checkpoint, or nothing (and why). */
export type CreateResult =
  | { made: true; tid: number; name: string; creation: number; used: number; /** An entry was asked for, but there is no index dataset of zcp's. */ unindexed?: true }
  | { made: false; missing: string }
  | { made: false; state: 'missing' | 'foreign' }
  | { made: false; pending: true }
  | { made: false; nospace: number }
  | { made: false; failed: string; errno: number; step: 'snapshot' | 'metadata' };

/** CREATE's arguments: `journal` (the first pool only) is the system's journal property. */
export type CreateArgs = TidArgs & {
  /** The metadata of the pool's first snapshot: `props` when `first` is `full`, else only `tags` (the other snapshots carry none). */
  props: Record<string, string>;
  tags: Record<string, string>;
  first: 'full' | 'tags';
  floor: number;
  tid?: number;
  need: number;
  space_of: string;
  journal?: string;
  /** The checkpoint's index entry (see {@link QUICK_LIST}) as JSON without its creation time, the key it goes under less the TID, and the index dataset; none when too long for one property. */
  index?: string;
  index_key?: string;
  index_ds?: string;
};

/**
 * Whether `ds` is zcp's index dataset (`POOL/zcp/index`, `zcp:role=index`
 * set on itself): only then is an entry read or written there. `unasked`:
 * not asked first whether it is there (one hold less; a missing one fails
 * the program, for the caller to look). It is apart
 * from POOL/zcp, whose delegations every command reads, and reading them
 * (through libzfs) fetches every property of the dataset.
 */
const INDEX_OK: LuaFunction = {
  name: 'index_ok',
  lua: `local function index_ok(ds, unasked)
  if ds == nil or (not unasked and not zfs.exists(ds)) then return false end
  local role, src = zfs.get_prop(ds, "zcp:role")
  return role == "index" and src == ds
end`,
};

/**
 * Creates one checkpoint on one pool: checks the state dataset (zcp's, else
 * `state`: the caller refuses it; one not there, like a missing index
 * dataset, fails the program before any change, and the caller looks), the
 * system's rollback journal when `journal` names it (`pending`: the caller
 * refuses), and the free space; takes the TID from the pool's counter (above
 * `floor`; above every `zcp-N` name too when the counter has no value or its
 * name is taken: the names are not read otherwise; never reused) unless `tid`
 * is given (the second pool of a system); snapshots every dataset, with no
 * check of each first (the snapshot's own check tells a dataset missing or a
 * name taken, and what was made before it is destroyed again); sets the
 * metadata on the pool's first snapshot only (whole when `first` is `full`,
 * else `zcp:tid` and `tags`; the others are tied to it by name and
 * createtxg, see {@link LIST}) and advances the counter, all in one txg. A
 * failure after the first snapshot destroys what this run made: nothing
 * half-made stays. Returns the first dataset's snapshot's creation and used,
 * so the caller needs no list afterwards.
 */
export const CREATE = defineProgram<CreateArgs, CreateResult>({
  name: 'create',
  sync: true,
  uses: [NEXT_TID, NAME_FLOOR, INDEX_OK],
  body: `-- Each read holds a dataset (about 3 ms in an emulated guest for POOL/zcp and its index, which are
-- never mounted): every value is read once, and what the snapshot's own check tells (a dataset
-- missing, a name taken) is not asked before it. Nor is whether POOL/zcp and the index are there:
-- reading one that is not fails the program before it changes anything (the kernel's Lua has no
-- pcall), and the caller then looks. Every read that can fail comes before the first snapshot.
local role, role_src = zfs.get_prop(args.counter, "zcp:role")
if role ~= "state" or role_src ~= args.counter then return {state = "foreign"} end
if args.journal then
  local j, j_src = zfs.get_prop(args.counter, args.journal)
  if j_src == args.counter and j ~= nil and j ~= "" then return {pending = true} end
end
local counter, counted = next_tid(args.counter)
local avail = zfs.get_prop(args.space_of, "available")
if avail < args.need then return {nospace = avail} end
-- No index dataset of zcp's (its role set on itself): no entry, and the checkpoint is listed the slow way.
local indexed = args.index ~= nil and index_ok(args.index_ds, true)
local ENOENT, EEXIST = 2, 17
local tid = args.tid
if tid == nil then
  tid = counter
  if tid <= args.floor then tid = args.floor + 1 end
  -- The counter is the truth (POOL/zcp is refused while others may set it): the names are read
  -- only when it has no value yet, or below when its name is taken (a zcp-N made by hand), so a
  -- create costs the same with 10 checkpoints or 2,000.
  if not counted then
    local floor = name_floor(args.datasets, args.prefix, args.floor)
    if tid <= floor then tid = floor + 1 end
  end
end
local made = {}
local function undo()
  for _, snap in ipairs(made) do zfs.sync.destroy(snap) end
end
-- Snapshots every dataset as NAME, with no check first (each check holds a dataset once more: the
-- snapshot's own check tells a dataset missing or a name taken). nil when all were made; else,
-- with what was made undone, why not and the errno.
local function snapshot_all(name)
  made = {}
  for _, ds in ipairs(args.datasets) do
    local snap = ds .. "@" .. name
    local err = zfs.sync.snapshot(snap)
    if err ~= 0 then
      undo()
      if err == ENOENT and not zfs.exists(ds) then return {missing = ds}, err end
      return {failed = snap, errno = err, step = "snapshot"}, err
    end
    made[#made + 1] = snap
  end
  return nil
end
local failed, errno = snapshot_all(args.prefix .. tid)
if failed and errno == EEXIST and args.tid == nil then
  -- Its name is taken: above every name, once.
  local above = args.floor
  if tid > above then above = tid end
  tid = name_floor(args.datasets, args.prefix, above) + 1
  failed = snapshot_all(args.prefix .. tid)
end
if failed then return failed end
local name = args.prefix .. tid
-- Every property set is a write and a pool history record in the txg: the metadata goes on this
-- pool's first snapshot only (whole on the system's first, else TID, state and system). The others
-- carry none: what ties them to it is their name and their createtxg, which only this program's
-- snapshots share (a dataset takes one snapshot per txg).
local err = zfs.sync.set_prop(made[1], "zcp:tid", tostring(tid))
if err ~= 0 then undo(); return {failed = made[1], errno = err, step = "metadata"} end
for k, v in pairs(args.first == "full" and args.props or args.tags) do
  err = zfs.sync.set_prop(made[1], k, v)
  if err ~= 0 then undo(); return {failed = made[1], errno = err, step = "metadata"} end
end
local creation = zfs.get_prop(made[1], "creation")
-- The index entry, in the snapshots' own txg: a list reads it instead of ten properties per snapshot.
local unindexed = nil
if args.index and not indexed then unindexed = true end
if indexed then
  local entry = string.sub(args.index, 1, -2) .. ',"created":' .. tostring(creation) .. '}'
  err = zfs.sync.set_prop(args.index_ds, args.index_key .. tid, entry)
  if err ~= 0 then undo(); return {failed = args.index_ds, errno = err, step = "metadata"} end
end
if tid + 1 > counter then zfs.sync.set_prop(args.counter, "zcp:next-tid", tostring(tid + 1)) end
return {tid = tid, name = name, creation = creation, used = zfs.get_prop(made[1], "used"), unindexed = unindexed}`,
  decode: (r): CreateResult => {
    if (r.has('missing')) return { made: false, missing: r.get('missing').string() };
    if (r.has('state')) {
      const state = r.get('state').string();
      // 'missing' is not the program's to say (a missing POOL/zcp fails it): runCreate looks.
      return state === 'foreign' ? { made: false, state } : r.get('state').unexpected('foreign');
    }
    if (r.has('pending')) return { made: false, pending: true };
    if (r.has('nospace')) return { made: false, nospace: r.get('nospace').number() };
    if (r.has('failed')) {
      const step = r.get('step').string();
      const isStep = (x: string): x is 'snapshot' | 'metadata' => x === 'snapshot' || x === 'metadata';
      if (!isStep(step)) return r.get('step').unexpected('snapshot or metadata');
      return { made: false, failed: r.get('failed').string(), errno: r.get('errno').number(), step };
    }
    return { made: true, tid: r.get('tid').number(), name: r.get('name').string(), creation: r.get('creation').number(), used: r.get('used').number(), ...(r.has('unindexed') ? { unindexed: true as const } : {}) };
  },
});

/** One `zcp-N` snapshot as LIST reads it. */
export interface ListedSnapshot {
  createtxg: number;
  /** As a string: a Lua number is a signed 64-bit one. */
  guid: string;
  creation: number;
  /** The first dataset's only. */
  used?: number;
  userrefs: number;
  clones: string[];
  /** Every zcp: property on the first dataset; elsewhere `zcp:tid`, `zcp:state`, `zcp:system` where `zcp:tid` is set (a pool's first snapshot of a checkpoint), else none. */
  props: Record<string, string>;
}

/** What LIST found on one pool. */
export interface ListResult {
  /** By dataset: its `zcp-N` snapshots by short name, or missing. */
  datasets: Map<string, { missing: true } | { missing: false; snapshots: Map<string, ListedSnapshot> }>;
  /** Every other snapshot of those datasets with its createtxg. */
  others: Map<string, number>;
}

function listedSnapshot(s: Returned): ListedSnapshot {
  const used = s.get('used').optional((u) => u.number());
  return {
    createtxg: s.get('createtxg').number(),
    guid: s.get('guid').string(),
    creation: s.get('creation').number(),
    ...(used === undefined ? {} : { used }),
    userrefs: s.get('userrefs').number(),
    clones: s.get('clones').list().map((c) => c.string()),
    props: Object.fromEntries(s.get('props').entries().map(([k, v]) => [k, v.string()])),
  };
}

/**
 * The checkpoints (snapshots named PREFIX-N) of a system's datasets on one
 * pool. For every one: createtxg, creation, guid, holds and clones (a command
 * that destroys a checkpoint destroys every snapshot of it, so every one is
 * checked, not only the first dataset's) and, where set (on a pool's first
 * snapshot of a checkpoint), its TID, state and system id; for the primary
 * dataset also every zcp: property and the space used. A snapshot without
 * them is the checkpoint's when its name and createtxg are those of a
 * snapshot with them on the same pool (the caller ties them). Also
 * every other snapshot of those datasets with its createtxg: a rollback must
 * not pass over what zcp did not make. zcp: properties count only where set
 * on the snapshot itself (CREATE sets them there), never inherited.
 *
 * A selection reads less: `only` (short names) and `from` (every PREFIX-N
 * with N >= from) choose the checkpoints read; other snapshots then count
 * only with `newer` (a rollback's target): those created after it, read only
 * on a dataset whose newest snapshot (`prevsnap`) is not the target, so a
 * rollback to the latest checkpoint reads no other snapshot at all.
 */
/** A user property's value when it is set on `name` itself (not inherited); nil otherwise. */
const OWN_PROP: LuaFunction = {
  name: 'own_prop',
  lua: `local function own_prop(name, prop)
  local v, src = zfs.get_prop(name, prop)
  if src == name then return v end
  return nil
end`,
};

export const LIST = defineProgram<{ datasets: string[]; primary: string; prefix: string; only?: Record<string, string>; from?: number; newer?: string }, ListResult>({
  name: 'list',
  uses: [OWN_PROP],
  body: `local out = {}
local others = {}
local some = args.only ~= nil or args.from ~= nil
for _, ds in ipairs(args.datasets) do
  if not zfs.exists(ds) then
    out[ds] = {missing = true}
  else
    local snaps = {}
    -- With a rollback target: is anything newer than it on this dataset? (nil txg: the target is not here, so all counts)
    local target_txg, newest = nil, false
    if args.newer then
      local t = ds .. "@" .. args.newer
      if zfs.exists(t) then
        target_txg = zfs.get_prop(t, "createtxg")
        newest = zfs.get_prop(ds, "prevsnap") == t
      end
    end
    for snap in zfs.list.snapshots(ds) do
      local short = string.sub(snap, #ds + 2)
      local ours = string.sub(short, 1, #args.prefix) == args.prefix
      local read = ours
      if some then
        -- Some checkpoints only: the others are read only when a rollback to args.newer would pass over them.
        local n = ours and tonumber(string.sub(short, #args.prefix + 1)) or nil
        read = ours and ((args.only ~= nil and args.only[short] ~= nil) or (args.from ~= nil and n ~= nil and n >= args.from))
        if not read and args.newer and not newest then
          local txg = zfs.get_prop(snap, "createtxg")
          if target_txg == nil or txg > target_txg then
            if ours then read = true else others[snap] = txg end
          end
        end
      elseif not ours then
        others[snap] = zfs.get_prop(snap, "createtxg")
      end
      if read then
        local s = {createtxg = zfs.get_prop(snap, "createtxg"), creation = zfs.get_prop(snap, "creation"),
          guid = tostring(zfs.get_prop(snap, "guid")), userrefs = zfs.get_prop(snap, "userrefs")}
        local clones = {}
        for c in zfs.list.clones(snap) do clones[#clones + 1] = c end
        s.clones = clones
        -- Only properties set on the snapshot itself: a snapshot inherits user properties from its
        -- dataset, and anyone allowed userprop there could make every snapshot look like zcp's.
        local props = {}
        if ds == args.primary then
          for k, v, src in zfs.list.user_properties(snap) do
            if src == snap and string.sub(k, 1, 4) == "zcp:" then props[k] = v end
          end
          s.used = zfs.get_prop(snap, "used")
        else
          -- A pool's first snapshot of a checkpoint (and every one, made by an older zcp) carries its
          -- TID, state and system; the others none (tied by createtxg): one read tells which.
          local tid = own_prop(snap, "zcp:tid")
          if tid ~= nil then
            props["zcp:tid"] = tid
            props["zcp:state"] = own_prop(snap, "zcp:state")
            props["zcp:system"] = own_prop(snap, "zcp:system")
          end
        end
        s.props = props
        snaps[short] = s
      end
    end
    out[ds] = {snapshots = snaps}
  end
end
return {datasets = out, others = others}`,
  decode: (r): ListResult => ({
    datasets: new Map(
      r
        .get('datasets')
        .entries()
        .map(([ds, d]) => [ds, d.has('missing') ? { missing: true as const } : { missing: false as const, snapshots: new Map(d.get('snapshots').entries().map(([short, s]) => [short, listedSnapshot(s)])) }]),
    ),
    others: new Map(r.get('others').entries().map(([name, txg]) => [name, txg.number()])),
  }),
});

/** Marks a checkpoint's snapshots on one pool complete (those that exist and carry its metadata: `zcp:tid` set on themselves), and its index entry there (`key` on `index_ds`; written with its state first). */
export const MARK_COMPLETE = defineProgram<{ snapshots: string[]; index_ds?: string; key?: string }, { ok: true } | { ok: false; failed: string; errno: number }>({
  name: 'mark-complete',
  sync: true,
  uses: [INDEX_OK, OWN_PROP],
  body: `for _, snap in ipairs(args.snapshots) do
  if zfs.exists(snap) and own_prop(snap, "zcp:tid") ~= nil then
    local err = zfs.sync.set_prop(snap, "zcp:state", "complete")
    if err ~= 0 then return {failed = snap, errno = err} end
  end
end
if args.key and index_ok(args.index_ds) then
  local entry, src = zfs.get_prop(args.index_ds, args.key)
  local head = '{"state":"creating"'
  if src == args.index_ds and type(entry) == "string" and string.sub(entry, 1, #head) == head then
    local err = zfs.sync.set_prop(args.index_ds, args.key, '{"state":"complete"' .. string.sub(entry, #head + 1))
    if err ~= 0 then return {failed = args.index_ds, errno = err} end
  end
end
return {ok = true}`,
  decode: (r) => (r.has('failed') ? { ok: false, failed: r.get('failed').string(), errno: r.get('errno').number() } : { ok: true }),
});

/** What QUICK_LIST found on one pool. */
export interface QuickListResult {
  /** By dataset: its `zcp-N` snapshot names, or missing. */
  datasets: Map<string, { missing: true } | { missing: false; names: string[] }>;
  /** The index entries of the system on this pool: by the key's rest (`TID`, `TID.held`), as stored. */
  index: Map<string, string>;
}

/**
 * The fast listing: the `zcp-N` snapshot names of a system's datasets on one
 * pool (names only: no snapshot is opened, so 2,000 cost about as much as a
 * property read of a few) and the system's index entries on the index
 * dataset, `key` + `TID` (CREATE writes one in the checkpoint's own txg).
 * The caller joins the two: a name without an entry (made by an older zcp,
 * or behind zcp's back) is read the slow way with LIST, an entry without a
 * name is a checkpoint gone. Entries count only where set on the index
 * dataset itself.
 */
export const QUICK_LIST = defineProgram<{ datasets: string[]; prefix: string; index_ds: string; key: string }, QuickListResult>({
  name: 'quick-list',
  uses: [INDEX_OK],
  body: `local index = {}
if index_ok(args.index_ds) then
  for k, v, src in zfs.list.user_properties(args.index_ds) do
    if src == args.index_ds and string.sub(k, 1, #args.key) == args.key then index[string.sub(k, #args.key + 1)] = v end
  end
end
local out = {}
for _, ds in ipairs(args.datasets) do
  if not zfs.exists(ds) then
    out[ds] = {missing = true}
  else
    local names = {}
    for snap in zfs.list.snapshots(ds) do
      local short = string.sub(snap, #ds + 2)
      if string.sub(short, 1, #args.prefix) == args.prefix then names[#names + 1] = short end
    end
    out[ds] = {names = names}
  end
end
return {datasets = out, index = index}`,
  decode: (r): QuickListResult => ({
    datasets: new Map(
      r
        .get('datasets')
        .entries()
        .map(([ds, d]) => [ds, d.has('missing') ? { missing: true as const } : { missing: false as const, names: d.get('names').list().map((n) => n.string()) }]),
    ),
    index: new Map((r.get('index').optional((i) => i.entries()) ?? []).map(([k, v]) => [k, v.string()])),
  }),
});

/** Sets index entries on a pool's index dataset (`set`) and removes others (`drop`): what hold, release and destroy keep right. Entries count only on the index dataset itself; one not there is not dropped; no index dataset, nothing done. */
export const SET_INDEX = defineProgram<{ index_ds: string; set: Record<string, string>; drop: string[] }, { ok: true } | { ok: false; failed: string; errno: number }>({
  name: 'set-index',
  sync: true,
  uses: [INDEX_OK],
  body: `if not index_ok(args.index_ds) then return {ok = true} end
for k, v in pairs(args.set) do
  local err = zfs.sync.set_prop(args.index_ds, k, v)
  if err ~= 0 then return {failed = k, errno = err} end
end
for _, k in ipairs(args.drop) do
  local _, src = zfs.get_prop(args.index_ds, k)
  if src == args.index_ds then
    local err = zfs.sync.inherit(args.index_ds, k)
    if err ~= 0 then return {failed = k, errno = err} end
  end
end
return {ok = true}`,
  decode: (r) => (r.has('failed') ? { ok: false, failed: r.get('failed').string(), errno: r.get('errno').number() } : { ok: true }),
});

/** What {@link STATE_READ} found on a pool: POOL/zcp missing, or its role and the system's journal. */
export type StateRead =
  | { there: false }
  | {
      there: true;
      /** `zcp:role` set on POOL/zcp itself ('' when none). */
      role: string;
      /** The journal's text (its chunks joined), when one is set on POOL/zcp itself and not empty. */
      journal?: string;
    };

/**
 * A pool's zcp state in one read-only call: whether POOL/zcp is there and
 * zcp's, and (with `journal`) the system's
 * rollback journal, whose chunks are read only when it is set: what every
 * locked command checks first, in a handful of reads (each holds a dataset:
 * about 1 ms in an emulated guest), not one per possible chunk. The index
 * dataset is not read here: CREATE finds it missing (and zcp makes it), and
 * every reader of it checks it.
 */
export const STATE_READ = defineProgram<{ state: string; journal?: string; chunks: number }, StateRead>({
  name: 'state-read',
  uses: [OWN_PROP],
  body: `-- Not asked first whether POOL/zcp is there (one hold less): reading one that is not fails the
-- program, and the caller looks.
local out = {role = own_prop(args.state, "zcp:role") or ""}
if args.journal then
  local first = own_prop(args.state, args.journal)
  if first ~= nil and first ~= "" then
    local parts = {first}
    for n = 1, args.chunks do
      local chunk = own_prop(args.state, args.journal .. "." .. n)
      if chunk == nil or chunk == "" then break end
      parts[#parts + 1] = chunk
    end
    out.journal = table.concat(parts)
  end
end
return out`,
  decode: (r): StateRead => {
    // A missing POOL/zcp fails the program: readState looks, and says there: false.
    return {
      there: true,
      role: r.get('role').string(),
      ...(r.has('journal') ? { journal: r.get('journal').string() } : {}),
    };
  },
});

/**
 * Writes (or clears) a system's rollback journal on the state dataset, in
 * one txg and as few holds of that dataset (never mounted: about 3 ms each
 * in an emulated guest) as can be: no check of each property first. The
 * chunks go in the order given, the first chunk last, so a write cut short
 * leaves the first chunk as it was: empty or absent, since a journal is only
 * written where none is (every command refuses while one is), so it reads
 * as no journal, never as a mix of two.
 * `need` bytes are asked for first (none for a clear).
 */
export const WRITE_JOURNAL = defineProgram<
  { state: string; keys: string[]; values: string[]; need: number },
  { done: 'set' } | { done: 'nospace'; available: number } | { done: 'failed'; property: string; errno: number }
>({
  name: 'write-journal',
  sync: true,
  body: `if args.need > 0 then
  local avail = zfs.get_prop(args.state, "available")
  if avail < args.need then return {nospace = avail} end
end
for i, k in ipairs(args.keys) do
  local err = zfs.sync.set_prop(args.state, k, args.values[i])
  if err ~= 0 then return {failed = k, errno = err} end
end
return {ok = true}`,
  decode: (r) => {
    if (r.has('nospace')) return { done: 'nospace', available: r.get('nospace').number() };
    if (r.has('failed')) return { done: 'failed', property: r.get('failed').string(), errno: r.get('errno').number() };
    if (!r.has('ok')) r.unexpected('{ok}, {nospace} or {failed}');
    return { done: 'set' };
  },
});
