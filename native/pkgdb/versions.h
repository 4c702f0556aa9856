// Version ordering of both package managers over byte spans: dpkg's
// (epoch:upstream-revision, verrevcmp) and rpm's rpmvercmp. The TypeScript
// layer has its own copies because a call into the addon costs more than a
// comparison (bench/ measures both); these serve the C++ side and the fuzzers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zcp::pkgdb {

struct DebVersion {
  uint32_t epoch = 0;
  std::string_view upstream;
  std::string_view revision;
};

// Parses as dpkg's parseversion() does (leading/trailing blanks ignored);
// false with `why` set (dpkg's wording) for what dpkg rejects.
bool ParseDebVersion(std::string_view text, DebVersion* out, std::string* why);

// <0, 0, >0 as dpkg orders two parsed versions.
int CompareDebVersions(const DebVersion& a, const DebVersion& b);

// <0, 0, >0 as rpm's rpmvercmp orders two version (or release) strings.
int RpmVercmp(std::string_view a, std::string_view b);

}  // namespace zcp::pkgdb
