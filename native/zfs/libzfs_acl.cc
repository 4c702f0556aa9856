#include "libzfs_acl.h"

#include <dlfcn.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace zcp::lzc {
namespace {

// Opaque to zcp: only passed back to libzfs.
struct LibzfsHandle;
struct ZfsHandle;
constexpr int kTypeFilesystem = 1;  // ZFS_TYPE_FILESYSTEM
constexpr int kTypeVolume = 4;      // ZFS_TYPE_VOLUME

struct Libzfs {
  LibzfsHandle* (*libzfs_init)(void) = nullptr;
  ZfsHandle* (*zfs_open)(LibzfsHandle*, const char*, int) = nullptr;
  void (*zfs_close)(ZfsHandle*) = nullptr;
  int (*zfs_get_fsacl)(ZfsHandle*, nvlist_t**) = nullptr;
};

std::vector<std::string> Candidates() {
  if (const char* env = std::getenv("ZCP_LIBZFS"); env && *env) return {env};
#if defined(__sun)
  return {"libzfs.so.1", "libzfs.so"};
#else
  // OpenZFS 2.0-2.2: .so.4; 2.3: .so.6 (Linux); FreeBSD's base: .so.4.
  return {"libzfs.so.4", "libzfs.so.6", "libzfs.so.5", "libzfs.so"};
#endif
}

// libzfs's handle is not thread-safe: every use holds this mutex.
std::mutex mu;
Libzfs lib;
LibzfsHandle* hdl = nullptr;

bool Load(std::string* reason) {
  void* so = nullptr;
  std::string last;
  for (const auto& name : Candidates()) {
    if ((so = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    const char* e = dlerror();
    last = e ? e : "unknown dlopen error";
  }
  if (!so) {
    *reason = "libzfs is not loadable: " + last;
    return false;
  }
  lib.libzfs_init = reinterpret_cast<LibzfsHandle* (*)(void)>(dlsym(so, "libzfs_init"));
  lib.zfs_open = reinterpret_cast<ZfsHandle* (*)(LibzfsHandle*, const char*, int)>(dlsym(so, "zfs_open"));
  lib.zfs_close = reinterpret_cast<void (*)(ZfsHandle*)>(dlsym(so, "zfs_close"));
  lib.zfs_get_fsacl = reinterpret_cast<int (*)(ZfsHandle*, nvlist_t**)>(dlsym(so, "zfs_get_fsacl"));
  if (!lib.libzfs_init || !lib.zfs_open || !lib.zfs_close || !lib.zfs_get_fsacl) {
    *reason = "libzfs lacks zfs_get_fsacl or its companions";
    dlclose(so);
    return false;
  }
  // Once per process; libzfs keeps it open (as the zfs command does).
  if ((hdl = lib.libzfs_init()) == nullptr) {
    *reason = "libzfs_init failed";
    return false;
  }
  return true;
}

}  // namespace

int GetFsacl(const std::string& dataset, nvlist_t** out, std::string* reason) {
  std::lock_guard<std::mutex> lock(mu);
  if (!hdl && !Load(reason)) return ENOSYS;
  ZfsHandle* zhp = lib.zfs_open(hdl, dataset.c_str(), kTypeFilesystem | kTypeVolume);
  if (!zhp) return ENOENT;
  int rc = lib.zfs_get_fsacl(zhp, out);
  lib.zfs_close(zhp);
  return rc == 0 ? 0 : EIO;
}

}  // namespace zcp::lzc
