#include "lzc_library.h"

#include <dlfcn.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace zcp::lzc {
namespace {

// Sonames per platform; ZCP_LIBZFS_CORE overrides (a path or a soname).
std::vector<std::string> Candidates() {
  if (const char* env = std::getenv("ZCP_LIBZFS_CORE"); env && *env) return {env};
#if defined(__linux__)
  return {"libzfs_core.so.3", "libzfs_core.so"};
#elif defined(__FreeBSD__)
  return {"libzfs_core.so.2", "libzfs_core.so"};
#elif defined(__sun)
  return {"libzfs_core.so.1", "libzfs_core.so"};
#else
  return {"libzfs_core.so"};
#endif
}

std::mutex mu;
void* handle = nullptr;
bool ready = false;
Library lib;
std::string loaded_path;

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool Open(std::string* reason) {
  const auto names = Candidates();
  std::string last_error;
  for (const auto& name : names) {
    handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) break;
    const char* e = dlerror();
    last_error = e ? e : "unknown dlopen error";
  }
  if (!handle) {
    *reason = "libzfs_core is not installed or not loadable (tried " + Join(names) +
              "): " + last_error;
    return false;
  }
  // libnvpair is a dependency of libzfs_core, so dlsym on its handle finds both.
#define ZCP_LZC_RESOLVE(name, ret, args)                                        \
  lib.name = reinterpret_cast<ret(*) args>(dlsym(handle, #name));               \
  if (!lib.name) {                                                              \
    *reason = "libzfs_core lacks the symbol " #name " (an OpenZFS too old?)";   \
    dlclose(handle);                                                            \
    handle = nullptr;                                                           \
    return false;                                                               \
  }
  ZCP_LZC_FUNCTIONS(ZCP_LZC_RESOLVE)
#undef ZCP_LZC_RESOLVE
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(lib.lzc_snapshot), &info) && info.dli_fname)
    loaded_path = info.dli_fname;
  return true;
}

std::string InitFailure(int err) {
  std::string what = "libzfs_core_init failed: /dev/zfs: ";
  what += std::strerror(err);
  if (err == ENOENT || err == ENXIO || err == ENODEV)
    what += " (the zfs kernel module is not loaded: no /dev/zfs)";
  else if (err == EACCES || err == EPERM)
    what += " (no permission to open /dev/zfs)";
  return what;
}

}  // namespace

const Library* Acquire(std::string* reason, int* err_out) {
  std::lock_guard<std::mutex> lock(mu);
  if (err_out) *err_out = 0;
  if (ready) return &lib;
  if (!handle && !Open(reason)) return nullptr;
  // lzc_* must never run before this succeeded: it opens /dev/zfs.
  if (int err = lib.libzfs_core_init(); err != 0) {
    *reason = InitFailure(err);
    if (err_out) *err_out = err;
    return nullptr;
  }
  ready = true;
  return &lib;
}

std::string LoadedPath() {
  std::lock_guard<std::mutex> lock(mu);
  return ready ? loaded_path : std::string();
}

}  // namespace zcp::lzc
