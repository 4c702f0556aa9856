// nvlist <-> JavaScript, on the main thread only (N-API).
#pragma once

#include <napi.h>

#include "nvlist.h"

namespace zcp::lzc {

// An nvlist as a plain object. Integers become numbers, or BigInts beyond
// 2^53; flags (DATA_TYPE_BOOLEAN) become true; unknown types become null.
Napi::Value NvToJs(Napi::Env env, const Library& lib, nvlist_t* list, int depth = 0);

// A JavaScript object as an NvTree: string, boolean, integer number (int64;
// uint64 when unsigned_numbers and non-negative: property values are uint64,
// while channel programs take int64 only),
// bigint (uint64), array of strings, nested object; null means a flag.
// Throws a TypeError for anything else.
NvTree JsToNv(Napi::Env env, Napi::Value value, const std::string& path, bool unsigned_numbers,
              int depth = 0);

}  // namespace zcp::lzc
