// The part of the libzfs_core and libnvpair ABI that zcp calls.
//
// Declared here instead of taken from <libzfs_core.h> so that the addon builds
// on hosts without the ZFS headers and binds the libraries at run time
// (dlopen): a host without ZFS still loads the addon, and the package-database
// parsers work there. abi_check.cc compares every declaration below with the
// system headers whenever they are installed (see binding.gyp).
#pragma once

#include <cstdint>

// Same tags as the real headers, so that abi_check.cc can include both.
typedef struct nvlist nvlist_t;
typedef struct nvpair nvpair_t;

namespace zcp::lzc {

// boolean_t and data_type_t are C enums: int-sized on every platform ZFS runs on.
using boolean_t = int;
using data_type_t = int;

constexpr unsigned kNvUniqueName = 0x1;
constexpr data_type_t kDataTypeInt32 = 5;

// X(name, return type, parameter list): every symbol resolved at run time.
#define ZCP_LZC_FUNCTIONS(X)                                                   \
  X(libzfs_core_init, int, (void))                                             \
  X(lzc_exists, boolean_t, (const char*))                                      \
  X(lzc_snapshot, int, (nvlist_t*, nvlist_t*, nvlist_t**))                     \
  X(nvlist_alloc, int, (nvlist_t**, unsigned, int))                            \
  X(nvlist_free, void, (nvlist_t*))                                            \
  X(nvlist_add_boolean, int, (nvlist_t*, const char*))                         \
  X(nvlist_add_string, int, (nvlist_t*, const char*, const char*))             \
  X(nvlist_next_nvpair, nvpair_t*, (nvlist_t*, nvpair_t*))                     \
  X(nvpair_name, const char*, (nvpair_t*))                                     \
  X(nvpair_type, data_type_t, (nvpair_t*))                                     \
  X(nvpair_value_int32, int, (nvpair_t*, int32_t*))

// The resolved entry points; valid only once Acquire() returned it.
struct Library {
#define ZCP_LZC_FIELD(name, ret, args) ret(*name) args = nullptr;
  ZCP_LZC_FUNCTIONS(ZCP_LZC_FIELD)
#undef ZCP_LZC_FIELD
};

}  // namespace zcp::lzc
