// libFuzzer target: the Berkeley DB hash reader (rpm's Packages), each value
// then parsed as an RPM header.
#include "pkgdb/bdb_reader.h"
#include "pkgdb/rpm_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcp::pkgdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ParseError error;
  ScanBdbPackages(input, [](uint32_t, std::string_view blob) {
    RpmHeader h;
    ParseError e;
    ParseRpmHeaderBlob(blob, &h, &e);
  }, &error);
  return 0;
}
