// libFuzzer target: an RPM header blob (as an rpmdb stores it) and a .rpm
// file's main header, with every entry's values looked at.
#include "pkgdb/rpm_header.h"

namespace {
void Touch(const zcp::pkgdb::RpmHeader& h) {
  volatile size_t sum = 0;
  for (const auto& e : h.entries) {
    for (char c : e.data) sum = sum + static_cast<unsigned char>(c);
    uint32_t v;
    if (h.Int32(e.tag, &v)) sum = sum + v;
    sum = sum + h.String(e.tag).size();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcp::pkgdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  RpmHeader h;
  ParseError error;
  if (ParseRpmHeaderBlob(input, &h, &error)) Touch(h);
  if (ParseRpmFileHeader(input, &h, &error)) Touch(h);
  RpmHeaderSize(input, true, &error);
  return 0;
}
