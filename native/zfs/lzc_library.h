// Run-time binding of libzfs_core: dlopen, symbol resolution, and the one
// libzfs_core_init() of the process. Thread-safe; called from worker threads.
#pragma once

#include <string>

#include "lzc_abi.h"

namespace zcp::lzc {

// Returns the library once libzfs_core_init() has succeeded, else nullptr and
// a reason that names the missing piece (library, symbol, /dev/zfs). A failed
// attempt is retried on the next call, so loading the zfs module later works.
// `err` (optional) gets the errno of a failed libzfs_core_init(), else 0.
const Library* Acquire(std::string* reason, int* err = nullptr);

// The file the library was loaded from, once Acquire() succeeded.
std::string LoadedPath();

}  // namespace zcp::lzc
