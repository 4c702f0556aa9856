/**
 * Debian version comparison, exactly as `dpkg --compare-versions`: epoch,
 * upstream version and revision, compared with dpkg's ordering (`~` before
 * everything, even the end; letters before other characters; digit runs as
 * numbers). Written in TypeScript: a call into the addon costs more than the
 * comparison itself.
 * @module
 */
import { PkgdbError } from './errors.js';

/** A parsed Debian version. */
export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const cache = new Map<string, DebVersion>();

function invalid(version: string, why: string): PkgdbError {
  return new PkgdbError({ code: 'INVALID_VERSION', message: `version '${version}' has bad syntax: ${why}` });
}

/**
 * Parses a version the way dpkg does; throws INVALID_VERSION for what dpkg
 * rejects (empty, embedded spaces, a bad epoch, nothing after the colon, an
 * empty revision). Like dpkg, a version that does not start with a digit or
 * has odd characters is only warned about by dpkg, so it is accepted here.
 */
export function parseDebVersion(version: string): DebVersion {
  const hit = cache.get(version);
  if (hit) return hit;
  // dpkg parses C strings: a NUL ends the version there.
  const nul = version.indexOf('\0');
  const s = (nul < 0 ? version : version.slice(0, nul)).trim();
  if (s.length === 0) throw invalid(version, 'version string is empty');
  if (/\s/.test(s)) throw invalid(version, 'version string has embedded spaces');
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (e.length === 0) throw invalid(version, 'epoch in version is empty');
    if (!/^\d+$/.test(e)) throw invalid(version, 'epoch in version is not number');
    epoch = Number(e);
    if (epoch > 2147483647) throw invalid(version, 'epoch in version is too big');
    rest = s.slice(colon + 1);
    if (rest.length === 0) throw invalid(version, 'nothing after colon in version number');
  }
  let upstream = rest;
  let revision = '';
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    upstream = rest.slice(0, dash);
    revision = rest.slice(dash + 1);
    if (revision.length === 0) throw invalid(version, 'revision number is empty');
  }
  if (upstream.length === 0) throw invalid(version, 'version number is empty');
  const v = { epoch, upstream, revision };
  if (cache.size > 100_000) cache.clear();
  cache.set(version, v);
  return v;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

// dpkg's order(): digits and the end 0, '~' below everything, letters as
// themselves, anything else after all letters.
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isLetter(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < a.length && a.charCodeAt(i) === 48) i++;
    while (j < b.length && b.charCodeAt(j) === 48) j++;
    while (i < a.length && j < b.length && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/**
 * -1, 0 or 1 as `a` is older than, the same as, or newer than `b`, exactly
 * as `dpkg --compare-versions` orders them (the empty string and
 * `<unknown>`, "no version", below all).
 * @throws {@link PkgdbError} `INVALID_VERSION` for a version dpkg rejects.
 */
export function compareDebVersions(a: string, b: string): -1 | 0 | 1 {
  // dpkg --compare-versions takes "" and "<unknown>" as "no version", below every version.
  const noneA = a === '' || a === '<unknown>';
  const noneB = b === '' || b === '<unknown>';
  if (noneA || noneB) return noneA === noneB ? 0 : noneA ? -1 : 1;
  const va = parseDebVersion(a);
  const vb = parseDebVersion(b);
  const r = va.epoch !== vb.epoch ? va.epoch - vb.epoch : verrevcmp(va.upstream, vb.upstream) || verrevcmp(va.revision, vb.revision);
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}
