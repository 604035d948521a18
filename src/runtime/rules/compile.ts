import { type FieldRef, type FieldType, type FieldValue, type Getter, resolveField } from '../events/fields.ts';
import type { AnyEvent, EventSourceName } from '../events/types.ts';
import type { CondNode, FieldExpr, LiteralItem, Op, Transformer, ValueExpr } from './language.ts';

/**
 * Compile a parsed condition into one closure, once: macros are inlined, lists expanded, fields
 * resolved to accessors, literals converted to the field's type (numbers, CIDRs, globs, sets).
 * Fields Bollard does not provide are collected (the rule is then disabled and lists them), and
 * the set of event types the condition can match is computed for the evt.type index.
 */

export type Predicate = (e: AnyEvent) => boolean;

export interface MacroDef {
  name: string;
  ast: CondNode;
  /** Where the macro is defined, for error messages. */
  where: string;
}

export interface CompileContext {
  source: EventSourceName;
  macros: ReadonlyMap<string, MacroDef>;
  /** Lists with their items already expanded (list names inside lists resolved). */
  lists: ReadonlyMap<string, readonly LiteralItem[]>;
}

export interface CompileResult {
  predicate: Predicate;
  /** Event types the condition can match; undefined when any type can match. */
  evtTypes: ReadonlySet<string> | undefined;
  /** Fields named by the condition that Bollard does not provide (the rule must be disabled). */
  missingFields: string[];
}

/** An error in a condition that is not syntax: an undefined macro, a bad value for a field type. */
export class CompileError extends Error {
  readonly pos: number;
  /** The macro in which the error is, when it is not in the rule's own text. */
  readonly macro: string | undefined;
  constructor(message: string, pos: number, macro?: string) {
    super(message);
    this.name = 'CompileError';
    this.pos = pos;
    this.macro = macro;
  }
}

const MAX_MACRO_DEPTH = 64;
const ALWAYS_FALSE: Predicate = () => false;

interface State {
  ctx: CompileContext;
  missing: Set<string>;
  stack: string[];
}

export function compileCondition(ast: CondNode, ctx: CompileContext): CompileResult {
  const st: State = { ctx, missing: new Set(), stack: [] };
  const predicate = compileNode(ast, st);
  const evtTypes = ctx.source === 'syscall' ? eventTypes(ast, st, 0) : undefined;
  return { predicate: st.missing.size > 0 ? ALWAYS_FALSE : predicate, evtTypes, missingFields: [...st.missing] };
}

function macroError(st: State, message: string, pos: number): CompileError {
  const m = st.stack.at(-1);
  return new CompileError(message, m === undefined ? pos : -1, m);
}

function compileNode(n: CondNode, st: State): Predicate {
  switch (n.kind) {
    case 'const':
      return n.value ? () => true : ALWAYS_FALSE;
    case 'not': {
      const p = compileNode(n.item, st);
      return (e) => !p(e);
    }
    case 'and': {
      const ps = n.items.map((x) => compileNode(x, st));
      if (ps.length === 2) {
        const [a, b] = ps as [Predicate, Predicate];
        return (e) => a(e) && b(e);
      }
      return (e) => {
        for (const p of ps) if (!p(e)) return false;
        return true;
      };
    }
    case 'or': {
      const ps = n.items.map((x) => compileNode(x, st));
      if (ps.length === 2) {
        const [a, b] = ps as [Predicate, Predicate];
        return (e) => a(e) || b(e);
      }
      return (e) => {
        for (const p of ps) if (p(e)) return true;
        return false;
      };
    }
    case 'macro': {
      const m = st.ctx.macros.get(n.name);
      if (!m) throw macroError(st, `undefined macro "${n.name}"`, n.pos);
      if (st.stack.includes(n.name)) throw macroError(st, `macro "${n.name}" refers to itself`, n.pos);
      if (st.stack.length >= MAX_MACRO_DEPTH) throw macroError(st, `macros nest deeper than ${MAX_MACRO_DEPTH}`, n.pos);
      st.stack.push(n.name);
      const p = compileNode(m.ast, st);
      st.stack.pop();
      return p;
    }
    case 'check':
      return compileCheck(n.field, n.op, n.value, n.pos, st);
  }
}

/** The field as a getter with its transformers applied, and the type it yields. */
function fieldGetter(f: FieldExpr, st: State): { get: Getter<AnyEvent>; type: FieldType; ref: FieldRef } | undefined {
  const r = resolveField(st.ctx.source, f.name, f.arg);
  if (r === undefined) {
    st.missing.add(f.arg === undefined ? f.name : `${f.name}[${f.arg}]`);
    return undefined;
  }
  if (typeof r === 'string') throw macroError(st, r, f.pos);
  let get = r.get;
  let type = r.type;
  for (const t of f.transformers) {
    get = applyTransformer(get, t);
    type = t === 'len' ? 'number' : type === 'list' || type === 'anyof' ? type : 'string';
  }
  return { get, type, ref: r };
}

function mapValue(v: FieldValue, f: (s: string) => FieldValue): FieldValue {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return (v as readonly string[]).map((x) => String(f(x) ?? ''));
  return f(String(v));
}

function applyTransformer(g: Getter<AnyEvent>, t: Transformer): Getter<AnyEvent> {
  switch (t) {
    case 'tolower':
      return (e) => mapValue(g(e), (s) => s.toLowerCase());
    case 'toupper':
      return (e) => mapValue(g(e), (s) => s.toUpperCase());
    case 'b64':
      return (e) => mapValue(g(e), (s) => Buffer.from(s, 'base64').toString('utf8'));
    case 'basename':
      return (e) =>
        mapValue(g(e), (s) => {
          const i = s.lastIndexOf('/');
          return i < 0 ? s : s.slice(i + 1);
        });
    case 'len':
      return (e) => {
        const v = g(e);
        if (v === undefined) return undefined;
        return Array.isArray(v) ? v.length : String(v).length;
      };
  }
}

/** Expand list names among the items (quoted items are literal). */
function expandItems(items: readonly LiteralItem[], st: State): LiteralItem[] {
  const out: LiteralItem[] = [];
  for (const it of items) {
    const l = it.quoted ? undefined : st.ctx.lists.get(it.value);
    if (l) out.push(...l);
    else out.push(it);
  }
  return out;
}

// --- typed values ---------------------------------------------------------------------------------

interface Cidr {
  v6: boolean;
  bytes: Uint8Array;
  bits: number;
}

function parseIp(s: string): Uint8Array | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return Uint8Array.from(parts);
  }
  if (s.includes(':')) {
    const [head, tail, extra] = s.split('::');
    if (extra !== undefined) return undefined;
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
    const out = new Uint8Array(16);
    groups.forEach((g, i) => {
      const v = Number.parseInt(g, 16);
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v & 0xff;
    });
    return out;
  }
  return undefined;
}

function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.length * 8;
  const bits = slash < 0 ? max : Number(s.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  return { v6: addr.length === 16, bytes: addr, bits };
}

function inCidr(ip: string, c: Cidr): boolean {
  const a = parseIp(ip);
  if (!a || a.length !== c.bytes.length) return false;
  let bits = c.bits;
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] as number) & mask) !== ((c.bytes[i] as number) & mask)) return false;
  }
  return true;
}

function globToRegExp(glob: string, flags: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`, `s${flags}`);
}

/** A scalar test on one value, built once for a literal. */
type Test = (v: string | number | boolean) => boolean;

function literalTest(op: Op, lit: string, type: FieldType, pos: number, st: State): Test {
  if (type === 'number' && ['=', '!=', '<', '<=', '>', '>='].includes(op)) {
    const x = Number(lit);
    if (lit.trim() === '' || Number.isNaN(x)) throw macroError(st, `"${lit}" is not a number`, pos);
    switch (op) {
      case '=':
        return (v) => Number(v) === x;
      case '!=':
        return (v) => Number(v) !== x;
      case '<':
        return (v) => Number(v) < x;
      case '<=':
        return (v) => Number(v) <= x;
      case '>':
        return (v) => Number(v) > x;
      default:
        return (v) => Number(v) >= x;
    }
  }
  if (type === 'bool' && (op === '=' || op === '!=')) {
    if (lit !== 'true' && lit !== 'false') throw macroError(st, `"${lit}" is not true or false`, pos);
    const x = lit === 'true';
    return op === '=' ? (v) => v === x || v === lit : (v) => v !== x && v !== lit;
  }
  if ((type === 'ip' || type === 'anyof') && (op === '=' || op === '!=') && parseCidr(lit)) {
    const c = parseCidr(lit) as Cidr;
    return op === '=' ? (v) => inCidr(String(v), c) : (v) => !inCidr(String(v), c);
  }
  switch (op) {
    case '=':
      return (v) => String(v) === lit;
    case '!=':
      return (v) => String(v) !== lit;
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const x = Number(lit);
      if (Number.isNaN(x)) throw macroError(st, `"${lit}" is not a number (operator ${op})`, pos);
      if (op === '<') return (v) => Number(v) < x;
      if (op === '<=') return (v) => Number(v) <= x;
      if (op === '>') return (v) => Number(v) > x;
      return (v) => Number(v) >= x;
    }
    case 'contains':
    case 'bcontains':
      return (v) => String(v).includes(lit);
    case 'icontains': {
      const l = lit.toLowerCase();
      return (v) => String(v).toLowerCase().includes(l);
    }
    case 'startswith':
    case 'bstartswith':
      return (v) => String(v).startsWith(lit);
    case 'endswith':
      return (v) => String(v).endsWith(lit);
    case 'glob': {
      const re = globToRegExp(lit, '');
      return (v) => re.test(String(v));
    }
    case 'iglob': {
      const re = globToRegExp(lit, 'i');
      return (v) => re.test(String(v));
    }
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(lit);
      } catch (e) {
        throw macroError(st, `invalid regular expression: ${(e as Error).message}`, pos);
      }
      return (v) => re.test(String(v));
    }
    default:
      throw macroError(st, `operator ${op} needs a list`, pos);
  }
}

/** Membership test for in/intersects/pmatch against expanded items. */
function setTest(op: Op, items: readonly LiteralItem[], type: FieldType, st: State): Test {
  if (op === 'pmatch') {
    const prefixes = items.map((i) => (i.value.endsWith('/') && i.value.length > 1 ? i.value.slice(0, -1) : i.value));
    return (v) => {
      const s = String(v);
      return prefixes.some((p) => s === p || s.startsWith(p === '/' ? '/' : `${p}/`));
    };
  }
  if (type === 'number') {
    const nums = new Set<number>();
    for (const it of items) {
      const x = Number(it.value);
      if (it.value.trim() === '' || Number.isNaN(x)) throw macroError(st, `"${it.value}" is not a number`, it.pos);
      nums.add(x);
    }
    return (v) => nums.has(Number(v));
  }
  if (type === 'ip' || type === 'anyof') {
    const cidrs = items.map((i) => (i.value.includes('/') ? parseCidr(i.value) : undefined));
    if (cidrs.some((c) => c !== undefined)) {
      const exact = new Set(items.filter((_, k) => cidrs[k] === undefined).map((i) => i.value));
      const nets = cidrs.filter((c): c is Cidr => c !== undefined);
      return (v) => exact.has(String(v)) || nets.some((c) => inCidr(String(v), c));
    }
  }
  const set = new Set(items.map((i) => i.value));
  return (v) => set.has(String(v));
}

function compileCheck(f: FieldExpr, op: Op, value: ValueExpr | undefined, pos: number, st: State): Predicate {
  const fg = fieldGetter(f, st);
  let rhsField: ReturnType<typeof fieldGetter> | null = null;
  if (value?.kind === 'field') rhsField = fieldGetter(value.field, st) ?? null;
  if (!fg || (value?.kind === 'field' && !rhsField)) return ALWAYS_FALSE;
  const { get, type } = fg;
  if (op === 'exists') return (e) => get(e) !== undefined;
  if (value === undefined) throw macroError(st, `operator ${op} needs a value`, pos);

  if (value.kind === 'field') {
    // Field against field (val()): compare as strings, or numbers for numeric fields.
    const rg = (rhsField as NonNullable<typeof rhsField>).get;
    return (e) => {
      const a = get(e);
      const b = rg(e);
      if (a === undefined || b === undefined || Array.isArray(a) || Array.isArray(b)) return false;
      const t = literalTest(op, String(b), type, pos, st);
      return t(a as string | number | boolean);
    };
  }

  let test: Test;
  if (value.kind === 'list') {
    if (op !== 'in' && op !== 'intersects' && op !== 'pmatch')
      throw macroError(st, `operator ${op} takes one value, not a list`, value.pos);
    const items = expandItems(value.items, st);
    if (type === 'list') {
      const t = setTest(op, items, 'string', st);
      if (op === 'intersects') return (e) => anyOf(get(e), t);
      // `in` on a list field: every value is in the set (Falco's semantics).
      return (e) => {
        const v = get(e);
        if (v === undefined) return false;
        if (!Array.isArray(v)) return t(v as string);
        if (v.length === 0) return false;
        for (const x of v) if (!t(x)) return false;
        return true;
      };
    }
    test = setTest(op, items, type, st);
  } else {
    if (op === 'in' || op === 'intersects' || op === 'pmatch') {
      // `x in y` with a single bare value: a list name, or a one-item list.
      const items = expandItems([value.item], st);
      test = setTest(op, items, type === 'list' ? 'string' : type, st);
      if (type === 'list' || type === 'anyof') return (e) => anyOf(get(e), test);
    } else {
      test = literalTest(op, value.item.value, type, value.item.pos, st);
    }
  }
  if (type === 'list' || type === 'anyof') return (e) => anyOf(get(e), test);
  return (e) => {
    const v = get(e);
    return v !== undefined && test(v as string | number | boolean);
  };
}

function anyOf(v: FieldValue, t: Test): boolean {
  if (v === undefined) return false;
  if (!Array.isArray(v)) return t(v as string | number | boolean);
  for (const x of v) if (t(x)) return true;
  return false;
}

// --- event-type index -----------------------------------------------------------------------------

/**
 * The event types a node can match (undefined: any). Like Falco: `evt.type = X` and `evt.type in
 * (...)` narrow, `and` intersects, `or` unites, and a negation of a narrowed set means any type.
 */
function eventTypes(n: CondNode, st: State, depth: number): Set<string> | undefined {
  if (depth > MAX_MACRO_DEPTH) return undefined;
  switch (n.kind) {
    case 'const':
      return n.value ? undefined : new Set();
    case 'check': {
      if (n.field.name !== 'evt.type' || n.field.transformers.length > 0 || n.field.arg !== undefined) return undefined;
      if (n.op === '=' && n.value?.kind === 'literal') return new Set([n.value.item.value]);
      if (n.op === 'in' && n.value?.kind === 'list') return new Set(expandItems(n.value.items, st).map((i) => i.value));
      return undefined;
    }
    case 'not':
      return undefined;
    case 'macro': {
      const m = st.ctx.macros.get(n.name);
      return m ? eventTypes(m.ast, st, depth + 1) : undefined;
    }
    case 'and': {
      let acc: Set<string> | undefined;
      for (const it of n.items) {
        const s = eventTypes(it, st, depth + 1);
        if (s === undefined) continue;
        acc = acc === undefined ? new Set(s) : new Set([...acc].filter((x) => s.has(x)));
      }
      return acc;
    }
    case 'or': {
      const acc = new Set<string>();
      for (const it of n.items) {
        const s = eventTypes(it, st, depth + 1);
        if (s === undefined) return undefined;
        for (const x of s) acc.add(x);
      }
      return acc;
    }
  }
}
