// rpm's ndb package database (`Packages.db`, rpm >= 4.15 with --enable-ndb,
// SUSE's default before sqlite), read-only over a byte span: the header, the
// slot pages, and each package's blob with its head, tail and Adler-32 check.
// The layout is rpm's lib/backend/ndb/rpmpkg.c; every offset is checked
// against the file's size before it is read. No N-API.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "deb822.h"  // ParseError

namespace zcp::pkgdb {

// Calls `blob(pkgidx, header_blob)` for each package, in pkgidx order.
// Returns false with `error` set (offset = file byte) on a corrupt file.
bool ScanNdbPackages(std::string_view file, const std::function<void(uint32_t, std::string_view)>& blob,
                     ParseError* error);

}  // namespace zcp::pkgdb
