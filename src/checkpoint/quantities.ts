/**
 * Sizes and ages as an admin writes them, in the CLI's options and the config
 * file alike: `10G`, `512M`, `1.5T`; `30d`, `12h`, `2w`.
 * @module
 */

/** A size as zcp takes one (10G, 512M, 1.5T, 2KiB, or bytes), in bytes; undefined when it is not one. */
export function sizeBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) return undefined;
  const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * scale);
}

/** An age as zcp takes one (30d, 12h, 2w, or a bare number of days), in days; undefined when it is not one. */
export function ageDays(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([hdw]?)$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { '': 1, h: 1 / 24, d: 1, w: 7 }[m[2]!.toLowerCase() as '' | 'h' | 'd' | 'w'];
}
