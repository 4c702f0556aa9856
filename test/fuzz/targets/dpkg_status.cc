// libFuzzer target: dpkg status / apt Packages parsing, with field folding.
#include "pkgdb/dpkg_status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcp::pkgdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<DpkgPackage> packages;
  ParseError error;
  ParseDpkgStatus(input, {"description", "conffiles", "depends"}, &packages, &error);
  return 0;
}
