/**
 * How this machine boots, and so whether `zcp activate` (which sets the
 * pool's `bootfs`) decides what boots next. Read from the running kernel's
 * command line, as the initramfs reads it (Debian's initramfs-tools zfs
 * script and dracut's zfs module take the same forms):
 * `root=zfs:AUTO`, `root=zfs`, `root=zfs:` or `rpool=POOL` alone boot the
 * pool's bootfs; `root=ZFS=pool/ds`, `root=zfs:pool/ds`, `bootfs=pool/ds`
 * name a fixed dataset, which bootfs does not change (GRUB's generated
 * entries are of this kind). ZFSBootMenu picks the pool's bootfs itself and
 * then hands the kernel a fixed root=, so its mark (a `zbm.` argument, or an
 * `org.zfsbootmenu:` property on the boot environments' parent) wins.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as zfs from '../zfs/index.js';

/** The ways of booting zcp tells apart. */
export type BootPathKind =
  /** The initramfs boots the pool's bootfs (`root=zfs:AUTO`). */
  | 'bootfs'
  /** ZFSBootMenu: it boots the pool's bootfs unless told otherwise at its menu. */
  | 'zfsbootmenu'
  /** The kernel command line names the dataset; bootfs is not read. */
  | 'fixed'
  /** Not a ZFS root on the command line, or not the running system: zcp can't tell. */
  | 'unknown';

/** What zcp found about the boot path. */
export interface BootPath {
  kind: BootPathKind;
  /** The dataset a fixed root= names (`pool/ROOT/debian`). */
  dataset?: string;
  /** What it was read from, as a person would check it. */
  evidence: string;
  /** The boot loader whose configuration names the dataset, when zcp recognised one (GRUB). */
  loader?: 'grub';
}

/** The kernel command line's words (quotes as the kernel takes them: "a b" is one word). */
function words(cmdline: string): string[] {
  return [...cmdline.matchAll(/(?:[^\s"]+|"[^"]*")+/g)].map((m) => m[0].replace(/"/g, ''));
}

/**
 * The boot path a kernel command line and what beside it says (`zbmProperty`:
 * an `org.zfsbootmenu:` property is set on the boot environments' parent;
 * `grubConfig`: the text of the system's grub.cfg, when there is one).
 */
export function bootPathOf(cmdline: string, beside: { zbmProperty?: boolean; grubConfig?: string } = {}): BootPath {
  const args = words(cmdline);
  const value = (key: string) => args.filter((a) => a.startsWith(`${key}=`)).map((a) => a.slice(key.length + 1)).pop();
  const root = value('root');
  const loader = beside.grubConfig && /\broot=(ZFS=|zfs:)/.test(beside.grubConfig) ? ({ loader: 'grub' } as const) : {};
  if (args.some((a) => a.startsWith('zbm.')) || beside.zbmProperty) {
    return { kind: 'zfsbootmenu', evidence: args.some((a) => a.startsWith('zbm.')) ? 'a zbm. argument on the kernel command line' : 'an org.zfsbootmenu: property on the boot environments\' parent' };
  }
  // initramfs-tools' order: bootfs= first, then root=.
  const bootfs = value('bootfs');
  if (bootfs) return { kind: 'fixed', dataset: bootfs, evidence: `kernel command line: bootfs=${bootfs}`, ...loader };
  if (root === 'zfs' || root === 'zfs:' || root === 'zfs:AUTO' || (root === undefined && value('rpool'))) {
    return { kind: 'bootfs', evidence: `kernel command line: ${root === undefined ? `rpool=${value('rpool')}` : `root=${root}`}` };
  }
  if (root !== undefined) {
    const m = /^(?:ZFS=|zfs:)(?:FILESYSTEM=)?(.+)$/.exec(root);
    if (m) return { kind: 'fixed', dataset: m[1]!.replace(/\+/g, ' '), evidence: `kernel command line: root=${root}`, ...loader };
  }
  return { kind: 'unknown', evidence: root === undefined ? 'the kernel command line names no root' : `kernel command line: root=${root} (not a ZFS root)` };
}

/** What an activation of `dataset` does at the next boot on this path, and what to do when it does nothing. */
export function activationEffect(path: BootPath, dataset: string): { takesEffect: boolean | null; advice?: string } {
  switch (path.kind) {
    case 'bootfs':
    case 'zfsbootmenu':
      return { takesEffect: true };
    case 'fixed':
      if (path.dataset === dataset) return { takesEffect: true };
      return {
        takesEffect: false,
        advice:
          path.loader === 'grub'
            ? `GRUB's entries boot ${path.dataset}: boot ${dataset} by editing the entry at the GRUB menu (root=ZFS=${dataset}), or make the default boot the pool's bootfs with root=zfs:AUTO in GRUB_CMDLINE_LINUX (/etc/default/grub) and update-grub`
            : `the boot loader passes ${path.evidence.replace('kernel command line: ', '')}: change it to root=ZFS=${dataset}, or to root=zfs:AUTO so the pool's bootfs decides`,
      };
    default:
      return { takesEffect: null };
  }
}

/**
 * The boot path of the system zcp works on: read from this kernel only when
 * that system is the running one (its root is `/`); a system mounted
 * elsewhere (a rescue import, a chroot's target) boots by a command line
 * zcp can't see.
 */
export async function readBootPath(system: { root: string; datasets: readonly string[] }): Promise<BootPath> {
  if (system.root.replace(/\/+$/, '') !== '') {
    return { kind: 'unknown', evidence: `the system at ${system.root} is not the running one: how it boots is not on this kernel's command line` };
  }
  let cmdline = '';
  try {
    cmdline = await readFile('/proc/cmdline', 'utf8');
  } catch {
    return { kind: 'unknown', evidence: 'no /proc/cmdline to read (not Linux?)' };
  }
  const parent = dirname(system.datasets[0]!);
  let zbmProperty = false;
  if (parent !== '.') {
    const props = await zfs.getProps(parent);
    zbmProperty = Object.keys(props).some((k) => k.startsWith('org.zfsbootmenu:'));
  }
  const grubConfig = await readFile('/boot/grub/grub.cfg', 'utf8').catch(() => undefined);
  return bootPathOf(cmdline, { zbmProperty, ...(grubConfig !== undefined ? { grubConfig } : {}) });
}
