#include "nvlist_js.h"

#include <cmath>
#include <limits>

namespace zcp::lzc {
namespace {

constexpr int kMaxDepth = 32;  // deeper than any nvlist zfs returns
constexpr int64_t kMaxSafe = (int64_t{1} << 53) - 1;

Napi::Value I64(Napi::Env env, int64_t v) {
  if (v >= -kMaxSafe && v <= kMaxSafe) return Napi::Number::New(env, static_cast<double>(v));
  return Napi::BigInt::New(env, v);
}

Napi::Value U64(Napi::Env env, uint64_t v) {
  if (v <= static_cast<uint64_t>(kMaxSafe)) return Napi::Number::New(env, static_cast<double>(v));
  return Napi::BigInt::New(env, v);
}

Napi::Value PairToJs(Napi::Env env, const Library& lib, nvpair_t* e, int depth) {
  switch (lib.nvpair_type(e)) {
    case kBoolean: return Napi::Boolean::New(env, true);
    case kBooleanValue: { boolean_t v = 0; lib.nvpair_value_boolean_value(e, &v); return Napi::Boolean::New(env, v != 0); }
    case kByte: { unsigned char v = 0; lib.nvpair_value_byte(e, &v); return Napi::Number::New(env, v); }
    case kInt8: { int8_t v = 0; lib.nvpair_value_int8(e, &v); return Napi::Number::New(env, v); }
    case kUint8: { uint8_t v = 0; lib.nvpair_value_uint8(e, &v); return Napi::Number::New(env, v); }
    case kInt16: { int16_t v = 0; lib.nvpair_value_int16(e, &v); return Napi::Number::New(env, v); }
    case kUint16: { uint16_t v = 0; lib.nvpair_value_uint16(e, &v); return Napi::Number::New(env, v); }
    case kInt32: { int32_t v = 0; lib.nvpair_value_int32(e, &v); return Napi::Number::New(env, v); }
    case kUint32: { uint32_t v = 0; lib.nvpair_value_uint32(e, &v); return Napi::Number::New(env, v); }
    case kInt64: { int64_t v = 0; lib.nvpair_value_int64(e, &v); return I64(env, v); }
    case kUint64: { uint64_t v = 0; lib.nvpair_value_uint64(e, &v); return U64(env, v); }
    case kString: {
      const char* v = nullptr;
      if (lib.nvpair_value_string(e, &v) != 0 || !v) return env.Null();
      return Napi::String::New(env, v);
    }
    case kNvlist: {
      nvlist_t* v = nullptr;
      if (lib.nvpair_value_nvlist(e, &v) != 0 || !v) return env.Null();
      return NvToJs(env, lib, v, depth + 1);
    }
    case kStringArray: {
      const char** v = nullptr;
      unsigned n = 0;
      if (lib.nvpair_value_string_array(e, &v, &n) != 0) return env.Null();
      Napi::Array a = Napi::Array::New(env, n);
      for (unsigned i = 0; i < n; i++) a.Set(i, v[i] ? Napi::String::New(env, v[i]) : env.Null());
      return a;
    }
    case kNvlistArray: {
      nvlist_t** v = nullptr;
      unsigned n = 0;
      if (lib.nvpair_value_nvlist_array(e, &v, &n) != 0) return env.Null();
      Napi::Array a = Napi::Array::New(env, n);
      for (unsigned i = 0; i < n; i++) a.Set(i, v[i] ? NvToJs(env, lib, v[i], depth + 1) : env.Null());
      return a;
    }
    case kInt64Array: {
      int64_t* v = nullptr;
      unsigned n = 0;
      if (lib.nvpair_value_int64_array(e, &v, &n) != 0) return env.Null();
      Napi::Array a = Napi::Array::New(env, n);
      for (unsigned i = 0; i < n; i++) a.Set(i, I64(env, v[i]));
      return a;
    }
    case kUint64Array: {
      uint64_t* v = nullptr;
      unsigned n = 0;
      if (lib.nvpair_value_uint64_array(e, &v, &n) != 0) return env.Null();
      Napi::Array a = Napi::Array::New(env, n);
      for (unsigned i = 0; i < n; i++) a.Set(i, U64(env, v[i]));
      return a;
    }
    default: return env.Null();
  }
}

}  // namespace

Napi::Value NvToJs(Napi::Env env, const Library& lib, nvlist_t* list, int depth) {
  Napi::Object o = Napi::Object::New(env);
  if (!list || depth > kMaxDepth) return o;
  for (nvpair_t* e = lib.nvlist_next_nvpair(list, nullptr); e; e = lib.nvlist_next_nvpair(list, e))
    o.Set(lib.nvpair_name(e), PairToJs(env, lib, e, depth));
  return o;
}

NvTree JsToNv(Napi::Env env, Napi::Value v, const std::string& path, bool unsigned_numbers, int depth) {
  auto bad = [&](const char* what) {
    return Napi::TypeError::New(env, path + ": " + what);
  };
  if (depth > kMaxDepth) throw bad("nested too deeply");
  NvTree t;
  if (v.IsNull()) return NvTree::Flag();
  if (v.IsString()) return NvTree::Str(v.As<Napi::String>().Utf8Value());
  if (v.IsBoolean()) {
    t.kind = NvTree::kBool;
    t.b = v.As<Napi::Boolean>().Value();
    return t;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > static_cast<double>(kMaxSafe))
      throw bad("numbers must be safe integers (use a bigint for larger values)");
    if (unsigned_numbers && d >= 0) {
      t.kind = NvTree::kU64;
      t.u64 = static_cast<uint64_t>(d);
    } else {
      t.kind = NvTree::kI64;
      t.i64 = static_cast<int64_t>(d);
    }
    return t;
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    t.kind = NvTree::kU64;
    t.u64 = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw bad("bigints must fit in an unsigned 64-bit integer");
    return t;
  }
  if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    std::vector<std::string> strs;
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value item = a.Get(i);
      if (!item.IsString()) throw bad("arrays must hold strings only");
      strs.push_back(item.As<Napi::String>().Utf8Value());
    }
    return NvTree::Strs(std::move(strs));
  }
  if (v.IsObject() && !v.IsFunction()) {
    Napi::Object o = v.As<Napi::Object>();
    Napi::Array keys = o.GetPropertyNames();
    t.kind = NvTree::kList;
    for (uint32_t i = 0; i < keys.Length(); i++) {
      std::string key = keys.Get(i).ToString().Utf8Value();
      t.Add(key, JsToNv(env, o.Get(key), path + "." + key, unsigned_numbers, depth + 1));
    }
    return t;
  }
  throw bad("unsupported value type");
}

}  // namespace zcp::lzc
