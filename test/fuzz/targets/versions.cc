// libFuzzer target: dpkg and rpm version parsing and ordering on "a|b" input;
// also checks that both orderings are antisymmetric.
#include <cstdlib>

#include "pkgdb/versions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcp::pkgdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t bar = input.find('|');
  std::string_view a = input.substr(0, bar), b = bar == std::string_view::npos ? std::string_view() : input.substr(bar + 1);
  auto sign = [](int r) { return r < 0 ? -1 : r > 0 ? 1 : 0; };
  DebVersion va, vb;
  std::string why;
  if (ParseDebVersion(a, &va, &why) && ParseDebVersion(b, &vb, &why)) {
    if (sign(CompareDebVersions(va, vb)) != -sign(CompareDebVersions(vb, va))) std::abort();
  }
  if (sign(RpmVercmp(a, b)) != -sign(RpmVercmp(b, a))) std::abort();
  return 0;
}
