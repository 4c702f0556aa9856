import { defineConfig } from 'vitest/config';

// Six projects: `unit` runs on the host (no ZFS needed, also under Node 24);
// `harness` boots the guest from the host to test the harness itself;
// `zfs` runs inside the qemu guest with the real kernel module (test/run-all.ts
// boots it once for the whole project); `debian` too, in a boot of its own,
// on a real Debian root; `boot` then boots that root's disk four times;
// `package` builds and checks the Debian package on the host.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          // Host tests that boot the guest: the harness's own behaviour.
          name: 'harness',
          // ... and the power cut, which needs two boots of the guest around one pool.
          include: ['test/harness/**/*.test.ts', 'test/power-cut/**/*.test.ts'],
          testTimeout: 6 * 60_000,
        },
      },
      {
        test: {
          // The Debian package (npm run deb), built and checked on the host.
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          // On the host too: four boots of the real root by Debian's own
          // initramfs, on the disk the `debian` project leaves (run after it).
          name: 'boot',
          include: ['test/boot/**/*.test.ts'],
          testTimeout: 20 * 60_000,
        },
      },
      {
        test: {
          name: 'zfs',
          include: ['test/zfs/**/*.test.ts'],
          globalSetup: ['test/zfs/global-setup.ts'],
          // The pools are shared and the guest has two emulated cores: one
          // worker process, files one after another (and one Node start-up).
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // A real Debian 12 root (test/debian/root-image.ts, built on the
          // host) on ZFS in the guest, in its own boot: one system, so the
          // scenarios run one after another on it.
          name: 'debian',
          include: ['test/debian/**/*.test.ts'],
          globalSetup: ['test/debian/global-setup.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          sequence: { concurrent: false },
          testTimeout: 15 * 60_000,
          hookTimeout: 10 * 60_000,
        },
      },
    ],
  },
});
