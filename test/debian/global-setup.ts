// The `debian` project runs in the guest on the real root the host built
// (test/debian/root-image.ts): without ZFS or without it, it fails loudly.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { zfs } from '../../src/index.js';
import { TEST_INIT, TEST_UNIT } from '../boot/boot.js';
import { ALTROOT, POOL, installRoot, partitionDisk } from './layout.js';
import type { RootImage } from './root-image.js';

export default async function setup(): Promise<() => void> {
  if (process.env.ZCP_GUEST !== '1') throw new Error('the debian tests run inside the qemu guest: use `npm test` (test/run-all.ts builds the root and boots it)');
  const status = await zfs.available();
  if (!status.ok) throw new Error(`ZFS is not usable in the guest: ${status.reason}`);
  const infoFile = process.env.ZCP_DEBIAN_ROOT;
  if (!infoFile) throw new Error('ZCP_DEBIAN_ROOT (the built root\'s root.json) is not set: test/run-all.ts sets it');
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as RootImage;
  const t0 = Date.now();
  installRoot(partitionDisk(), info.tar);
  // The root is also the one test/boot boots afterwards from this same disk:
  // its PID 1 for the test (or its unit, enabled, when systemd boots), and
  // the hostid its initramfs will agree with (as on an installed system).
  // All are there before any checkpoint, so every boot environment has them.
  writeFileSync(`${ALTROOT}/sbin/zcp-test-init`, TEST_INIT, { mode: 0o755 });
  writeFileSync(`${ALTROOT}/etc/systemd/system/zcp-test.service`, TEST_UNIT);
  mkdirSync(`${ALTROOT}/etc/systemd/system/multi-user.target.wants`, { recursive: true });
  symlinkSync('/etc/systemd/system/zcp-test.service', `${ALTROOT}/etc/systemd/system/multi-user.target.wants/zcp-test.service`);
  copyFileSync('/etc/hostid', `${ALTROOT}/etc/hostid`);
  process.stderr.write(`debian root unpacked onto ZFS in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  // Exported at the end, as after a clean shutdown, so the stock initramfs imports it at the next boot.
  return () => {
    execFileSync('zpool', ['export', POOL], { stdio: 'inherit' });
  };
}
