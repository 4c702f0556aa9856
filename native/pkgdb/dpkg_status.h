// Packages out of dpkg's status file (or available, or an apt Packages list).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "deb822.h"

namespace zcp::pkgdb {

struct DpkgPackage {
  std::string_view name, version, architecture, multi_arch, source, depends;
  // "Status: want eflag state", split; empty when the file has no Status (apt lists).
  std::string_view want, eflag, state;
  size_t offset = 0;  // where its paragraph starts
  // The extra fields asked for, in the order asked, as text (empty if absent).
  std::vector<std::string> extra;
  std::vector<bool> has_extra;
};

// Parses every paragraph. A paragraph without Package is an error, as in dpkg;
// so is a Status that is not three words.
bool ParseDpkgStatus(std::string_view data, const std::vector<std::string>& extra_fields,
                     std::vector<DpkgPackage>* out, ParseError* error);

}  // namespace zcp::pkgdb
