// A read-only reader of one SQLite table (rowid and a BLOB column), enough
// for rpm's sqlite rpmdb (`Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`),
// written to the documented file format: b-tree pages, overflow chains and a
// write-ahead log's committed frames. Every page number, offset and length is
// checked; a page is never visited twice. No N-API, no SQLite library.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "deb822.h"  // ParseError

namespace zcp::pkgdb {

class SqliteReader {
 public:
  // `db` is the database file; `wal` its -wal file (may be empty).
  bool Open(std::string_view db, std::string_view wal, ParseError* error);

  // Calls `row(rowid, value)` for each row of `table`, where value is the
  // column `column` (0-based) as bytes (a BLOB or TEXT). Rows in rowid order.
  bool ScanTable(const std::string& table, int column,
                 const std::function<void(int64_t, std::string_view)>& row, ParseError* error);

 private:
  // The page's bytes (from the WAL when it has a committed copy), or empty.
  std::string_view Page(uint32_t pgno) const;
  bool RootPage(const std::string& table, uint32_t* root, ParseError* error);
  bool Walk(uint32_t pgno, int depth, const std::function<bool(int64_t, std::string_view, uint32_t)>& cell,
            std::vector<bool>* seen, ParseError* error);
  bool Payload(std::string_view page, size_t at, size_t total, size_t local_max, uint32_t pgno,
               std::string* out, ParseError* error);

  std::string_view db_;
  uint32_t page_size_ = 0;
  uint32_t usable_ = 0;
  uint32_t page_count_ = 0;
  std::unordered_map<uint32_t, std::string_view> wal_pages_;
};

// Fields of one record (header of serial types, then bodies), as byte views;
// integers are returned through `ints` (NULL and non-integers leave 0).
bool DecodeRecord(std::string_view rec, std::vector<std::string_view>* fields, std::vector<int64_t>* ints,
                  std::vector<uint64_t>* types);

}  // namespace zcp::pkgdb
