/**
 * Values longer than one user property holds, stored over several: `KEY`,
 * `KEY.1`, `KEY.2`, ... each at most {@link VALUE_CHUNK} bytes of UTF-8 (the
 * kernel counts a value's size in bytes, not in UTF-16 units), joined on
 * reading. A value that is rewritten (a history entry, the rollback journal)
 * ends with an empty chunk, so a shorter value never picks up the tail of a
 * longer one written before. And the one formula for the pool space a write
 * of user properties needs.
 * @module
 */

/** A user property value must stay under 8 KiB (ZAP_MAXVALUELEN); chunks stay well under. */
export const VALUE_CHUNK = 7 * 1024;

/** Room a pool must keep beyond the properties written: one that full can't take an upgrade anyway, and a channel program must not write into the pool's slop. */
export const WRITE_HEADROOM = 1024 * 1024;

/** Splits text into parts of at most `max` UTF-8 bytes each, on character boundaries. */
export function splitBytes(value: string, max = VALUE_CHUNK): string[] {
  const out: string[] = [];
  let part = '';
  let size = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch);
    if (size + n > max) {
      out.push(part);
      part = '';
      size = 0;
    }
    part += ch;
    size += n;
  }
  out.push(part);
  return out;
}

/**
 * The properties that store `value` under `key`. With `rewritable`, one more,
 * empty, ends it: chunks a longer earlier value left past it are never read.
 */
export function splitValue(key: string, value: string, options: { rewritable?: boolean } = {}): Record<string, string> {
  const parts = splitBytes(value);
  const out: Record<string, string> = {};
  parts.forEach((part, n) => (out[n === 0 ? key : `${key}.${n}`] = part));
  if (options.rewritable) out[`${key}.${parts.length}`] = '';
  return out;
}

/** The names {@link splitValue} may use for a value of up to `chunks` chunks, to read them in one call. */
export function valueKeys(key: string, chunks: number): string[] {
  return [key, ...Array.from({ length: chunks }, (_, n) => `${key}.${n + 1}`)];
}

/** The value stored under `key` (undefined when there is none): its chunks up to the first missing or empty one. */
export function joinValue(props: Readonly<Record<string, string>>, key: string): string | undefined {
  const first = props[key];
  if (first === undefined) return undefined;
  if (first === '') return ''; // a cleared value: what follows it is stale
  let out = first;
  for (let n = 1; props[`${key}.${n}`]; n++) out += props[`${key}.${n}`];
  return out;
}

/** Bytes of pool space writing `props` on `copies` datasets or snapshots needs, headroom included. */
export function writeSpace(props: Readonly<Record<string, string>>, copies = 1): number {
  let bytes = 0;
  // Twice the names and values (the old and the new ZAP block in one txg), and a block's overhead each.
  for (const [k, v] of Object.entries(props)) bytes += 2 * (Buffer.byteLength(k) + Buffer.byteLength(v)) + 512;
  return WRITE_HEADROOM + bytes * copies;
}
