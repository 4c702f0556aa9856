// Berkeley DB hash databases, read-only over a byte span, as rpm's bdb_ro
// back end reads the `Packages` file of older RHEL and SUSE systems: the meta
// page, the bucket chains and overflow chains, in either byte order. Every
// page number, offset and length is checked, and no page is visited twice,
// so a hostile file can neither read out of bounds nor loop. No N-API.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "deb822.h"  // ParseError

namespace zcp::pkgdb {

// Calls `pair(key, value)` for every key/data pair of a hash database, bucket
// by bucket. Returns false with `error` set (offset = file byte) on a corrupt
// or unsupported file.
bool ScanBdbHash(std::string_view file, const std::function<void(std::string_view, std::string_view)>& pair,
                 ParseError* error);

// rpm's Packages database: each (record number, header blob), record 0 (a
// counter, not a package) skipped; in record-number order.
bool ScanBdbPackages(std::string_view file, const std::function<void(uint32_t, std::string_view)>& blob,
                     ParseError* error);

}  // namespace zcp::pkgdb
