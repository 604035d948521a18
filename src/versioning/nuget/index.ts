import { compareDigits, invalidVersion, MAX_CONSTRAINT_CHARS, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * NuGet package versions (NuGet.Versioning): `Major.Minor[.Patch[.Revision]][-pre][+meta]`,
 * missing numbers are 0 (`1.0` = `1.0.0.0`), pre-release labels compare case-insensitively
 * (numeric labels numerically, before alphanumeric ones), metadata is ignored. Ranges use
 * interval notation (`[1.0,2.0)`, `(,1.0]`, `[1.0]`); a bare `1.0` means `>= 1.0`.
 */
export const id = 'nuget';

interface NugetVersion {
  nums: [string, string, string, string];
  pre: string[];
}

// NuGet accepts leading zeros in the numbers (`1.01` = `1.1`); labels are SemVer 2.0 identifiers.
const VERSION =
  /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function parseVersion(v: string): NugetVersion | undefined {
  const m = VERSION.exec(v);
  if (!m) return undefined;
  return { nums: [m[1]!, m[2] ?? '0', m[3] ?? '0', m[4] ?? '0'], pre: m[5] === undefined ? [] : m[5].split('.') };
}

const cache = new ParseCache<NugetVersion | null>();

function parse(v: string): NugetVersion | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return undefined;
  return cache.get(v, parseOrNull) ?? undefined;
}

const NUMERIC = /^\d+$/;

function compareLabels(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const nx = NUMERIC.test(x);
    const ny = NUMERIC.test(y);
    if (nx && ny) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
      continue;
    }
    if (nx !== ny) return nx ? -1 : 1;
    const lx = x.toLowerCase();
    const ly = y.toLowerCase();
    if (lx !== ly) return lx < ly ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareParsed(a: NugetVersion, b: NugetVersion): number {
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(a.nums[i]!, b.nums[i]!);
    if (c !== 0) return c;
  }
  return compareLabels(a.pre, b.pre);
}

interface NugetRange {
  min: NugetVersion | undefined;
  minInclusive: boolean;
  max: NugetVersion | undefined;
  maxInclusive: boolean;
}

/** NuGet's `VersionRange.Parse` for interval notation and bare versions; undefined when invalid. */
export function parseNugetRange(text: string): NugetRange | undefined {
  if (typeof text !== 'string' || text.length > MAX_CONSTRAINT_CHARS) return undefined;
  const s = text.trim();
  if (s === '') return undefined;
  const first = s[0];
  if (first !== '[' && first !== '(') {
    const v = parse(s);
    return v ? { min: v, minInclusive: true, max: undefined, maxInclusive: false } : undefined;
  }
  const last = s[s.length - 1];
  if (last !== ']' && last !== ')') return undefined;
  const body = s.slice(1, -1);
  const minInclusive = first === '[';
  const maxInclusive = last === ']';
  const parts = body.split(',');
  if (parts.length === 1) {
    // `[1.0]` is exact; `(1.0)` and `[1.0)` are not ranges.
    const v = parse(parts[0]!);
    if (!v || !minInclusive || !maxInclusive) return undefined;
    return { min: v, minInclusive: true, max: v, maxInclusive: true };
  }
  if (parts.length !== 2) return undefined;
  const lo = parts[0]!.trim();
  const hi = parts[1]!.trim();
  if (lo === '' && hi === '') return undefined;
  const min = lo === '' ? undefined : parse(lo);
  const max = hi === '' ? undefined : parse(hi);
  if ((lo !== '' && !min) || (hi !== '' && !max)) return undefined;
  if (min && max) {
    const c = compareParsed(min, max);
    // An empty interval is rejected, as NuGet does.
    if (c > 0 || (c === 0 && !(minInclusive && maxInclusive))) return undefined;
  }
  return { min, minInclusive: min ? minInclusive : false, max, maxInclusive: max ? maxInclusive : false };
}

export const nuget: Versioning = {
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
  satisfies(version: string, constraint: string): boolean {
    const v = parse(version);
    const r = parseNugetRange(constraint);
    if (!v || !r) return false;
    if (r.min) {
      const c = compareParsed(v, r.min);
      if (c < 0 || (c === 0 && !r.minInclusive)) return false;
    }
    if (r.max) {
      const c = compareParsed(v, r.max);
      if (c > 0 || (c === 0 && !r.maxInclusive)) return false;
    }
    return true;
  },
};

function parseOrNull(k: string): NugetVersion | null {
  return parseVersion(k) ?? null;
}
