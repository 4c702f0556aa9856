/**
 * Runs one command inside a qemu guest with the real OpenZFS kernel module:
 * Debian's kernel under TCG, the host's root shared read-only (9p) under a
 * tmpfs overlay, and a writable job folder for the command, its exit status
 * and its reports. One boot per call: give it a whole test run, not one test.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootKernel, buildInitramfs, findKernel, GuestSetupError } from './boot-files.js';

export interface GuestPool {
  name: string;
  /** As truncate(1) takes it: '1G', '256M'. The file is sparse, in guest RAM (tmpfs). */
  size: string;
}

export interface GuestOptions {
  /** argv of the command; run with sh from `cwd`. */
  command: string[];
  /** Working directory (a host path: the guest sees the host's tree). Default: process.cwd(). */
  cwd?: string;
  /** Extra environment; the guest starts from a clean one (PATH, HOME, ZCP_GUEST=1, CI). */
  env?: Record<string, string>;
  /** File-backed pools created before the command runs, mounted at /NAME. */
  pools?: GuestPool[];
  /** Host files attached as virtio disks (/dev/vda, /dev/vdb, ... in the guest, after `modprobe virtio_blk`): they outlive the guest, for tests across boots. */
  disks?: string[];
  /** Load zfs.ko before the command (default true). */
  loadZfs?: boolean;
  /** Kill the guest after this long (default 20 minutes). */
  timeoutMs?: number;
  memoryMb?: number;
  /** Emulated CPUs (default: guestCpus()). */
  cpus?: number;
  /** Where the command's output goes (default: this process's stdout). */
  onOutput?: (chunk: Buffer) => void;
}

export interface GuestResult {
  /** The command's exit status; 125 when the guest set-up (zfs.ko, pools) failed; null when no status came back. */
  exitCode: number | null;
  timedOut: boolean;
  /** The writable share: the command can leave files here ($ZCP_JOB_DIR in the guest). */
  jobDir: string;
  /** Kernel console of the guest (for boot failures). */
  consoleLog: string;
  /** Seconds from power-on to stage 2, and for modprobe zfs, as the guest measured them. */
  bootSeconds?: number;
  modprobeSeconds?: number;
  /** Host wall-clock time of the whole run. */
  wallSeconds: number;
  /** Why the run failed, in a sentence a person can act on; undefined when exitCode is 0. */
  failure?: string;
}

/** Where the job share is mounted inside the guest. */
export const GUEST_JOB_DIR = '/run/zcp-job';

const QEMU = 'qemu-system-x86_64';

/**
 * The guest's emulated CPUs: 2, or ZCP_GUEST_CPUS. npm test runs two guests
 * side by side with one each: two guests of two emulated CPUs on this
 * machine's two cores run each 2.4 times slower than alone (a vCPU holding a
 * guest kernel lock is preempted while the other spins on it), two of one
 * CPU each 1.4 times, so the pair does 1.4 times the work of one guest.
 */
export function guestCpus(): number {
  const n = Number(process.env.ZCP_GUEST_CPUS ?? 2);
  return Number.isInteger(n) && n >= 1 ? n : 2;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

export async function runInGuest(opts: GuestOptions): Promise<GuestResult> {
  const started = Date.now();
  const kernel = findKernel();
  const vmlinux = bootKernel(kernel);
  const initrd = buildInitramfs(kernel.version);

  mkdirSync(join(tmpdir(), 'zcp-guest'), { recursive: true });
  const jobDir = mkdtempSync(join(tmpdir(), 'zcp-guest', 'job-'));
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    ZCP_GUEST: '1',
    ZCP_JOB_DIR: GUEST_JOB_DIR,
    ...(process.env.CI ? { CI: process.env.CI } : {}),
    ...opts.env,
  };
  const script = [
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `cd ${shellQuote(opts.cwd ?? process.cwd())} || { echo "zcp-guest: cannot enter the working directory in the guest"; exit 125; }`,
    `exec ${opts.command.map(shellQuote).join(' ')}`,
  ].join('\n');
  writeFileSync(join(jobDir, 'command.sh'), `${script}\n`);
  writeFileSync(join(jobDir, 'load-zfs'), opts.loadZfs === false ? '' : '1\n');
  writeFileSync(join(jobDir, 'pools'), (opts.pools ?? []).map((p) => `${p.name} ${p.size}\n`).join(''));

  const consolePath = join(jobDir, 'console.log');
  const args = [
    '-accel', 'tcg', '-cpu', 'max',
    '-m', String(opts.memoryMb ?? 4096), '-smp', String(opts.cpus ?? guestCpus()),
    '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none', '-no-reboot',
    '-kernel', vmlinux, '-initrd', initrd,
    '-append', 'console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off rdinit=/init',
    '-serial', `file:${consolePath}`,
    '-chardev', 'stdio,id=out,signal=off', '-serial', 'chardev:out',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${jobDir},mount_tag=job,security_model=none,multidevs=remap`,
    ...(opts.disks ?? []).flatMap((d) => ['-drive', `file=${d},format=raw,if=virtio,cache=writeback`]),
  ];

  const child = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const onOutput = opts.onOutput ?? ((c: Buffer) => process.stdout.write(c));
  let qemuErr = '';
  let lastOutput = '';
  child.stdout.on('data', (c: Buffer) => {
    lastOutput = (lastOutput + c.toString()).slice(-4096);
    onOutput(c);
  });
  child.stderr.on('data', (c: Buffer) => (qemuErr += c.toString()));

  const timeoutMs = opts.timeoutMs ?? 20 * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const qemuExit = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new GuestSetupError(`cannot start ${QEMU}: ${e.message}; run: sudo bash scripts/setup.sh`)));
    child.on('close', (code) => resolve(code));
  }).finally(() => clearTimeout(timer));

  const read = (f: string): string | undefined => (existsSync(join(jobDir, f)) ? readFileSync(join(jobDir, f), 'utf8').trim() : undefined);
  const consoleLog = read('console.log') ?? '';
  const status = read('status');
  const exitCode = status !== undefined && /^\d+$/.test(status) ? Number(status) : null;
  const bootSeconds = read('boot-seconds');
  const modprobe = read('modprobe-seconds')?.split(' ').map(Number);

  let failure: string | undefined;
  if (timedOut) {
    failure = `the guest was killed after ${Math.round(timeoutMs / 1000)} s (time limit): the command hung or the guest did not boot. Last console lines:\n${tail(consoleLog, 15)}`;
  } else if (exitCode === null) {
    failure =
      `the guest gave no exit status (qemu exit ${qemuExit}): it failed to boot or crashed.` +
      `${qemuErr ? `\nqemu: ${qemuErr.trim()}` : ''}\nLast console lines:\n${tail(consoleLog, 25)}`;
  } else if (exitCode === 125) {
    const said = lastOutput.split('\n').filter((l) => l.startsWith('zcp-guest:')).pop();
    failure = `guest set-up failed: ${said ?? '(no message)'}. Last console lines:\n${tail(consoleLog, 10)}`;
  } else if (exitCode !== 0) {
    failure = `the command exited with status ${exitCode} in the guest`;
  }
  return {
    exitCode,
    timedOut,
    jobDir,
    consoleLog,
    ...(bootSeconds ? { bootSeconds: Number(bootSeconds) } : {}),
    ...(modprobe && modprobe.length === 2 ? { modprobeSeconds: (modprobe[1] as number) - (modprobe[0] as number) } : {}),
    wallSeconds: (Date.now() - started) / 1000,
    ...(failure ? { failure } : {}),
  };
}
