import { summarize } from '../src/bench/latency.js';

/** Summary statistics of a list of timings in milliseconds. */
export interface Stats {
  n: number;
  min: number;
  median: number;
  p95: number;
}

export function stats(ms: readonly number[]): Stats {
  return { n: ms.length, ...summarize(ms) };
}

export function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}
