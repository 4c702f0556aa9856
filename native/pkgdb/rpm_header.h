// RPM headers as stored in an rpmdb and in .rpm files, over a byte span: every
// count, offset, length and alignment is checked before anything is read, as
// rpm's own hdrblobVerifyInfo() does. No N-API; unit-testable and fuzzable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "deb822.h"  // ParseError

namespace zcp::pkgdb {

enum RpmType : uint32_t {
  kRpmNull = 0, kRpmChar = 1, kRpmInt8 = 2, kRpmInt16 = 3, kRpmInt32 = 4, kRpmInt64 = 5,
  kRpmString = 6, kRpmBin = 7, kRpmStringArray = 8, kRpmI18nString = 9,
};

enum RpmTag : int32_t {
  kTagHeaderImage = 61, kTagHeaderSignatures = 62, kTagHeaderImmutable = 63,
  kTagName = 1000, kTagVersion = 1001, kTagRelease = 1002, kTagEpoch = 1003,
  kTagInstallTime = 1008, kTagArch = 1022, kTagSourceRpm = 1044, kTagInstallTid = 1128,
};

// One index entry, checked: its data lies inside the data store.
struct RpmEntry {
  int32_t tag;
  uint32_t type;
  uint32_t count;
  std::string_view data;  // the entry's bytes (for strings: all count strings with their NULs)
};

struct RpmHeader {
  std::vector<RpmEntry> entries;
  const RpmEntry* Find(int32_t tag) const;
  // The first string of a string-typed tag, or empty.
  std::string_view String(int32_t tag) const;
  // An INT32 tag's first value; false when the tag is absent or not INT32.
  bool Int32(int32_t tag, uint32_t* out) const;
};

// Parses a header blob: int32 index count, int32 data length, the index, the
// data store (big-endian), with nothing after it. `base` is added to error
// offsets (the blob's position in its file).
bool ParseRpmHeaderBlob(std::string_view blob, RpmHeader* out, ParseError* error, size_t base = 0);

// The size of the header that starts at `data` (after its 8-byte magic when
// `with_magic`), or 0 with `error` set when it can't be one.
size_t RpmHeaderSize(std::string_view data, bool with_magic, ParseError* error, size_t base = 0);

// A .rpm file's main header (after the lead and the padded signature header);
// the payload is never touched. `data` needs only the file's first bytes.
bool ParseRpmFileHeader(std::string_view data, RpmHeader* out, ParseError* error);

}  // namespace zcp::pkgdb
