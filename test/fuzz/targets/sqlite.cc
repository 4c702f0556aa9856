// libFuzzer target: the sqlite rpmdb reader (b-tree, overflow, records),
// each row's blob then parsed as an RPM header.
#include "pkgdb/rpm_header.h"
#include "pkgdb/sqlite_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcp::pkgdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  SqliteReader reader;
  ParseError error;
  if (!reader.Open(input, {}, &error)) return 0;
  reader.ScanTable("Packages", 1, [](int64_t, std::string_view blob) {
    RpmHeader h;
    ParseError e;
    ParseRpmHeaderBlob(blob, &h, &e);
  }, &error);
  return 0;
}
