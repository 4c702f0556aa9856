// Run in the guest harness (test/guest) before the boots: the real root onto
// the disk, laid out as test/debian/layout.ts lays it out (bootfs
// ROOT/debian), the test's init and the host's hostid in it (an installed
// system and its initramfs agree on the hostid), then the pool exported so
// that the stock initramfs imports it as it would after a clean shutdown.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { ALTROOT, POOL, installRoot, partitionDisk } from '../debian/layout.js';
import type { RootImage } from '../debian/root-image.js';
import { TEST_INIT } from './boot.js';

const info = JSON.parse(readFileSync(process.env.ZCP_DEBIAN_ROOT!, 'utf8')) as RootImage;
installRoot(partitionDisk(), info.tar);
writeFileSync(`${ALTROOT}/sbin/zcp-test-init`, TEST_INIT, { mode: 0o755 });
copyFileSync('/etc/hostid', `${ALTROOT}/etc/hostid`);
execFileSync('zpool', ['export', POOL], { stdio: 'inherit' });
