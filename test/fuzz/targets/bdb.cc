// libFuzzer target: the Berkeley DB hash reader (rpm's Packages), each value
// then parsed as an RPM header.
#include "pkgdb/bdb_reader.h"
#include "pkgdb/rpm_header.h"
#include "reseal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcp::pkgdb;
  // Structure-aware: inputs whose last byte is odd are resealed first (ResealBdb:
  // checksums and length fields made right), so the fuzzer gets past them.
  std::string file(reinterpret_cast<const char*>(data), size);
  if (size && (data[size - 1] & 1)) zcp_fuzz::ResealBdb(file);
  std::string_view input(file);
  ParseError error;
  ScanBdbPackages(input, [](uint32_t, std::string_view blob) {
    RpmHeader h;
    ParseError e;
    ParseRpmHeaderBlob(blob, &h, &e);
  }, &error);
  return 0;
}
