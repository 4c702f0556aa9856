/**
 * The `zfs` project runs in two guest boots at once (test/run-all.ts): one
 * emulated guest keeps about 1.3 of the host's 2 cores busy, two keep both.
 * Each boot has its own pools, so the shards share nothing. Every test file
 * is in exactly one shard (a unit test checks it). Balanced by measured
 * times (quiet host): the crash matrix alone is about 580 s of shard 1's
 * 890; the longest files first, so a shard's failure shows early.
 */
export const ZFS_SHARDS: readonly (readonly string[])[] = [
  [
    'test/zfs/crash-matrix.test.ts',
    'test/zfs/program.test.ts',
    'test/zfs/hooks.test.ts',
    'test/zfs/limits.test.ts',
    'test/zfs/datasets.test.ts',
  ],
  [
    'test/zfs/apt.test.ts',
    'test/zfs/cli.test.ts',
    'test/zfs/checkpoint.test.ts',
    'test/zfs/transactions.test.ts',
    'test/zfs/nothing-lost.test.ts',
    'test/zfs/rollback.test.ts',
    'test/zfs/concurrency.test.ts',
    'test/zfs/snapshot.test.ts',
    'test/zfs/holds-bookmarks.test.ts',
  ],
];
