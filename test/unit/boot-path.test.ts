// How a machine boots, read from its kernel command line as Debian's
// initramfs-tools and dracut read it, and what `zcp activate` tells from it.
import { describe, expect, it } from 'vitest';
import { activationEffect, bootPathOf } from '../../src/checkpoint/boot-path.js';

describe('boot path', () => {
  it("takes root=zfs:AUTO, root=zfs, root=zfs: and rpool= alone as booting the pool's bootfs", () => {
    for (const cmdline of ['BOOT_IMAGE=/vmlinuz root=zfs:AUTO boot=zfs ro', 'root=zfs boot=zfs', 'root=zfs: quiet', 'boot=zfs rpool=tank']) {
      const p = bootPathOf(cmdline);
      expect(p.kind, cmdline).toBe('bootfs');
      expect(activationEffect(p, 'tank/ROOT/new')).toEqual({ takesEffect: true });
    }
  });

  it('takes root=ZFS=, root=zfs:DATASET and bootfs= as a fixed dataset that bootfs does not change, GRUB named when its config does it', () => {
    const cases: [string, string][] = [
      ['root=ZFS=rpool/ROOT/debian ro', 'rpool/ROOT/debian'],
      ['root=zfs:rpool/ROOT/debian', 'rpool/ROOT/debian'],
      ['root=zfs:FILESYSTEM=rpool/ROOT/debian', 'rpool/ROOT/debian'],
      ['root=zfs:AUTO bootfs=rpool/ROOT/pinned', 'rpool/ROOT/pinned'], // initramfs-tools reads bootfs= first
      ['root=zfs:root+pool/data+set', 'root pool/data set'],
      ['"root=ZFS=rpool/ROOT/debian"', 'rpool/ROOT/debian'],
    ];
    for (const [cmdline, dataset] of cases) {
      const p = bootPathOf(cmdline);
      expect(p, cmdline).toMatchObject({ kind: 'fixed', dataset });
      expect(activationEffect(p, dataset)).toEqual({ takesEffect: true });
      const other = activationEffect(p, 'rpool/ROOT/upgrade-7');
      expect(other.takesEffect).toBe(false);
      expect(other.advice).toContain('root=zfs:AUTO');
    }
    const grub = bootPathOf('root=ZFS=rpool/ROOT/debian', { grubConfig: "linux /vmlinuz root=ZFS=rpool/ROOT/debian ro\n" });
    expect(grub.loader).toBe('grub');
    expect(activationEffect(grub, 'rpool/ROOT/b').advice).toMatch(/GRUB_CMDLINE_LINUX.*update-grub/);
  });

  it('takes a ZFSBootMenu mark over the fixed root= it hands the kernel', () => {
    expect(bootPathOf('root=zfs:rpool/ROOT/debian zbm.timeout=5').kind).toBe('zfsbootmenu');
    const p = bootPathOf('root=zfs:rpool/ROOT/debian', { zbmProperty: true });
    expect(p.kind).toBe('zfsbootmenu');
    expect(activationEffect(p, 'rpool/ROOT/other')).toEqual({ takesEffect: true });
  });

  it('says it cannot tell for a root that is not ZFS or not given', () => {
    expect(bootPathOf('root=/dev/sda1 ro')).toMatchObject({ kind: 'unknown', evidence: 'kernel command line: root=/dev/sda1 (not a ZFS root)' });
    expect(bootPathOf('quiet')).toMatchObject({ kind: 'unknown' });
    expect(activationEffect(bootPathOf('quiet'), 'a/b')).toEqual({ takesEffect: null });
  });
});
