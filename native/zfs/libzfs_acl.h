// Reading a dataset's delegations (`zfs allow`) without running the zfs
// command: libzfs's zfs_get_fsacl, bound at run time like libzfs_core (a
// host without libzfs still loads the addon; zcp then runs `zfs allow`).
// libzfs is libzfs_core's sibling, installed with the zfs command itself.
#pragma once

#include <string>

#include "lzc_abi.h"

namespace zcp::lzc {

// The delegations of `dataset` and of each of its ancestors, as the kernel
// keeps them (ZFS_IOC_GET_FSACL): {source dataset: {who key: {permission}}}.
// Returns 0 and sets *out (the caller frees it with nvlist_free), or an
// errno: ENOSYS with *reason when libzfs can't be loaded, ENOENT when the
// dataset can't be opened, EIO when the kernel refused the read.
int GetFsacl(const std::string& dataset, nvlist_t** out, std::string* reason);

}  // namespace zcp::lzc
