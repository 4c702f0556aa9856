/** The pools the guest harness creates for the `zfs` project (test/run-all.ts). */
export const TEST_POOLS = [
  { name: 'zcptest', size: '1G' },
  { name: 'zcptest2', size: '512M' },
] as const;
