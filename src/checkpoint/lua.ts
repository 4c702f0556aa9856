/**
 * The channel programs of the checkpoint layer: each runs as one kernel call
 * per pool, so a checkpoint of 100 datasets is still one call (and one txg)
 * per pool, and what it checks and what it does can't be interleaved with
 * another writer.
 * @module
 */

/** Raises `floor` to the highest N of the `zcp-N` snapshot names of `args.datasets` (names only). */
const NAME_FLOOR_LOOP = `for _, ds in ipairs(args.datasets) do
    for snap in zfs.list.snapshots(ds) do
      local short = string.sub(snap, #ds + 2)
      if string.sub(short, 1, #args.prefix) == args.prefix then
        local n = string.sub(short, #args.prefix + 1)
        if #n <= 15 and string.match(n, "^[1-9][0-9]*$") then
          local v = tonumber(n)
          if v > floor then floor = v end
        end
      end
    end
  end`;

/**
 * Returns {missing = name} for the first of `args.datasets`, or the pool's
 * state dataset `args.counter`, that does not exist; then sets `counter` to
 * the next TID the pool's counter gives: 1 when it has none, or when its
 * value is not a plain positive integer (a TID is a snapshot name's number).
 */
const READ_COUNTER = `for _, ds in ipairs(args.datasets) do
  if not zfs.exists(ds) then return {missing = ds} end
end
if not zfs.exists(args.counter) then return {missing = args.counter} end
local counter = 1
local stored = zfs.get_prop(args.counter, "zcp:next-tid")
if type(stored) == "string" and #stored <= 15 and string.match(stored, "^[1-9][0-9]*$") then counter = tonumber(stored) end`;

/**
 * The TID floor a later pool of a system sets: its counter's last TID and
 * the highest N of its `zcp-N` snapshot names (names only). CREATE goes above
 * these on its own pool; on a system of two pools the first pool's CREATE
 * must go above the second's too, or a `zcp-N` there (made by hand, or left
 * by a lost counter) would fail every create. args: datasets[], prefix,
 * counter (the pool's zcp state dataset).
 */
export const TID_FLOOR = `local args = ...
${READ_COUNTER}
local floor = counter - 1
${NAME_FLOOR_LOOP}
return {floor = floor}`;

/**
 * Create one checkpoint on one pool: check every dataset and the free space,
 * allocate the TID from the pool's counter (never below `floor`, never
 * reused) unless `tid` is given (the second pool of a system), snapshot every
 * dataset and set the metadata on every snapshot, and advance the counter,
 * all in one txg. A failure after the first snapshot destroys what this run
 * made, so nothing half-made stays behind.
 * The TID is also above every `zcp-N` snapshot name of the datasets (names
 * only: listing names costs no property read per snapshot, so this stays
 * cheap with thousands of checkpoints, and it holds if the counter was lost).
 * Returns the first dataset's snapshot's creation and used, so the caller
 * needs no list afterwards.
 * args: datasets[], prefix, props{}, counter (the pool's zcp state dataset),
 * floor, tid?, need (bytes), space_of.
 */
export const CREATE = `local args = ...
${READ_COUNTER}
local avail = zfs.get_prop(args.space_of, "available")
if avail < args.need then return {nospace = avail} end
local tid = args.tid
if tid == nil then
  local floor = args.floor
  ${NAME_FLOOR_LOOP}
  tid = counter
  if tid <= floor then tid = floor + 1 end
end
local name = args.prefix .. tid
for _, ds in ipairs(args.datasets) do
  local err = zfs.check.snapshot(ds .. "@" .. name)
  if err ~= 0 then return {failed = ds .. "@" .. name, errno = err, step = "check"} end
end
local made = {}
local function undo()
  for _, snap in ipairs(made) do zfs.sync.destroy(snap) end
end
for _, ds in ipairs(args.datasets) do
  local snap = ds .. "@" .. name
  local err = zfs.sync.snapshot(snap)
  if err ~= 0 then undo(); return {failed = snap, errno = err, step = "snapshot"} end
  made[#made + 1] = snap
end
for _, snap in ipairs(made) do
  local err = zfs.sync.set_prop(snap, "zcp:tid", tostring(tid))
  if err ~= 0 then undo(); return {failed = snap, errno = err, step = "metadata"} end
  for k, v in pairs(args.props) do
    err = zfs.sync.set_prop(snap, k, v)
    if err ~= 0 then undo(); return {failed = snap, errno = err, step = "metadata"} end
  end
end
if tid + 1 > counter then zfs.sync.set_prop(args.counter, "zcp:next-tid", tostring(tid + 1)) end
return {tid = tid, name = name, creation = zfs.get_prop(made[1], "creation"), used = zfs.get_prop(made[1], "used")}`;

/**
 * The checkpoints (snapshots named prefix + number) of a system's datasets on
 * one pool. For every one: createtxg, creation, guid (as a string: a Lua
 * number is a signed 64-bit one), its TID, state and system id, holds and
 * clones (a command that destroys a checkpoint destroys every snapshot of
 * it, so every one is checked, not only the first dataset's); for the
 * primary dataset also every zcp: property and the space used. Also every
 * other snapshot of those datasets with its createtxg (`others`): a rollback
 * must not pass over what zcp did not make.
 * args: datasets[], primary, prefix.
 */
export const LIST = `local args = ...
local out = {}
local others = {}
for _, ds in ipairs(args.datasets) do
  if not zfs.exists(ds) then
    out[ds] = {missing = true}
  else
    local snaps = {}
    for snap in zfs.list.snapshots(ds) do
      local short = string.sub(snap, #ds + 2)
      if string.sub(short, 1, #args.prefix) ~= args.prefix then
        others[ds .. "@" .. short] = zfs.get_prop(snap, "createtxg")
      else
        local s = {createtxg = zfs.get_prop(snap, "createtxg"), creation = zfs.get_prop(snap, "creation"),
          guid = tostring(zfs.get_prop(snap, "guid")), userrefs = zfs.get_prop(snap, "userrefs")}
        local clones = {}
        for c in zfs.list.clones(snap) do clones[#clones + 1] = c end
        s.clones = clones
        local props = {}
        if ds == args.primary then
          for k, v in zfs.list.user_properties(snap) do
            if string.sub(k, 1, 4) == "zcp:" then props[k] = v end
          end
          s.used = zfs.get_prop(snap, "used")
        else
          props["zcp:tid"] = zfs.get_prop(snap, "zcp:tid")
          props["zcp:state"] = zfs.get_prop(snap, "zcp:state")
          props["zcp:system"] = zfs.get_prop(snap, "zcp:system")
        end
        s.props = props
        snaps[short] = s
      end
    end
    out[ds] = {snapshots = snaps}
  end
end
return {datasets = out, others = others}`;

/** Marks a checkpoint's snapshots on one pool complete. args: snapshots[]. */
export const MARK_COMPLETE = `local args = ...
for _, snap in ipairs(args.snapshots) do
  if zfs.exists(snap) then
    local err = zfs.sync.set_prop(snap, "zcp:state", "complete")
    if err ~= 0 then return {failed = snap, errno = err} end
  end
end
return {ok = true}`;
