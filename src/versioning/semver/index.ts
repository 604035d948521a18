import semverLib from 'semver';
import { invalidVersion, MAX_CONSTRAINT_CHARS, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * npm versions and ranges, through npm's own `semver` package (the rules `npm install` applies).
 * Also `osvSemver`: plain SemVer 2.0 for OSV `SEMVER` ranges, tolerating one leading `v`.
 */
export const id = 'semver';

/** The options of npm's `semver` that the range facts exercise. */
export interface NpmSemverOptions {
  loose?: boolean;
  includePrerelease?: boolean;
}

const strict = new ParseCache<semverLib.SemVer | null>();

function parseStrict(v: string): semverLib.SemVer | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return undefined;
  return strict.get(v, parseStrictOrNull) ?? undefined;
}

/** npm's `semver.compare` with its options (`loose` accepts `v1.2.3beta`-style versions). */
export function npmCompare(a: string, b: string, options: NpmSemverOptions = {}): number {
  return semverLib.compare(a, b, options);
}

/**
 * npm's `semver.satisfies` with its options. Any `version` that is not a string (some upstream
 * facts pass `false`) or is too long is not satisfied, as in npm.
 */
export function npmSatisfies(version: unknown, range: string, options: NpmSemverOptions = {}): boolean {
  if (typeof version !== 'string' || version.length > MAX_VERSION_CHARS) return false;
  if (typeof range !== 'string' || range.length > MAX_CONSTRAINT_CHARS) return false;
  try {
    return semverLib.satisfies(version, range, options);
  } catch {
    return false;
  }
}

export const semver: Versioning = {
  id,
  isValid(v: string): boolean {
    return parseStrict(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const pa = parseStrict(a);
    if (!pa) throw invalidVersion(id, a);
    const pb = parseStrict(b);
    if (!pb) throw invalidVersion(id, b);
    return pa.compare(pb);
  },
  /** npm range syntax, npm's defaults: a pre-release satisfies only a range naming its tuple. */
  satisfies(version: string, constraint: string): boolean {
    return npmSatisfies(version, constraint);
  },
};

// SemVer 2.0 grammar (semver.org), after one optional leading `v`.
const SEMVER2 =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** A strict SemVer 2.0 version (`allowV`: after one optional `v`), parsed by npm's `semver`. */
export function parseSemver2(v: string, allowV: boolean): semverLib.SemVer | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return undefined;
  if (!SEMVER2.test(v) || (!allowV && v[0] === 'v')) return undefined;
  return semverLib.parse(v[0] === 'v' ? v.slice(1) : v) ?? undefined;
}

const osv = new ParseCache<semverLib.SemVer | null>();

function parseOsv(v: string): semverLib.SemVer | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return undefined;
  return osv.get(v, parseOsvOrNull) ?? undefined;
}

/** SemVer 2.0 precedence for OSV `SEMVER` ranges; a leading `v` is tolerated, build metadata ignored. */
export const osvSemver: Versioning = {
  id: 'semver2',
  isValid(v: string): boolean {
    return parseOsv(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const pa = parseOsv(a);
    if (!pa) throw invalidVersion('semver2', a);
    const pb = parseOsv(b);
    if (!pb) throw invalidVersion('semver2', b);
    return pa.compare(pb);
  },
};

function parseStrictOrNull(k: string): semverLib.SemVer | null {
  return semverLib.parse(k) ?? null;
}

function parseOsvOrNull(k: string): semverLib.SemVer | null {
  return parseSemver2(k, true) ?? null;
}
