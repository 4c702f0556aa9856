// Values split over user properties (zfs/stored-values.ts) and the checkpoint
// metadata built on them, on the host: chunks by UTF-8 bytes, joined back
// exactly; a rewritten value never picks up an older one's tail; one formula
// for the space a write needs.
import { describe, expect, it } from 'vitest';
import { decodeMeta, encodeMeta, isCheckpointName, type CheckpointMeta } from '../../src/checkpoint/metadata.js';
import { VALUE_CHUNK, WRITE_HEADROOM, joinValue, splitBytes, splitValue, valueKeys, writeSpace } from '../../src/zfs/stored-values.js';

const bytes = (s: string) => Buffer.byteLength(s);

describe('values over user properties', () => {
  it('splits by UTF-8 bytes on character boundaries and joins back exactly', () => {
    const cyrillic = 'Ж'.repeat(4400); // 8,800 bytes, 4,400 UTF-16 units
    const parts = splitBytes(cyrillic);
    expect(parts.length).toBe(2);
    for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(VALUE_CHUNK);
    expect(parts.join('')).toBe(cyrillic);
    const emoji = '😀'.repeat(3000); // 4 bytes each, two UTF-16 units
    const props = splitValue('zcp:title', emoji);
    expect(Object.keys(props)).toEqual(['zcp:title', 'zcp:title.1']);
    expect(joinValue(props, 'zcp:title')).toBe(emoji);
    expect(joinValue({}, 'zcp:title')).toBeUndefined();
    expect(joinValue(splitValue('k', ''), 'k')).toBe('');
  });

  it('a rewritable value ends with an empty chunk: a shorter one written over a longer one reads back as itself', () => {
    const long = 'x'.repeat(3 * VALUE_CHUNK);
    const stored = { ...splitValue('zcp:h:1', long, { rewritable: true }) };
    expect(Object.keys(stored)).toEqual(['zcp:h:1', 'zcp:h:1.1', 'zcp:h:1.2', 'zcp:h:1.3']);
    Object.assign(stored, splitValue('zcp:h:1', 'short', { rewritable: true }));
    expect(joinValue(stored, 'zcp:h:1')).toBe('short');
    // Without the end mark the old tail would be read back too: the bug this prevents.
    const unmarked = { ...splitValue('k', long) };
    Object.assign(unmarked, splitValue('k', 'short'));
    expect(joinValue(unmarked, 'k')).not.toBe('short');
    // Cleared by its first chunk alone (the journal's clear writes one property): the stale tail is not read.
    expect(joinValue({ ...splitValue('zcp:h:1', long, { rewritable: true }), 'zcp:h:1': '' }, 'zcp:h:1')).toBe('');
    expect(valueKeys('k', 3)).toEqual(['k', 'k.1', 'k.2', 'k.3']);
  });

  it('the space a write needs: twice the names and values plus a block each, on every copy, and the headroom', () => {
    expect(writeSpace({})).toBe(WRITE_HEADROOM);
    expect(writeSpace({ 'zcp:a': 'é' })).toBe(WRITE_HEADROOM + 2 * (5 + 2) + 512);
    expect(writeSpace({ 'zcp:a': 'é' }, 3)).toBe(WRITE_HEADROOM + 3 * (2 * (5 + 2) + 512));
  });
});

describe('checkpoint metadata', () => {
  const meta: CheckpointMeta = {
    tid: 42,
    kind: 'apt',
    state: 'complete',
    title: `upgrade ${'ü'.repeat(5000)} "quoted" %s`,
    command: ['apt-get', 'install', 'a b', "it's"],
    important: true,
    datasets: ['rpool/ROOT/debian', 'rpool/ROOT/debian/var'],
    system: '1234567890123456789',
    version: '0.1.0',
  };

  it('encodes into zcp: properties each under the value limit and decodes back the same', () => {
    const props = encodeMeta(meta);
    for (const [k, v] of Object.entries(props)) {
      expect(k.startsWith('zcp:')).toBe(true);
      expect(bytes(v)).toBeLessThanOrEqual(VALUE_CHUNK);
    }
    expect(props['zcp:title.1']).toBeDefined();
    expect(decodeMeta(props)).toEqual(meta);
  });

  it('is not a checkpoint without a positive integer TID; unknown kinds and bad JSON fall back, never throw', () => {
    const props = encodeMeta(meta);
    for (const tid of ['0', '-1', '1.5', 'x', '99999999999999999999']) expect(decodeMeta({ ...props, 'zcp:tid': tid })).toBeUndefined();
    const odd = decodeMeta({ ...props, 'zcp:kind': 'evil', 'zcp:datasets': '[not json', 'zcp:command': '{' });
    expect(odd).toMatchObject({ kind: 'manual', datasets: [] });
    expect(odd!.command).toBeUndefined();
  });

  it('a checkpoint\'s name is zcp-N, N of 1 to 15 digits without a leading zero: the same rule as the channel programs\'', () => {
    for (const ok of ['zcp-1', 'zcp-42', `zcp-${'9'.repeat(15)}`]) expect(isCheckpointName(ok), ok).toBe(true);
    for (const no of ['zcp-0', 'zcp-01', `zcp-1${'0'.repeat(15)}`, 'zcp-', 'zcp-1a', 'xzcp-1', 'zcp-1\n', 'ZCP-1']) expect(isCheckpointName(no), no).toBe(false);
  });

  it('refuses a field of more than 256 KiB', () => {
    expect(() => encodeMeta({ ...meta, title: 'x'.repeat(256 * 1024 + 1) })).toThrow(expect.objectContaining({ code: 'METADATA_TOO_LARGE' }));
  });
});
