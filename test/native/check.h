// A minimal test harness for the C++ unit tests: CHECK records a failure
// with its line and goes on; main() reports and sets the exit status.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace zcp_test {

struct Case {
  const char* name;
  std::function<void()> body;
};

inline std::vector<Case>& Cases() {
  static std::vector<Case> cases;
  return cases;
}
inline int& Failures() {
  static int failures = 0;
  return failures;
}

struct Register {
  Register(const char* name, std::function<void()> body) { Cases().push_back({name, std::move(body)}); }
};

}  // namespace zcp_test

#define ZCP_CONCAT2(a, b) a##b
#define ZCP_CONCAT(a, b) ZCP_CONCAT2(a, b)
#define TEST(name)                                                                    \
  static void ZCP_CONCAT(test_, name)();                                              \
  static zcp_test::Register ZCP_CONCAT(register_, name)(#name, ZCP_CONCAT(test_, name)); \
  static void ZCP_CONCAT(test_, name)()

#define CHECK(cond)                                                               \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++zcp_test::Failures();                                                     \
    }                                                                             \
  } while (0)

#define CHECK_EQ(a, b)                                                                              \
  do {                                                                                              \
    auto va_ = (a);                                                                                 \
    auto vb_ = (b);                                                                                 \
    if (!(va_ == vb_)) {                                                                            \
      std::fprintf(stderr, "  %s:%d: CHECK_EQ failed: %s != %s\n", __FILE__, __LINE__, #a, #b);     \
      ++zcp_test::Failures();                                                                       \
    }                                                                                               \
  } while (0)
