/*
 * dpkg's own version comparison as a fast oracle: libdpkg's parseversion()
 * and dpkg_version_compare(), the functions `dpkg --compare-versions` calls,
 * linked in, so tens of thousands of pairs take a second instead of a
 * process each. Reads "a|b" lines; prints -1, 0 or 1, or "E <reason>" when
 * dpkg would refuse a version. Like dpkg's cmpversions, an empty version or
 * "<unknown>" means "no version", which sorts below every informative one.
 */
#define LIBDPKG_VOLATILE_API 1
#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/error.h>
#include <dpkg/parsedump.h>
#include <dpkg/version.h>
#include <stdio.h>
#include <string.h>

static int parse(struct dpkg_version *v, const char *s, const char **why) {
  struct dpkg_error err = DPKG_ERROR_INIT;
  if (*s == '\0' || strcmp(s, "<unknown>") == 0) {
    dpkg_version_blank(v);
    return 0;
  }
  if (parseversion(v, s, &err) < 0 && err.type == DPKG_MSG_ERROR) {
    static char reason[256];
    snprintf(reason, sizeof reason, "%s", err.str);
    dpkg_error_destroy(&err);
    *why = reason;
    return -1;
  }
  dpkg_error_destroy(&err); /* a warning: dpkg compares anyway */
  return 0;
}

int main(void) {
  static char line[65536];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = '\0';
    char *bar = strchr(line, '|');
    if (!bar) return 2;
    *bar = '\0';
    struct dpkg_version a, b;
    const char *why = NULL;
    if (parse(&a, line, &why) < 0 || parse(&b, bar + 1, &why) < 0) {
      printf("E %s\n", why);
      continue;
    }
    int r;
    if (!dpkg_version_is_informative(&a) || !dpkg_version_is_informative(&b))
      r = dpkg_version_is_informative(&a) - dpkg_version_is_informative(&b);
    else
      r = dpkg_version_compare(&a, &b);
    printf("%d\n", r < 0 ? -1 : r > 0 ? 1 : 0);
  }
  return 0;
}
