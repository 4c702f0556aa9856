/**
 * What the guest boots: the newest Debian kernel under /boot that has zfs.ko,
 * as an uncompressed PVH vmlinux when it can be cut out of the bzImage (saves
 * seconds of decompression per boot), and a tiny busybox initramfs. Both are
 * cached under .cache/guest, keyed by kernel version and content hash, so a
 * new kernel or a changed init script rebuilds them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const projectRoot = join(here, '..', '..');
export const cacheDir = join(projectRoot, '.cache', 'guest');

/** Loaded in this order in stage 1 (modprobe --show-depends adds what they need). */
const STAGE1_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

export class GuestSetupError extends Error {}

function versionCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** insmod paths, dependencies first, for a module of kernel `kver` (empty if built in). */
function moduleChain(kver: string, module: string): string[] {
  let text: string;
  try {
    text = execFileSync('modprobe', ['-S', kver, '--show-depends', module], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new GuestSetupError(`modprobe -S ${kver} --show-depends ${module} failed (${(e as Error).message.trim()}); has depmod run? (scripts/setup.sh)`);
  }
  return text
    .split('\n')
    .map((l) => /^insmod (\S+)/.exec(l.trim())?.[1])
    .filter((p): p is string => p !== undefined);
}

/** The newest kernel under /boot whose modules include zfs.ko. */
export function findKernel(): { version: string; vmlinuz: string } {
  const versions = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort(versionCompare)
    .reverse();
  for (const version of versions) {
    try {
      if (moduleChain(version, 'zfs').some((p) => /\/zfs\.ko/.test(p))) return { version, vmlinuz: `/boot/vmlinuz-${version}` };
    } catch {
      // no zfs module for this kernel: try the next one
    }
  }
  throw new GuestSetupError(
    `no kernel under /boot has zfs.ko (kernels: ${versions.join(', ') || 'none'}); run: sudo bash scripts/setup.sh`,
  );
}

/** A short content key for a cached build. */
export function hashOf(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
}

/** Removes earlier cached builds of the same kind and kernel (`prefix*`) beside `keep`, keeping it. */
export function dropStale(prefix: string, keep: string): void {
  for (const f of readdirSync(dirname(keep))) {
    const path = join(dirname(keep), f);
    if (f.startsWith(prefix) && path !== keep) rmSync(path, { recursive: true, force: true });
  }
}

function writeAtomic(path: string, data: Buffer): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * The uncompressed vmlinux (an ELF qemu can boot through PVH) cut out of the
 * bzImage's XZ stream, or the bzImage itself when that is not possible.
 */
export function bootKernel(kernel: { version: string; vmlinuz: string }): string {
  const st = statSync(kernel.vmlinuz);
  const cached = join(cacheDir, `vmlinux-${kernel.version}-${hashOf(`${st.size}:${st.mtimeMs}`)}`);
  if (existsSync(cached)) return cached;
  const image = readFileSync(kernel.vmlinuz);
  const at = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) return kernel.vmlinuz;
  let elf: Buffer;
  try {
    elf = execFileSync('xz', ['-dc', '--single-stream'], { input: image.subarray(at), maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return kernel.vmlinuz;
  }
  if (!elf.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return kernel.vmlinuz;
  mkdirSync(cacheDir, { recursive: true });
  writeAtomic(cached, elf);
  dropStale(`vmlinux-${kernel.version}-`, cached);
  return cached;
}

/** The initramfs: busybox, the stage 1 modules (decompressed), init.sh and stage2.sh. */
export function buildInitramfs(kernelVersion: string): string {
  const busybox = '/bin/busybox';
  if (!existsSync(busybox)) throw new GuestSetupError('busybox-static is missing (/bin/busybox); run: sudo bash scripts/setup.sh');
  const modules: string[] = [];
  for (const m of STAGE1_MODULES) for (const p of moduleChain(kernelVersion, m)) if (!modules.includes(p)) modules.push(p);
  const init = readFileSync(join(here, 'init.sh'));
  const stage2 = readFileSync(join(here, 'stage2.sh'));
  const bb = statSync(busybox);
  const key = hashOf(init, stage2, modules.join('\n'), `${bb.size}:${bb.mtimeMs}`);
  const out = join(cacheDir, `initramfs-${kernelVersion}-${key}.cpio.gz`);
  if (existsSync(out)) return out;

  mkdirSync(cacheDir, { recursive: true });
  const stage = mkdtempSync(join(cacheDir, 'initramfs-'));
  try {
    mkdirSync(join(stage, 'bin'));
    mkdirSync(join(stage, 'modules'));
    copyFileSync(busybox, join(stage, 'bin', 'busybox'));
    writeFileSync(join(stage, 'init'), init, { mode: 0o755 });
    writeFileSync(join(stage, 'stage2.sh'), stage2, { mode: 0o755 });
    const order: string[] = [];
    for (const path of modules) {
      // busybox insmod can't read compressed modules: store them plain.
      const base = path.split('/').pop()!.replace(/\.(xz|zst|gz)$/, '');
      const data = path.endsWith('.xz')
        ? execFileSync('xz', ['-dc', path], { maxBuffer: 1 << 28 })
        : path.endsWith('.zst')
          ? execFileSync('zstd', ['-dc', path], { maxBuffer: 1 << 28 })
          : readFileSync(path);
      writeFileSync(join(stage, 'modules', base), data);
      order.push(base);
    }
    writeFileSync(join(stage, 'modules', 'order'), `${order.join('\n')}\n`);
    execFileSync('sh', ['-c', 'chmod 755 bin/busybox && find . | cpio -o -H newc --quiet | gzip -1 > "$0"', `${out}.tmp`], { cwd: stage });
    renameSync(`${out}.tmp`, out);
    dropStale(`initramfs-${kernelVersion}-`, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return out;
}
