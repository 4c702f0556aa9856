// Fixed-endian reads for the on-disk formats (RPM headers and SQLite pages are
// big-endian, ndb little-endian, Berkeley DB in its writer's order).
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

inline uint32_t Le16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[1]} << 8) | u[0];
}

inline uint32_t Le32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[3]} << 24) | (uint32_t{u[2]} << 16) | (uint32_t{u[1]} << 8) | uint32_t{u[0]};
}

}  // namespace zcp::pkgdb
