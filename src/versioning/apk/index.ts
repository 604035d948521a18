import { compareDigits, compareStrings, invalidVersion, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * Alpine (apk-tools) versions: `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`, compared
 * token by token. Wolfi and Chainguard use the same rules.
 */
export const id = 'apk';

// Token kinds in the order they may appear; when two versions differ in kind at the same
// position, the one with the later kind is older (`1.2.1 > 1.2`, `1.7b > 1.7`), except for the
// pre-release suffixes, which are older than anything.
const INITIAL = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const HASH = 5;
const REVISION = 6;
const END = 7;
const INVALID = 8;

interface Token {
  kind: number;
  value: string;
}

interface Parsed {
  tokens: Token[];
  /** True when the whole string follows apk's grammar (`apk version -c`). */
  valid: boolean;
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'] as const;
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'] as const;
const END_TOKEN: Token = { kind: END, value: '' };

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102);
}

/** Suffix rank: pre-release suffixes negative (alpha < beta < pre < rc), the others 0 and up. */
function suffixRank(s: string): number {
  const pre = PRE_SUFFIXES.indexOf(s as (typeof PRE_SUFFIXES)[number]);
  if (pre >= 0) return pre - PRE_SUFFIXES.length;
  return POST_SUFFIXES.indexOf(s as (typeof POST_SUFFIXES)[number]);
}

function readSuffix(v: string, at: number): string | undefined {
  for (const s of PRE_SUFFIXES) if (v.startsWith(s, at)) return s;
  for (const s of POST_SUFFIXES) if (v.startsWith(s, at)) return s;
  return undefined;
}

/** Which kind of token starts at `at`, given the kind before it (apk's `next_token`). */
function nextKind(v: string, at: number, prev: number): { kind: number; skip: number } {
  if (at >= v.length) return { kind: END, skip: 0 };
  const c = v.charCodeAt(at);
  if ((prev === INITIAL || prev === DIGIT) && isLower(c)) return { kind: LETTER, skip: 0 };
  if (prev === SUFFIX && isDigit(c)) return { kind: SUFFIX_NO, skip: 0 };
  if (c === 46) return { kind: DIGIT, skip: 1 }; // .
  if (c === 95) return { kind: SUFFIX, skip: 1 }; // _
  if (c === 126) return { kind: HASH, skip: 1 }; // ~
  if (c === 45 && v.charCodeAt(at + 1) === 114) return { kind: REVISION, skip: 2 }; // -r
  return { kind: INVALID, skip: 0 };
}

/** A kind may follow `prev` when it comes later in the order, or repeats where apk allows it. */
function mayFollow(prev: number, kind: number): boolean {
  if (kind > prev) return true;
  if (kind === DIGIT && (prev === DIGIT || prev === INITIAL)) return true;
  return kind === SUFFIX && (prev === SUFFIX || prev === SUFFIX_NO);
}

function tokenize(v: string): Parsed {
  const tokens: Token[] = [];
  let kind = INITIAL;
  let at = 0;
  while (true) {
    let end = at;
    if (kind === INITIAL || kind === DIGIT || kind === SUFFIX_NO || kind === REVISION) {
      while (end < v.length && isDigit(v.charCodeAt(end))) end++;
    } else if (kind === LETTER) {
      end = at + 1;
    } else if (kind === SUFFIX) {
      end = at + (readSuffix(v, at)?.length ?? 0);
    } else if (kind === HASH) {
      while (end < v.length && isHex(v.charCodeAt(end))) end++;
    }
    if (end === at) return { tokens, valid: false };
    tokens.push({ kind, value: v.slice(at, end) });
    const next = nextKind(v, end, kind);
    if (next.kind === END) return { tokens, valid: v.length <= MAX_VERSION_CHARS };
    if (next.kind === INVALID || !mayFollow(kind, next.kind)) {
      tokens.push({ kind: INVALID, value: '' });
      return { tokens, valid: false };
    }
    kind = next.kind;
    at = end + next.skip;
  }
}

const cache = new ParseCache<Parsed>();

function parse(v: string): Parsed {
  // Hostile lengths are not cached and not tokenised past the bound.
  if (v.length > MAX_VERSION_CHARS) return tokenize(v.slice(0, MAX_VERSION_CHARS + 1));
  return cache.get(v, tokenize);
}

function compareValues(kind: number, a: string, b: string): number {
  switch (kind) {
    case DIGIT:
      // Gentoo's rule: a component with a leading zero compares as a string (`1.02 < 1.1`).
      if (a.charCodeAt(0) === 48 || b.charCodeAt(0) === 48) return compareStrings(a, b);
      return compareDigits(a, b);
    case INITIAL:
    case SUFFIX_NO:
    case REVISION:
      return compareDigits(a, b);
    case SUFFIX: {
      const d = suffixRank(a) - suffixRank(b);
      return d < 0 ? -1 : d > 0 ? 1 : 0;
    }
    default:
      return compareStrings(a, b);
  }
}

function compareTokens(a: Token[], b: Token[], fuzzy: boolean): number {
  for (let k = 0; ; k++) {
    const ta = a[k] ?? END_TOKEN;
    const tb = b[k] ?? END_TOKEN;
    // `~REF`: every token of REF matched, whatever follows in the version.
    if (fuzzy && tb.kind === END) return 0;
    if (ta.kind !== tb.kind) {
      if (ta.kind === SUFFIX && suffixRank(ta.value) < 0) return -1;
      if (tb.kind === SUFFIX && suffixRank(tb.value) < 0) return 1;
      return ta.kind > tb.kind ? -1 : 1;
    }
    if (ta.kind === END || ta.kind === INVALID) return 0;
    const c = compareValues(ta.kind, ta.value, tb.value);
    if (c !== 0) return c;
  }
}

/**
 * apk's comparison on any two strings, valid or not (as `apk version -t` does: tokens up to the
 * first invalid character count). `Versioning.compare` adds the validity check.
 */
export function apkCompare(a: string, b: string): number {
  return compareTokens(parse(a).tokens, parse(b).tokens, false);
}

/** apk's fuzzy match (`~REF`): `v` starts with the tokens of `ref`. */
export function apkFuzzyMatch(v: string, ref: string): boolean {
  return compareTokens(parse(v).tokens, parse(ref).tokens, true) === 0;
}

/** The operators of apk dependencies and `apk version -t`; `!` (and `!=`) mean "not equal". */
export type ApkOp = '<' | '<=' | '=' | '>=' | '>' | '~' | '<~' | '>~' | '!' | '!=';

const OPS: ReadonlySet<string> = new Set(['<', '<=', '=', '>=', '>', '~', '<~', '>~', '!', '!=', '=~', '~=']);

/**
 * True when `v OP ref` holds, as apk evaluates it: like `apkCompare`, tokens up to the first
 * character apk does not read count (`3.6.9_post1 ~ 3.6` holds). Unknown operators are false.
 */
export function matchOp(v: string, op: string, ref: string): boolean {
  if (!OPS.has(op) || v.length > MAX_VERSION_CHARS || ref.length > MAX_VERSION_CHARS) return false;
  const c = apkCompare(v, ref);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '!':
    case '!=':
      return c !== 0;
    case '<~':
      return c < 0 || apkFuzzyMatch(v, ref);
    case '>~':
      return c > 0 || apkFuzzyMatch(v, ref);
    default:
      return apkFuzzyMatch(v, ref);
  }
}

const CONSTRAINT = /^\s*(<=|>=|<~|>~|=~|~=|!=|<|>|=|~|!)\s*(\S+)\s*$/;

export const apk: Versioning = {
  id,
  isValid(v: string): boolean {
    return typeof v === 'string' && v.length > 0 && v.length <= MAX_VERSION_CHARS && parse(v).valid;
  },
  compare(a: string, b: string): number {
    if (!apk.isValid(a)) throw invalidVersion(id, a);
    if (!apk.isValid(b)) throw invalidVersion(id, b);
    return apkCompare(a, b);
  },
  /** `OP REF` (`< 1.2.3-r0`, `~3.6`); a bare version means `=`. Both versions must be valid. */
  satisfies(version: string, constraint: string): boolean {
    if (constraint.length > MAX_VERSION_CHARS + 8 || !apk.isValid(version)) return false;
    const m = CONSTRAINT.exec(constraint);
    const op = m ? m[1]! : '=';
    const ref = m ? m[2]! : constraint.trim();
    return apk.isValid(ref) && matchOp(version, op, ref);
  },
};
