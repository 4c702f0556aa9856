// The per-system lock as dpkg and apt take theirs: flock(2) on a file under
// /run. It costs no ZFS transaction, and the kernel drops it when the
// process ends (kill -9 included), so no stale lock is ever left.
#pragma once

#include <napi.h>

namespace zcp::sys {

void Register(Napi::Env env, Napi::Object exports);

}  // namespace zcp::sys
