import type semverLib from 'semver';
import { parseSemver2 } from '../semver/index.ts';
import { compareStrings, invalidVersion, MAX_CONSTRAINT_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * Rust crate versions (SemVer 2.0, no `v`) and Cargo's requirement syntax as the `semver` crate
 * evaluates it: comma-separated comparators `^ ~ = > >= < <=`, wildcards `*`, `1.*`, `1.2.*`, a
 * bare version meaning `^`; a pre-release version matches only when a comparator names its
 * `major.minor.patch` with a pre-release.
 */
export const id = 'cargo';

const cache = new ParseCache<semverLib.SemVer | null>();

function parse(v: string): semverLib.SemVer | undefined {
  if (typeof v !== 'string') return undefined;
  return cache.get(v, parseOrNull) ?? undefined;
}

type Op = '=' | '>' | '>=' | '<' | '<=' | '~' | '^' | '*';

interface Comparator {
  op: Op;
  major: number;
  minor: number | undefined;
  patch: number | undefined;
  pre: readonly (string | number)[];
}

const COMPARATOR =
  /^(=|>=|>|<=|<|~|\^)?\s*(0|[1-9]\d*)(?:\.(0|[1-9]\d*|\*|x|X))?(?:\.(0|[1-9]\d*|\*|x|X))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function parseComparator(text: string): Comparator | undefined | 'any' {
  const t = text.trim();
  if (t === '*' || t === 'x' || t === 'X') return 'any';
  const m = COMPARATOR.exec(t);
  if (!m) return undefined;
  const wild = (s: string | undefined): boolean => s === '*' || s === 'x' || s === 'X';
  const [, opText, majorText, minorText, patchText, preText] = m;
  if (wild(minorText) && patchText !== undefined && !wild(patchText)) return undefined;
  const wildcard = wild(minorText) || wild(patchText);
  if (wildcard && opText !== undefined && opText !== '=') return undefined;
  if (wildcard && preText !== undefined) return undefined;
  const num = (s: string | undefined): number | undefined => (s === undefined || wild(s) ? undefined : Number(s));
  const major = Number(majorText);
  const minor = num(minorText);
  const patch = num(patchText);
  if (!Number.isSafeInteger(major) || (minor !== undefined && !Number.isSafeInteger(minor))) return undefined;
  if (preText !== undefined && patch === undefined) return undefined;
  const pre = preText === undefined ? [] : preText.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { op: wildcard ? '*' : ((opText as Op | undefined) ?? '^'), major, minor, patch, pre };
}

/** Pre-release order with the empty pre-release (a release) greatest, as in the `semver` crate. */
function comparePre(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return compareStrings(x, y);
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function matchesExact(c: Comparator, v: semverLib.SemVer): boolean {
  if (v.major !== c.major) return false;
  if (c.minor !== undefined && v.minor !== c.minor) return false;
  if (c.patch !== undefined && v.patch !== c.patch) return false;
  return comparePre(v.prerelease, c.pre) === 0;
}

function matchesGreater(c: Comparator, v: semverLib.SemVer): boolean {
  if (v.major !== c.major) return v.major > c.major;
  if (c.minor === undefined) return false;
  if (v.minor !== c.minor) return v.minor > c.minor;
  if (c.patch === undefined) return false;
  if (v.patch !== c.patch) return v.patch > c.patch;
  return comparePre(v.prerelease, c.pre) > 0;
}

function matchesLess(c: Comparator, v: semverLib.SemVer): boolean {
  if (v.major !== c.major) return v.major < c.major;
  if (c.minor === undefined) return false;
  if (v.minor !== c.minor) return v.minor < c.minor;
  if (c.patch === undefined) return false;
  if (v.patch !== c.patch) return v.patch < c.patch;
  return comparePre(v.prerelease, c.pre) < 0;
}

function matchesTilde(c: Comparator, v: semverLib.SemVer): boolean {
  if (v.major !== c.major) return false;
  if (c.minor !== undefined && v.minor !== c.minor) return false;
  if (c.patch !== undefined && v.patch !== c.patch) return v.patch > c.patch;
  return comparePre(v.prerelease, c.pre) >= 0;
}

function matchesCaret(c: Comparator, v: semverLib.SemVer): boolean {
  if (v.major !== c.major) return false;
  if (c.minor === undefined) return true;
  if (c.patch === undefined) return c.major > 0 ? v.minor >= c.minor : v.minor === c.minor;
  if (c.major > 0) {
    if (v.minor !== c.minor) return v.minor > c.minor;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (c.minor > 0) {
    if (v.minor !== c.minor) return false;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (v.minor !== c.minor || v.patch !== c.patch) {
    return false;
  }
  return comparePre(v.prerelease, c.pre) >= 0;
}

function matches(c: Comparator, v: semverLib.SemVer): boolean {
  switch (c.op) {
    case '=':
    case '*':
      return matchesExact(c, v);
    case '>':
      return matchesGreater(c, v);
    case '>=':
      return matchesExact(c, v) || matchesGreater(c, v);
    case '<':
      return matchesLess(c, v);
    case '<=':
      return matchesExact(c, v) || matchesLess(c, v);
    case '~':
      return matchesTilde(c, v);
    default:
      return matchesCaret(c, v);
  }
}

/** Parse a Cargo requirement; undefined when it does not parse (empty, `||`, junk). */
export function parseCargoRequirement(req: string): Comparator[] | undefined {
  if (typeof req !== 'string' || req.length > MAX_CONSTRAINT_CHARS || req.trim() === '') return undefined;
  const out: Comparator[] = [];
  const parts = req.split(',');
  for (const part of parts) {
    const c = parseComparator(part);
    if (c === undefined) return undefined;
    // `*` alone matches every release; inside a list it adds nothing.
    if (c !== 'any') out.push(c);
    else if (parts.length > 1) return undefined;
  }
  return out;
}

export const cargo: Versioning = {
  id,
  isValid(v: string): boolean {
    return parse(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const pa = parse(a);
    if (!pa) throw invalidVersion(id, a);
    const pb = parse(b);
    if (!pb) throw invalidVersion(id, b);
    // npm's SemVer precedence is SemVer 2.0's; build metadata is ignored.
    return pa.compare(pb);
  },
  satisfies(version: string, constraint: string): boolean {
    const v = parse(version);
    const req = parseCargoRequirement(constraint);
    if (!v || !req) return false;
    if (!req.every((c) => matches(c, v))) return false;
    if (v.prerelease.length === 0) return true;
    return req.some((c) => c.major === v.major && c.minor === v.minor && c.patch === v.patch && c.pre.length > 0);
  },
};

function parseOrNull(k: string): semverLib.SemVer | null {
  return parseSemver2(k, false) ?? null;
}
