/**
 * RPM version comparison: rpmvercmp (alphanumeric segments, `~` before
 * everything, `^` after the base version but before anything else added) and
 * epoch:version-release comparison as rpm's own `rpm.vercmp` does it.
 * @module
 */
import { addon } from '../addon.js';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
const TILDE = 126;
const upToNul = (s: string) => {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
};
const CARET = 94;

/**
 * -1, 0 or 1 as `a` is older than, the same as, or newer than `b`: rpm's
 * rpmvercmp on one version (or one release) string. Runs in the addon: it
 * measured faster than the TypeScript version below even with the N-API call
 * (bench/pkgdb.ts), and it compares bytes, as rpm's C does.
 */
export function compareRpmVersions(a: string, b: string): -1 | 0 | 1 {
  return addon().pkgdb.compareRpmVersions(a, b) as -1 | 0 | 1;
}

/**
 * rpmvercmp in TypeScript: the benchmark's alternative to the native one, held
 * to the same rpm oracle in the tests.
 * @internal
 */
export function compareRpmVersionsTs(a: string, b: string): -1 | 0 | 1 {
  // rpm compares C strings: a NUL ends the version there.
  a = upToNul(a);
  b = upToNul(b);
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    // Separators (anything but letters, digits, ~ and ^) only split segments.
    while (i < a.length && !isAlpha(at(a, i)) && !isDigit(at(a, i)) && at(a, i) !== TILDE && at(a, i) !== CARET) i++;
    while (j < b.length && !isAlpha(at(b, j)) && !isDigit(at(b, j)) && at(b, j) !== TILDE && at(b, j) !== CARET) j++;
    // ~ sorts before everything, even the end.
    if (at(a, i) === TILDE || at(b, j) === TILDE) {
      if (at(a, i) !== TILDE) return 1;
      if (at(b, j) !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // ^ sorts after the end (the base version) but before anything else.
    if (at(a, i) === CARET || at(b, j) === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (at(a, i) !== CARET) return 1;
      if (at(b, j) !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const numeric = isDigit(at(a, i));
    const inSegment = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && inSegment(at(a, ei))) ei++;
    while (ej < b.length && inSegment(at(b, ej))) ej++;
    // A numeric segment is newer than an alphabetic one.
    if (ej === j) return numeric ? 1 : -1;
    // Compared in place (no substrings: this runs for every pair of a diff).
    let si = i;
    let sj = j;
    if (numeric) {
      while (si < ei && at(a, si) === 48) si++;
      while (sj < ej && at(b, sj) === 48) sj++;
      if (ei - si !== ej - sj) return ei - si > ej - sj ? 1 : -1;
    }
    for (; si < ei && sj < ej; si++, sj++) {
      const d = at(a, si) - at(b, sj);
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    if (si < ei || sj < ej) return si < ei ? 1 : -1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** An RPM epoch, version and release. */
export interface RpmEVR {
  epoch?: number | string | undefined;
  version: string;
  release?: string | undefined;
}

/** Splits `[epoch:]version[-release]` as rpm does (the release after the last `-`). */
export function parseRpmEVR(evr: string): RpmEVR {
  let rest = evr;
  let epoch: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0 && /^\d*$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest };
}

/**
 * Compares epoch:version-release as `rpm.vercmp` does: a missing epoch is 0,
 * then versions, then releases (a missing release is the empty one), each
 * with rpmvercmp.
 */
export function compareRpmEVR(a: string | RpmEVR, b: string | RpmEVR): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseRpmEVR(a) : a;
  const y = typeof b === 'string' ? parseRpmEVR(b) : b;
  const ex = x.epoch === undefined || x.epoch === '' ? '0' : String(x.epoch);
  const ey = y.epoch === undefined || y.epoch === '' ? '0' : String(y.epoch);
  return compareRpmVersions(ex, ey) || compareRpmVersions(x.version, y.version) || compareRpmVersions(x.release ?? '', y.release ?? '');
}
