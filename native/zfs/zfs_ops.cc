// The N-API entry points of the ZFS layer: argument conversion on the main
// thread, one libzfs_core call per job on the pool's lane (executor.h).
// Validation and error meaning live in TypeScript (src/zfs); this stays thin.
#include "zfs_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "executor.h"
#include "libzfs_acl.h"
#include "lzc_library.h"
#include "nvlist.h"
#include "nvlist_js.h"

namespace zcp::zfs {
namespace {

using lzc::Library;
using lzc::NvList;
using lzc::NvTree;

constexpr int kNameBuf = 256;  // ZFS_MAX_DATASET_NAME_LEN

// The pool a name belongs to: the lane its call runs on.
std::string PoolOf(const std::string& name) {
  return name.substr(0, name.find_first_of("/@#"));
}

Napi::Promise Run(const Napi::CallbackInfo& info, const std::string& lane, Executor::Job job) {
  return Executor::For(info.Env()).Submit(info.Env(), lane, std::move(job));
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<std::string> StringArrayArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsArray())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an array of strings");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a.Get(k);
    if (!v.IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an array of strings");
    out.push_back(v.As<Napi::String>().Utf8Value());
  }
  return out;
}

// A string-to-string object (user properties); undefined or null means none.
std::map<std::string, std::string> StringMapArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  std::map<std::string, std::string> out;
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return out;
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an object of strings");
  Napi::Object o = info[i].As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); k++) {
    Napi::Value key = keys.Get(k);
    Napi::Value v = o.Get(key);
    if (!v.IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " values must be strings");
    out[key.ToString().Utf8Value()] = v.As<Napi::String>().Utf8Value();
  }
  return out;
}

// An object converted to an NvTree (see nvlist_js.h); undefined or null means none.
NvTree TreeArg(const Napi::CallbackInfo& info, size_t i, const char* what, bool unsigned_numbers) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return NvTree();
  if (!info[i].IsObject() || info[i].IsArray())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an object");
  return lzc::JsToNv(info.Env(), info[i], what, unsigned_numbers);
}

uint64_t U64Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() > i && info[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return v;
  } else if (info.Length() > i && info[i].IsNumber()) {
    double d = info[i].As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && static_cast<double>(static_cast<uint64_t>(d)) == d)
      return static_cast<uint64_t>(d);
  }
  throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a non-negative integer");
}

// Builds an optional nvlist: null pointer when the tree is empty.
int BuildOptional(NvList& list, const NvTree& tree) {
  return tree.list.empty() ? 0 : list.Build(tree);
}

// available(): loads and initialises libzfs_core; value = the library's path.
Napi::Value Available(const Napi::CallbackInfo& info) {
  return Run(info, "", [](const Library&, Outcome& o) { o.text = lzc::LoadedPath(); });
}

// exists(name): lzc_exists, true for filesystems, volumes and snapshots.
Napi::Value Exists(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  return Run(info, PoolOf(name), [name](const Library& lib, Outcome& o) {
    o.boolean = lib.lzc_exists(name.c_str()) != 0;
  });
}

// snapshot(names, props): one lzc_snapshot call, atomic in one txg.
Napi::Value Snapshot(const Napi::CallbackInfo& info) {
  auto names = StringArrayArg(info, 0, "names");
  auto props = StringMapArg(info, 1, "props");
  std::string lane = names.empty() ? "" : PoolOf(names[0]);
  return Run(info, lane, [names, props](const Library& lib, Outcome& o) {
    NvList snaps(lib), nvprops(lib), errlist(lib);
    if ((o.err = snaps.Alloc()) != 0) return;
    for (const auto& n : names)
      if ((o.err = snaps.AddBoolean(n)) != 0) return;
    if (!props.empty()) {
      if ((o.err = nvprops.Alloc()) != 0) return;
      for (const auto& [k, v] : props)
        if ((o.err = nvprops.AddString(k, v)) != 0) return;
    }
    o.err = lib.lzc_snapshot(snaps.get(), nvprops.get(), errlist.out());
    o.errors = errlist.Int32Pairs();
  });
}

// create(name, props): a filesystem (lzc_create).
Napi::Value Create(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  NvTree props = TreeArg(info, 1, "props", true);
  return Run(info, PoolOf(name), [name, props](const Library& lib, Outcome& o) {
    NvList nvprops(lib);
    if ((o.err = BuildOptional(nvprops, props)) != 0) return;
    o.err = lib.lzc_create(name.c_str(), lzc::kDatasetTypeZfs, nvprops.get(), nullptr, 0);
  });
}

// clone(target, origin, props).
Napi::Value Clone(const Napi::CallbackInfo& info) {
  std::string target = StringArg(info, 0, "target");
  std::string origin = StringArg(info, 1, "origin");
  NvTree props = TreeArg(info, 2, "props", true);
  return Run(info, PoolOf(target), [target, origin, props](const Library& lib, Outcome& o) {
    NvList nvprops(lib);
    if ((o.err = BuildOptional(nvprops, props)) != 0) return;
    o.err = lib.lzc_clone(target.c_str(), origin.c_str(), nvprops.get());
  });
}

// promote(fs): value = the conflicting snapshot's name when it fails with EEXIST.
Napi::Value Promote(const Napi::CallbackInfo& info) {
  std::string fs = StringArg(info, 0, "filesystem");
  return Run(info, PoolOf(fs), [fs](const Library& lib, Outcome& o) {
    char conflict[kNameBuf] = "";
    o.err = lib.lzc_promote(fs.c_str(), conflict, sizeof conflict);
    if (o.err && conflict[0]) o.text = conflict;
  });
}

// destroySnapshots(names, defer): lzc_destroy_snaps, atomic per pool.
Napi::Value DestroySnapshots(const Napi::CallbackInfo& info) {
  auto names = StringArrayArg(info, 0, "names");
  bool defer = info.Length() > 1 && info[1].ToBoolean().Value();
  std::string lane = names.empty() ? "" : PoolOf(names[0]);
  return Run(info, lane, [names, defer](const Library& lib, Outcome& o) {
    NvList snaps(lib), errlist(lib);
    if ((o.err = snaps.Alloc()) != 0) return;
    for (const auto& n : names)
      if ((o.err = snaps.AddBoolean(n)) != 0) return;
    o.err = lib.lzc_destroy_snaps(snaps.get(), defer ? 1 : 0, errlist.out());
    o.errors = errlist.Int32Pairs();
  });
}

// destroy(name): a filesystem or volume (lzc_destroy).
Napi::Value Destroy(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  return Run(info, PoolOf(name), [name](const Library& lib, Outcome& o) {
    o.err = lib.lzc_destroy(name.c_str());
  });
}

// rollback(fs): to the latest snapshot; value = its name.
Napi::Value Rollback(const Napi::CallbackInfo& info) {
  std::string fs = StringArg(info, 0, "filesystem");
  return Run(info, PoolOf(fs), [fs](const Library& lib, Outcome& o) {
    char snap[kNameBuf] = "";
    o.err = lib.lzc_rollback(fs.c_str(), snap, sizeof snap);
    if (!o.err) o.text = snap;
  });
}

// rollbackTo(fs, snapshot): only if it is the latest snapshot (else EEXIST).
Napi::Value RollbackTo(const Napi::CallbackInfo& info) {
  std::string fs = StringArg(info, 0, "filesystem");
  std::string snap = StringArg(info, 1, "snapshot");
  return Run(info, PoolOf(fs), [fs, snap](const Library& lib, Outcome& o) {
    o.err = lib.lzc_rollback_to(fs.c_str(), snap.c_str());
  });
}

// rename(from, to).
Napi::Value Rename(const Napi::CallbackInfo& info) {
  std::string from = StringArg(info, 0, "from");
  std::string to = StringArg(info, 1, "to");
  return Run(info, PoolOf(from), [from, to](const Library& lib, Outcome& o) {
    o.err = lib.lzc_rename(from.c_str(), to.c_str());
  });
}

// hold({snapshot: tag}, cleanupFd): -1 for holds that outlive the process.
Napi::Value Hold(const Napi::CallbackInfo& info) {
  auto holds = StringMapArg(info, 0, "holds");
  int fd = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  std::string lane = holds.empty() ? "" : PoolOf(holds.begin()->first);
  return Run(info, lane, [holds, fd](const Library& lib, Outcome& o) {
    NvList nv(lib), errlist(lib);
    if ((o.err = nv.Alloc()) != 0) return;
    for (const auto& [snap, tag] : holds)
      if ((o.err = nv.AddString(snap, tag)) != 0) return;
    o.err = lib.lzc_hold(nv.get(), fd, errlist.out());
    o.errors = errlist.Int32Pairs();
  });
}

// release({snapshot: {tag: null}}).
Napi::Value Release(const Napi::CallbackInfo& info) {
  NvTree holds = TreeArg(info, 0, "holds", false);
  std::string lane = holds.list.empty() ? "" : PoolOf(holds.list.front().first);
  return Run(info, lane, [holds](const Library& lib, Outcome& o) {
    NvList nv(lib), errlist(lib);
    if ((o.err = nv.Build(holds)) != 0) return;
    o.err = lib.lzc_release(nv.get(), errlist.out());
    o.errors = errlist.Int32Pairs();
  });
}

// getHolds(snapshot): result = {tag: creation time (seconds)}.
Napi::Value GetHolds(const Napi::CallbackInfo& info) {
  std::string snap = StringArg(info, 0, "snapshot");
  return Run(info, PoolOf(snap), [snap](const Library& lib, Outcome& o) {
    o.result = std::make_unique<NvList>(lib);
    o.err = lib.lzc_get_holds(snap.c_str(), o.result->out());
  });
}

// bookmark({bookmark: snapshot}).
Napi::Value Bookmark(const Napi::CallbackInfo& info) {
  auto map = StringMapArg(info, 0, "bookmarks");
  std::string lane = map.empty() ? "" : PoolOf(map.begin()->first);
  return Run(info, lane, [map](const Library& lib, Outcome& o) {
    NvList nv(lib), errlist(lib);
    if ((o.err = nv.Alloc()) != 0) return;
    for (const auto& [bm, snap] : map)
      if ((o.err = nv.AddString(bm, snap)) != 0) return;
    o.err = lib.lzc_bookmark(nv.get(), errlist.out());
    o.errors = errlist.Int32Pairs();
  });
}

// getBookmarks(fs, props): result = {name: {prop: {value}}}.
Napi::Value GetBookmarks(const Napi::CallbackInfo& info) {
  std::string fs = StringArg(info, 0, "filesystem");
  auto props = info.Length() > 1 && info[1].IsArray() ? StringArrayArg(info, 1, "props")
                                                       : std::vector<std::string>{};
  return Run(info, PoolOf(fs), [fs, props](const Library& lib, Outcome& o) {
    NvList nvprops(lib);
    if ((o.err = nvprops.Alloc()) != 0) return;
    for (const auto& p : props)
      if ((o.err = nvprops.AddBoolean(p)) != 0) return;
    o.result = std::make_unique<NvList>(lib);
    o.err = lib.lzc_get_bookmarks(fs.c_str(), nvprops.get(), o.result->out());
  });
}

// channelProgram(pool, program, args, instrLimit, memLimit, sync):
// result = the program's output list ({return} or {error}).
Napi::Value ChannelProgram(const Napi::CallbackInfo& info) {
  std::string pool = StringArg(info, 0, "pool");
  std::string program = StringArg(info, 1, "program");
  NvTree args = TreeArg(info, 2, "args", false);
  uint64_t instr = U64Arg(info, 3, "instrLimit");
  uint64_t mem = U64Arg(info, 4, "memLimit");
  bool sync = info.Length() > 5 && info[5].ToBoolean().Value();
  return Run(info, pool, [=](const Library& lib, Outcome& o) {
    NvList nvargs(lib);
    if ((o.err = nvargs.Build(args)) != 0) return;
    o.result = std::make_unique<NvList>(lib);
    auto call = sync ? lib.lzc_channel_program : lib.lzc_channel_program_nosync;
    o.err = call(pool.c_str(), program.c_str(), instr, mem, nvargs.get(), o.result->out());
  });
}

// syncFilesystem(pool, path): writes back the dirty data of the filesystem
// mounted at path (Linux: syncfs(2); elsewhere sync(2), the whole system) on
// the pool's threads: a snapshot takes what is written, and pages dirtied
// through mmap wait in the page cache until writeback. In-process because a
// `sync -f` process per dataset costs more than the flush itself.
Napi::Value SyncFilesystem(const Napi::CallbackInfo& info) {
  std::string pool = StringArg(info, 0, "pool");
  std::string path = StringArg(info, 1, "path");
  return Run(info, pool, [path](const Library&, Outcome& o) {
#ifdef __linux__
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      o.err = errno;
      return;
    }
    if (syncfs(fd) != 0) o.err = errno;
    close(fd);
#else
    (void)path;
    sync();
#endif
  });
}

// getDelegations(dataset): the delegations (`zfs allow`) on the dataset and
// its ancestors, read through libzfs (ENOSYS and the reason when it can't be loaded).
Napi::Value GetDelegations(const Napi::CallbackInfo& info) {
  std::string ds = StringArg(info, 0, "dataset");
  return Run(info, PoolOf(ds), [ds](const Library& lib, Outcome& o) {
    o.result = std::make_unique<NvList>(lib);
    std::string reason;
    o.err = lzc::GetFsacl(ds, o.result->out(), &reason);
    if (o.err == ENOSYS) o.text = reason;
  });
}

}  // namespace

void Register(Napi::Env env, Napi::Object exports) {
  struct Entry { const char* name; Napi::Value (*fn)(const Napi::CallbackInfo&); };
  const Entry entries[] = {
      {"available", Available}, {"exists", Exists}, {"snapshot", Snapshot},
      {"create", Create}, {"clone", Clone}, {"promote", Promote},
      {"destroySnapshots", DestroySnapshots}, {"destroy", Destroy},
      {"rollback", Rollback}, {"rollbackTo", RollbackTo}, {"rename", Rename},
      {"hold", Hold}, {"release", Release}, {"getHolds", GetHolds},
      {"bookmark", Bookmark}, {"getBookmarks", GetBookmarks},
      {"channelProgram", ChannelProgram}, {"syncFilesystem", SyncFilesystem},
      {"getDelegations", GetDelegations},
  };
  for (const auto& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
}

}  // namespace zcp::zfs
