// npm test splits the guest's `zfs` project into shards (test/zfs/shards.ts)
// that run in boots of their own: a test file in no shard would silently
// never run, one in two would run twice.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZFS_SHARDS } from '../zfs/shards.js';

describe('zfs project shards', () => {
  it('hold every zfs test file exactly once', () => {
    const files = readdirSync(new URL('../zfs/', import.meta.url)).filter((f) => f.endsWith('.test.ts')).map((f) => `test/zfs/${f}`).sort();
    const sharded = ZFS_SHARDS.flat();
    expect([...sharded].sort()).toEqual(files);
    expect(new Set(sharded).size).toBe(sharded.length);
    for (const shard of ZFS_SHARDS) expect(shard.length).toBeGreaterThan(0);
  });
});
