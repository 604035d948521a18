import { compareDigits, invalidVersion, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * RPM versions: `[epoch:]version[-release]`, each part compared with rpm's `rpmvercmp` (rpm ≥ 4.15:
 * `~` sorts before everything including the end, `^` after the end but before anything else).
 */
export const id = 'rpm';

interface Evr {
  epoch: string;
  version: string;
  release: string | undefined;
}

// Characters rpm allows in a version or release tag (rpmbuild refuses others).
const PART = /^[A-Za-z0-9._+~^]+$/;
const ALNUM = /[A-Za-z0-9]/;
const EPOCH = /^[0-9]+$/;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/** rpm's `rpmvercmp`: the comparison of one version or release string. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a.charCodeAt(i)) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b.charCodeAt(j)) && b[j] !== '~' && b[j] !== '^') j++;
    // `~` sorts before anything, even the end of the string.
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the string but before anything else.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const si = i;
    const sj = j;
    const numeric = isDigit(a.charCodeAt(i));
    if (numeric) {
      while (i < a.length && isDigit(a.charCodeAt(i))) i++;
      while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    } else {
      while (i < a.length && isAlpha(a.charCodeAt(i))) i++;
      while (j < b.length && isAlpha(b.charCodeAt(j))) j++;
    }
    // Segments of different kinds: a number is newer than letters.
    if (sj === j) return numeric ? 1 : -1;
    const sa = a.slice(si, i);
    const sb = b.slice(sj, j);
    const rc = numeric ? compareDigits(sa, sb) : sa < sb ? -1 : sa > sb ? 1 : 0;
    if (rc !== 0) return rc;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Split `[epoch:]version[-release]`; undefined for anything rpm would not build. */
export function parseEvr(v: string): Evr | undefined {
  if (v.length === 0 || v.length > MAX_VERSION_CHARS) return undefined;
  let rest = v;
  let epoch = '0';
  const colon = v.indexOf(':');
  if (colon >= 0) {
    epoch = v.slice(0, colon);
    if (!EPOCH.test(epoch)) return undefined;
    rest = v.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const release = hyphen >= 0 ? rest.slice(hyphen + 1) : undefined;
  if (!PART.test(version) || !ALNUM.test(version)) return undefined;
  if (release !== undefined && (!PART.test(release) || !ALNUM.test(release))) return undefined;
  return { epoch, version, release };
}

function compareEvr(a: Evr, b: Evr): number {
  const e = compareDigits(a.epoch, b.epoch);
  if (e !== 0) return e;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0) return v;
  // A missing release sorts before any release, so the order stays total (rpm's dependency
  // matching would ignore it instead, which is not an order).
  if (a.release === undefined || b.release === undefined) {
    return a.release === b.release ? 0 : a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

const cache = new ParseCache<Evr | null>();

function parse(v: string): Evr | undefined {
  if (typeof v !== 'string' || v.length > MAX_VERSION_CHARS) return undefined;
  return cache.get(v, parseOrNull) ?? undefined;
}

export const rpm: Versioning = {
  id,
  isValid(v: string): boolean {
    return parse(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const pa = parse(a);
    if (!pa) throw invalidVersion(id, a);
    const pb = parse(b);
    if (!pb) throw invalidVersion(id, b);
    return compareEvr(pa, pb);
  },
};

function parseOrNull(k: string): Evr | null {
  return parseEvr(k) ?? null;
}
