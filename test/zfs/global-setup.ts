// The `zfs` project needs the real kernel module: outside the guest it must
// fail loudly, never skip.
import { existsSync } from 'node:fs';
import { zfs } from '../../src/index.js';
import { TEST_POOLS } from './pools.js';

export default async function setup(): Promise<void> {
  if (process.env.ZCP_GUEST !== '1') {
    throw new Error('the zfs tests run inside the qemu guest: use `npm test` (test/run-all.ts boots it)');
  }
  const status = await zfs.available();
  if (!status.ok) throw new Error(`ZFS is not usable in the guest: ${status.reason}`);
  for (const pool of TEST_POOLS) {
    if (!existsSync(`/${pool.name}`)) throw new Error(`test pool ${pool.name} was not created by the guest harness`);
  }
}
