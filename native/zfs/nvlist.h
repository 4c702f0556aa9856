// Owning nvlist handle: freed on every path, so no error return leaks one.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "lzc_abi.h"

namespace zcp::lzc {

class NvList {
 public:
  explicit NvList(const Library& lib) : lib_(lib) {}
  NvList(const NvList&) = delete;
  NvList& operator=(const NvList&) = delete;
  ~NvList() { Reset(); }

  // Allocates an empty list; returns an errno (ENOMEM) or 0.
  int Alloc() {
    Reset();
    return lib_.nvlist_alloc(&p_, kNvUniqueName, 0);
  }
  int AddBoolean(const std::string& name) { return lib_.nvlist_add_boolean(p_, name.c_str()); }
  int AddString(const std::string& name, const std::string& value) {
    return lib_.nvlist_add_string(p_, name.c_str(), value.c_str());
  }

  nvlist_t* get() const { return p_; }
  // For out-parameters such as lzc's errlist: the list adopts what lzc allocates.
  nvlist_t** out() {
    Reset();
    return &p_;
  }

  // (name, errno) pairs of an lzc error list; non-int32 entries are skipped.
  std::vector<std::pair<std::string, int>> Int32Pairs() const {
    std::vector<std::pair<std::string, int>> out;
    if (!p_) return out;
    for (nvpair_t* e = lib_.nvlist_next_nvpair(p_, nullptr); e;
         e = lib_.nvlist_next_nvpair(p_, e)) {
      int32_t v = 0;
      if (lib_.nvpair_type(e) == kDataTypeInt32 && lib_.nvpair_value_int32(e, &v) == 0)
        out.emplace_back(lib_.nvpair_name(e), v);
    }
    return out;
  }

 private:
  void Reset() {
    if (p_) lib_.nvlist_free(p_);
    p_ = nullptr;
  }
  const Library& lib_;
  nvlist_t* p_ = nullptr;
};

}  // namespace zcp::lzc
