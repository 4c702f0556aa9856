-- A fake `zfs` table that runs zcp's channel programs on the host under Lua
-- 5.2 (the language OpenZFS embeds), after zfs-program(8): a pool is a table
-- of objects (datasets and snapshots by full name) with native properties,
-- user properties (inherited down the tree, snapshots from their dataset, as
-- the kernel does) and clones; zfs.sync.* change it, zfs.check.* only say
-- whether they would work; a failure is injected by naming an operation and
-- an object. The program runs in an environment with only what the kernel's
-- Lua has (no io, os, math, require, load), so a call to anything else fails
-- here too.
--
-- usage: lua5.2 fake-zfs.lua CASE  (CASE returns {source = TEXT, args = TABLE, sync = BOOL,
--   pool = {objects = {[name] = {props = {...}, user = {...}, clones = {...}}}, txg = N,
--   fail = {["snapshot:NAME"] = errno, ...}}}): snapshot and set_prop fail their check and sync,
--   sync_snapshot and sync_set_prop only the sync (the check passed), destroy the destroy
-- prints one JSON document: {ok, ret | error, objects, calls, reads} (tables as objects, as an nvlist has them).

local case = dofile(arg[1])
local pool = case.pool
local objects = pool.objects
local fail = pool.fail or {}
local calls = {}
-- Reads of the pool (exists, get_prop, the checks, listings): each holds a dataset in the kernel,
-- about 1 ms in an emulated guest, so the tests count them.
local reads = 0
local EEXIST, ENOENT, EINVAL = 17, 2, 22

local function dataset_of(name)
  return (string.match(name, "^([^@]+)@") or name)
end

local function parent_of(name)
  if string.find(name, "@", 1, true) then return dataset_of(name) end
  return string.match(name, "^(.+)/[^/]+$")
end

local function need(name)
  if objects[name] == nil then error(name .. ": no such dataset", 2) end
  return objects[name]
end

-- zfs.list.* iterate in a stable order: snapshots by createtxg, the rest by name.
local function iterate(list)
  local i = 0
  return function()
    i = i + 1
    return list[i]
  end
end

local function sorted_names(match)
  local out = {}
  for name in pairs(objects) do
    if match(name) then out[#out + 1] = name end
  end
  table.sort(out, function(a, b)
    local ta, tb = objects[a].props.createtxg or 0, objects[b].props.createtxg or 0
    if ta ~= tb then return ta < tb end
    return a < b
  end)
  return out
end

local function user_prop(name, prop)
  local at = name
  while at do
    local o = objects[at]
    if o and o.user and o.user[prop] ~= nil then return o.user[prop], at end
    at = parent_of(at)
  end
  return nil
end

local zfs = {list = {}, check = {}, sync = {}}

function zfs.exists(name)
  reads = reads + 1
  return objects[name] ~= nil
end

function zfs.get_prop(name, prop)
  reads = reads + 1
  local o = need(name)
  if prop == "prevsnap" then
    -- A filesystem's newest snapshot (nil without one), as the kernel tells it.
    local snaps = sorted_names(function(n) return string.sub(n, 1, #name + 1) == name .. "@" end)
    return snaps[#snaps]
  end
  if string.find(prop, ":", 1, true) then return user_prop(name, prop) end
  local v = o.props[prop]
  if v == nil then error(name .. ": no property " .. prop, 2) end
  return v, (o.source or {})[prop]
end

function zfs.list.snapshots(ds)
  reads = reads + 1
  need(ds)
  return iterate(sorted_names(function(n) return string.sub(n, 1, #ds + 1) == ds .. "@" end))
end

function zfs.list.children(ds)
  need(ds)
  return iterate(sorted_names(function(n)
    return string.sub(n, 1, #ds + 1) == ds .. "/" and not string.find(n, "[/@]", #ds + 2)
  end))
end

function zfs.list.clones(snap)
  local clones = {}
  for _, c in ipairs(need(snap).clones or {}) do clones[#clones + 1] = c end
  return iterate(clones)
end

function zfs.list.user_properties(name)
  reads = reads + 1
  need(name)
  local seen, list = {}, {}
  local at = name
  while at do
    local o = objects[at]
    for k in pairs(o and o.user or {}) do
      if not seen[k] then
        seen[k] = true
        list[#list + 1] = k
      end
    end
    at = parent_of(at)
  end
  table.sort(list)
  local i = 0
  return function()
    i = i + 1
    if list[i] == nil then return nil end
    local v, src = user_prop(name, list[i])
    return list[i], v, src
  end
end

function zfs.list.system_properties(name)
  local out = {}
  for k in pairs(need(name).props) do out[#out + 1] = k end
  table.sort(out)
  return out
end

local function injected(op, name)
  return fail[op .. ":" .. name]
end

function zfs.check.snapshot(snap)
  reads = reads + 1
  if injected("snapshot", snap) then return injected("snapshot", snap) end
  if objects[snap] then return EEXIST end
  if objects[dataset_of(snap)] == nil then return ENOENT end
  return 0
end

function zfs.sync.snapshot(snap)
  assert(case.sync, "zfs.sync.snapshot outside syncing context")
  local err = injected("sync_snapshot", snap) or zfs.check.snapshot(snap)
  reads = reads - 1 -- the sync's own check is not a read of the program
  calls[#calls + 1] = "snapshot " .. snap .. " " .. err
  if err ~= 0 then return err end
  pool.txg = pool.txg + 1
  pool.guid = (pool.guid or 1000) + 1
  objects[snap] = {props = {createtxg = pool.txg, creation = 1700000000 + pool.txg, guid = pool.guid, used = 0, userrefs = 0}, user = {}, clones = {}}
  return 0
end

function zfs.sync.destroy(name)
  assert(case.sync, "zfs.sync.destroy outside syncing context")
  local err = injected("destroy", name) or (objects[name] and 0 or ENOENT)
  calls[#calls + 1] = "destroy " .. name .. " " .. err
  if err == 0 then objects[name] = nil end
  return err
end

function zfs.check.set_prop(name, prop, value)
  if injected("set_prop", name) then return injected("set_prop", name) end
  if objects[name] == nil then return ENOENT end
  if not string.find(prop, ":", 1, true) or type(value) ~= "string" then return EINVAL end
  return 0
end

function zfs.sync.set_prop(name, prop, value)
  assert(case.sync, "zfs.sync.set_prop outside syncing context")
  local err = injected("sync_set_prop", name) or zfs.check.set_prop(name, prop, value)
  calls[#calls + 1] = "set_prop " .. name .. " " .. prop .. " " .. err
  if err == 0 then
    local o = objects[name]
    o.user = o.user or {}
    o.user[prop] = value
  end
  return err
end

function zfs.sync.inherit(name, prop)
  assert(case.sync, "zfs.sync.inherit outside syncing context")
  local err = injected("sync_inherit", name) or (objects[name] and 0 or ENOENT)
  calls[#calls + 1] = "inherit " .. name .. " " .. prop .. " " .. err
  if err == 0 and objects[name].user then objects[name].user[prop] = nil end
  return err
end

-- The kernel's Lua: base functions (no pcall, xpcall, load, print: OpenZFS removed them), string, table,
-- coroutine; and zfs.
local env = {
  zfs = zfs, string = string, table = table, coroutine = coroutine,
  ipairs = ipairs, pairs = pairs, next = next, type = type, tostring = tostring, tonumber = tonumber,
  error = error, assert = assert, select = select, unpack = table.unpack,
  rawget = rawget, rawset = rawset, rawequal = rawequal, rawlen = rawlen, setmetatable = setmetatable, getmetatable = getmetatable,
}

-- JSON out: every table as an object with string keys (numbers as integers), as an nvlist is.
local function json(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v == math.floor(v) then return string.format("%d", v) end
    return tostring(v)
  end
  if t == "string" then
    return '"' .. string.gsub(v, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
  end
  if t == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do
      local key = type(k) == "number" and string.format("%d", k) or tostring(k)
      parts[#parts + 1] = json(key) .. ":" .. json(v[k])
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. t)
end

local chunk, syntax = load(case.source, "=program", "t", env)
if not chunk then
  io.write(json({ok = false, error = syntax, objects = objects, calls = calls, reads = reads}))
  return
end
local ok, ret = pcall(chunk, case.args)
io.write(json({ok = ok, ret = ok and ret or nil, error = (not ok) and tostring(ret) or nil, objects = objects, calls = calls, reads = reads}))
