// deb822 paragraphs (dpkg's status and available files, apt's Packages lists)
// over a byte span: no N-API, no allocation per field (fields are views into
// the input), every read bounded by the span. Unit-testable and fuzzable alone.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zcp::pkgdb {

struct Field {
  std::string_view name;   // as written; compare case-insensitively
  std::string_view value;  // first line and continuation lines, raw (with their "\n " and any '\r')
};

struct ParseError {
  size_t offset = 0;  // byte offset in the input
  std::string message;
};

// Sets `error` and returns false: how every parser here fails.
inline bool Fail(ParseError* error, size_t offset, std::string message) {
  *error = {offset, std::move(message)};
  return false;
}

// Splits the input into paragraphs of fields. Empty lines separate
// paragraphs (blank lines between them are skipped too); inside a paragraph,
// lines starting with space or tab continue the previous field, a line of
// blanks included, as dpkg reads them; CRLF line ends and a missing final
// newline are accepted.
class Deb822Reader {
 public:
  explicit Deb822Reader(std::string_view data) : data_(data) {}

  // Reads the next paragraph into `fields` (cleared first). Returns false at
  // the end of the input, or on malformed input with `error` set.
  bool Next(std::vector<Field>* fields, ParseError* error);

  // Offset where the last paragraph returned by Next() began.
  size_t paragraph_offset() const { return paragraph_offset_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  size_t paragraph_offset_ = 0;
};

// Case-insensitive ASCII equality of field names.
bool NameEquals(std::string_view a, std::string_view b);

// A field's value as one string: the first line and continuation lines
// joined with '\n' (continuation markers and trailing '\r'/blanks removed,
// a "." line standing for an empty line, as in deb822).
std::string FieldText(std::string_view raw);

}  // namespace zcp::pkgdb
