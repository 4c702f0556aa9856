// N-API glue: one addon, one namespace object per layer.
#include <napi.h>

#include "pkgdb_glue.h"
#include "sys/file_lock.h"
#include "zfs/zfs_ops.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object zfs = Napi::Object::New(env);
  zcp::zfs::Register(env, zfs);
  exports.Set("zfs", zfs);
  Napi::Object pkgdb = Napi::Object::New(env);
  zcp::pkgdb::Register(env, pkgdb);
  exports.Set("pkgdb", pkgdb);
  Napi::Object sys = Napi::Object::New(env);
  zcp::sys::Register(env, sys);
  exports.Set("sys", sys);
  return exports;
}

}  // namespace

NODE_API_MODULE(zcp, Init)
