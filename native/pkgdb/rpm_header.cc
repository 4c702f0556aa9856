#include "rpm_header.h"

#include "bytes.h"

namespace zcp::pkgdb {
namespace {

// rpm's limits (header_internal.h): hdrchkTags and hdrchkData.
constexpr uint32_t kMaxTags = 0x0000ffff;
constexpr uint32_t kMaxData = 0x0fffffff;
constexpr size_t kEntrySize = 16;
constexpr size_t kLeadSize = 96;
constexpr unsigned char kLeadMagic[4] = {0xed, 0xab, 0xee, 0xdb};
constexpr unsigned char kHeaderMagic[8] = {0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0};


// Bytes per element of the fixed-size types; 0 for strings and BIN.
size_t TypeSize(uint32_t type) {
  switch (type) {
    case kRpmChar: case kRpmInt8: case kRpmBin: return 1;
    case kRpmInt16: return 2;
    case kRpmInt32: return 4;
    case kRpmInt64: return 8;
    default: return 0;
  }
}

// Length of `count` NUL-terminated strings starting at `start`, within `store`; 0 if they run out.
size_t StringsLength(std::string_view store, size_t start, uint32_t count) {
  size_t pos = start;
  for (uint32_t i = 0; i < count; i++) {
    size_t nul = store.find('\0', pos);
    if (nul == std::string_view::npos) return 0;
    pos = nul + 1;
  }
  return pos - start;
}

bool IsRegionTag(int32_t tag) {
  return tag == kTagHeaderImage || tag == kTagHeaderSignatures || tag == kTagHeaderImmutable;
}

}  // namespace

const RpmEntry* RpmHeader::Find(int32_t tag) const {
  for (const auto& e : entries)
    if (e.tag == tag) return &e;
  return nullptr;
}

std::string_view RpmHeader::String(int32_t tag) const {
  const RpmEntry* e = Find(tag);
  if (!e || (e->type != kRpmString && e->type != kRpmI18nString && e->type != kRpmStringArray)) return {};
  return e->data.substr(0, e->data.find('\0'));
}

bool RpmHeader::Int32(int32_t tag, uint32_t* out) const {
  const RpmEntry* e = Find(tag);
  if (!e || e->type != kRpmInt32 || e->data.size() < 4) return false;
  *out = Be32(e->data.data());
  return true;
}

size_t RpmHeaderSize(std::string_view data, bool with_magic, ParseError* error, size_t base) {
  size_t at = 0;
  if (with_magic) {
    if (data.size() < 8 || data.substr(0, 8) != std::string_view(reinterpret_cast<const char*>(kHeaderMagic), 8)) {
      Fail(error, base, "bad header magic");
      return 0;
    }
    at = 8;
  }
  if (data.size() < at + 8) {
    Fail(error, base + at, "truncated header (no index and data sizes)");
    return 0;
  }
  uint32_t il = Be32(data.data() + at);
  uint32_t dl = Be32(data.data() + at + 4);
  if (il < 1 || il > kMaxTags) {
    Fail(error, base + at, "absurd index entry count " + std::to_string(il));
    return 0;
  }
  if (dl > kMaxData) {
    Fail(error, base + at + 4, "absurd data length " + std::to_string(dl));
    return 0;
  }
  return at + 8 + size_t{il} * kEntrySize + dl;
}

bool ParseRpmHeaderBlob(std::string_view blob, RpmHeader* out, ParseError* error, size_t base) {
  out->entries.clear();
  size_t size = RpmHeaderSize(blob, false, error, base);
  if (size == 0) return false;
  if (size != blob.size()) {
    return Fail(error, base, "header sizes say " + std::to_string(size) + " bytes, the blob has " + std::to_string(blob.size()));
  }
  const uint32_t il = Be32(blob.data());
  const size_t index_at = 8;
  const size_t store_at = index_at + size_t{il} * kEntrySize;
  const std::string_view store = blob.substr(store_at);
  out->entries.reserve(il);
  for (uint32_t i = 0; i < il; i++) {
    const size_t at = index_at + size_t{i} * kEntrySize;
    const char* p = blob.data() + at;
    RpmEntry e;
    e.tag = static_cast<int32_t>(Be32(p));
    e.type = Be32(p + 4);
    const int32_t offset = static_cast<int32_t>(Be32(p + 8));
    e.count = Be32(p + 12);
    // Built only when something fails: a string per entry would cost more than the parse.
    auto where = [&] { return "index entry " + std::to_string(i) + " (tag " + std::to_string(e.tag) + ")"; };
    if (e.type > kRpmI18nString) return Fail(error, base + at + 4, where() + ": unknown type " + std::to_string(e.type));
    if (e.count == 0 || e.count > kMaxData) return Fail(error, base + at + 12, where() + ": bad count " + std::to_string(e.count));
    if (offset < 0 || static_cast<size_t>(offset) >= store.size() + (e.type == kRpmNull ? 1 : 0)) {
      return Fail(error, base + at + 8, where() + ": data offset " + std::to_string(offset) + " outside the data store");
    }
    const size_t off = static_cast<size_t>(offset);
    size_t len;
    if (size_t ts = TypeSize(e.type); ts > 0) {
      if (off % ts != 0) return Fail(error, base + at + 8, where() + ": misaligned data offset");
      if (e.count > (store.size() - off) / ts) return Fail(error, base + at + 12, where() + ": data runs past the data store");
      len = size_t{e.count} * ts;
    } else if (e.type == kRpmNull) {
      len = 0;
    } else {
      if (e.type == kRpmString && e.count != 1) return Fail(error, base + at + 12, where() + ": a STRING has count 1");
      len = StringsLength(store, off, e.count);
      if (len == 0) return Fail(error, base + store_at + off, where() + ": unterminated string");
    }
    e.data = store.substr(off, len);
    // A region tag (the first entry only) points at a 16-byte trailer whose
    // offset is minus the size of the region's index: check its bounds too.
    if (IsRegionTag(e.tag)) {
      if (i != 0) return Fail(error, base + at, where() + ": a region tag must come first");
      if (e.type != kRpmBin || e.count != kEntrySize) return Fail(error, base + at, where() + ": malformed region tag");
      const char* t = store.data() + off;
      const int32_t trailer_offset = static_cast<int32_t>(Be32(t + 8));
      if (trailer_offset >= 0 || static_cast<int64_t>(-int64_t{trailer_offset}) % kEntrySize != 0 ||
          static_cast<uint64_t>(-int64_t{trailer_offset}) / kEntrySize > il) {
        return Fail(error, base + store_at + off, where() + ": region trailer out of range");
      }
    }
    out->entries.push_back(e);
  }
  return true;
}

bool ParseRpmFileHeader(std::string_view data, RpmHeader* out, ParseError* error) {
  if (data.size() < kLeadSize) return Fail(error, 0, "truncated lead (not an rpm file)");
  if (data.substr(0, 4) != std::string_view(reinterpret_cast<const char*>(kLeadMagic), 4))
    return Fail(error, 0, "bad lead magic (not an rpm file)");
  size_t sig = RpmHeaderSize(data.substr(kLeadSize), true, error, kLeadSize);
  if (sig == 0) return false;
  size_t main_at = kLeadSize + sig;
  main_at += (8 - main_at % 8) % 8;  // the signature header is padded to 8 bytes
  if (main_at > data.size()) return Fail(error, kLeadSize, "truncated signature header");
  size_t main = RpmHeaderSize(data.substr(main_at), true, error, main_at);
  if (main == 0) return false;
  if (main_at + main > data.size()) return Fail(error, main_at, "truncated main header");
  return ParseRpmHeaderBlob(data.substr(main_at + 8, main - 8), out, error, main_at + 8);
}

}  // namespace zcp::pkgdb
