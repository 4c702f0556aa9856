// N-API entry points of the package-database parsers.
#pragma once

#include <napi.h>

namespace zcp::pkgdb {

void Register(Napi::Env env, Napi::Object exports);

}  // namespace zcp::pkgdb
