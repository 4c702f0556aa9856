// nvlists for libzfs_core: an owning handle (freed on every path, so no error
// return leaks one) and NvTree, a plain C++ value that the main thread builds
// from JavaScript and a worker turns into an nvlist once libnvpair is loaded.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lzc_abi.h"

namespace zcp::lzc {

// One nvpair value as zcp sends it: presence flag, boolean, int64, uint64,
// string, string array or nested list.
struct NvTree {
  enum Kind { kFlag, kBool, kI64, kU64, kStr, kStrArray, kList } kind = kList;
  bool b = false;
  int64_t i64 = 0;
  uint64_t u64 = 0;
  std::string str;
  std::vector<std::string> strs;
  std::vector<std::pair<std::string, NvTree>> list;  // kind == kList

  static NvTree Flag() { NvTree t; t.kind = kFlag; return t; }
  static NvTree Str(std::string v) { NvTree t; t.kind = kStr; t.str = std::move(v); return t; }
  static NvTree Strs(std::vector<std::string> v) { NvTree t; t.kind = kStrArray; t.strs = std::move(v); return t; }
  void Add(std::string name, NvTree v) { list.emplace_back(std::move(name), std::move(v)); }
};

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

  // Allocates and fills the list from a tree (kind kList); returns an errno or 0.
  int Build(const NvTree& tree) {
    if (int err = Alloc()) return err;
    return Fill(tree);
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
      if (lib_.nvpair_type(e) == kInt32 && lib_.nvpair_value_int32(e, &v) == 0)
        out.emplace_back(lib_.nvpair_name(e), v);
    }
    return out;
  }

 private:
  int Fill(const NvTree& tree) {
    for (const auto& [name, v] : tree.list) {
      const char* n = name.c_str();
      int err = 0;
      switch (v.kind) {
        case NvTree::kFlag: err = lib_.nvlist_add_boolean(p_, n); break;
        case NvTree::kBool: err = lib_.nvlist_add_boolean_value(p_, n, v.b ? 1 : 0); break;
        case NvTree::kI64: err = lib_.nvlist_add_int64(p_, n, v.i64); break;
        case NvTree::kU64: err = lib_.nvlist_add_uint64(p_, n, v.u64); break;
        case NvTree::kStr: err = lib_.nvlist_add_string(p_, n, v.str.c_str()); break;
        case NvTree::kStrArray: {
          std::vector<const char*> ptrs;
          ptrs.reserve(v.strs.size());
          for (const auto& s : v.strs) ptrs.push_back(s.c_str());
          err = lib_.nvlist_add_string_array(p_, n, ptrs.data(), static_cast<unsigned>(ptrs.size()));
          break;
        }
        case NvTree::kList: {
          NvList child(lib_);
          err = child.Build(v);
          if (!err) err = lib_.nvlist_add_nvlist(p_, n, child.get());  // copies
          break;
        }
      }
      if (err) return err;
    }
    return 0;
  }

  void Reset() {
    if (p_) lib_.nvlist_free(p_);
    p_ = nullptr;
  }
  const Library& lib_;
  nvlist_t* p_ = nullptr;
};

}  // namespace zcp::lzc
