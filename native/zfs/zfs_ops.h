// N-API entry points of the ZFS layer. Each returns a Promise and runs its
// libzfs_core work on the pool's executor threads (executor.h), never on the
// main thread.
#pragma once

#include <napi.h>

namespace zcp::zfs {

void Register(Napi::Env env, Napi::Object exports);

}  // namespace zcp::zfs
