import { compareDigits, compareStrings, invalidVersion, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * Go module versions: semantic versions with a `v` prefix (golang.org/x/mod/semver), including
 * the `v1`/`v1.2` shorthands, `+incompatible` (build metadata, ignored by the order) and
 * pseudo-versions (pre-releases of the next version, so they order correctly by themselves).
 * OSV's Go records write versions without the `v`; both spellings are accepted.
 */
export const id = 'go';

interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  /** `-pre.1` with its hyphen, or ''. */
  prerelease: string;
  /** `+meta` with its plus sign, or ''. */
  build: string;
  /** `v1` or `v1.2` written without all three numbers. */
  short: boolean;
}

const NUM = /^(0|[1-9][0-9]*)/;
const IDENT = /^[0-9A-Za-z-]+$/;
const NUMERIC = /^[0-9]+$/;

function parsePrerelease(s: string): boolean {
  for (const part of s.split('.')) {
    if (!IDENT.test(part)) return false;
    if (NUMERIC.test(part) && part.length > 1 && part[0] === '0') return false;
  }
  return true;
}

function parseBuild(s: string): boolean {
  return s.split('.').every((part) => IDENT.test(part));
}

/** golang.org/x/mod/semver's parse: `v` required. */
function parseStrict(v: string): GoVersion | undefined {
  if (v.length < 2 || v.length > MAX_VERSION_CHARS || v[0] !== 'v') return undefined;
  let rest = v.slice(1);
  const take = (): string | undefined => {
    const m = NUM.exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
    return m[0];
  };
  const major = take();
  if (major === undefined) return undefined;
  if (rest === '') return { major, minor: '0', patch: '0', prerelease: '', build: '', short: true };
  if (rest[0] !== '.') return undefined;
  rest = rest.slice(1);
  const minor = take();
  if (minor === undefined) return undefined;
  if (rest === '') return { major, minor, patch: '0', prerelease: '', build: '', short: true };
  if (rest[0] !== '.') return undefined;
  rest = rest.slice(1);
  const patch = take();
  if (patch === undefined) return undefined;
  let prerelease = '';
  let build = '';
  const plus = rest.indexOf('+');
  if (rest[0] === '-') {
    prerelease = plus >= 0 ? rest.slice(0, plus) : rest;
    if (!parsePrerelease(prerelease.slice(1))) return undefined;
    rest = rest.slice(prerelease.length);
  }
  if (rest[0] === '+') {
    build = rest;
    if (!parseBuild(build.slice(1))) return undefined;
    rest = '';
  }
  if (rest !== '') return undefined;
  return { major, minor, patch, prerelease, build, short: false };
}

const cache = new ParseCache<GoVersion | null>();

/** Parse with or without the leading `v` (OSV Go records omit it). */
function parse(v: string): GoVersion | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return undefined;
  return cache.get(v, parseWithV) ?? undefined;
}

function comparePrerelease(x: string, y: string): number {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const a = x.slice(1).split('.');
  const b = y.slice(1).split('.');
  for (let i = 0; i < a.length && i < b.length; i++) {
    const pa = a[i]!;
    const pb = b[i]!;
    if (pa === pb) continue;
    const na = NUMERIC.test(pa);
    const nb = NUMERIC.test(pb);
    if (na !== nb) return na ? -1 : 1;
    return na ? compareDigits(pa, pb) : compareStrings(pa, pb);
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareParsed(a: GoVersion, b: GoVersion): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/**
 * golang.org/x/mod/semver's `Compare`: `v` required, an invalid version is equal to another
 * invalid one and older than every valid one. `Versioning.compare` throws instead.
 */
export function goSemverCompare(a: string, b: string): number {
  const pa = parseStrict(a);
  const pb = parseStrict(b);
  if (!pa && !pb) return 0;
  if (!pa) return -1;
  if (!pb) return 1;
  return compareParsed(pa, pb);
}

/** golang.org/x/mod/semver's `Canonical`: `vMAJOR.MINOR.PATCH[-pre]`, '' when invalid. */
export function canonical(v: string): string {
  const p = parseStrict(v);
  if (!p) return '';
  return `v${p.major}.${p.minor}.${p.patch}${p.prerelease}`;
}

const PSEUDO_TAIL = /(^|\.)([0-9]{14})-[0-9a-f]{12}$/;

/**
 * Which of golang.org/x/mod/module's three pseudo-version forms `v` has: `vX.0.0-TIME-HASH` (no
 * base), `vX.Y.Z-pre.0.TIME-HASH` (base is a pre-release), `vX.Y.(Z+1)-0.TIME-HASH` (base is a
 * release); undefined for an ordinary version.
 */
export function pseudoVersionForm(v: string): 'no-base' | 'pre-base' | 'release-base' | undefined {
  const p = parse(v);
  if (!p || p.prerelease === '') return undefined;
  const pre = p.prerelease.slice(1);
  const m = PSEUDO_TAIL.exec(pre);
  if (!m) return undefined;
  const head = pre.slice(0, m.index);
  if (m[1] === '') return p.minor === '0' && p.patch === '0' ? 'no-base' : undefined;
  if (head === '0') return 'release-base';
  return head.endsWith('.0') ? 'pre-base' : undefined;
}

export const go: Versioning = {
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

function parseWithV(k: string): GoVersion | null {
  return parseStrict(k[0] === 'v' ? k : `v${k}`) ?? null;
}
