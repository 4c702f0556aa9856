#include "zfs_ops.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lzc_library.h"
#include "nvlist.h"

namespace zcp::zfs {
namespace {

using lzc::Library;
using lzc::NvList;

// What a worker hands back to JavaScript. The TypeScript layer turns a
// non-zero errno (with the per-name list) into a ZfsError, per operation.
struct Outcome {
  std::string unavailable;  // non-empty: ZFS can't be used here, and why
  int err = 0;
  std::vector<std::pair<std::string, int>> errors;  // lzc's errlist
  std::optional<bool> boolean;
  std::optional<std::string> text;
};

Napi::Object ToJs(Napi::Env env, const Outcome& o) {
  Napi::Object r = Napi::Object::New(env);
  if (!o.unavailable.empty()) {
    r.Set("unavailable", o.unavailable);
    return r;
  }
  r.Set("errno", o.err);
  if (!o.errors.empty()) {
    Napi::Array list = Napi::Array::New(env, o.errors.size());
    for (size_t i = 0; i < o.errors.size(); i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("name", o.errors[i].first);
      e.Set("errno", o.errors[i].second);
      list.Set(static_cast<uint32_t>(i), e);
    }
    r.Set("errors", list);
  }
  if (o.boolean) r.Set("value", *o.boolean);
  if (o.text) r.Set("value", *o.text);
  return r;
}

class LzcWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<void(const Library&, Outcome&)>;

  LzcWorker(Napi::Env env, Job job)
      : Napi::AsyncWorker(env, "zcp:lzc"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(std::move(job)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const Library* lib = lzc::Acquire(&out_.unavailable);
    if (lib) job_(*lib, out_);
  }
  void OnOK() override { deferred_.Resolve(ToJs(Env(), out_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Job job_;
  Outcome out_;
};

Napi::Promise Queue(Napi::Env env, LzcWorker::Job job) {
  auto* w = new LzcWorker(env, std::move(job));  // deletes itself when done
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<std::string> StringArrayArg(const Napi::CallbackInfo& info, size_t i,
                                        const char* what) {
  if (info.Length() <= i || !info[i].IsArray())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an array of strings");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a.Get(k);
    if (!v.IsString())
      throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an array of strings");
    out.push_back(v.As<Napi::String>().Utf8Value());
  }
  return out;
}

// A string-to-string object (user properties); undefined means none.
std::map<std::string, std::string> StringMapArg(const Napi::CallbackInfo& info, size_t i,
                                                const char* what) {
  std::map<std::string, std::string> out;
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return out;
  if (!info[i].IsObject())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an object of strings");
  Napi::Object o = info[i].As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); k++) {
    Napi::Value key = keys.Get(k);
    Napi::Value v = o.Get(key);
    if (!v.IsString())
      throw Napi::TypeError::New(info.Env(), std::string(what) + " values must be strings");
    out[key.ToString().Utf8Value()] = v.As<Napi::String>().Utf8Value();
  }
  return out;
}

// available(): loads and initialises libzfs_core; value = the library's path.
Napi::Value Available(const Napi::CallbackInfo& info) {
  return Queue(info.Env(), [](const Library&, Outcome& o) { o.text = lzc::LoadedPath(); });
}

// exists(name): lzc_exists, true for filesystems, volumes and snapshots.
Napi::Value Exists(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  return Queue(info.Env(), [name](const Library& lib, Outcome& o) {
    o.boolean = lib.lzc_exists(name.c_str()) != 0;
  });
}

// snapshot(names, props): one lzc_snapshot call, atomic in one txg.
Napi::Value Snapshot(const Napi::CallbackInfo& info) {
  auto names = StringArrayArg(info, 0, "names");
  auto props = StringMapArg(info, 1, "props");
  return Queue(info.Env(), [names, props](const Library& lib, Outcome& o) {
    NvList snaps(lib), nvprops(lib), errlist(lib);
    if ((o.err = snaps.Alloc()) != 0) return;
    for (const auto& n : names)
      if ((o.err = snaps.AddBoolean(n)) != 0) return;
    if (!props.empty()) {
      if ((o.err = nvprops.Alloc()) != 0) return;
      for (const auto& [k, v] : props)
        if ((o.err = nvprops.AddString(k, v)) != 0) return;
    }
    o.err = lib.lzc_snapshot(snaps.get(), nvprops.get(), errlist.out());
    o.errors = errlist.Int32Pairs();
  });
}

}  // namespace

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("available", Napi::Function::New(env, Available, "available"));
  exports.Set("exists", Napi::Function::New(env, Exists, "exists"));
  exports.Set("snapshot", Napi::Function::New(env, Snapshot, "snapshot"));
}

}  // namespace zcp::zfs
