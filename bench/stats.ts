/** Summary statistics of a list of timings in milliseconds. */
export interface Stats {
  n: number;
  min: number;
  median: number;
  p95: number;
}

export function stats(ms: readonly number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
  return { n: s.length, min: s[0] as number, median: at(0.5), p95: at(0.95) };
}

export function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}
