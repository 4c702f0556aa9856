#include "sqlite_reader.h"

#include <algorithm>
#include <cstring>

#include "bytes.h"

namespace zcp::pkgdb {
namespace {

constexpr int kMaxDepth = 20;  // b-trees of any real database are far shallower


// SQLite varint: 1-9 bytes, big-endian 7-bit groups, the 9th byte whole.
// Returns its length, 0 if it runs past `end`.
size_t Varint(const char* p, const char* end, uint64_t* v) {
  uint64_t x = 0;
  for (int i = 0; i < 9; i++) {
    if (p + i >= end) return 0;
    auto c = static_cast<unsigned char>(p[i]);
    if (i == 8) {
      *v = (x << 8) | c;
      return 9;
    }
    x = (x << 7) | (c & 0x7f);
    if (!(c & 0x80)) {
      *v = x;
      return static_cast<size_t>(i) + 1;
    }
  }
  return 0;
}

// WAL checksum over 32-bit words, big- or little-endian as the WAL says.
void WalChecksum(const char* p, size_t n, bool big, uint32_t* s0, uint32_t* s1) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint32_t a, b;
    if (big) {
      a = Be32(p + i);
      b = Be32(p + i + 4);
    } else {
      std::memcpy(&a, p + i, 4);
      std::memcpy(&b, p + i + 4, 4);
    }
    *s0 += a + *s1;
    *s1 += b + *s0;
  }
}

}  // namespace

bool DecodeRecord(std::string_view rec, std::vector<std::string_view>* fields, std::vector<int64_t>* ints,
                  std::vector<uint64_t>* types) {
  fields->clear();
  ints->clear();
  types->clear();
  const char* p = rec.data();
  const char* end = p + rec.size();
  uint64_t header = 0;
  size_t n = Varint(p, end, &header);
  if (n == 0 || header > rec.size() || header < n) return false;
  const char* h = p + n;
  const char* body = p + header;
  while (h < p + header) {
    uint64_t t = 0;
    size_t k = Varint(h, p + header, &t);
    if (k == 0) return false;
    h += k;
    size_t len;
    static const size_t kIntLen[10] = {0, 1, 2, 3, 4, 6, 8, 8, 0, 0};
    if (t < 10) len = kIntLen[t];
    else if (t == 10 || t == 11) return false;  // reserved
    else len = static_cast<size_t>((t - (t % 2 ? 13 : 12)) / 2);
    if (len > static_cast<size_t>(end - body)) return false;
    std::string_view f(body, len);
    int64_t iv = 0;
    if (t >= 1 && t <= 6) {
      uint64_t u = 0;
      for (size_t i = 0; i < len; i++) u = (u << 8) | static_cast<unsigned char>(body[i]);
      // Sign-extend from len bytes.
      if (len < 8 && (u >> (len * 8 - 1)) & 1) u |= ~uint64_t{0} << (len * 8);
      iv = static_cast<int64_t>(u);
    } else if (t == 9) {
      iv = 1;
    }
    fields->push_back(f);
    ints->push_back(iv);
    types->push_back(t);
    body += len;
  }
  return true;
}

bool SqliteReader::Open(std::string_view db, std::string_view wal, ParseError* error) {
  db_ = db;
  if (db.size() < 100 || std::memcmp(db.data(), "SQLite format 3\0", 16) != 0)
    return Fail(error, 0, "not an SQLite database (bad header)");
  uint32_t ps = Be16(db.data() + 16);
  page_size_ = ps == 1 ? 65536 : ps;
  if (page_size_ < 512 || page_size_ > 65536 || (page_size_ & (page_size_ - 1)) != 0)
    return Fail(error, 16, "bad page size " + std::to_string(page_size_));
  const uint32_t reserved = static_cast<unsigned char>(db[20]);
  if (reserved >= page_size_ - 480) return Fail(error, 20, "bad reserved space per page");
  usable_ = page_size_ - reserved;
  page_count_ = static_cast<uint32_t>(db.size() / page_size_);
  if (Be32(db.data() + 56) > 1) return Fail(error, 56, "text encoding is not UTF-8");

  // Committed frames of the write-ahead log override pages of the file.
  if (wal.size() >= 32) {
    uint32_t magic = Be32(wal.data());
    if (magic != 0x377f0682 && magic != 0x377f0683) return Fail(error, 0, "bad WAL magic");
    const bool big = magic & 1;
    if (Be32(wal.data() + 8) != page_size_) return Fail(error, 8, "WAL page size differs from the database's");
    uint32_t s0 = 0, s1 = 0;
    WalChecksum(wal.data(), 24, big, &s0, &s1);
    if (s0 != Be32(wal.data() + 24) || s1 != Be32(wal.data() + 28)) return true;  // no valid WAL: the file alone
    const uint32_t salt1 = Be32(wal.data() + 16), salt2 = Be32(wal.data() + 20);
    std::unordered_map<uint32_t, std::string_view> pending;
    const size_t frame = 24 + size_t{page_size_};
    // The pages that can exist: those of the file and those the WAL holds. A commit
    // frame's "database size" is data too (a crafted 0xFFFFFFFF once sized a vector
    // to 0 and was read past): it never counts beyond the pages that are there.
    const uint32_t file_pages = page_count_;
    uint32_t wal_max = 0;
    for (size_t at = 32; at + frame <= wal.size(); at += frame) {
      const char* f = wal.data() + at;
      if (Be32(f + 8) != salt1 || Be32(f + 12) != salt2) break;
      WalChecksum(f, 8, big, &s0, &s1);
      WalChecksum(f + 24, page_size_, big, &s0, &s1);
      if (s0 != Be32(f + 16) || s1 != Be32(f + 20)) break;
      const uint32_t pgno = Be32(f);
      if (pgno == 0) break;  // no page 0 in SQLite: not a frame
      pending[pgno] = std::string_view(f + 24, page_size_);
      if (uint32_t size = Be32(f + 4); size != 0) {  // a commit frame
        for (const auto& [k, v] : pending) {
          wal_pages_[k] = v;
          wal_max = std::max(wal_max, k);
        }
        pending.clear();
        page_count_ = std::min(size, std::max(file_pages, wal_max));
      }
    }
  }
  return true;
}

std::string_view SqliteReader::Page(uint32_t pgno) const {
  if (pgno == 0 || pgno > page_count_) return {};
  if (auto it = wal_pages_.find(pgno); it != wal_pages_.end()) return it->second;
  size_t at = size_t{pgno - 1} * page_size_;
  if (at + page_size_ > db_.size()) return {};
  return db_.substr(at, page_size_);
}

bool SqliteReader::Payload(std::string_view page, size_t at, size_t total, size_t local_max, uint32_t pgno,
                           std::string* out, ParseError* error) {
  const size_t U = usable_;
  size_t local = total;
  if (total > local_max) {
    const size_t M = ((U - 12) * 32 / 255) - 23;
    const size_t K = M + ((total - M) % (U - 4));
    local = K <= local_max ? K : M;
  }
  const size_t base = size_t{pgno - 1} * page_size_;
  if (at + local + (local < total ? 4 : 0) > U) return Fail(error, base + at, "cell payload runs past its page");
  out->assign(page.data() + at, local);
  if (local == total) return true;
  uint32_t next = Be32(page.data() + at + local);
  std::vector<bool> seen(size_t{page_count_} + 1);
  while (out->size() < total) {
    std::string_view ov = Page(next);
    if (ov.empty() || seen[next]) return Fail(error, base + at, "broken overflow chain (page " + std::to_string(next) + ")");
    seen[next] = true;
    const size_t take = std::min(total - out->size(), U - 4);
    out->append(ov.data() + 4, take);
    next = Be32(ov.data());
  }
  return true;
}

bool SqliteReader::Walk(uint32_t pgno, int depth,
                        const std::function<bool(int64_t, std::string_view, uint32_t)>& cell,
                        std::vector<bool>* seen, ParseError* error) {
  std::string_view page = Page(pgno);
  const size_t base = size_t{pgno - 1} * page_size_;
  if (page.empty()) return Fail(error, base, "page " + std::to_string(pgno) + " is outside the database");
  if (depth > kMaxDepth || (*seen)[pgno]) return Fail(error, base, "b-tree loops or is too deep at page " + std::to_string(pgno));
  (*seen)[pgno] = true;
  const size_t hdr = pgno == 1 ? 100 : 0;
  const auto type = static_cast<unsigned char>(page[hdr]);
  if (type != 0x0d && type != 0x05) return Fail(error, base + hdr, "not a table b-tree page (type " + std::to_string(type) + ")");
  const bool leaf = type == 0x0d;
  const uint32_t cells = Be16(page.data() + hdr + 3);
  const size_t ptrs = hdr + (leaf ? 8 : 12);
  if (ptrs + size_t{cells} * 2 > usable_) return Fail(error, base + hdr + 3, "too many cells for the page");
  for (uint32_t i = 0; i < cells; i++) {
    const size_t at = Be16(page.data() + ptrs + 2 * i);
    if (at < ptrs + size_t{cells} * 2 || at >= usable_) return Fail(error, base + ptrs + 2 * i, "cell pointer outside the page");
    const char* p = page.data() + at;
    const char* end = page.data() + usable_;
    if (leaf) {
      uint64_t size = 0, rowid = 0;
      size_t a = Varint(p, end, &size);
      size_t b = a ? Varint(p + a, end, &rowid) : 0;
      if (!b || size > 0x7fffffff) return Fail(error, base + at, "malformed cell");
      if (!cell(static_cast<int64_t>(rowid), std::string_view(page.data() + at + a + b, size), pgno)) return false;
    } else {
      if (at + 4 > usable_) return Fail(error, base + at, "malformed interior cell");
      if (!Walk(Be32(p), depth + 1, cell, seen, error)) return false;
    }
  }
  if (!leaf) return Walk(Be32(page.data() + hdr + 8), depth + 1, cell, seen, error);
  return true;
}

bool SqliteReader::RootPage(const std::string& table, uint32_t* root, ParseError* error) {
  std::vector<bool> seen(size_t{page_count_} + 1);
  std::vector<std::string_view> f;
  std::vector<int64_t> ints;
  std::vector<uint64_t> types;
  bool found = false;
  std::string payload;
  bool ok = Walk(1, 0, [&](int64_t, std::string_view cell, uint32_t pgno) {
    // cell: the payload's size was read; `cell` starts at the payload.
    std::string_view page = Page(pgno);
    size_t at = static_cast<size_t>(cell.data() - page.data());
    if (!Payload(page, at, cell.size(), usable_ - 35, pgno, &payload, error)) return false;
    if (DecodeRecord(payload, &f, &ints, &types) && f.size() >= 4 && f[0] == "table" && f[1] == table) {
      *root = static_cast<uint32_t>(ints[3]);
      found = true;
    }
    return true;
  }, &seen, error);
  if (!ok) return false;
  if (!found) return Fail(error, 0, "no table " + table + " in the database");
  return true;
}

bool SqliteReader::ScanTable(const std::string& table, int column,
                             const std::function<void(int64_t, std::string_view)>& row, ParseError* error) {
  uint32_t root = 0;
  if (!RootPage(table, &root, error)) return false;
  std::vector<bool> seen(size_t{page_count_} + 1);
  std::vector<std::string_view> f;
  std::vector<int64_t> ints;
  std::vector<uint64_t> types;
  std::string payload;
  return Walk(root, 0, [&](int64_t rowid, std::string_view cell, uint32_t pgno) {
    std::string_view page = Page(pgno);
    size_t at = static_cast<size_t>(cell.data() - page.data());
    if (!Payload(page, at, cell.size(), usable_ - 35, pgno, &payload, error)) return false;
    if (!DecodeRecord(payload, &f, &ints, &types) || static_cast<int>(f.size()) <= column)
      return Fail(error, size_t{pgno - 1} * page_size_ + at, "malformed record of row " + std::to_string(rowid));
    row(rowid, f[static_cast<size_t>(column)]);
    return true;
  }, &seen, error);
}

}  // namespace zcp::pkgdb
