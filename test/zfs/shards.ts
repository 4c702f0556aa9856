/**
 * The `zfs` project runs in two guest boots at once (test/run-all.ts), one
 * emulated CPU each, so that the two together keep both of the host's cores
 * busy (see guestCpus in test/guest/run.ts). Each boot has its own pools, so
 * the shards share nothing. Every test file is in exactly one shard (a unit
 * test checks it). Balanced by measured times, with what else runs in each
 * lane of test/run-all.ts: shard 1 (the crash matrix, 660 s of its 1,000
 * with another guest beside it) is followed by the debian project and the
 * four boots (about 30 min together, the fourth boot's Ansible runs alone
 * about 6 min); shard 2, with the 2,000-snapshot program test (about 5 min),
 * comes after the host checks and is followed by the demo.
 */
export const ZFS_SHARDS: readonly (readonly string[])[] = [
  [
    'test/zfs/crash-matrix.test.ts',
    'test/zfs/limits.test.ts',
    'test/zfs/datasets.test.ts',
  ],
  [
    'test/zfs/apt.test.ts',
    'test/zfs/cli.test.ts',
    'test/zfs/hooks.test.ts',
    'test/zfs/checkpoint.test.ts',
    'test/zfs/transactions.test.ts',
    'test/zfs/nothing-lost.test.ts',
    'test/zfs/rollback.test.ts',
    'test/zfs/concurrency.test.ts',
    'test/zfs/snapshot.test.ts',
    'test/zfs/holds-bookmarks.test.ts',
    'test/zfs/program.test.ts',
    'test/zfs/undo.test.ts',
  ],
];
