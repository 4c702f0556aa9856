// The altroot arithmetic of src/zfs/mountpoint.ts (the guest test clones under a real `zpool import -R`).
import { describe, expect, it } from 'vitest';
import { garbled, withoutAltroot } from '../../src/zfs/mountpoint.js';

describe('mountpoints under an alternate root', () => {
  it('strips the altroot exactly once', () => {
    expect(withoutAltroot('/mnt/alt', '/mnt/alt')).toBe('/');
    expect(withoutAltroot('/mnt/alt/var', '/mnt/alt')).toBe('/var');
    // A setting that itself begins like the altroot keeps its own part.
    expect(withoutAltroot('/mnt/alt/mnt/alt', '/mnt/alt')).toBe('/mnt/alt');
    expect(withoutAltroot('/mnt/altx', '/mnt/alt')).toBe('/mnt/altx');
    expect(withoutAltroot('none', '/mnt/alt')).toBe('none');
    expect(withoutAltroot('/srv', undefined)).toBe('/srv');
  });

  it('knows the kernel garbled a value only when it is longer than any path', () => {
    expect(garbled('/mnt/alt'.repeat(1024))).toBe(true);
    expect(garbled(`/${'a'.repeat(4094)}`)).toBe(false);
  });
});
