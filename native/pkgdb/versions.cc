#include "versions.h"

namespace zcp::pkgdb {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// dpkg's order(): digits and the end 0, '~' below everything, letters as
// themselves, anything else after all letters.
int Order(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  char c = s[i];
  if (IsDigit(c)) return 0;
  if (IsAlpha(c)) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  return static_cast<unsigned char>(c) + 256;
}

int Verrevcmp(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
      int ac = Order(a, i), bc = Order(b, j);
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && j < b.size() && IsDigit(a[i]) && IsDigit(b[j])) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && IsDigit(a[i])) return 1;
    if (j < b.size() && IsDigit(b[j])) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

// rpm and dpkg compare C strings: a NUL ends the version there.
std::string_view UpToNul(std::string_view s) { return s.substr(0, s.find('\0')); }

}  // namespace

bool ParseDebVersion(std::string_view text, DebVersion* out, std::string* why) {
  text = UpToNul(text);
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  if (text.empty()) return *why = "version string is empty", false;
  for (char c : text) {
    if (IsBlank(c)) return *why = "version string has embedded spaces", false;
  }
  *out = DebVersion{};
  std::string_view rest = text;
  if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    std::string_view epoch = text.substr(0, colon);
    if (epoch.empty()) return *why = "epoch in version is empty", false;
    uint64_t value = 0;
    for (char c : epoch) {
      if (!IsDigit(c)) return *why = "epoch in version is not number", false;
      value = value * 10 + static_cast<uint64_t>(c - '0');
      if (value > 2147483647) return *why = "epoch in version is too big", false;
    }
    out->epoch = static_cast<uint32_t>(value);
    rest = text.substr(colon + 1);
    if (rest.empty()) return *why = "nothing after colon in version number", false;
  }
  out->upstream = rest;
  if (size_t dash = rest.rfind('-'); dash != std::string_view::npos) {
    out->upstream = rest.substr(0, dash);
    out->revision = rest.substr(dash + 1);
    if (out->revision.empty()) return *why = "revision number is empty", false;
  }
  if (out->upstream.empty()) return *why = "version number is empty", false;
  return true;
}

int CompareDebVersions(const DebVersion& a, const DebVersion& b) {
  if (a.epoch != b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (int r = Verrevcmp(a.upstream, b.upstream)) return r;
  return Verrevcmp(a.revision, b.revision);
}

int RpmVercmp(std::string_view a, std::string_view b) {
  a = UpToNul(a);
  b = UpToNul(b);
  if (a == b) return 0;
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  auto separator = [](char c) { return c != '\0' && !IsAlpha(c) && !IsDigit(c) && c != '~' && c != '^'; };
  while (i < a.size() || j < b.size()) {
    // Separators only split segments.
    while (i < a.size() && separator(a[i])) ++i;
    while (j < b.size() && separator(b[j])) ++j;
    // '~' sorts before everything, even the end.
    if (at(a, i) == '~' || at(b, j) == '~') {
      if (at(a, i) != '~') return 1;
      if (at(b, j) != '~') return -1;
      ++i;
      ++j;
      continue;
    }
    // '^' sorts after the end (the base version) but before anything else.
    if (at(a, i) == '^' || at(b, j) == '^') {
      if (i >= a.size()) return -1;
      if (j >= b.size()) return 1;
      if (at(a, i) != '^') return 1;
      if (at(b, j) != '^') return -1;
      ++i;
      ++j;
      continue;
    }
    if (i >= a.size() || j >= b.size()) break;
    const bool numeric = IsDigit(a[i]);
    auto in_segment = [numeric](char c) { return numeric ? IsDigit(c) : IsAlpha(c); };
    size_t ei = i, ej = j;
    while (ei < a.size() && in_segment(a[ei])) ++ei;
    while (ej < b.size() && in_segment(b[ej])) ++ej;
    // A numeric segment is newer than an alphabetic one.
    if (ej == j) return numeric ? 1 : -1;
    std::string_view sa = a.substr(i, ei - i), sb = b.substr(j, ej - j);
    if (numeric) {
      while (!sa.empty() && sa.front() == '0') sa.remove_prefix(1);
      while (!sb.empty() && sb.front() == '0') sb.remove_prefix(1);
      if (sa.size() != sb.size()) return sa.size() > sb.size() ? 1 : -1;
    }
    if (int r = sa.compare(sb)) return r < 0 ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.size() && j >= b.size()) return 0;
  return i >= a.size() ? -1 : 1;
}

}  // namespace zcp::pkgdb
