// Structure-aware fuzzing: a blind mutation almost never keeps a checksum or
// a length field right, so the parsers' checks stop it at the door and the
// code behind them (a WAL's commit frames, an ndb blob's header) goes
// unfuzzed. These rewrite checksums and length fields after the mutation,
// as a real writer would have, so every mutated input is one a real (or
// hostile) writer could have made. The targets reseal only some inputs (a
// flag bit), so the checks themselves stay fuzzed too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

namespace zcp_fuzz {

inline uint32_t Be32(const char* p) {
  auto u = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  return u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
}
inline void PutBe32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (24 - 8 * i));
}
inline uint32_t Le32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void PutLe32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }

// SQLite's WAL checksum (walChecksumBytes) over 8-byte steps.
inline void WalSum(const char* p, size_t n, bool big, uint32_t* s0, uint32_t* s1) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint32_t a = big ? Be32(p + i) : Le32(p + i), b = big ? Be32(p + i + 4) : Le32(p + i + 4);
    *s0 += a + *s1;
    *s1 += b + *s0;
  }
}

// Makes `wal` a valid write-ahead log for pages of `page_size`: magic, page
// size, header checksum, and every whole frame's salts and running checksum.
inline void ResealWal(std::string& wal, uint32_t page_size) {
  if (wal.size() < 32) return;
  char* w = wal.data();
  const bool big = (Be32(w) & 1) != 0;
  PutBe32(w, big ? 0x377f0683 : 0x377f0682);
  PutBe32(w + 8, page_size);
  uint32_t s0 = 0, s1 = 0;
  WalSum(w, 24, big, &s0, &s1);
  PutBe32(w + 24, s0);
  PutBe32(w + 28, s1);
  const size_t frame = 24 + size_t{page_size};
  for (size_t at = 32; at + frame <= wal.size(); at += frame) {
    char* f = w + at;
    std::memcpy(f + 8, w + 16, 8);  // the header's salts
    WalSum(f, 8, big, &s0, &s1);
    WalSum(f + 24, page_size, big, &s0, &s1);
    PutBe32(f + 16, s0);
    PutBe32(f + 20, s1);
  }
}

// rpm's ndb adler32 (rpmpkg.c).
inline uint32_t Adler32(const char* p, size_t n) {
  uint64_t a = 1, b = 0;
  for (size_t i = 0; i < n; ++i) {
    a = (a + static_cast<unsigned char>(p[i])) % 65521;
    b = (b + a) % 65521;
  }
  return static_cast<uint32_t>(b << 16 | a);
}

// Makes every used slot's blob of an ndb Packages.db consistent where it fits
// the file: head magic and package index, tail magic, length and checksum.
inline void ResealNdb(std::string& file) {
  if (file.size() < 32) return;
  const uint64_t slot_pages = Le32(file.data() + 12);
  const uint64_t end = std::min<uint64_t>(slot_pages * 4096, file.size());
  for (uint64_t at = 32; at + 16 <= end; at += 16) {
    const char* s = file.data() + at;
    const uint32_t pkgidx = Le32(s + 4), blkoff = Le32(s + 8), blkcnt = Le32(s + 12);
    const uint64_t start = uint64_t{blkoff} * 16, span = uint64_t{blkcnt} * 16;
    if (blkoff == 0 || span < 28 || start + span > file.size()) continue;
    char* head = file.data() + start;
    PutLe32(head, 0x53626c42);  // "BlbS"
    PutLe32(head + 4, pkgidx);
    const uint32_t length = static_cast<uint32_t>(std::min<uint64_t>(Le32(head + 12), span - 28));
    if ((16 + uint64_t{length} + 12 + 15) / 16 != blkcnt) PutLe32(head + 12, static_cast<uint32_t>(span - 28));
    char* tail = head + span - 12;
    PutLe32(tail + 4, Le32(head + 12));
    PutLe32(tail + 8, 0x45626c42);  // "BlbE"
    PutLe32(tail, Adler32(head, span - 12));
  }
}

// Berkeley DB hash file: the meta page's last page number within the file and
// its magic kept, so mutations reach the buckets and items behind it.
inline void ResealBdb(std::string& file) {
  if (file.size() < 512) return;
  const bool big = Be32(file.data() + 12) == 0x061561;
  const uint32_t ps = big ? Be32(file.data() + 20) : Le32(file.data() + 20);
  if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0) return;
  const uint64_t pages = file.size() / ps;
  if (pages == 0) return;
  const uint32_t last = big ? Be32(file.data() + 32) : Le32(file.data() + 32);
  if (last >= pages) {
    if (big) PutBe32(file.data() + 32, static_cast<uint32_t>(pages - 1));
    else PutLe32(file.data() + 32, static_cast<uint32_t>(pages - 1));
  }
}

}  // namespace zcp_fuzz
