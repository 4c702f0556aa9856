// N-API glue for native/pkgdb (which stays free of N-API): byte buffers in,
// plain objects out; a parse error becomes an Error with `offset`.
#include "pkgdb_glue.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pkgdb/bdb_reader.h"
#include "pkgdb/bytes.h"
#include "pkgdb/dpkg_status.h"
#include "pkgdb/ndb_reader.h"
#include "pkgdb/rpm_header.h"
#include "pkgdb/sqlite_reader.h"
#include "pkgdb/versions.h"

namespace zcp::pkgdb {
namespace {

Napi::String Str(Napi::Env env, std::string_view s) { return Napi::String::New(env, s.data(), s.size()); }

// A copy of the bytes, not a view: the parse calls back into JS (an extra
// field's or tag's toString, a getter), and JS could detach or shrink the
// buffer under a view meanwhile (ArrayBuffer.prototype.transfer, a resizable
// buffer). The copy costs far less than the parse.
std::string BufferArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), "data must be a Buffer or Uint8Array");
  auto a = info[i].As<Napi::Uint8Array>();
  return std::string(reinterpret_cast<const char*>(a.Data()), a.ByteLength());
}

Napi::Error ParseFailure(Napi::Env env, const ParseError& e) {
  Napi::Error err = Napi::Error::New(env, e.message);
  err.Set("offset", Napi::Number::New(env, static_cast<double>(e.offset)));
  return err;
}

// Appends `v` to `text` if it is valid UTF-8 and returns its length in
// UTF-16 code units (what a JS string index counts: one per character, two
// for a 4-byte sequence); -1 if it is not valid UTF-8.
int64_t AppendUtf8(std::string* text, std::string_view v) {
  int64_t units = 0;
  const auto* u = reinterpret_cast<const unsigned char*>(v.data());
  for (size_t i = 0; i < v.size();) {
    unsigned char c = u[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > v.size()) return -1;
    for (size_t k = 1; k < n; ++k)
      if ((u[i + k] & 0xC0) != 0x80) return -1;
    if (n == 2 && c < 0xC2) return -1;                                      // overlong
    if (n == 3 && ((c == 0xE0 && u[i + 1] < 0xA0) || (c == 0xED && u[i + 1] >= 0xA0))) return -1;  // overlong, surrogate
    if (n == 4 && ((c == 0xF0 && u[i + 1] < 0x90) || c > 0xF4 || (c == 0xF4 && u[i + 1] >= 0x90))) return -1;
    units += n == 4 ? 2 : 1;
    i += n;
  }
  text->append(v);
  return units;
}

// parseDpkgStatusIndex(data): the fast path. No JS object per package here:
// the core fields' values are copied into one compact string (one JS string
// to make) and an Int32Array says where each lies in it, as UTF-16 indexes
// that JS slices into object literals. Creating objects property by property
// through N-API costs more than the parse. Per package, kIndexStride int32s:
// the paragraph's byte offset, then start and end of name, version,
// architecture, multiArch, source, depends, want, flag, state (-1, -1 when
// absent or empty). Returns undefined when a value is not valid UTF-8 (the
// object path then decodes it with replacement characters).
constexpr size_t kIndexStride = 19;
Napi::Value ParseDpkgStatusIndexJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string data = BufferArg(info, 0);
  std::vector<DpkgPackage> pkgs;
  ParseError error;
  if (!ParseDpkgStatus(data, {}, &pkgs, &error)) throw ParseFailure(env, error);
  std::string text;
  text.reserve(pkgs.size() * 64);
  Napi::Int32Array index = Napi::Int32Array::New(env, pkgs.size() * kIndexStride);
  int32_t* slot = index.Data();
  int64_t unit = 0;
  for (size_t i = 0; i < pkgs.size(); i++) {
    const DpkgPackage& p = pkgs[i];
    int32_t* o = slot + i * kIndexStride;
    o[0] = static_cast<int32_t>(p.offset);
    const std::string_view* fields[] = {&p.name, &p.version, &p.architecture, &p.multi_arch, &p.source,
                                        &p.depends, &p.want, &p.eflag, &p.state};
    for (size_t f = 0; f < 9; f++) {
      if (fields[f]->empty()) {
        o[1 + 2 * f] = o[2 + 2 * f] = -1;
        continue;
      }
      int64_t n = AppendUtf8(&text, *fields[f]);
      if (n < 0 || unit + n > 0x7fffffff) return env.Undefined();
      o[1 + 2 * f] = static_cast<int32_t>(unit);
      unit += n;
      o[2 + 2 * f] = static_cast<int32_t>(unit);
    }
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::String::New(env, text.data(), text.size()));
  out.Set(1u, index);
  return out;
}

// parseDpkgStatus(data, extraFields): [{name, version, architecture, ...}]
Napi::Value ParseDpkgStatusJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string data = BufferArg(info, 0);
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


// One tag's value: strings as strings, string arrays as arrays, integers as
// arrays of numbers (INT64 as BigInt), BIN as a Buffer (a copy).
Napi::Value EntryToJs(Napi::Env env, const RpmEntry& e) {
  switch (e.type) {
    case kRpmString: return Str(env, e.data.substr(0, e.data.find('\0')));
    case kRpmStringArray:
    case kRpmI18nString: {
      Napi::Array a = Napi::Array::New(env, e.count);
      size_t pos = 0;
      for (uint32_t i = 0; i < e.count; i++) {
        size_t nul = e.data.find('\0', pos);
        a.Set(i, Str(env, e.data.substr(pos, nul - pos)));
        pos = nul + 1;
      }
      return a;
    }
    case kRpmBin: return Napi::Buffer<char>::Copy(env, e.data.data(), e.data.size());
    case kRpmChar:
    case kRpmInt8:
    case kRpmInt16:
    case kRpmInt32:
    case kRpmInt64: {
      Napi::Array a = Napi::Array::New(env, e.count);
      for (uint32_t i = 0; i < e.count; i++) {
        const char* p = e.data.data();
        if (e.type == kRpmInt64) {
          uint64_t v = (uint64_t{Be32(p + 8 * i)} << 32) | Be32(p + 8 * i + 4);
          a.Set(i, Napi::BigInt::New(env, v));
        } else if (e.type == kRpmInt32) {
          a.Set(i, Napi::Number::New(env, Be32(p + 4 * i)));
        } else if (e.type == kRpmInt16) {
          const auto* u = reinterpret_cast<const unsigned char*>(p + 2 * i);
          a.Set(i, Napi::Number::New(env, (u[0] << 8) | u[1]));
        } else {
          a.Set(i, Napi::Number::New(env, static_cast<unsigned char>(p[i])));
        }
      }
      return a;
    }
    default: return env.Null();
  }
}

// The package fields zcp uses, plus the tags asked for (by number).
Napi::Object HeaderToJs(Napi::Env env, const RpmHeader& h, const Napi::Value& want) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Str(env, h.String(kTagName)));
  o.Set("version", Str(env, h.String(kTagVersion)));
  o.Set("release", Str(env, h.String(kTagRelease)));
  o.Set("arch", Str(env, h.String(kTagArch)));
  uint32_t v = 0;
  if (h.Int32(kTagEpoch, &v)) o.Set("epoch", Napi::Number::New(env, v));
  if (h.Int32(kTagInstallTid, &v)) o.Set("installTid", Napi::Number::New(env, v));
  if (h.Int32(kTagInstallTime, &v)) o.Set("installTime", Napi::Number::New(env, v));
  if (want.IsArray()) {
    Napi::Object tags = Napi::Object::New(env);
    Napi::Array a = want.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      int32_t tag = a.Get(i).ToNumber().Int32Value();
      if (const RpmEntry* e = h.Find(tag)) tags.Set(std::to_string(tag), EntryToJs(env, *e));
    }
    o.Set("tags", tags);
  }
  return o;
}

// parseRpmHeader(blob, tags?) and parseRpmFile(bytes, tags?): one header, by
// the given parser (a header blob as an rpmdb stores it, or the main header
// of a .rpm file's first bytes).
template <bool (*Parse)(std::string_view, RpmHeader*, ParseError*)>
Napi::Value ParseOneHeaderJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string data = BufferArg(info, 0);
  RpmHeader h;
  ParseError error;
  if (!Parse(data, &h, &error)) throw ParseFailure(env, error);
  return HeaderToJs(env, h, info.Length() > 1 ? info[1] : env.Undefined());
}

bool ParseBlob(std::string_view data, RpmHeader* h, ParseError* error) { return ParseRpmHeaderBlob(data, h, error); }

// Every header a back end's scan yields. A header that does not parse fails
// the whole read, naming its record (the offset is then the byte within that
// record's header). Two shapes:
// - objects (`want` is an array of extra tags): one object per package;
// - compact (no extra tags, the common case): [text, numbers] where text
//   holds name, version, release and arch of every package and numbers has
//   kRpmStride doubles per package: start and end (UTF-16 indexes into text)
//   of those four, then epoch, installTid, installTime (NaN when absent) and
//   dbInstance. JS makes the objects: cheaper than N-API property by property.
//   Undefined when a string is not valid UTF-8 (the caller asks for objects).
using HeaderSink = std::function<void(int64_t, std::string_view)>;
constexpr size_t kRpmStride = 12;

Napi::Value HeadersToJs(Napi::Env env, Napi::Value want,
                        const std::function<bool(const HeaderSink&, ParseError*)>& scan) {
  const bool compact = !want.IsArray();
  Napi::Array out = Napi::Array::New(env);
  std::string text;
  std::vector<double> numbers;
  int64_t unit = 0;
  bool utf8 = true;
  ParseError error, bad;
  bool ok = scan([&](int64_t record, std::string_view blob) {
    if (!bad.message.empty()) return;
    RpmHeader h;
    ParseError e;
    if (!ParseRpmHeaderBlob(blob, &h, &e)) {
      bad = {e.offset, "header of record " + std::to_string(record) + ", byte " + std::to_string(e.offset) + ": " + e.message};
      return;
    }
    if (!compact) {
      Napi::Object o = HeaderToJs(env, h, want);
      o.Set("dbInstance", Napi::Number::New(env, static_cast<double>(record)));
      out.Set(out.Length(), o);
      return;
    }
    for (int32_t tag : {kTagName, kTagVersion, kTagRelease, kTagArch}) {
      int64_t n = AppendUtf8(&text, h.String(tag));
      if (n < 0) utf8 = false;
      numbers.push_back(static_cast<double>(unit));
      unit += n < 0 ? 0 : n;
      numbers.push_back(static_cast<double>(unit));
    }
    for (int32_t tag : {kTagEpoch, kTagInstallTid, kTagInstallTime}) {
      uint32_t v = 0;
      numbers.push_back(h.Int32(tag, &v) ? static_cast<double>(v) : std::nan(""));
    }
    numbers.push_back(static_cast<double>(record));
  }, &error);
  if (!ok) throw ParseFailure(env, {error.offset, "byte " + std::to_string(error.offset) + ": " + error.message});
  if (!bad.message.empty()) throw ParseFailure(env, bad);
  if (!compact) return out;
  if (!utf8) return env.Undefined();
  Napi::Float64Array array = Napi::Float64Array::New(env, numbers.size());
  std::copy(numbers.begin(), numbers.end(), array.Data());
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, Napi::String::New(env, text.data(), text.size()));
  pair.Set(1u, array);
  return pair;
}

// readSqliteRpmdb(db, wal, tags?): every header of rpm's sqlite Packages table.
Napi::Value ReadSqliteRpmdbJs(const Napi::CallbackInfo& info) {
  const std::string db = BufferArg(info, 0);
  const std::string wal = BufferArg(info, 1);
  return HeadersToJs(info.Env(), info.Length() > 2 ? info[2] : info.Env().Undefined(),
                     [&](const HeaderSink& sink, ParseError* error) {
                       SqliteReader reader;
                       return reader.Open(db, wal, error) && reader.ScanTable("Packages", 1, sink, error);
                     });
}

// readNdbRpmdb(packagesDb, tags?) and readBdbRpmdb(packages, tags?).
template <bool (*Scan)(std::string_view, const std::function<void(uint32_t, std::string_view)>&, ParseError*)>
Napi::Value ReadKeyedRpmdbJs(const Napi::CallbackInfo& info) {
  const std::string file = BufferArg(info, 0);
  return HeadersToJs(info.Env(), info.Length() > 1 ? info[1] : info.Env().Undefined(),
                     [&](const HeaderSink& sink, ParseError* error) {
                       return Scan(file, [&](uint32_t record, std::string_view blob) { sink(record, blob); }, error);
                     });
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "versions must be strings");
  return info[i].As<Napi::String>().Utf8Value();
}

// compareDebVersions(a, b) and compareRpmVersions(a, b): the native orderings,
// for the benchmark against the TypeScript ones (which the API uses).
Napi::Value CompareDebVersionsJs(const Napi::CallbackInfo& info) {
  std::string a = StringArg(info, 0), b = StringArg(info, 1);
  bool none_a = a.empty() || a == "<unknown>", none_b = b.empty() || b == "<unknown>";
  if (none_a || none_b) return Napi::Number::New(info.Env(), none_a == none_b ? 0 : none_a ? -1 : 1);
  DebVersion va, vb;
  std::string why;
  if (!ParseDebVersion(a, &va, &why) || !ParseDebVersion(b, &vb, &why)) {
    throw Napi::Error::New(info.Env(), "bad version syntax: " + why);
  }
  int r = CompareDebVersions(va, vb);
  return Napi::Number::New(info.Env(), r < 0 ? -1 : r > 0 ? 1 : 0);
}

Napi::Value CompareRpmVersionsJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), RpmVercmp(StringArg(info, 0), StringArg(info, 1)));
}

}  // namespace

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("parseDpkgStatus", Napi::Function::New(env, ParseDpkgStatusJs, "parseDpkgStatus"));
  exports.Set("parseDpkgStatusIndex", Napi::Function::New(env, ParseDpkgStatusIndexJs, "parseDpkgStatusIndex"));
  exports.Set("parseRpmHeader", Napi::Function::New(env, ParseOneHeaderJs<ParseBlob>, "parseRpmHeader"));
  exports.Set("parseRpmFile", Napi::Function::New(env, ParseOneHeaderJs<ParseRpmFileHeader>, "parseRpmFile"));
  exports.Set("readSqliteRpmdb", Napi::Function::New(env, ReadSqliteRpmdbJs, "readSqliteRpmdb"));
  exports.Set("compareDebVersions", Napi::Function::New(env, CompareDebVersionsJs, "compareDebVersions"));
  exports.Set("compareRpmVersions", Napi::Function::New(env, CompareRpmVersionsJs, "compareRpmVersions"));
  // The strides of the compact results, for the test that JS reads them with the same ones.
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("dpkgIndexStride", Napi::Number::New(env, static_cast<double>(kIndexStride)));
  layout.Set("rpmStride", Napi::Number::New(env, static_cast<double>(kRpmStride)));
  exports.Set("layout", layout);
  exports.Set("readNdbRpmdb", Napi::Function::New(env, ReadKeyedRpmdbJs<ScanNdbPackages>, "readNdbRpmdb"));
  exports.Set("readBdbRpmdb", Napi::Function::New(env, ReadKeyedRpmdbJs<ScanBdbPackages>, "readBdbRpmdb"));
}

}  // namespace zcp::pkgdb
