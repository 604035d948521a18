/**
 * Falco's condition language: lexer and recursive-descent parser with offsets on every node.
 * Grammar (precedence low to high): or, and, not, then a check or a parenthesised expression:
 *
 *   expr   := and ('or' and)*
 *   and    := not ('and' not)*
 *   not    := 'not' not | '(' expr ')' | check | macro
 *   check  := field ( 'exists' | binop value | listop '(' items ')' )
 *   field  := name ('[' arg ']')? | transformer '(' field ')'
 *   value  := string | bare word | 'val' '(' field ')' | transformer '(' field ')'
 *
 * Parsing is pure syntax: macros, lists and fields are resolved by the compiler.
 */

export type BinaryOp =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'contains'
  | 'icontains'
  | 'bcontains'
  | 'startswith'
  | 'bstartswith'
  | 'endswith'
  | 'glob'
  | 'iglob'
  | 'regex';
export type ListOp = 'in' | 'intersects' | 'pmatch';
export type Op = BinaryOp | ListOp | 'exists';

export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len'] as const;
export type Transformer = (typeof TRANSFORMERS)[number];

export interface FieldExpr {
  name: string;
  arg: string | undefined;
  /** Applied innermost first: `tolower(basename(x))` is ['basename', 'tolower']. */
  transformers: Transformer[];
  pos: number;
}

export interface LiteralItem {
  value: string;
  /** Quoted strings are never expanded as list names. */
  quoted: boolean;
  pos: number;
}

export type ValueExpr =
  | { kind: 'literal'; item: LiteralItem }
  | { kind: 'list'; items: LiteralItem[]; pos: number }
  | { kind: 'field'; field: FieldExpr };

export type CondNode =
  | { kind: 'and'; items: CondNode[]; pos: number }
  | { kind: 'or'; items: CondNode[]; pos: number }
  | { kind: 'not'; item: CondNode; pos: number }
  | { kind: 'check'; field: FieldExpr; op: Op; value: ValueExpr | undefined; pos: number }
  | { kind: 'macro'; name: string; pos: number }
  /** Constant (from empty exception lists and the like). */
  | { kind: 'const'; value: boolean; pos: number };

/** A syntax error with its offset in the condition text. */
export class ConditionSyntaxError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.name = 'ConditionSyntaxError';
    this.pos = pos;
  }
}

type TokKind = 'word' | 'string' | 'lparen' | 'rparen' | 'comma' | 'op' | 'eof';
interface Token {
  kind: TokKind;
  text: string;
  pos: number;
}

const SYMBOL_OPS = ['==', '!=', '<=', '>=', '=', '<', '>'];
const WORD_OPS = new Set<string>([
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'glob',
  'iglob',
  'regex',
  'in',
  'intersects',
  'pmatch',
  'exists',
]);

/** Longest condition text accepted (after macro text is appended). */
export const MAX_CONDITION_CHARS = 256 * 1024;
/** Deepest nesting of parentheses and `not`. */
export const MAX_CONDITION_DEPTH = 200;

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

function isBareStop(c: string): boolean {
  return (
    isSpace(c) ||
    c === '(' ||
    c === ')' ||
    c === ',' ||
    c === '"' ||
    c === "'" ||
    c === '=' ||
    c === '<' ||
    c === '>' ||
    c === '!'
  );
}

export function tokenize(text: string): Token[] {
  if (text.length > MAX_CONDITION_CHARS) {
    throw new ConditionSyntaxError(`condition is longer than ${MAX_CONDITION_CHARS} characters`, 0);
  }
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ kind: 'lparen', text: c, pos: i++ });
      continue;
    }
    if (c === ')') {
      out.push({ kind: 'rparen', text: c, pos: i++ });
      continue;
    }
    if (c === ',') {
      out.push({ kind: 'comma', text: c, pos: i++ });
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      i++;
      let s = '';
      let closed = false;
      while (i < n) {
        const d = text[i] as string;
        if (d === '\\' && i + 1 < n) {
          const e = text[i + 1] as string;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        if (d === c) {
          closed = true;
          i++;
          break;
        }
        s += d;
        i++;
      }
      if (!closed) throw new ConditionSyntaxError('unterminated string', start);
      out.push({ kind: 'string', text: s, pos: start });
      continue;
    }
    const sym = SYMBOL_OPS.find((o) => text.startsWith(o, i));
    if (sym) {
      out.push({ kind: 'op', text: sym === '==' ? '=' : sym, pos: i });
      i += sym.length;
      continue;
    }
    if (c === '!') throw new ConditionSyntaxError("unexpected '!' (did you mean '!=' or 'not'?)", i);
    const start = i;
    while (i < n) {
      const d = text[i] as string;
      if (d === '[') {
        // A field argument runs to its closing bracket, whatever it holds (json pointers, paths).
        const close = text.indexOf(']', i + 1);
        if (close < 0) throw new ConditionSyntaxError("unterminated '['", i);
        i = close + 1;
        continue;
      }
      if (isBareStop(d)) break;
      i++;
    }
    const word = text.slice(start, i);
    out.push({ kind: WORD_OPS.has(word) ? 'op' : 'word', text: word, pos: start });
  }
  out.push({ kind: 'eof', text: '', pos: n });
  return out;
}

const FIELD_RE = /^([A-Za-z_][A-Za-z0-9_.-]*)(?:\[([^\]]*)\])?$/;

class Parser {
  readonly toks: Token[];
  i = 0;
  depth = 0;
  constructor(toks: Token[]) {
    this.toks = toks;
  }

  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)] as Token;
  }

  next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  fail(t: Token, what: string): never {
    const got = t.kind === 'eof' ? 'end of condition' : `'${t.text}'`;
    throw new ConditionSyntaxError(`${what}, got ${got}`, t.pos);
  }

  isKw(t: Token, kw: string): boolean {
    return t.kind === 'word' && t.text === kw;
  }

  enter(t: Token): void {
    if (++this.depth > MAX_CONDITION_DEPTH)
      throw new ConditionSyntaxError(`condition nests deeper than ${MAX_CONDITION_DEPTH} levels`, t.pos);
  }

  parseOr(): CondNode {
    const first = this.peek();
    const items = [this.parseAnd()];
    while (this.isKw(this.peek(), 'or')) {
      this.next();
      items.push(this.parseAnd());
    }
    return items.length === 1 ? (items[0] as CondNode) : { kind: 'or', items, pos: first.pos };
  }

  parseAnd(): CondNode {
    const first = this.peek();
    const items = [this.parseNot()];
    while (this.isKw(this.peek(), 'and')) {
      this.next();
      items.push(this.parseNot());
    }
    return items.length === 1 ? (items[0] as CondNode) : { kind: 'and', items, pos: first.pos };
  }

  parseNot(): CondNode {
    const t = this.peek();
    if (this.isKw(t, 'not')) {
      this.next();
      this.enter(t);
      const item = this.parseNot();
      this.depth--;
      return { kind: 'not', item, pos: t.pos };
    }
    if (t.kind === 'lparen') {
      this.next();
      this.enter(t);
      const e = this.parseOr();
      this.depth--;
      const close = this.next();
      if (close.kind !== 'rparen') this.fail(close, "expected ')' or an operator (and, or)");
      return e;
    }
    return this.parseCheck();
  }

  parseField(): FieldExpr {
    const t = this.next();
    if (t.kind !== 'word') this.fail(t, 'expected a field name or macro');
    const transformer = (TRANSFORMERS as readonly string[]).includes(t.text) ? (t.text as Transformer) : undefined;
    if (transformer && this.peek().kind === 'lparen') {
      this.next();
      this.enter(t);
      const inner = this.parseField();
      this.depth--;
      const close = this.next();
      if (close.kind !== 'rparen') this.fail(close, `expected ')' after the field of ${transformer}()`);
      return { ...inner, transformers: [...inner.transformers, transformer], pos: t.pos };
    }
    const m = FIELD_RE.exec(t.text);
    if (!m) throw new ConditionSyntaxError(`'${t.text}' is not a valid field name`, t.pos);
    return { name: m[1] as string, arg: m[2], transformers: [], pos: t.pos };
  }

  parseCheck(): CondNode {
    const t = this.peek();
    if (t.kind !== 'word') this.fail(t, 'expected a field, a macro, "not" or "("');
    const after = this.peek(1);
    const isTransformer = (TRANSFORMERS as readonly string[]).includes(t.text) && after.kind === 'lparen';
    if (!isTransformer && after.kind !== 'op') {
      // A bare identifier is a macro reference.
      this.next();
      if (t.text === 'and' || t.text === 'or') this.fail(t, 'expected a field, a macro, "not" or "("');
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(t.text)) this.fail(t, 'expected a field or a macro name');
      if (t.text.includes('.')) this.fail(after, `expected an operator after field ${t.text}`);
      return { kind: 'macro', name: t.text, pos: t.pos };
    }
    const field = this.parseField();
    const opTok = this.next();
    if (opTok.kind !== 'op') this.fail(opTok, `expected an operator after ${field.name}`);
    const op = opTok.text as Op;
    if (op === 'exists') return { kind: 'check', field, op, value: undefined, pos: t.pos };
    if (op === 'in' || op === 'intersects' || op === 'pmatch') {
      const open = this.next();
      if (open.kind !== 'lparen') this.fail(open, `expected '(' after ${op}`);
      const items: LiteralItem[] = [];
      if (this.peek().kind === 'rparen') {
        this.next();
        return { kind: 'check', field, op, value: { kind: 'list', items, pos: open.pos }, pos: t.pos };
      }
      for (;;) {
        const v = this.next();
        if (v.kind !== 'word' && v.kind !== 'string') this.fail(v, `expected a value in the list of ${op}`);
        items.push({ value: v.text, quoted: v.kind === 'string', pos: v.pos });
        const sep = this.next();
        if (sep.kind === 'rparen') break;
        if (sep.kind !== 'comma') this.fail(sep, `expected ',' or ')' in the list of ${op}`);
      }
      return { kind: 'check', field, op, value: { kind: 'list', items, pos: open.pos }, pos: t.pos };
    }
    const v = this.peek();
    if (
      v.kind === 'word' &&
      (v.text === 'val' || (TRANSFORMERS as readonly string[]).includes(v.text)) &&
      this.peek(1).kind === 'lparen'
    ) {
      if (v.text === 'val') {
        this.next();
        this.next();
        const f = this.parseField();
        const close = this.next();
        if (close.kind !== 'rparen') this.fail(close, "expected ')' after val(field");
        return { kind: 'check', field, op, value: { kind: 'field', field: f }, pos: t.pos };
      }
      const f = this.parseField();
      return { kind: 'check', field, op, value: { kind: 'field', field: f }, pos: t.pos };
    }
    this.next();
    if (v.kind !== 'word' && v.kind !== 'string') this.fail(v, `expected a value after ${op}`);
    return {
      kind: 'check',
      field,
      op,
      value: { kind: 'literal', item: { value: v.text, quoted: v.kind === 'string', pos: v.pos } },
      pos: t.pos,
    };
  }
}

/** Parse a condition; throws ConditionSyntaxError with the offset of the offending token. */
export function parseCondition(text: string): CondNode {
  const p = new Parser(tokenize(text));
  if (p.peek().kind === 'eof') throw new ConditionSyntaxError('empty condition', 0);
  const node = p.parseOr();
  const rest = p.peek();
  if (rest.kind !== 'eof') p.fail(rest, rest.kind === 'rparen' ? "unbalanced ')'" : 'expected "and", "or" or the end');
  return node;
}

/** A short excerpt of `text` around `pos` with a caret line, for error messages. */
export function excerpt(text: string, pos: number): string {
  const flat = text.replace(/\s/g, ' ');
  const from = Math.max(0, pos - 30);
  const to = Math.min(flat.length, pos + 30);
  return `"${from > 0 ? '…' : ''}${flat.slice(from, to)}${to < flat.length ? '…' : ''}"`;
}
