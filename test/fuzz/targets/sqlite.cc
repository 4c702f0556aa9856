// libFuzzer target: the sqlite rpmdb reader (b-tree, overflow, records, and
// the write-ahead log's frames), each row's blob then parsed as an RPM header.
// An input is a database file alone (`SQLite format 3...`), or "ZCPW", a flag
// byte, the database's length (4 bytes, little-endian), the database, then its
// WAL; with flag bit 0 the WAL is resealed (valid checksums and salts), so the
// fuzzer reaches the commit frames behind the checksums.
#include "pkgdb/rpm_header.h"
#include "pkgdb/sqlite_reader.h"
#include "reseal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcp::pkgdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string db(input), wal;
  if (input.size() >= 9 && input.substr(0, 4) == "ZCPW") {
    const uint32_t n = zcp_fuzz::Le32(input.data() + 5);
    if (n > input.size() - 9) return 0;
    db = std::string(input.substr(9, n));
    wal = std::string(input.substr(9 + n));
    if ((input[4] & 1) && db.size() >= 100) {
      const uint32_t ps = (static_cast<unsigned char>(db[16]) << 8) | static_cast<unsigned char>(db[17]);
      zcp_fuzz::ResealWal(wal, ps == 1 ? 65536 : ps);
    }
  }
  SqliteReader reader;
  ParseError error;
  if (!reader.Open(db, wal, &error)) return 0;
  reader.ScanTable("Packages", 1, [](int64_t, std::string_view blob) {
    RpmHeader h;
    ParseError e;
    ParseRpmHeaderBlob(blob, &h, &e);
  }, &error);
  return 0;
}
