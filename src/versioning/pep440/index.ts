import { parse as pepParse, satisfies as pepSatisfies, valid as pepValid } from '@renovatebot/pep440';
import { invalidVersion, MAX_CONSTRAINT_CHARS, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/** Python package versions (PEP 440) through `@renovatebot/pep440`. */
export const id = 'pep440';

const validity = new ParseCache<boolean>();

/** A parsed version as the library returns it (letters normalised: `c`/`pre`/`preview` → `rc`). */
interface Parsed {
  epoch: number;
  release: number[];
  pre: [string, number] | null;
  post: [string, number] | null;
  dev: [string, number] | null;
  local: (string | number)[] | null;
}
const parsedCache = new ParseCache<Parsed | null>();

function parsed(v: string): Parsed | null {
  return parsedCache.get(v, parseOrNull);
}

function num(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * PEP 440 ordering on parsed versions (the spec's "Summary of permitted suffixes and relative
 * ordering"): epoch, release with trailing zeros ignored, then pre-release (a dev-only release
 * sorts before its pre-releases, a final release after them), post-release, dev-release, local.
 * Parsing once per string and comparing here is what makes matching many records cheap; the
 * library re-parses both strings on every comparison.
 */
function comparePep(a: Parsed, b: Parsed): number {
  let c = num(a.epoch, b.epoch);
  if (c) return c;
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    c = num(a.release[i] ?? 0, b.release[i] ?? 0);
    if (c) return c;
  }
  c = num(preRank(a), preRank(b));
  if (c) return c;
  if (a.pre && b.pre) {
    c = a.pre[0] < b.pre[0] ? -1 : a.pre[0] > b.pre[0] ? 1 : num(a.pre[1], b.pre[1]);
    if (c) return c;
  }
  c = num(a.post ? 1 : 0, b.post ? 1 : 0) || (a.post && b.post ? num(a.post[1], b.post[1]) : 0);
  if (c) return c;
  // A dev release sorts before the same version without one.
  c = num(a.dev ? 0 : 1, b.dev ? 0 : 1) || (a.dev && b.dev ? num(a.dev[1], b.dev[1]) : 0);
  if (c) return c;
  return compareLocal(a.local, b.local);
}

/** Pre-release rank: dev-only (no pre, no post) first, then a < b < rc, then no pre-release. */
function preRank(p: Parsed): number {
  return p.pre ? 1 : !p.post && p.dev ? 0 : 2;
}

/** Local labels: none first; segments compare numerically when both are numbers, numbers after letters. */
function compareLocal(a: Parsed['local'], b: Parsed['local']): number {
  if (!a || !b) return num(a ? 1 : 0, b ? 1 : 0);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    const xn = typeof x === 'number' || /^[0-9]+$/.test(x);
    const yn = typeof y === 'number' || /^[0-9]+$/.test(y);
    let c: number;
    if (xn && yn) c = num(Number(x), Number(y));
    else if (xn !== yn) c = xn ? 1 : -1;
    else {
      const xs = String(x).toLowerCase();
      const ys = String(y).toLowerCase();
      c = xs < ys ? -1 : xs > ys ? 1 : 0;
    }
    if (c) return c;
  }
  return num(a.length, b.length);
}

function valid(v: string): boolean {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return false;
  return validity.get(v, isPepValid);
}

export const pep440: Versioning = {
  id,
  isValid: valid,
  compare(a: string, b: string): number {
    const pa = valid(a) ? parsed(a) : null;
    if (!pa) throw invalidVersion(id, a);
    const pb = valid(b) ? parsed(b) : null;
    if (!pb) throw invalidVersion(id, b);
    return comparePep(pa, pb);
  },
  /**
   * PEP 440 specifiers (`>=1.0,<2.0`, `~=1.4.2`, `==1.*`, `!=1.3`). Pre-releases are included: the
   * installed version is a fact to test, not a candidate pip would choose, so `2.0a1` is `<3`.
   */
  satisfies(version: string, constraint: string): boolean {
    if (!valid(version) || typeof constraint !== 'string' || constraint.length > MAX_CONSTRAINT_CHARS) return false;
    try {
      return pepSatisfies(version, constraint, { prereleases: true });
    } catch {
      return false;
    }
  },
};

function parseOrNull(k: string): Parsed | null {
  return (pepParse(k) as Parsed | null) ?? null;
}

function isPepValid(k: string): boolean {
  return pepValid(k) !== null;
}
