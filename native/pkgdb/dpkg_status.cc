#include "dpkg_status.h"

namespace zcp::pkgdb {
namespace {

// Splits "install ok installed" into three words; false unless exactly three.
bool SplitStatus(std::string_view s, std::string_view words[3]) {
  int n = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
    if (i >= s.size()) break;
    size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') i++;
    if (n == 3) return false;
    words[n++] = s.substr(b, i - b);
  }
  return n == 3;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool ParseDpkgStatus(std::string_view data, const std::vector<std::string>& extra_fields,
                     std::vector<DpkgPackage>* out, ParseError* error) {
  Deb822Reader reader(data);
  std::vector<Field> fields;
  out->reserve(out->size() + data.size() / 1024);  // a status paragraph is about 1 KB
  while (reader.Next(&fields, error)) {
    DpkgPackage p;
    p.offset = reader.paragraph_offset();
    p.extra.resize(extra_fields.size());
    p.has_extra.resize(extra_fields.size());
    std::string_view status;
    bool has_status = false;
    unsigned seen = 0;  // one bit per field read below: dpkg rejects a second value
    for (const Field& f : fields) {
      // Dispatch on the name's length first: most fields are none of these.
      std::string_view* single = nullptr;  // a single-line field: its first line, trimmed
      unsigned bit = 0;
      switch (f.name.size()) {
        case 6:
          if (NameEquals(f.name, "Source")) single = &p.source, bit = 1;
          else if (NameEquals(f.name, "Status")) single = &status, has_status = true, bit = 2;
          break;
        case 7:
          if (NameEquals(f.name, "Package")) single = &p.name, bit = 4;
          else if (NameEquals(f.name, "Version")) single = &p.version, bit = 8;
          else if (NameEquals(f.name, "Depends")) p.depends = Trim(f.value), bit = 16;
          break;
        case 10:
          if (NameEquals(f.name, "Multi-Arch")) single = &p.multi_arch, bit = 32;
          break;
        case 12:
          if (NameEquals(f.name, "Architecture")) single = &p.architecture, bit = 64;
          break;
      }
      if (seen & bit) {
        *error = {static_cast<size_t>(f.name.data() - data.data()),
                  "duplicate value for the " + std::string(f.name) + " field (a paragraph lost its empty line?)"};
        return false;
      }
      seen |= bit;
      // A value that spans lines keeps only what dpkg would (names and
      // versions never do): the first line, trimmed.
      if (single) *single = Trim(f.value.substr(0, f.value.find('\n')));
      for (size_t k = 0; k < extra_fields.size(); k++) {
        if (NameEquals(f.name, extra_fields[k])) {
          p.extra[k] = FieldText(f.value);
          p.has_extra[k] = true;
        }
      }
    }
    if (p.name.empty()) {
      *error = {p.offset, "paragraph without a Package field"};
      return false;
    }
    if (has_status) {
      std::string_view words[3];
      if (!SplitStatus(status, words)) {
        *error = {p.offset, "Status of " + std::string(p.name) + " is not three words (want flag state)"};
        return false;
      }
      p.want = words[0];
      p.eflag = words[1];
      p.state = words[2];
    }
    out->push_back(std::move(p));
  }
  return error->message.empty();
}

}  // namespace zcp::pkgdb
