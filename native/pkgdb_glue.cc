// N-API glue for native/pkgdb (which stays free of N-API): byte buffers in,
// plain objects out; a parse error becomes an Error with `offset`.
#include "pkgdb_glue.h"

#include <string>
#include <string_view>
#include <vector>

#include "pkgdb/dpkg_status.h"

namespace zcp::pkgdb {
namespace {

Napi::String Str(Napi::Env env, std::string_view s) { return Napi::String::New(env, s.data(), s.size()); }

std::string_view BufferArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), "data must be a Buffer or Uint8Array");
  auto a = info[i].As<Napi::Uint8Array>();
  return std::string_view(reinterpret_cast<const char*>(a.Data()), a.ByteLength());
}

Napi::Error ParseFailure(Napi::Env env, const ParseError& e) {
  Napi::Error err = Napi::Error::New(env, e.message);
  err.Set("offset", Napi::Number::New(env, static_cast<double>(e.offset)));
  return err;
}

// parseDpkgStatus(data, extraFields): [{name, version, architecture, ...}]
Napi::Value ParseDpkgStatusJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string_view data = BufferArg(info, 0);
  std::vector<std::string> extra;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array a = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) extra.push_back(a.Get(i).ToString().Utf8Value());
  }
  std::vector<DpkgPackage> pkgs;
  ParseError error;
  if (!ParseDpkgStatus(data, extra, &pkgs, &error)) throw ParseFailure(env, error);
  Napi::Array out = Napi::Array::New(env, pkgs.size());
  for (size_t i = 0; i < pkgs.size(); i++) {
    const DpkgPackage& p = pkgs[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", Str(env, p.name));
    o.Set("version", Str(env, p.version));
    o.Set("architecture", Str(env, p.architecture));
    // Absent Multi-Arch means "no" (Debian policy; dpkg-query shows it so).
    o.Set("multiArch", p.multi_arch.empty() ? Napi::String::New(env, "no") : Str(env, p.multi_arch));
    if (!p.source.empty()) o.Set("source", Str(env, p.source));
    if (!p.depends.empty()) o.Set("depends", Str(env, p.depends));
    if (!p.state.empty()) {
      Napi::Object s = Napi::Object::New(env);
      s.Set("want", Str(env, p.want));
      s.Set("flag", Str(env, p.eflag));
      s.Set("state", Str(env, p.state));
      o.Set("status", s);
    }
    o.Set("offset", Napi::Number::New(env, static_cast<double>(p.offset)));
    if (!extra.empty()) {
      Napi::Object f = Napi::Object::New(env);
      for (size_t k = 0; k < extra.size(); k++)
        if (p.has_extra[k]) f.Set(extra[k], Str(env, p.extra[k]));
      o.Set("fields", f);
    }
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("parseDpkgStatus", Napi::Function::New(env, ParseDpkgStatusJs, "parseDpkgStatus"));
}

}  // namespace zcp::pkgdb
