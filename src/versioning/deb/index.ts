import { compareDigits, invalidVersion, MAX_VERSION_CHARS, ParseCache, sign } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * Debian package versions (Debian Policy 5.6.12): `[epoch:]upstream[-revision]`, compared the way
 * dpkg's `verrevcmp` does: non-digit runs with `~` before everything (even the end), letters
 * before non-letters, then digit runs numerically.
 */
export const id = 'deb';

interface DebVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

// dpkg's parseversion: epoch digits, upstream starting with a digit, revision without hyphens.
const EPOCH = /^[0-9]+$/;
const UPSTREAM = /^[0-9][A-Za-z0-9.+~:-]*$/;
const UPSTREAM_NO_REVISION = /^[0-9][A-Za-z0-9.+~:]*$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;

/** Split `[epoch:]upstream[-revision]`; undefined when any part breaks Debian policy. */
export function parseDeb(v: string): DebVersion | undefined {
  if (v.length === 0 || v.length > MAX_VERSION_CHARS) return undefined;
  const colon = v.indexOf(':');
  let epoch = '0';
  let rest = v;
  if (colon >= 0) {
    epoch = v.slice(0, colon);
    if (!EPOCH.test(epoch)) return undefined;
    rest = v.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    const upstream = rest.slice(0, hyphen);
    const revision = rest.slice(hyphen + 1);
    if (!UPSTREAM.test(upstream) || !REVISION.test(revision)) return undefined;
    return { epoch, upstream, revision };
  }
  if (!UPSTREAM_NO_REVISION.test(rest)) return undefined;
  return { epoch, upstream: rest, revision: '' };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** dpkg's `order()`: `~` sorts before the end of the string, letters before other characters. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's `verrevcmp` on one part (upstream or revision). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

function compareParsed(a: DebVersion, b: DebVersion): number {
  return compareDigits(a.epoch, b.epoch) || verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

const cache = new ParseCache<DebVersion | null>();

function parse(v: string): DebVersion | undefined {
  if (typeof v !== 'string' || v.length > MAX_VERSION_CHARS) return undefined;
  return cache.get(v, parseDebOrNull) ?? undefined;
}

export const deb: Versioning = {
  id,
  isValid(v: string): boolean {
    return parse(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const pa = parse(a);
    if (!pa) throw invalidVersion(id, a);
    const pb = parse(b);
    if (!pb) throw invalidVersion(id, b);
    return compareParsed(pa, pb);
  },
};

function parseDebOrNull(k: string): DebVersion | null {
  return parseDeb(k) ?? null;
}
