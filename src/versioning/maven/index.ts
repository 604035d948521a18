import {
  compareDigits,
  compareStrings,
  invalidVersion,
  MAX_CONSTRAINT_CHARS,
  MAX_VERSION_CHARS,
  ParseCache,
} from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * Maven versions with the semantics of Maven's `ComparableVersion` (3.9 / 4): a version is a list
 * of items split on `.` and `-` and on digit/letter transitions; numbers compare numerically,
 * known qualifiers by rank (alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
 * release < sp), other qualifiers after them alphabetically, `-` opens a sub-list.
 */
export const id = 'maven';

type Item =
  | { t: 'int'; v: string } // digits without leading zeros ('' is zero)
  | { t: 'str'; v: string } // qualifier after aliasing
  | { t: 'combo'; s: Item & { t: 'str' }; d: Item } // `alpha2`, `m-1`: a qualifier with its number
  | { t: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'] as const;
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
// `ga`, `final` and `release` rank as the release but, unlike an empty qualifier, are not
// dropped by normalisation (Maven 3.9: `1.0.final-redhat < 1.0-sp1-redhat`).
const RELEASE_QUALIFIERS: ReadonlySet<string> = new Set(['ga', 'final', 'release']);
const ALIASES: Readonly<Record<string, string>> = { cr: 'rc' };

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The qualifier's sort key: its rank when known, else `7-<qualifier>` (after all known ones). */
function comparableQualifier(q: string): string {
  if (RELEASE_QUALIFIERS.has(q)) return RELEASE_INDEX;
  const i = (QUALIFIERS as readonly string[]).indexOf(q);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${q}`;
}

function stringItem(value: string, followedByDigit: boolean): Item & { t: 'str' } {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  return { t: 'str', v: ALIASES[v] ?? v };
}

function intItem(digits: string): Item {
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 48) i++;
  return { t: 'int', v: digits.slice(i) };
}

function comboItem(value: string): Item {
  let i = 0;
  while (i < value.length && !isDigit(value.charCodeAt(i))) i++;
  return { t: 'combo', s: stringItem(value.slice(0, i), true), d: parseItem(false, true, value.slice(i)) };
}

function parseItem(isCombination: boolean, digits: boolean, buf: string): Item {
  if (isCombination) return comboItem(buf.replaceAll('-', ''));
  if (digits) return intItem(buf);
  return stringItem(buf, false);
}

function isNull(item: Item): boolean {
  switch (item.t) {
    case 'int':
      return item.v === '';
    case 'str':
      return item.v === '';
    case 'list':
      return item.items.length === 0;
    default:
      return false;
  }
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    if (!isNull(list[i]!)) continue;
    const next = list[i + 1];
    if (next === undefined || next.t === 'str') {
      list.splice(i, 1);
    } else if (next.t === 'list') {
      const first = next.items[0];
      if (first && (first.t === 'combo' || first.t === 'str')) list.splice(i, 1);
    }
  }
}

function parseVersion(version: string): Item {
  const v = version.toLowerCase();
  const root: Item & { t: 'list' } = { t: 'list', items: [] };
  let list = root;
  const stack: (Item & { t: 'list' })[] = [root];
  let isDigitRun = false;
  let isCombination = false;
  let start = 0;
  const open = (): void => {
    const sub: Item & { t: 'list' } = { t: 'list', items: [] };
    list.items.push(sub);
    list = sub;
    stack.push(sub);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 46) {
      // .
      list.items.push(i === start ? { t: 'int', v: '' } : parseItem(isCombination, isDigitRun, v.slice(start, i)));
      isCombination = false;
      start = i + 1;
    } else if (c === 45) {
      // -
      if (i === start) {
        list.items.push({ t: 'int', v: '' });
      } else {
        // `X-1` is read as `X1`.
        if (!isDigitRun && i !== v.length - 1 && isDigit(v.charCodeAt(i + 1))) {
          isCombination = true;
          continue;
        }
        list.items.push(parseItem(isCombination, isDigitRun, v.slice(start, i)));
      }
      start = i + 1;
      open();
      isCombination = false;
    } else if (isDigit(c)) {
      if (!isDigitRun && i > start) {
        // `X1`
        isCombination = true;
        if (list.items.length > 0) open();
      }
      isDigitRun = true;
    } else {
      if (isDigitRun && i > start) {
        list.items.push(parseItem(isCombination, true, v.slice(start, i)));
        start = i;
        open();
        isCombination = false;
      }
      isDigitRun = false;
    }
  }
  if (v.length > start) {
    // `1.0.0.X1 < 1.0.0-X2`: treat `.X` as `-X` for a qualifier.
    if (!isDigitRun && list.items.length > 0) open();
    list.items.push(parseItem(isCombination, isDigitRun, v.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!.items);
  return root;
}

/** `a.compareTo(b)` of ComparableVersion's items; `b` undefined is "nothing" (padding). */
function compareItem(a: Item, b: Item | undefined): number {
  switch (a.t) {
    case 'int':
      if (b === undefined) return a.v === '' ? 0 : 1;
      if (b.t === 'int') return compareDigits(a.v || '0', b.v || '0');
      return 1;
    case 'str':
      if (b === undefined) return compareStrings(comparableQualifier(a.v), RELEASE_INDEX);
      if (b.t === 'int' || b.t === 'list') return -1;
      if (b.t === 'str') return compareStrings(comparableQualifier(a.v), comparableQualifier(b.v));
      {
        const r = compareItem(a, b.s);
        return r === 0 ? -1 : r;
      }
    case 'combo':
      if (b === undefined) return compareItem(a.s, undefined);
      if (b.t === 'int' || b.t === 'list') return -1;
      if (b.t === 'str') {
        const r = compareItem(a.s, b);
        return r === 0 ? 1 : r;
      }
      return compareItem(a.s, b.s) || compareItem(a.d, b.d);
    case 'list': {
      if (b === undefined) {
        for (const item of a.items) {
          const r = compareItem(item, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.t === 'int') return -1;
      if (b.t === 'str' || b.t === 'combo') return 1;
      const n = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const l = a.items[i];
        const r = b.items[i];
        const c = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

const cache = new ParseCache<Item>();

function parsed(v: string): Item {
  return cache.get(v, parseVersion);
}

/** ComparableVersion's order on any two strings (Maven compares whatever it is given). */
export function mavenCompare(a: string, b: string): number {
  const c = compareItem(parsed(a), parsed(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// Anything Maven would read; we refuse empty strings, whitespace, control characters, the
// characters of range syntax (so that a range is never taken for a version) and strings with no
// letter or digit at all (`..`, `--`).
const INVALID_CHARS = /[\s[\](),]|\p{Cc}/u;
const ALNUM = /[\p{L}\p{N}]/u;

function valid(v: string): boolean {
  return (
    typeof v === 'string' && v.length > 0 && v.length <= MAX_VERSION_CHARS && !INVALID_CHARS.test(v) && ALNUM.test(v)
  );
}

interface Restriction {
  lower: string | undefined;
  lowerInclusive: boolean;
  upper: string | undefined;
  upperInclusive: boolean;
}

/**
 * Maven's version range syntax: `[1.0,2.0)`, `(,1.0],[1.2,)`, `[1.0]`. A bare `1.0` is Maven's
 * soft requirement, read here as exactly that version. Undefined when it does not parse.
 */
export function parseMavenRange(spec: string): Restriction[] | undefined {
  const s = spec.trim();
  if (s.length === 0 || s.length > MAX_CONSTRAINT_CHARS) return undefined;
  if (s[0] !== '[' && s[0] !== '(') {
    return valid(s) ? [{ lower: s, lowerInclusive: true, upper: s, upperInclusive: true }] : undefined;
  }
  const out: Restriction[] = [];
  let rest = s;
  while (rest.length > 0) {
    const open = rest[0];
    if (open !== '[' && open !== '(') return undefined;
    const close = rest.search(/[\])]/);
    if (close < 0) return undefined;
    const body = rest.slice(1, close);
    const lowerInclusive = open === '[';
    const upperInclusive = rest[close] === ']';
    const comma = body.indexOf(',');
    if (comma < 0) {
      const v = body.trim();
      // `[1.0]` is the only single-version form.
      if (!lowerInclusive || !upperInclusive || !valid(v)) return undefined;
      out.push({ lower: v, lowerInclusive: true, upper: v, upperInclusive: true });
    } else {
      if (body.indexOf(',', comma + 1) >= 0) return undefined;
      const lo = body.slice(0, comma).trim();
      const hi = body.slice(comma + 1).trim();
      if ((lo !== '' && !valid(lo)) || (hi !== '' && !valid(hi))) return undefined;
      if (lo !== '' && hi !== '' && mavenCompare(lo, hi) > 0) return undefined;
      out.push({ lower: lo || undefined, lowerInclusive, upper: hi || undefined, upperInclusive });
    }
    rest = rest.slice(close + 1).trim();
    if (rest.startsWith(',')) {
      rest = rest.slice(1).trim();
      if (rest === '') return undefined;
    } else if (rest !== '') {
      return undefined;
    }
  }
  return out;
}

function contains(r: Restriction, v: string): boolean {
  if (r.lower !== undefined) {
    const c = mavenCompare(v, r.lower);
    if (c < 0 || (c === 0 && !r.lowerInclusive)) return false;
  }
  if (r.upper !== undefined) {
    const c = mavenCompare(v, r.upper);
    if (c > 0 || (c === 0 && !r.upperInclusive)) return false;
  }
  return true;
}

export const maven: Versioning = {
  id,
  isValid: valid,
  compare(a: string, b: string): number {
    if (!valid(a)) throw invalidVersion(id, a);
    if (!valid(b)) throw invalidVersion(id, b);
    return mavenCompare(a, b);
  },
  satisfies(version: string, constraint: string): boolean {
    if (!valid(version) || typeof constraint !== 'string') return false;
    const ranges = parseMavenRange(constraint);
    return ranges?.some((r) => contains(r, version)) ?? false;
  },
};
