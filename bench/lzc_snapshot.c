/*
 * The floor for the checkpoint benchmark: lzc_snapshot called straight from C.
 * Usage: lzc_snapshot N DATASET... ; takes N atomic snapshots of all the
 * datasets (DATASET@cI) and prints the milliseconds of each call as JSON.
 */
#include <libzfs_core.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s N DATASET...\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[1]);
  if (libzfs_core_init() != 0) {
    perror("libzfs_core_init");
    return 1;
  }
  printf("[");
  for (int i = 0; i < n; i++) {
    nvlist_t *snaps = fnvlist_alloc();
    char name[512];
    for (int d = 2; d < argc; d++) {
      snprintf(name, sizeof name, "%s@c%d", argv[d], i);
      fnvlist_add_boolean(snaps, name);
    }
    nvlist_t *errlist = NULL;
    double t0 = now_ms();
    int err = lzc_snapshot(snaps, NULL, &errlist);
    double t1 = now_ms();
    fnvlist_free(snaps);
    if (errlist) nvlist_free(errlist);
    if (err != 0) {
      fprintf(stderr, "lzc_snapshot: error %d\n", err);
      return 1;
    }
    printf("%s%.3f", i ? "," : "", t1 - t0);
  }
  printf("]\n");
  libzfs_core_fini();
  return 0;
}
