// The mount table parser against the kernel's own table, read by findmnt (util-linux) as the oracle,
// and the escapes mountinfo uses for blanks, tabs, newlines and backslashes.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mountTable, parseMountInfo } from '../../src/fs/mount-table.js';

describe('mount table', () => {
  it('reads the same mounts as findmnt, in the same order', () => {
    // findmnt -r escapes as \xNN; mountinfo as octal: both decoded to the real path.
    const oracle = execFileSync('findmnt', ['-rn', '-o', 'TARGET,FSTYPE'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map((f) => f.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))));
    const ours = mountTable().map((m): [string, string] => [m.mountpoint, m.fstype]);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.map(([m]) => m).sort()).toEqual(oracle.map(([m]) => m).sort());
    expect(new Map(ours)).toEqual(new Map(oracle as [string, string][]));
  });

  it('decodes the octal escapes and keeps the order of the mounts', () => {
    const text = [
      '22 1 0:21 / / rw,relatime shared:1 - zfs rpool/ROOT/debian rw,xattr',
      '40 22 0:40 / /tmp/zcp-be-a\\040b rw shared:2 - zfs rpool/upgrade-7 rw',
      '41 40 0:5 / /tmp/zcp-be-a\\040b/proc rw - proc proc rw',
      '42 40 0:6 / /tmp/zcp-be-a\\040b/back\\134slash\\011tab rw master:3 - devtmpfs udev rw',
      'not a mountinfo line',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountpoint: '/', fstype: 'zfs', source: 'rpool/ROOT/debian' },
      { mountpoint: '/tmp/zcp-be-a b', fstype: 'zfs', source: 'rpool/upgrade-7' },
      { mountpoint: '/tmp/zcp-be-a b/proc', fstype: 'proc', source: 'proc' },
      { mountpoint: '/tmp/zcp-be-a b/back\\slash\ttab', fstype: 'devtmpfs', source: 'udev' },
    ]);
  });
});
