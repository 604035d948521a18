import { createHash } from 'node:crypto';
import { SPDX_EXCEPTION_IDS, SPDX_LICENSE_IDS, SPDX_LICENSE_LIST_VERSION } from './spdx-ids.ts';

/*
 * SPDX licence identifiers and licence expressions (SPDX 2.3 Annex D): a lookup of listed ids, a small
 * expression parser (AND, OR, WITH, parentheses, `+`, LicenseRef-/DocumentRef-) and the classification
 * both SBOM writers use. Full normalisation of free-text licence names (GPLv2+ → GPL-2.0-or-later) is
 * out of scope here; strings that are not SPDX stay names.
 */

export const spdxLicenseListVersion: string = SPDX_LICENSE_LIST_VERSION;

const LICENSES = new Map(SPDX_LICENSE_IDS.map((id) => [id.toLowerCase(), id]));
const EXCEPTIONS = new Map(SPDX_EXCEPTION_IDS.map((id) => [id.toLowerCase(), id]));

/** Longest expression accepted, and deepest parenthesis nesting: licence strings come from image content. */
const MAX_EXPRESSION_LENGTH = 4096;
const MAX_DEPTH = 32;

/** The listed licence id in its canonical case (ids match case-insensitively), or undefined. */
export function canonicalLicenseId(s: string): string | undefined {
  return LICENSES.get(s.toLowerCase());
}

/** The listed licence exception id in its canonical case, or undefined. */
export function canonicalExceptionId(s: string): string | undefined {
  return EXCEPTIONS.get(s.toLowerCase());
}

export type LicenseNode =
  /** A listed licence; `orLater` for the `+` operator. */
  | { kind: 'license'; id: string; orLater: boolean }
  /** `LicenseRef-x` or `DocumentRef-y:LicenseRef-x`. */
  | { kind: 'ref'; ref: string }
  | { kind: 'with'; license: LicenseNode; exception: string }
  | { kind: 'and' | 'or'; args: LicenseNode[] };

const IDSTRING = '[A-Za-z0-9.-]+';
const REF_RE = new RegExp(`^(?:DocumentRef-${IDSTRING}:)?LicenseRef-${IDSTRING}$`);
const TOKEN_RE = /\s*(\(|\)|[^\s()]+)/y;

/** Parse an SPDX licence expression; undefined when it is not one (unknown id, bad syntax, too long or deep). */
export function parseLicenseExpression(input: string): LicenseNode | undefined {
  if (input.length > MAX_EXPRESSION_LENGTH) return undefined;
  const tokens: string[] = [];
  const re = new RegExp(TOKEN_RE);
  let end = 0;
  for (let m = re.exec(input); m; m = re.exec(input)) {
    tokens.push(m[1] ?? '');
    end = re.lastIndex;
  }
  if (input.slice(end).trim() !== '' || tokens.length === 0) return undefined;
  let pos = 0;
  let depth = 0;
  const peekOp = (op: string): boolean => tokens[pos]?.toUpperCase() === op;

  const simple = (): LicenseNode | undefined => {
    const t = tokens[pos];
    if (t === undefined || t === '(' || t === ')') return undefined;
    pos++;
    if (REF_RE.test(t)) return { kind: 'ref', ref: t };
    // A listed id may itself end in `+` (the deprecated GPL-2.0+); otherwise `+` is the or-later operator.
    const whole = canonicalLicenseId(t);
    if (whole) return { kind: 'license', id: whole, orLater: false };
    if (t.endsWith('+')) {
      const base = canonicalLicenseId(t.slice(0, -1));
      if (base) return { kind: 'license', id: base, orLater: true };
    }
    return undefined;
  };

  const primary = (): LicenseNode | undefined => {
    if (tokens[pos] === '(') {
      if (++depth > MAX_DEPTH) return undefined;
      pos++;
      const inner = orExpr();
      if (!inner || tokens[pos] !== ')') return undefined;
      pos++;
      depth--;
      return inner;
    }
    const s = simple();
    if (!s) return undefined;
    if (peekOp('WITH')) {
      pos++;
      const exception = canonicalExceptionId(tokens[pos] ?? '');
      if (!exception) return undefined;
      pos++;
      return { kind: 'with', license: s, exception };
    }
    return s;
  };

  const nary = (kind: 'and' | 'or', op: string, next: () => LicenseNode | undefined): LicenseNode | undefined => {
    const first = next();
    if (!first) return undefined;
    const args = [first];
    while (peekOp(op)) {
      pos++;
      const n = next();
      if (!n) return undefined;
      args.push(n);
    }
    return args.length === 1 ? first : { kind, args };
  };
  const andExpr = (): LicenseNode | undefined => nary('and', 'AND', primary);
  const orExpr = (): LicenseNode | undefined => nary('or', 'OR', andExpr);

  const tree = orExpr();
  return tree && pos === tokens.length ? tree : undefined;
}

/** Render an expression with canonical ids, upper-case operators and parentheses around every compound operand. */
export function formatLicenseExpression(node: LicenseNode): string {
  switch (node.kind) {
    case 'license':
      return node.orLater ? `${node.id}+` : node.id;
    case 'ref':
      return node.ref;
    case 'with':
      return `${formatLicenseExpression(node.license)} WITH ${node.exception}`;
    case 'and':
    case 'or':
      return node.args
        .map((a) =>
          a.kind === 'and' || a.kind === 'or' ? `(${formatLicenseExpression(a)})` : formatLicenseExpression(a),
        )
        .join(node.kind === 'and' ? ' AND ' : ' OR ');
  }
}

/** Join several expressions conjunctively (a package declared under all of them); undefined for none. */
export function andLicenses(nodes: readonly LicenseNode[]): LicenseNode | undefined {
  if (nodes.length <= 1) return nodes[0];
  const args: LicenseNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'and') args.push(...n.args);
    else args.push(n);
  }
  return { kind: 'and', args };
}

/** The `LicenseRef-…` and `DocumentRef-…:LicenseRef-…` references an expression uses, in order of appearance. */
export function licenseRefsIn(node: LicenseNode): string[] {
  switch (node.kind) {
    case 'license':
      return [];
    case 'ref':
      return [node.ref];
    case 'with':
      return licenseRefsIn(node.license);
    case 'and':
    case 'or':
      return node.args.flatMap(licenseRefsIn);
  }
}

/** What one licence string of a package is, for the writers. */
export type LicenseClass =
  /** A single listed licence id, canonical case. */
  | { kind: 'id'; id: string }
  /** A valid expression that is more than a single listed id (`MIT OR Apache-2.0`, `GPL-2.0+`, `LicenseRef-x`). */
  | { kind: 'expression'; node: LicenseNode; expression: string }
  /** Anything else, kept as written (`GPL-2+`, `public-domain`, `GPLv2 and LGPLv2+`). */
  | { kind: 'name'; name: string };

export function classifyLicense(s: string): LicenseClass {
  const text = s.trim();
  const node = parseLicenseExpression(text);
  if (!node) return { kind: 'name', name: text };
  if (node.kind === 'license' && !node.orLater) return { kind: 'id', id: node.id };
  return { kind: 'expression', node, expression: formatLicenseExpression(node) };
}

/** Trimmed, non-empty, first occurrence kept: the licence strings of a package as the writers use them. */
export function distinctLicenses(list: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of list) {
    const s = raw.trim();
    if (s && !seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/**
 * LicenseRef ids for licence names that are not SPDX. The ref is readable (`GPL-2+` → `LicenseRef-GPL-2-plus`);
 * names that sanitise to the same ref, or to a ref in `reserved` (refs the packages use themselves), get a
 * hash suffix, so the mapping does not depend on order and never gives one id two meanings.
 */
export function licenseRefsFor(
  names: Iterable<string>,
  reserved: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const byBase = new Map<string, string[]>();
  for (const name of new Set(names)) {
    const base = licenseRefBase(name);
    const group = byBase.get(base);
    if (group) group.push(name);
    else byBase.set(base, [name]);
  }
  const out = new Map<string, string>();
  for (const [base, group] of byBase) {
    for (const name of group) {
      const unique = group.length === 1 && !reserved.has(base);
      out.set(name, unique ? base : `${base}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`);
    }
  }
  return out;
}

function licenseRefBase(name: string): string {
  const id = name
    .replaceAll('+', '-plus')
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return `LicenseRef-${id || 'unnamed'}`;
}
