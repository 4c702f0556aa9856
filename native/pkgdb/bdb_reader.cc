#include "bdb_reader.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "bytes.h"

namespace zcp::pkgdb {
namespace {

// Berkeley DB's on-disk constants (db_page.h): a 26-byte page header, page
// types, hash item types, the hash meta page's fields.
constexpr uint32_t kHashMagic = 0x061561, kBtreeMagic = 0x053162;
constexpr size_t kPageHeader = 26;
constexpr uint8_t kPageHashUnsorted = 2, kPageOverflow = 7, kPageHash = 13;
constexpr uint8_t kItemKeyData = 1, kItemOffPage = 3;

class HashFile {
 public:
  HashFile(std::string_view file, ParseError* error) : file_(file), error_(error) {}

  bool Open() {
    if (file_.size() < 512) return Fail(0, "Berkeley DB: file too short for its meta page");
    uint32_t magic = Le32(file_.data() + 12);
    if (magic == kHashMagic) {
      swapped_ = false;
    } else if (Be32(file_.data() + 12) == kHashMagic) {
      swapped_ = true;
    } else if (magic == kBtreeMagic || Be32(file_.data() + 12) == kBtreeMagic) {
      return Fail(12, "Berkeley DB: a btree database; rpm's Packages is a hash database");
    } else {
      return Fail(12, "Berkeley DB: bad magic (not a Berkeley DB hash database)");
    }
    uint32_t version = U32(16);
    if (version < 8 || version > 10) return Fail(16, "Berkeley DB: unsupported hash version " + std::to_string(version));
    page_size_ = U32(20);
    if (page_size_ < 512 || page_size_ > 65536 || (page_size_ & (page_size_ - 1)) != 0) {
      return Fail(20, "Berkeley DB: bad page size " + std::to_string(page_size_));
    }
    if (file_[24] != 0) return Fail(24, "Berkeley DB: encrypted databases are not supported");
    last_page_ = U32(32);
    max_bucket_ = U32(72);
    for (int i = 0; i < 32; ++i) spares_[i] = U32(96 + 4 * i);
    // Only pages inside the file exist; a last_pgno beyond it is a truncated file.
    uint64_t pages_in_file = file_.size() / page_size_;
    if (uint64_t{last_page_} >= pages_in_file) {
      return Fail(32, "Berkeley DB: last page " + std::to_string(last_page_) + " is beyond the end of the file");
    }
    if (max_bucket_ > last_page_) return Fail(72, "Berkeley DB: more buckets than pages");
    seen_.assign(uint64_t{last_page_} + 1, false);
    return true;
  }

  bool Scan(const std::function<void(std::string_view, std::string_view)>& pair) {
    std::string key_buffer, value_buffer;
    for (uint64_t bucket = 0; bucket <= max_bucket_; ++bucket) {
      int bits = 0;
      for (uint64_t b = bucket; b != 0; b >>= 1) ++bits;
      uint64_t pgno = bucket + spares_[bits];
      while (pgno != 0) {
        const char* page;
        if (!Visit(pgno, &page)) return false;
        uint8_t type = static_cast<uint8_t>(page[25]);
        if (type != kPageHash && type != kPageHashUnsorted) {
          return Fail(Offset(pgno, 25), "Berkeley DB: page " + std::to_string(pgno) + " is not a hash page");
        }
        uint32_t entries = U16(page, 20);
        if (entries % 2 != 0 || kPageHeader + 2 * uint64_t{entries} > page_size_) {
          return Fail(Offset(pgno, 20), "Berkeley DB: bad entry count on page " + std::to_string(pgno));
        }
        const uint32_t min_offset = static_cast<uint32_t>(kPageHeader + 2 * entries);
        for (uint32_t i = 0; i < entries; i += 2) {
          // Items grow down from the page's end: an item ends where the
          // previous one (or the page) begins.
          uint32_t key_off = U16(page, kPageHeader + 2 * i), value_off = U16(page, kPageHeader + 2 * i + 2);
          uint32_t key_end = i == 0 ? page_size_ : U16(page, kPageHeader + 2 * i - 2);
          if (key_off < min_offset || key_off >= key_end || key_end > page_size_ || value_off < min_offset ||
              value_off >= key_off) {
            return Fail(Offset(pgno, kPageHeader + 2 * i), "Berkeley DB: bad item offsets on page " + std::to_string(pgno));
          }
          std::string_view key, value;
          if (!Item(pgno, page, key_off, key_end - key_off, &key_buffer, &key)) return false;
          if (!Item(pgno, page, value_off, key_off - value_off, &value_buffer, &value)) return false;
          pair(key, value);
        }
        pgno = U32(page, 16);  // the bucket's next page
      }
    }
    return true;
  }

 private:
  bool Fail(uint64_t offset, std::string message) { return pkgdb::Fail(error_, static_cast<size_t>(offset), std::move(message)); }
  uint32_t U16(const char* p, size_t at) const { return swapped_ ? Be16(p + at) : Le16(p + at); }
  uint32_t U32(const char* p, size_t at) const { return swapped_ ? Be32(p + at) : Le32(p + at); }
  uint32_t U32(size_t at) const { return U32(file_.data(), at); }
  uint64_t Offset(uint64_t pgno, size_t at) const { return pgno * page_size_ + at; }

  // A page, once: its number must be in the file and match its header.
  bool Visit(uint64_t pgno, const char** page) {
    if (pgno == 0 || pgno > last_page_) return Fail(0, "Berkeley DB: page number " + std::to_string(pgno) + " out of range");
    if (seen_[pgno]) return Fail(Offset(pgno, 0), "Berkeley DB: page " + std::to_string(pgno) + " is linked twice");
    seen_[pgno] = true;
    *page = file_.data() + pgno * page_size_;
    if (U32(*page, 8) != pgno) return Fail(Offset(pgno, 8), "Berkeley DB: page " + std::to_string(pgno) + " has another page's number");
    return true;
  }

  // One key or data item: inline bytes, or an overflow chain collected into `buffer`.
  bool Item(uint64_t pgno, const char* page, uint32_t off, uint32_t len, std::string* buffer, std::string_view* out) {
    uint8_t type = static_cast<uint8_t>(page[off]);
    if (type == kItemKeyData) {
      *out = std::string_view(page + off + 1, len - 1);
      return true;
    }
    if (type != kItemOffPage) {
      return Fail(Offset(pgno, off), "Berkeley DB: unsupported item type " + std::to_string(type));
    }
    if (len != 12) return Fail(Offset(pgno, off), "Berkeley DB: bad overflow item");
    uint64_t next = U32(page, off + 4);
    uint64_t total = U32(page, off + 8);
    if (total == 0 || total > file_.size()) return Fail(Offset(pgno, off + 8), "Berkeley DB: bad overflow length");
    buffer->clear();
    buffer->reserve(total);
    while (buffer->size() < total) {
      const char* over;
      if (!Visit(next, &over)) return false;
      if (static_cast<uint8_t>(over[25]) != kPageOverflow) {
        return Fail(Offset(next, 25), "Berkeley DB: page " + std::to_string(next) + " is not an overflow page");
      }
      uint32_t here = U16(over, 22);  // bytes on this page
      if (kPageHeader + here > page_size_ || here > total - buffer->size() || here == 0) {
        return Fail(Offset(next, 22), "Berkeley DB: bad overflow page length");
      }
      buffer->append(over + kPageHeader, here);
      next = U32(over, 16);
    }
    *out = *buffer;
    return true;
  }

  std::string_view file_;
  ParseError* error_;
  bool swapped_ = false;
  uint32_t page_size_ = 0, last_page_ = 0, max_bucket_ = 0;
  uint32_t spares_[32] = {};
  std::vector<bool> seen_;
};

}  // namespace

bool ScanBdbHash(std::string_view file, const std::function<void(std::string_view, std::string_view)>& pair,
                 ParseError* error) {
  HashFile db(file, error);
  return db.Open() && db.Scan(pair);
}

bool ScanBdbPackages(std::string_view file, const std::function<void(uint32_t, std::string_view)>& blob,
                     ParseError* error) {
  // Keys are record numbers in the writer's byte order, like everything else.
  bool swapped = file.size() >= 16 && Be32(file.data() + 12) == kHashMagic;
  std::vector<std::pair<uint32_t, std::string>> records;
  ParseError bad;
  bool ok = ScanBdbHash(file, [&](std::string_view key, std::string_view value) {
    if (!bad.message.empty()) return;
    if (key.size() != 4) {
      bad = {0, "Berkeley DB: a Packages key of " + std::to_string(key.size()) + " bytes (record numbers have 4)"};
      return;
    }
    uint32_t number = swapped ? Be32(key.data()) : Le32(key.data());
    if (number != 0) records.emplace_back(number, std::string(value));
  }, error);
  if (!ok) return false;
  if (!bad.message.empty()) {
    *error = bad;
    return false;
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].first == records[i - 1].first) {
      *error = {0, "Berkeley DB: record " + std::to_string(records[i].first) + " appears twice"};
      return false;
    }
  }
  for (const auto& [number, value] : records) blob(number, value);
  return true;
}

}  // namespace zcp::pkgdb
