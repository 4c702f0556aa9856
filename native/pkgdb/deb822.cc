#include "deb822.h"

namespace zcp::pkgdb {
namespace {

// One physical line [begin, end) without its '\n' (and without a final '\r').
struct Line {
  size_t begin;
  size_t end;
  size_t next;  // start of the following line
};

Line LineAt(std::string_view d, size_t pos) {
  size_t nl = d.find('\n', pos);
  size_t end = nl == std::string_view::npos ? d.size() : nl;
  size_t next = nl == std::string_view::npos ? d.size() : nl + 1;
  if (end > pos && d[end - 1] == '\r') end--;
  return {pos, end, next};
}

bool IsBlank(std::string_view d, const Line& l) {
  for (size_t i = l.begin; i < l.end; i++)
    if (d[i] != ' ' && d[i] != '\t') return false;
  return true;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view TrimBlanks(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) b++;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) e--;
  return s.substr(b, e - b);
}

}  // namespace

bool NameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

bool Deb822Reader::Next(std::vector<Field>* fields, ParseError* error) {
  fields->clear();
  const std::string_view d = data_;
  // Skip blank lines (and comments) before the paragraph.
  while (pos_ < d.size()) {
    Line l = LineAt(d, pos_);
    if (IsBlank(d, l) || d[l.begin] == '#') {
      pos_ = l.next;
      continue;
    }
    break;
  }
  if (pos_ >= d.size()) return false;
  paragraph_offset_ = pos_;
  while (pos_ < d.size()) {
    Line l = LineAt(d, pos_);
    // Only an empty line ends a paragraph: a line of blanks inside one
    // continues the field before it, as dpkg reads it (with a warning).
    if (l.begin == l.end) {
      pos_ = l.next;
      break;  // end of paragraph
    }
    char first = d[l.begin];
    if (first == '#') {
      pos_ = l.next;
      continue;
    }
    if (first == ' ' || first == '\t') {
      if (fields->empty()) {
        *error = {l.begin, "continuation line without a field before it"};
        return false;
      }
      Field& f = fields->back();
      // Extend the value to the end of this line (views stay inside the input).
      const char* start = f.value.data();
      f.value = std::string_view(start, static_cast<size_t>(d.data() + l.end - start));
      pos_ = l.next;
      continue;
    }
    size_t colon = d.find(':', l.begin);
    if (colon == std::string_view::npos || colon >= l.end) {
      *error = {l.begin, "line is neither a field (Name: value) nor a continuation"};
      return false;
    }
    std::string_view name = d.substr(l.begin, colon - l.begin);
    for (char c : name) {
      if (c <= ' ' || c > '~') {
        *error = {l.begin, "field name with a blank or a non-printable character"};
        return false;
      }
    }
    if (name.empty() || name[0] == '-') {
      *error = {l.begin, "empty or malformed field name"};
      return false;
    }
    size_t v = colon + 1;
    while (v < l.end && (d[v] == ' ' || d[v] == '\t')) v++;
    fields->push_back({name, d.substr(v, l.end - v)});
    pos_ = l.next;
  }
  return true;
}

std::string FieldText(std::string_view raw) {
  std::string out;
  size_t pos = 0;
  bool first = true;
  for (;;) {
    size_t nl = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (first) {
      out.append(TrimBlanks(line));
    } else {
      // One leading blank marks the continuation; more is the text's own indent.
      if (!line.empty()) line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
      out.push_back('\n');
      if (line != ".") out.append(line);
    }
    first = false;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

}  // namespace zcp::pkgdb
