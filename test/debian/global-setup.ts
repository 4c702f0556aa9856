// The `debian` project runs in the guest on the real root the host built
// (test/debian/root-image.ts): without ZFS or without it, it fails loudly.
import { readFileSync } from 'node:fs';
import { zfs } from '../../src/index.js';
import { installRoot, partitionDisk } from './layout.js';
import type { RootImage } from './root-image.js';

export default async function setup(): Promise<void> {
  if (process.env.ZCP_GUEST !== '1') throw new Error('the debian tests run inside the qemu guest: use `npm test` (test/run-all.ts builds the root and boots it)');
  const status = await zfs.available();
  if (!status.ok) throw new Error(`ZFS is not usable in the guest: ${status.reason}`);
  const infoFile = process.env.ZCP_DEBIAN_ROOT;
  if (!infoFile) throw new Error('ZCP_DEBIAN_ROOT (the built root\'s root.json) is not set: test/run-all.ts sets it');
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as RootImage;
  const t0 = Date.now();
  installRoot(partitionDisk(), info.tar);
  process.stderr.write(`debian root unpacked onto ZFS in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
