/**
 * Booting the real Debian root on ZFS the way a Debian machine boots it:
 * Debian's kernel, an initramfs made by Debian's own initramfs-tools with
 * zfs-initramfs (its stock `zfs` script imports the pool and mounts the
 * pool's `bootfs` at `/`, with the file systems below it), and then the
 * root's own `/sbin/zcp-test-init` as PID 1. The disk is a host file, so the
 * pool outlives each boot. The guest harness's own initramfs (test/guest) is
 * not used here: what boots is what a real install would boot.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootKernel, dropStale, findKernel, GuestSetupError, hashOf, projectRoot } from '../guest/boot-files.js';
import { guestCpus } from '../guest/run.js';

const cacheDir = join(projectRoot, '.cache', 'boot');

/** Modules the initramfs loads at boot: the disk, and 9p for the test's shares (the minbase root has no kernel modules of its own). zfs comes from zfs-initramfs's hook. */
const INITRAMFS_MODULES = ['virtio_pci', 'virtio_blk', '9pnet_virtio', '9p'];

/**
 * The test's step in the booted root, installed as /sbin/zcp-test-init: PID 1
 * for the boots that only ask which dataset the stock initramfs mounted at
 * `/` (systemd's start-up under the emulator costs more and proves nothing
 * there), and run by systemd (TEST_UNIT) in the boot that needs systemd
 * itself (the prune timer's service, the journal). It mounts the host's root
 * (read-only, for node and the project) and the job folder over 9p, runs the
 * job's step.sh, keeps its status, and powers off.
 */
export const TEST_INIT = `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mountpoint -q /run || mount -t tmpfs -o mode=0755 run /run
mkdir -p /dev/pts /run/host /run/job
mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /run/host
mount -t 9p -o trans=virtio,version=9p2000.L job /run/job
step=$(sed -n 's/.*zcp\\.step=\\([a-z0-9]*\\).*/\\1/p' /proc/cmdline)
sh /run/job/step.sh "$step" > "/run/job/$step.log" 2>&1
echo $? > "/run/job/$step.status"
sync
echo o > /proc/sysrq-trigger
sleep 60
`;

/** The unit that runs TEST_INIT when systemd is PID 1: once the system is up (multi-user), like any service an admin adds. */
export const TEST_UNIT = `[Unit]
Description=zcp test step (test/boot)
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/sbin/zcp-test-init

[Install]
WantedBy=multi-user.target
`;

/**
 * systemd's boot arguments: quiet but for errors, and no getty on the serial
 * console (without udev, which the root lacks, systemd would wait 90 s for
 * the ttyS0 device before giving up on it).
 */
const SYSTEMD_ARGS = 'systemd.show_status=error systemd.mask=serial-getty@ttyS0.service';

const packageVersion = (p: string) => execFileSync('dpkg-query', ['-W', '-f', '${Version}', p], { encoding: 'utf8' }).trim();

/**
 * Debian's initramfs for `kernelVersion` with zfs-initramfs: mkinitramfs
 * with a copy of the host's /etc/initramfs-tools (its hooks and scripts
 * as they are), only the modules listed above plus zfs (MODULES=list keeps
 * it small: it is unpacked under emulation at every boot). Cached by the
 * kernel, the packages that make it and this configuration.
 */
export function zfsInitramfs(kernelVersion: string): string {
  if (!existsSync('/usr/share/initramfs-tools/hooks/zfs')) throw new GuestSetupError('zfs-initramfs is not installed; run: sudo bash scripts/setup.sh');
  const key = hashOf(kernelVersion, packageVersion('initramfs-tools'), packageVersion('zfs-initramfs'), packageVersion('zfsutils-linux'), INITRAMFS_MODULES.join(','), readFileSync('/etc/hostid', 'latin1'));
  const out = join(cacheDir, `initrd-${kernelVersion}-${key}.img`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir, { recursive: true });
  const conf = mkdtempSync(join(tmpdir(), 'zcp-initramfs-conf-'));
  try {
    cpSync('/etc/initramfs-tools', conf, { recursive: true });
    writeFileSync(join(conf, 'modules'), `${INITRAMFS_MODULES.join('\n')}\n`);
    const confFile = join(conf, 'initramfs.conf');
    writeFileSync(confFile, `${readFileSync(confFile, 'utf8').replace(/^MODULES=.*$/m, 'MODULES=list')}\n`);
    execFileSync('mkinitramfs', ['-d', conf, '-o', `${out}.tmp`, kernelVersion], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(`${out}.tmp`, out);
    dropStale(`initrd-${kernelVersion}-`, out);
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
  return out;
}

export interface BootResult {
  /** The step's exit status (null: none came back, the boot failed). */
  status: number | null;
  /** What the step wrote: STEP.json in the job folder. */
  report?: Record<string, unknown>;
  /** The step's output and the guest's console, for a failure message. */
  log: string;
  console: string;
  seconds: number;
}

/**
 * One boot of `disk`: the stock initramfs with `root=zfs:AUTO boot=zfs`,
 * then `/sbin/zcp-test-init` (as PID 1, or from systemd with `systemd`),
 * which runs `stepScript` (a host path, run with the host's node from the
 * booted root) with the step's name.
 */
export async function bootStep(disk: string, jobDir: string, stepScript: string, step: string, { timeoutMs = 12 * 60_000, systemd = false } = {}): Promise<BootResult> {
  const started = Date.now();
  const kernel = findKernel();
  const vmlinux = bootKernel(kernel);
  const initrd = zfsInitramfs(kernel.version);
  writeFileSync(join(jobDir, 'step.sh'), `exec /run/host/usr/bin/node '/run/host${stepScript.replace(/'/g, `'\\''`)}' "$1"\n`);
  const consolePath = join(jobDir, `${step}.console`);
  const args = [
    '-accel', 'tcg', '-cpu', 'max', '-m', '4096', '-smp', String(guestCpus()),
    '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none', '-no-reboot',
    '-kernel', vmlinux, '-initrd', initrd,
    // With systemd: the root's own /sbin/init (systemd), which starts TEST_UNIT once the system is up.
    '-append', `console=ttyS0 loglevel=4 panic=-1 mitigations=off root=zfs:AUTO boot=zfs ${systemd ? SYSTEMD_ARGS : 'init=/sbin/zcp-test-init'} zcp.step=${step}`,
    '-serial', `file:${consolePath}`,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${jobDir},mount_tag=job,security_model=none,multidevs=remap`,
    '-drive', `file=${disk},format=raw,if=virtio,cache=writeback`,
  ];
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let qemuErr = '';
  child.stderr.on('data', (c: Buffer) => (qemuErr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new GuestSetupError(`cannot start qemu: ${e.message}; run: sudo bash scripts/setup.sh`)));
    child.on('close', () => resolve());
  }).finally(() => clearTimeout(timer));
  const read = (f: string) => (existsSync(join(jobDir, f)) ? readFileSync(join(jobDir, f), 'utf8') : undefined);
  const status = read(`${step}.status`)?.trim();
  const report = read(`${step}.json`);
  return {
    status: status !== undefined && /^\d+$/.test(status) ? Number(status) : null,
    ...(report ? { report: JSON.parse(report) as Record<string, unknown> } : {}),
    log: read(`${step}.log`) ?? '',
    console: `${read(`${step}.console`) ?? ''}${qemuErr ? `\nqemu: ${qemuErr}` : ''}`,
    seconds: (Date.now() - started) / 1000,
  };
}
