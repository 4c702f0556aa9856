// Compile-time proof that lzc_abi.h matches the installed libzfs_core and
// libnvpair headers. Built only when pkg-config finds libzfs_core; it defines
// no symbols. Enums count as int and const-ness of pointees is ignored: both
// are the same at the ABI level, and OpenZFS 2.2 added const to some strings.
#include "lzc_abi.h"

#include <libzfs_core.h>
#include <libnvpair.h>

#include <type_traits>

namespace zcp::lzc::abi_check {

template <class T> struct Norm { using type = T; };
template <class T> struct Norm<const T> { using type = typename Norm<T>::type; };
template <class T> struct Norm<T*> { using type = typename Norm<T>::type*; };
template <> struct Norm<::boolean_t> { using type = int; };
template <> struct Norm<::data_type_t> { using type = int; };
template <> struct Norm<enum ::lzc_dataset_type> { using type = int; };
template <class R, class... A> struct Norm<R (*)(A...)> {
  using type = typename Norm<R>::type (*)(typename Norm<A>::type...);
};

#define ZCP_LZC_CHECK(name, ret, args)                                          \
  static_assert(std::is_same_v<Norm<decltype(&::name)>::type,                   \
                               Norm<ret(*) args>::type>,                        \
                "lzc_abi.h disagrees with the system header about " #name);
// Expanded inside zcp::lzc, so boolean_t in the list means zcp::lzc::boolean_t.
ZCP_LZC_FUNCTIONS(ZCP_LZC_CHECK)
#undef ZCP_LZC_CHECK

#define ZCP_SAME(theirs, ours) \
  static_assert(static_cast<int>(theirs) == static_cast<int>(ours), #theirs);
ZCP_SAME(::DATA_TYPE_BOOLEAN, kBoolean)
ZCP_SAME(::DATA_TYPE_INT32, kInt32)
ZCP_SAME(::DATA_TYPE_BYTE, kByte)
ZCP_SAME(::DATA_TYPE_INT16, kInt16)
ZCP_SAME(::DATA_TYPE_UINT16, kUint16)
ZCP_SAME(::DATA_TYPE_UINT32, kUint32)
ZCP_SAME(::DATA_TYPE_INT64, kInt64)
ZCP_SAME(::DATA_TYPE_UINT64, kUint64)
ZCP_SAME(::DATA_TYPE_STRING, kString)
ZCP_SAME(::DATA_TYPE_STRING_ARRAY, kStringArray)
ZCP_SAME(::DATA_TYPE_NVLIST, kNvlist)
ZCP_SAME(::DATA_TYPE_NVLIST_ARRAY, kNvlistArray)
ZCP_SAME(::DATA_TYPE_BOOLEAN_VALUE, kBooleanValue)
ZCP_SAME(::DATA_TYPE_INT8, kInt8)
ZCP_SAME(::DATA_TYPE_UINT8, kUint8)
ZCP_SAME(::DATA_TYPE_INT64_ARRAY, kInt64Array)
ZCP_SAME(::DATA_TYPE_UINT64_ARRAY, kUint64Array)
ZCP_SAME(::LZC_DATSET_TYPE_ZFS, kDatasetTypeZfs)
#undef ZCP_SAME
static_assert(NV_UNIQUE_NAME == zcp::lzc::kNvUniqueName);
static_assert(sizeof(::boolean_t) == sizeof(int));

}  // namespace zcp::lzc::abi_check
