#include "file_lock.h"

#include <sys/file.h>

#include <cerrno>

namespace zcp::sys {
namespace {

// tryLock(fd): an exclusive flock that never waits (a syscall, so it runs on
// the calling thread). Returns 0, or the errno: EWOULDBLOCK when another
// open file holds it.
Napi::Value TryLock(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(info.Env(), "fd must be a number");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int rc;
  do rc = flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  return Napi::Number::New(info.Env(), rc == 0 ? 0 : errno);
}

}  // namespace

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("tryLock", Napi::Function::New(env, TryLock, "tryLock"));
}

}  // namespace zcp::sys
