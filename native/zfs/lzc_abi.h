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

// enum lzc_dataset_type: a filesystem (zvols are not zcp's business).
using lzc_dataset_type = int;
constexpr lzc_dataset_type kDatasetTypeZfs = 2;

constexpr unsigned kNvUniqueName = 0x1;

// data_type_t values (sys/nvpair.h): the same on every platform.
enum DataType : data_type_t {
  kBoolean = 1, kByte = 2, kInt16 = 3, kUint16 = 4, kInt32 = 5, kUint32 = 6,
  kInt64 = 7, kUint64 = 8, kString = 9, kStringArray = 17, kNvlist = 19,
  kNvlistArray = 20, kBooleanValue = 21, kInt8 = 22, kUint8 = 23,
  kInt64Array = 15, kUint64Array = 16,
};

// X(name, return type, parameter list): every symbol resolved at run time.
// Pointer parameters are declared const where the library only reads them;
// abi_check.cc ignores const, which OpenZFS itself added in 2.2.
#define ZCP_LZC_FUNCTIONS(X)                                                   \
  X(libzfs_core_init, int, (void))                                             \
  X(lzc_exists, boolean_t, (const char*))                                      \
  X(lzc_snapshot, int, (nvlist_t*, nvlist_t*, nvlist_t**))                     \
  X(lzc_create, int, (const char*, lzc_dataset_type, nvlist_t*, uint8_t*, unsigned)) \
  X(lzc_clone, int, (const char*, const char*, nvlist_t*))                     \
  X(lzc_promote, int, (const char*, char*, int))                               \
  X(lzc_destroy_snaps, int, (nvlist_t*, boolean_t, nvlist_t**))                \
  X(lzc_destroy, int, (const char*))                                           \
  X(lzc_rollback, int, (const char*, char*, int))                              \
  X(lzc_rollback_to, int, (const char*, const char*))                          \
  X(lzc_rename, int, (const char*, const char*))                               \
  X(lzc_hold, int, (nvlist_t*, int, nvlist_t**))                               \
  X(lzc_release, int, (nvlist_t*, nvlist_t**))                                 \
  X(lzc_get_holds, int, (const char*, nvlist_t**))                             \
  X(lzc_bookmark, int, (nvlist_t*, nvlist_t**))                                \
  X(lzc_get_bookmarks, int, (const char*, nvlist_t*, nvlist_t**))              \
  X(lzc_channel_program, int,                                                  \
    (const char*, const char*, uint64_t, uint64_t, nvlist_t*, nvlist_t**))     \
  X(lzc_channel_program_nosync, int,                                           \
    (const char*, const char*, uint64_t, uint64_t, nvlist_t*, nvlist_t**))     \
  X(nvlist_alloc, int, (nvlist_t**, unsigned, int))                            \
  X(nvlist_free, void, (nvlist_t*))                                            \
  X(nvlist_add_boolean, int, (nvlist_t*, const char*))                         \
  X(nvlist_add_boolean_value, int, (nvlist_t*, const char*, boolean_t))        \
  X(nvlist_add_int64, int, (nvlist_t*, const char*, int64_t))                  \
  X(nvlist_add_uint64, int, (nvlist_t*, const char*, uint64_t))                \
  X(nvlist_add_string, int, (nvlist_t*, const char*, const char*))             \
  X(nvlist_add_nvlist, int, (nvlist_t*, const char*, nvlist_t*))               \
  X(nvlist_add_string_array, int,                                              \
    (nvlist_t*, const char*, const char* const*, unsigned))                    \
  X(nvlist_next_nvpair, nvpair_t*, (nvlist_t*, nvpair_t*))                     \
  X(nvpair_name, const char*, (nvpair_t*))                                     \
  X(nvpair_type, data_type_t, (nvpair_t*))                                     \
  X(nvpair_value_boolean_value, int, (nvpair_t*, boolean_t*))                  \
  X(nvpair_value_byte, int, (nvpair_t*, unsigned char*))                       \
  X(nvpair_value_int8, int, (nvpair_t*, int8_t*))                              \
  X(nvpair_value_uint8, int, (nvpair_t*, uint8_t*))                            \
  X(nvpair_value_int16, int, (nvpair_t*, int16_t*))                            \
  X(nvpair_value_uint16, int, (nvpair_t*, uint16_t*))                          \
  X(nvpair_value_int32, int, (nvpair_t*, int32_t*))                            \
  X(nvpair_value_uint32, int, (nvpair_t*, uint32_t*))                          \
  X(nvpair_value_int64, int, (nvpair_t*, int64_t*))                            \
  X(nvpair_value_uint64, int, (nvpair_t*, uint64_t*))                          \
  X(nvpair_value_string, int, (nvpair_t*, const char**))                       \
  X(nvpair_value_nvlist, int, (nvpair_t*, nvlist_t**))                         \
  X(nvpair_value_string_array, int, (nvpair_t*, const char***, unsigned*))     \
  X(nvpair_value_nvlist_array, int, (nvpair_t*, nvlist_t***, unsigned*))       \
  X(nvpair_value_int64_array, int, (nvpair_t*, int64_t**, unsigned*))          \
  X(nvpair_value_uint64_array, int, (nvpair_t*, uint64_t**, unsigned*))

// The resolved entry points; valid only once Acquire() returned it.
struct Library {
#define ZCP_LZC_FIELD(name, ret, args) ret(*name) args = nullptr;
  ZCP_LZC_FUNCTIONS(ZCP_LZC_FIELD)
#undef ZCP_LZC_FIELD
};

}  // namespace zcp::lzc
