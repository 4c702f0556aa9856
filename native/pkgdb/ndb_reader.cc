#include "ndb_reader.h"

#include <algorithm>
#include <string>
#include <vector>

#include "bytes.h"

namespace zcp::pkgdb {
namespace {

// Constants of rpmpkg.c: little-endian words, 16-byte blocks, 4 KiB slot
// pages of 16-byte slots whose first two hold the file header.
constexpr uint32_t Magic(char a, char b, char c, char d) {
  return uint32_t(uint8_t(a)) | uint32_t(uint8_t(b)) << 8 | uint32_t(uint8_t(c)) << 16 | uint32_t(uint8_t(d)) << 24;
}
constexpr uint32_t kFileMagic = Magic('R', 'p', 'm', 'P');
constexpr uint32_t kSlotMagic = Magic('S', 'l', 'o', 't');
constexpr uint32_t kBlobHeadMagic = Magic('B', 'l', 'b', 'S');
constexpr uint32_t kBlobTailMagic = Magic('B', 'l', 'b', 'E');
constexpr uint64_t kHeaderSize = 32, kSlotSize = 16, kBlockSize = 16, kPageSize = 4096;
constexpr uint64_t kBlobHeadSize = 16, kBlobTailSize = 12;

struct Slot {
  uint32_t pkgidx, blkoff, blkcnt;
  uint64_t at;  // the slot's file offset, for messages
};

uint32_t Adler32(std::string_view bytes) {
  uint64_t a = 1, b = 0;
  size_t i = 0;
  while (i < bytes.size()) {
    size_t chunk = std::min<size_t>(bytes.size() - i, 5552);  // no overflow before the modulo
    for (size_t end = i + chunk; i < end; ++i) {
      a += static_cast<unsigned char>(bytes[i]);
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return static_cast<uint32_t>((b << 16) | a);
}

}  // namespace

bool ScanNdbPackages(std::string_view file, const std::function<void(uint32_t, std::string_view)>& blob,
                     ParseError* error) {
  const uint64_t size = file.size();
  if (size < kHeaderSize) return Fail(error, 0, "ndb: file too short for its header");
  if (Le32(file.data()) != kFileMagic) return Fail(error, 0, "ndb: bad magic (not an ndb Packages.db)");
  if (uint32_t v = Le32(file.data() + 4); v != 0) return Fail(error, 4, "ndb: unsupported version " + std::to_string(v));
  if (size % kBlockSize != 0) return Fail(error, size, "ndb: file size is not a multiple of 16 (truncated?)");
  const uint64_t slot_pages = Le32(file.data() + 12);
  if (slot_pages == 0 || slot_pages * kPageSize > size) {
    return Fail(error, 12, "ndb: slot page count " + std::to_string(slot_pages) + " does not fit the file");
  }
  const uint64_t file_blocks = size / kBlockSize;
  const uint64_t first_data_block = slot_pages * (kPageSize / kBlockSize);

  std::vector<Slot> slots;
  for (uint64_t at = kHeaderSize; at < slot_pages * kPageSize; at += kSlotSize) {
    const char* p = file.data() + at;
    if (Le32(p) != kSlotMagic) return Fail(error, at, "ndb: bad slot magic");
    Slot s{Le32(p + 4), Le32(p + 8), Le32(p + 12), at};
    if (s.blkoff == 0) continue;  // a free slot
    if (s.pkgidx == 0 || s.blkcnt == 0 || s.blkoff < first_data_block) return Fail(error, at, "ndb: bad slot");
    if (uint64_t{s.blkoff} + s.blkcnt > file_blocks) return Fail(error, at, "ndb: slot points past the end of the file");
    slots.push_back(s);
  }
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) { return a.pkgidx < b.pkgidx; });
  for (size_t i = 1; i < slots.size(); ++i) {
    if (slots[i].pkgidx == slots[i - 1].pkgidx) {
      return Fail(error, slots[i].at, "ndb: two slots for package " + std::to_string(slots[i].pkgidx));
    }
  }

  for (const Slot& s : slots) {
    const uint64_t start = uint64_t{s.blkoff} * kBlockSize, span = uint64_t{s.blkcnt} * kBlockSize;
    if (span < kBlobHeadSize + kBlobTailSize) return Fail(error, s.at, "ndb: blob too small");
    const char* head = file.data() + start;
    if (Le32(head) != kBlobHeadMagic) return Fail(error, start, "ndb: bad blob magic");
    if (Le32(head + 4) != s.pkgidx) return Fail(error, start + 4, "ndb: blob belongs to another package");
    const uint64_t length = Le32(head + 12);
    if ((kBlobHeadSize + length + kBlobTailSize + kBlockSize - 1) / kBlockSize != s.blkcnt) {
      return Fail(error, start + 12, "ndb: blob length does not match its slot");
    }
    const char* tail = head + span - kBlobTailSize;
    if (Le32(tail + 8) != kBlobTailMagic) return Fail(error, start + span - 4, "ndb: bad blob tail magic");
    if (Le32(tail + 4) != length) return Fail(error, start + span - 8, "ndb: blob tail length mismatch");
    // rpm writes the checksum over head, blob and padding; it is what tells a
    // half-written blob from a whole one.
    if (Le32(tail) != Adler32(std::string_view(head, span - kBlobTailSize))) {
      return Fail(error, start + span - kBlobTailSize, "ndb: blob checksum mismatch");
    }
    blob(s.pkgidx, std::string_view(head + kBlobHeadSize, length));
  }
  return true;
}

}  // namespace zcp::pkgdb
