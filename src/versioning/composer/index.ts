import { compareDigits, invalidVersion, MAX_CONSTRAINT_CHARS, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/**
 * PHP Composer (Packagist) versions: normalised the way composer/semver's `VersionParser` does
 * (`v1.2` → `1.2.0.0`, `1.0-b2` → `1.0.0.0-beta2`, `1.0pl1` → `1.0.0.0-patch1`, `-dev`), then
 * ordered by PHP's `version_compare`. Constraints: `^ ~ * - , || >= < != ==`.
 * Branch names (`dev-main`) are not ordered versions and are invalid here.
 */
export const id = 'composer';

const MODIFIER = '[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
const CLASSIC = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})${MODIFIER}$`, 'i');
// `1.2.x-dev`: a branch alias, normalised with 9999999 in the open positions.
const DEV_BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?-?dev$/i;

function expandStability(s: string): string {
  switch (s.toLowerCase()) {
    case 'a':
      return 'alpha';
    case 'b':
      return 'beta';
    case 'p':
    case 'pl':
      return 'patch';
    case 'rc':
      return 'RC';
    default:
      return s.toLowerCase();
  }
}

/** composer/semver's `VersionParser::normalize`, without branch names; undefined when it fails. */
export function normalizeComposer(version: string): string | undefined {
  if (typeof version !== 'string' || version.length === 0 || version.length > MAX_VERSION_CHARS) return undefined;
  // Stability flags (`@dev`) and build metadata are not part of the order.
  // Unlike Composer we do not trim: the string a record carries is the version compared.
  let v = version.replace(/@(?:stable|rc|beta|alpha|dev)$/i, '');
  const plus = v.indexOf('+');
  if (plus > 0) v = v.slice(0, plus);
  if (v === '') return undefined;
  let m = CLASSIC.exec(v);
  let base: string;
  if (m) {
    base = [m[1], m[2] ?? '.0', m[3] ?? '.0', m[4] ?? '.0'].join('');
  } else {
    m = DATE.exec(v);
    if (m) {
      base = m[1]!.replace(/\D/g, '.');
    } else {
      const d = DEV_BRANCH.exec(v);
      if (!d) return undefined;
      const parts = [d[1]!, ...[d[2], d[3], d[4]].map((p) => (p === undefined ? '.x' : p))];
      return `${parts.map((p) => p.replace(/[xX*]/, '9999999')).join('')}-dev`;
    }
  }
  const [, , , , , stability, stabilityNo, dev] =
    m.length > 6 ? m : [undefined, undefined, undefined, undefined, undefined, m[2], m[3], m[4]];
  let out = base;
  if (stability !== undefined && stability.toLowerCase() !== 'stable') {
    out += `-${expandStability(stability)}${(stabilityNo ?? '').replace(/^[.-]/, '')}`;
  }
  if (dev !== undefined) out += '-dev';
  return out;
}

// PHP's special forms: anything unknown < dev < alpha = a < beta = b < RC = rc < # (a number) < pl = p.
const SPECIAL: readonly [string, number][] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialOrder(form: string): number {
  // PHP matches by prefix (`patch` is `p`).
  for (const [name, order] of SPECIAL) if (form.startsWith(name)) return order;
  return -6;
}

/** PHP's canonicalisation: `-_+` become `.`, and a `.` goes between digits and non-digits. */
function phpCanon(v: string): string[] {
  let out = '';
  let prev = '';
  for (const ch of v) {
    const kind = ch >= '0' && ch <= '9' ? 'd' : ch === '-' || ch === '_' || ch === '+' || ch === '.' ? 's' : 'a';
    if (kind === 's') {
      if (!out.endsWith('.')) out += '.';
    } else {
      if (prev !== '' && prev !== 's' && prev !== kind && !out.endsWith('.')) out += '.';
      out += ch;
    }
    prev = kind;
  }
  return out.split('.').filter((p) => p !== '');
}

function isNum(s: string): boolean {
  return /^\d+$/.test(s);
}

function comparePart(a: string, b: string): number {
  const na = isNum(a);
  const nb = isNum(b);
  if (na && nb) return compareDigits(a, b);
  const oa = specialOrder(na ? '#' : a);
  const ob = specialOrder(nb ? '#' : b);
  return oa === ob ? 0 : oa < ob ? -1 : 1;
}

/** PHP's `version_compare` on two already normalised versions. */
export function phpVersionCompare(a: string, b: string): number {
  const pa = phpCanon(a);
  const pb = phpCanon(b);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = comparePart(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  if (pa.length > n) return isNum(pa[n]!) ? 1 : comparePart(pa[n]!, '#');
  if (pb.length > n) return isNum(pb[n]!) ? -1 : comparePart('#', pb[n]!);
  return 0;
}

const cache = new ParseCache<string | null>();

function normalized(v: string): string | undefined {
  if (typeof v !== 'string' || v.length > MAX_VERSION_CHARS) return undefined;
  return cache.get(v, normalizeOrNull) ?? undefined;
}

type Op = '>' | '>=' | '<' | '<=' | '==' | '!=';

interface Bound {
  op: Op;
  version: string;
}

function test(v: string, b: Bound): boolean {
  const c = phpVersionCompare(v, b.version);
  switch (b.op) {
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '==':
      return c === 0;
    default:
      return c !== 0;
  }
}

const NUMBERS = /^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?/;

/** The leading numbers of a constraint version and how many were written (wildcards stop it). */
function numbers(text: string): { nums: number[]; written: number; rest: string } | undefined {
  const m = NUMBERS.exec(text);
  if (!m) return undefined;
  const nums: number[] = [];
  for (const p of [m[1], m[2], m[3], m[4]]) {
    if (p === undefined || /[xX*]/.test(p)) break;
    nums.push(Number(p));
  }
  return { nums, written: nums.length, rest: text.slice(m[0].length) };
}

function fmt(nums: readonly number[], suffix = ''): string {
  const n = [...nums];
  while (n.length < 4) n.push(0);
  return `${n.join('.')}${suffix}`;
}

/** One constraint (`^1.2`, `~1.2.3`, `1.2.*`, `>=1.0`, `1.0 - 2.0`) as bounds that must all hold. */
function parseSingle(text: string): Bound[] | undefined {
  const t = text.replace(/@(?:stable|rc|beta|alpha|dev)$/i, '').trim();
  if (t === '*' || t === 'x' || t === '' || t === '*@dev') return [{ op: '>=', version: '0.0.0.0-dev' }];
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(t);
  if (hyphen) {
    const lo = normalized(hyphen[1]!);
    const hiNums = numbers(hyphen[2]!);
    const hi = normalized(hyphen[2]!);
    if (!lo || !hi || !hiNums) return undefined;
    const lower: Bound = { op: '>=', version: lo.includes('-') ? lo : `${lo}-dev` };
    // A partial upper bound includes the whole of what it names: `1.0 - 2.0` is `<2.1`.
    if (hiNums.written < 3 && hiNums.rest === '') {
      const up = [...hiNums.nums];
      up[up.length - 1]! += 1;
      return [lower, { op: '<', version: fmt(up, '-dev') }];
    }
    return [lower, { op: '<=', version: hi }];
  }
  const m = /^(\^|~(?!=)|>=|<=|>|<|!=|<>|==|=)?\s*(.+)$/.exec(t);
  if (!m) return undefined;
  const op = m[1] ?? '';
  const body = m[2]!;
  const parsedNums = numbers(body);
  if (op === '^' || op === '~') {
    if (!parsedNums || parsedNums.written === 0) return undefined;
    const lo = normalized(body);
    if (!lo) return undefined;
    const { nums, written } = parsedNums;
    let up: number[];
    if (op === '~') {
      // `~1.2` → <2.0, `~1.2.3` → <1.3: the next-to-last written number goes up.
      const keep = written === 1 ? 1 : written - 1;
      up = nums.slice(0, keep);
      up[keep - 1]! += 1;
    } else {
      // `^` keeps the first non-zero number (or the last written one) fixed.
      let i = 0;
      while (i < written - 1 && nums[i] === 0) i++;
      up = nums.slice(0, i + 1);
      up[i]! += 1;
    }
    return [
      { op: '>=', version: lo.includes('-') ? lo : `${lo}-dev` },
      { op: '<', version: fmt(up, '-dev') },
    ];
  }
  if (op === '' && parsedNums && /[xX*]/.test(body)) {
    if (parsedNums.rest !== '' && parsedNums.rest !== '-dev') return undefined;
    const { nums } = parsedNums;
    if (nums.length === 0) return undefined;
    const up = [...nums];
    up[up.length - 1]! += 1;
    return [
      { op: '>=', version: fmt(nums, '-dev') },
      { op: '<', version: fmt(up, '-dev') },
    ];
  }
  const version = normalized(body);
  if (!version) return undefined;
  const stable = !version.includes('-');
  switch (op) {
    case '>=':
      return [{ op: '>=', version: stable ? `${version}-dev` : version }];
    case '<':
      return [{ op: '<', version: stable ? `${version}-dev` : version }];
    case '>':
    case '<=':
      return [{ op, version }];
    case '!=':
    case '<>':
      return [{ op: '!=', version }];
    default:
      return [{ op: '==', version }];
  }
}

/** A Composer constraint: `||` (or `|`) separates alternatives, `,` or spaces join conditions. */
export function parseComposerConstraint(constraint: string): Bound[][] | undefined {
  if (typeof constraint !== 'string' || constraint.length > MAX_CONSTRAINT_CHARS) return undefined;
  const alternatives: Bound[][] = [];
  for (const alt of constraint.split(/\s*\|\|?\s*/)) {
    // Keep `1.0 - 2.0` together; split the rest on commas and whitespace.
    const parts = alt
      .trim()
      .replace(/\s+-\s+/g, '\u0000')
      .split(/\s*,\s*|\s+/)
      .filter((p) => p !== '')
      .map((p) => p.replace('\u0000', ' - '));
    if (parts.length === 0) return undefined;
    const bounds: Bound[] = [];
    for (const p of parts) {
      const single = parseSingle(p);
      if (!single) return undefined;
      bounds.push(...single);
    }
    alternatives.push(bounds);
  }
  return alternatives;
}

export const composer: Versioning = {
  id,
  isValid(v: string): boolean {
    return normalized(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const na = normalized(a);
    if (na === undefined) throw invalidVersion(id, a);
    const nb = normalized(b);
    if (nb === undefined) throw invalidVersion(id, b);
    return phpVersionCompare(na, nb);
  },
  satisfies(version: string, constraint: string): boolean {
    const v = normalized(version);
    if (v === undefined) return false;
    const alternatives = parseComposerConstraint(constraint.replace(/(>=|<=|<>|!=|==|[<>=^~])\s+/g, '$1'));
    return alternatives?.some((bounds) => bounds.every((b) => test(v, b))) ?? false;
  },
};

function normalizeOrNull(k: string): string | null {
  return normalizeComposer(k) ?? null;
}
