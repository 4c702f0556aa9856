// Big-endian reads for the on-disk formats (RPM headers, SQLite pages).
// Callers check bounds first; these only assemble bytes.
#pragma once

#include <cstdint>

namespace zcp::pkgdb {

inline uint32_t Be16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 8) | u[1];
}

inline uint32_t Be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

}  // namespace zcp::pkgdb
