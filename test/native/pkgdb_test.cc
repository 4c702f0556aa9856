// C++ unit tests of native/pkgdb, built and run under AddressSanitizer and
// UndefinedBehaviorSanitizer by test/native/run.ts: the parsers on crafted
// input, on every truncation of valid input and on single-byte damage, where
// any read out of bounds stops the run. Arguments: the rpmdb fixtures
// directory and the fuzz corpus directory (real files to start from).
#include <cstring>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "pkgdb/bdb_reader.h"
#include "pkgdb/deb822.h"
#include "pkgdb/dpkg_status.h"
#include "pkgdb/ndb_reader.h"
#include "pkgdb/rpm_header.h"
#include "pkgdb/sqlite_reader.h"
#include "../fuzz/targets/reseal.h"
#include "pkgdb/versions.h"

using namespace zcp::pkgdb;

namespace {

std::string fixtures, corpus;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void PutBe32(std::string* s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s->push_back(static_cast<char>(v >> shift));
}
void PutLe32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>(v >> (8 * i));
}

// An RPM header blob from (tag, type, count, bytes) entries, each aligned as rpm requires.
struct Entry {
  int32_t tag;
  uint32_t type, count;
  std::string data;
};
std::string HeaderBlob(const std::vector<Entry>& entries) {
  std::string index, store;
  for (const auto& e : entries) {
    size_t align = e.type == kRpmInt16 ? 2 : e.type == kRpmInt32 ? 4 : e.type == kRpmInt64 ? 8 : 1;
    while (store.size() % align) store.push_back('\0');
    PutBe32(&index, static_cast<uint32_t>(e.tag));
    PutBe32(&index, e.type);
    PutBe32(&index, static_cast<uint32_t>(store.size()));
    PutBe32(&index, e.count);
    store += e.data;
  }
  std::string blob;
  PutBe32(&blob, static_cast<uint32_t>(entries.size()));
  PutBe32(&blob, static_cast<uint32_t>(store.size()));
  return blob + index + store;
}

std::string Be32s(std::initializer_list<uint32_t> values) {
  std::string s;
  for (uint32_t v : values) PutBe32(&s, v);
  return s;
}

std::vector<Entry> AllTypes() {
  using namespace std::string_literals;
  return {
      {kTagName, kRpmString, 1, "zcp-test\0"s},
      {kTagVersion, kRpmString, 1, "1.0~rc1\0"s},
      {kTagRelease, kRpmString, 1, "1.el9\0"s},
      {kTagEpoch, kRpmInt32, 1, Be32s({3})},
      {kTagArch, kRpmString, 1, "x86_64\0"s},
      {1004, kRpmI18nString, 1, "summary\0"s},
      {1117, kRpmStringArray, 3, "a\0bb\0ccc\0"s},
      {1030, kRpmInt16, 2, "\x81\xa4\x41\xed"s},
      {1009, kRpmInt64, 1, "\0\0\0\1\0\0\0\2"s},
      {1140, kRpmInt8, 3, "\1\2\3"s},
      {5092, kRpmBin, 4, "\xde\xad\xbe\xef"s},
      {kTagInstallTid, kRpmInt32, 1, Be32s({1795428120})},
  };
}

// ndb: rpm's layout, written here so the tests can damage it precisely.
std::string NdbFile(const std::vector<std::pair<uint32_t, std::string>>& blobs) {
  std::string file(4096, '\0');
  PutLe32(&file, 0, 'R' | 'p' << 8 | 'm' << 16 | 'P' << 24);
  PutLe32(&file, 12, 1);  // one slot page
  for (size_t at = 32; at < 4096; at += 16) PutLe32(&file, at, 'S' | 'l' << 8 | 'o' << 16 | 't' << 24);
  size_t slot = 32;
  for (const auto& [pkgidx, data] : blobs) {
    size_t blkoff = file.size() / 16;
    size_t blkcnt = (16 + data.size() + 12 + 15) / 16;
    std::string blob(blkcnt * 16, '\0');
    PutLe32(&blob, 0, 'B' | 'l' << 8 | 'b' << 16 | 'S' << 24);
    PutLe32(&blob, 4, pkgidx);
    PutLe32(&blob, 12, static_cast<uint32_t>(data.size()));
    blob.replace(16, data.size(), data);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < blob.size() - 12; ++i) {
      a = (a + static_cast<unsigned char>(blob[i])) % 65521;
      b = (b + a) % 65521;
    }
    PutLe32(&blob, blob.size() - 12, (b << 16) | a);
    PutLe32(&blob, blob.size() - 8, static_cast<uint32_t>(data.size()));
    PutLe32(&blob, blob.size() - 4, 'B' | 'l' << 8 | 'b' << 16 | 'E' << 24);
    file += blob;
    PutLe32(&file, slot + 4, pkgidx);
    PutLe32(&file, slot + 8, static_cast<uint32_t>(blkoff));
    PutLe32(&file, slot + 12, static_cast<uint32_t>(blkcnt));
    slot += 16;
  }
  return file;
}

int CountNdb(const std::string& file, ParseError* e) {
  int n = 0;
  return ScanNdbPackages(file, [&](uint32_t, std::string_view) { ++n; }, e) ? n : -1;
}

int CountBdb(const std::string& file, ParseError* e) {
  int n = 0;
  return ScanBdbPackages(file, [&](uint32_t, std::string_view) { ++n; }, e) ? n : -1;
}

}  // namespace

TEST(deb822_continuations_crlf_and_no_final_newline) {
  std::string data = "Package: a\r\nDescription: one\r\n two\r\n .\r\n three\r\n\r\npackage: b\nVERSION: 2";
  Deb822Reader reader(data);
  std::vector<Field> fields;
  ParseError e;
  CHECK(reader.Next(&fields, &e));
  CHECK_EQ(fields.size(), size_t{2});
  CHECK_EQ(FieldText(fields[1].value), std::string("one\ntwo\n\nthree"));
  CHECK(reader.Next(&fields, &e));
  CHECK(NameEquals(fields[0].name, "Package") && NameEquals(fields[1].name, "Version"));
  CHECK_EQ(std::string(fields[1].value), std::string("2"));
  CHECK(!reader.Next(&fields, &e));
  CHECK(e.message.empty());
}

TEST(deb822_a_line_of_blanks_continues_the_field_as_dpkg_reads_it) {
  // Only an empty line ends a paragraph; blank lines before one are skipped.
  std::string data = "Package: a\nDescription: one\n \n\t\n two\nVersion: 1\n\n  \nPackage: b\n";
  Deb822Reader reader(data);
  std::vector<Field> fields;
  ParseError e;
  CHECK(reader.Next(&fields, &e));
  CHECK_EQ(fields.size(), size_t{3});
  CHECK_EQ(FieldText(fields[1].value), std::string("one\n\n\ntwo"));
  CHECK(reader.Next(&fields, &e));
  CHECK_EQ(std::string(fields[0].value), std::string("b"));
  CHECK(!reader.Next(&fields, &e) && e.message.empty());
  // A line of blanks in place of the empty line joins two paragraphs: Package twice, refused as dpkg does.
  std::vector<DpkgPackage> out;
  std::string joined = "Package: a\nVersion: 1\n \nPackage: b\n";
  CHECK(!ParseDpkgStatus(joined, {}, &out, &e));
  CHECK_EQ(e.offset, joined.find("Package: b"));
}

TEST(dpkg_status_fields_and_errors) {
  std::string data =
      "Package: zcp\nStatus: install ok installed\nVersion: 1:2.0-1\nArchitecture: amd64\n"
      "Multi-Arch: same\nSource: zcp-src\nDepends: libc6 (>= 2.36)\nX-Extra: yes\n\n"
      "Package: other\nStatus: deinstall reinstreq half-installed\nVersion: 1\n";
  std::vector<DpkgPackage> out;
  ParseError e;
  CHECK(ParseDpkgStatus(data, {"x-extra"}, &out, &e));
  CHECK_EQ(out.size(), size_t{2});
  CHECK_EQ(std::string(out[0].version), std::string("1:2.0-1"));
  CHECK_EQ(std::string(out[0].multi_arch), std::string("same"));
  CHECK(out[0].has_extra[0] && out[0].extra[0] == "yes");
  CHECK_EQ(std::string(out[1].eflag), std::string("reinstreq"));
  CHECK(out[1].offset > 0 && data.compare(out[1].offset, 8, "Package:") == 0);
  // No Package field, a bad Status, a field with no colon: errors with offsets.
  CHECK(!ParseDpkgStatus("Version: 1\n", {}, &out, &e));
  CHECK(!ParseDpkgStatus("Package: a\nStatus: install ok\n", {}, &out, &e));
  CHECK(!ParseDpkgStatus("Package: a\nno colon here\n", {}, &out, &e));
  CHECK_EQ(e.offset, size_t{11});
}

TEST(dpkg_status_every_truncation_and_this_machines_status) {
  std::string status = ReadFile("/var/lib/dpkg/status");
  CHECK(status.size() > 1000);
  std::vector<DpkgPackage> out;
  ParseError e;
  CHECK(ParseDpkgStatus(status, {}, &out, &e));
  CHECK(out.size() > 100);
  std::string head = status.substr(0, 3000);
  for (size_t n = 0; n <= head.size(); ++n) {
    std::string cut = head.substr(0, n);  // own allocation: ASan sees a read past n
    ParseDpkgStatus(cut, {"description"}, &out, &e);
  }
}

TEST(rpm_header_all_types) {
  std::string blob = HeaderBlob(AllTypes());
  RpmHeader h;
  ParseError e;
  CHECK(ParseRpmHeaderBlob(blob, &h, &e));
  CHECK_EQ(h.entries.size(), AllTypes().size());
  CHECK_EQ(std::string(h.String(kTagName)), std::string("zcp-test"));
  uint32_t v = 0;
  CHECK(h.Int32(kTagEpoch, &v) && v == 3);
  CHECK(h.Int32(kTagInstallTid, &v) && v == 1795428120u);
  CHECK_EQ(h.Find(1117)->data.size(), size_t{9});
  CHECK_EQ(h.Find(1030)->data.size(), size_t{4});
  CHECK(!h.Int32(kTagName, &v));
}

TEST(rpm_header_rejects_every_truncation_and_bad_index) {
  std::string blob = HeaderBlob(AllTypes());
  RpmHeader h;
  ParseError e;
  for (size_t n = 0; n < blob.size(); ++n) {
    std::string cut = blob.substr(0, n);
    CHECK(!ParseRpmHeaderBlob(cut, &h, &e));
  }
  // Each byte of the counts and the index set to extreme values: parse or a
  // clean error, never a read outside the blob.
  size_t index_end = 8 + 16 * AllTypes().size();
  for (size_t i = 0; i < index_end; ++i) {
    for (unsigned char value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string bad = blob;
      bad[i] = static_cast<char>(value);
      if (ParseRpmHeaderBlob(bad, &h, &e)) {
        for (const auto& entry : h.entries) CHECK(entry.data.data() >= bad.data() && entry.data.data() + entry.data.size() <= bad.data() + bad.size());
      } else {
        CHECK(!e.message.empty());
      }
    }
  }
  // An unterminated string and a misaligned INT32.
  std::vector<Entry> unterminated = {{kTagName, kRpmString, 1, "abc"}};
  CHECK(!ParseRpmHeaderBlob(HeaderBlob(unterminated), &h, &e));
  std::string misaligned = HeaderBlob({{kTagName, kRpmString, 1, std::string("a\0", 2)}, {kTagEpoch, kRpmInt32, 1, Be32s({1})}});
  misaligned[8 + 16 + 11] = 3;  // offset 3 instead of 4
  CHECK(!ParseRpmHeaderBlob(misaligned, &h, &e));
}

TEST(rpm_file_header_from_the_corpus) {
  std::string rpm = ReadFile(corpus + "/rpm_header/small.rpm");
  CHECK(rpm.size() > 96);
  RpmHeader h;
  ParseError e;
  CHECK(ParseRpmFileHeader(rpm, &h, &e));
  CHECK(!h.String(kTagName).empty());
  for (size_t n = 0; n < rpm.size(); n += 7) {
    std::string cut = rpm.substr(0, n);
    ParseRpmFileHeader(cut, &h, &e);
  }
}

TEST(sqlite_reader_seed_database) {
  std::string db = ReadFile(corpus + "/sqlite/rpmdb.sqlite");
  CHECK(db.size() >= 512);
  SqliteReader reader;
  ParseError e;
  CHECK(reader.Open(db, {}, &e));
  int rows = 0;
  CHECK(reader.ScanTable("Packages", 1, [&](int64_t, std::string_view blob) {
    RpmHeader h;
    ParseError he;
    rows += ParseRpmHeaderBlob(blob, &h, &he) ? 1 : 0;
  }, &e));
  CHECK(rows >= 2);
  for (size_t n = 0; n < db.size(); n += 61) {
    std::string cut = db.substr(0, n);
    SqliteReader r;
    if (r.Open(cut, {}, &e)) r.ScanTable("Packages", 1, [](int64_t, std::string_view) {}, &e);
  }
}

// A WAL with valid checksums whose commit frame says the database has
// 0xFFFFFFFF (or 0xFFFFFFFE) pages: it once sized a vector to 0 (read past,
// SIGSEGV) or to 4 G entries (568 MB). The page count is bounded by the pages
// that exist; the rows still come from the file and the WAL's page.
TEST(sqlite_wal_commit_size_is_bounded_by_the_pages_there) {
  std::string db = ReadFile(corpus + "/sqlite/rpmdb.sqlite");
  const uint32_t ps = (static_cast<unsigned char>(db[16]) << 8) | static_cast<unsigned char>(db[17]);
  for (uint32_t commit : {0xFFFFFFFFu, 0xFFFFFFFEu, 0u + static_cast<uint32_t>(db.size() / ps) + 1000}) {
    std::string wal(32 + 24 + ps, '\0');
    zcp_fuzz::PutBe32(wal.data(), 0x377f0683);
    zcp_fuzz::PutBe32(wal.data() + 4, 3007000);
    zcp_fuzz::PutBe32(wal.data() + 16, 0x11111111);
    zcp_fuzz::PutBe32(wal.data() + 20, 0x22222222);
    zcp_fuzz::PutBe32(wal.data() + 32, 1);  // page 1
    zcp_fuzz::PutBe32(wal.data() + 36, commit);
    std::memcpy(wal.data() + 56, db.data(), ps);
    zcp_fuzz::ResealWal(wal, ps);
    SqliteReader reader;
    ParseError e;
    CHECK(reader.Open(db, wal, &e));
    int rows = 0;
    CHECK(reader.ScanTable("Packages", 1, [&](int64_t, std::string_view) { ++rows; }, &e));
    CHECK(rows >= 2);
  }
}

TEST(ndb_reads_checks_and_rejects) {
  std::string a = HeaderBlob(AllTypes()), b = HeaderBlob({{kTagName, kRpmString, 1, std::string("b\0", 2)}});
  std::string file = NdbFile({{7, a}, {3, b}});
  std::vector<uint32_t> seen;
  ParseError e;
  CHECK(ScanNdbPackages(file, [&](uint32_t idx, std::string_view blob) {
    seen.push_back(idx);
    CHECK(blob == (idx == 7 ? a : b));
  }, &e));
  CHECK((seen == std::vector<uint32_t>{3, 7}));  // pkgidx order
  for (size_t n = 0; n < file.size(); n += 16) CHECK_EQ(CountNdb(file.substr(0, n), &e), -1);
  // Every byte of the blobs is covered by the checksum or a check.
  for (size_t i = 4096; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] ^= 0x20;
    CHECK_EQ(CountNdb(bad, &e), -1);
  }
  std::string twice = file;
  PutLe32(&twice, 32 + 16 + 4, 7);  // the second slot claims package 7 too
  CHECK_EQ(CountNdb(twice, &e), -1);
  std::string past = file;
  PutLe32(&past, 32 + 8, 0xfffffff0);  // a block offset beyond the file
  CHECK_EQ(CountNdb(past, &e), -1);
  // The fixture made by rpm itself.
  CHECK_EQ(CountNdb(ReadFile(fixtures + "/ndb/var/lib/rpm/Packages.db"), &e), 28);
}

TEST(bdb_fixture_every_page_cut_and_damage) {
  std::string file = ReadFile(fixtures + "/bdb/var/lib/rpm/Packages");
  ParseError e;
  CHECK_EQ(CountBdb(file, &e), 28);
  for (size_t n = 0; n < file.size(); n += 512) CHECK_EQ(CountBdb(file.substr(0, n), &e), -1);
  // Damage in the page headers and item index of every page: parse or a clean error.
  for (size_t page = 0; page < file.size(); page += 4096) {
    for (size_t i = 8; i < 80; ++i) {
      std::string bad = file;
      bad[page + i] = static_cast<char>(bad[page + i] ^ 0xff);
      int n = CountBdb(bad, &e);
      CHECK(n == -1 || (n >= 0 && n <= 29));
    }
  }
}

TEST(versions_dpkg_and_rpm) {
  DebVersion a, b;
  std::string why;
  auto deb = [&](const char* x, const char* y) {
    CHECK(ParseDebVersion(x, &a, &why) && ParseDebVersion(y, &b, &why));
    int r = CompareDebVersions(a, b);
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  };
  CHECK_EQ(deb("1.0~rc1", "1.0"), -1);
  CHECK_EQ(deb("1:0.1", "2.0"), 1);
  CHECK_EQ(deb("1.0a", "1.0+"), -1);
  CHECK_EQ(deb("7.4.052-1", "7.4.52-1"), 0);
  CHECK_EQ(deb(" 1.0 ", "1.0"), 0);
  CHECK(!ParseDebVersion("1:", &a, &why) && why == "nothing after colon in version number");
  CHECK(!ParseDebVersion("99999999999:1", &a, &why) && why == "epoch in version is too big");
  CHECK(!ParseDebVersion("1 0", &a, &why));
  CHECK(!ParseDebVersion("1.0-", &a, &why));
  CHECK_EQ(RpmVercmp("1.0^git1", "1.0"), 1);
  CHECK_EQ(RpmVercmp("1.0^git1", "1.0.1"), -1);
  CHECK_EQ(RpmVercmp("1.0~rc1", "1.0"), -1);
  CHECK_EQ(RpmVercmp("010", "10"), 0);
  CHECK_EQ(RpmVercmp("1.a", "1.1"), -1);
  CHECK_EQ(RpmVercmp("12345678901234567890", "12345678901234567891"), -1);
  // A NUL ends the string, as in rpm's and dpkg's C (a fuzzer finding: the
  // ordering was not antisymmetric across embedded NULs).
  std::string x("\xb0\0" "1..0~1", 8), y("\0\0\0" "1..0~1", 9);
  CHECK_EQ(RpmVercmp(x, y), 0);
  CHECK_EQ(RpmVercmp(std::string("1.0\0z", 5), "1.0"), 0);
  CHECK(ParseDebVersion(std::string("1.0\0 x", 6), &a, &why) && a.upstream == "1.0");
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FIXTURES_DIR CORPUS_DIR\n", argv[0]);
    return 2;
  }
  fixtures = argv[1];
  corpus = argv[2];
  for (const auto& c : zcp_test::Cases()) {
    int before = zcp_test::Failures();
    c.body();
    std::printf("%s %s\n", zcp_test::Failures() == before ? "ok  " : "FAIL", c.name);
  }
  std::printf("%zu tests, %d failed checks\n", zcp_test::Cases().size(), zcp_test::Failures());
  return zcp_test::Failures() == 0 ? 0 : 1;
}
