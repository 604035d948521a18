import { BollardError } from '../../util/errors.ts';

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export interface TomlBounds {
  what: string;
  maxBytes: number;
  /** Deepest nesting of arrays and inline tables. */
  maxDepth: number;
}

/**
 * A TOML 1.0 reader for lockfiles (Cargo.lock, poetry.lock, uv.lock): tables, arrays of tables,
 * dotted and quoted keys, every string form, numbers, booleans, arrays and inline tables. Dates are
 * kept as strings. Input is bounded in size and nesting; anything malformed is INPUT_INVALID with
 * the line. Written for reading what package managers write, not for validating TOML.
 */
export function parseToml(input: string | Buffer, bounds: TomlBounds): TomlTable {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > bounds.maxBytes) {
    throw new BollardError('LIMIT_EXCEEDED', `${bounds.what} is ${size} bytes, over the limit of ${bounds.maxBytes}`);
  }
  return new Parser(typeof input === 'string' ? input : input.toString('utf8'), bounds).document();
}

const BARE_KEY = /[A-Za-z0-9_-]/;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

class Parser {
  readonly s: string;
  readonly bounds: TomlBounds;
  i = 0;

  constructor(s: string, bounds: TomlBounds) {
    this.s = s;
    this.bounds = bounds;
  }

  fail(msg: string): never {
    let line = 1;
    for (let k = 0; k < this.i && k < this.s.length; k++) if (this.s.charCodeAt(k) === 10) line++;
    throw new BollardError('INPUT_INVALID', `${this.bounds.what} (line ${line}): ${msg}`);
  }

  document(): TomlTable {
    const root: TomlTable = Object.create(null) as TomlTable;
    let current = root;
    while (true) {
      this.skipBlank(true);
      if (this.i >= this.s.length) break;
      const c = this.s[this.i];
      if (c === '[') {
        const isArray = this.s[this.i + 1] === '[';
        this.i += isArray ? 2 : 1;
        this.ws();
        const keys = this.key();
        this.ws();
        if (this.s[this.i] !== ']' || (isArray && this.s[this.i + 1] !== ']')) this.fail('unterminated table header');
        this.i += isArray ? 2 : 1;
        current = isArray ? this.appendTable(root, keys) : this.openTable(root, keys);
      } else {
        const keys = this.key();
        this.ws();
        if (this.s[this.i] !== '=') this.fail('expected "="');
        this.i++;
        this.ws();
        const v = this.value(0);
        this.assign(current, keys, v);
      }
      this.ws();
      if (this.s[this.i] === '#') this.comment();
      if (this.i < this.s.length && this.s[this.i] !== '\n' && this.s[this.i] !== '\r')
        this.fail('expected end of line');
    }
    return root;
  }

  openTable(root: TomlTable, keys: string[]): TomlTable {
    let t = root;
    for (const k of keys) {
      let next = t[k];
      if (next === undefined) {
        next = Object.create(null) as TomlTable;
        t[k] = next;
      }
      if (Array.isArray(next)) next = next.at(-1) as TomlValue;
      if (typeof next !== 'object' || next === null || Array.isArray(next)) this.fail(`key "${k}" is not a table`);
      t = next;
    }
    return t;
  }

  appendTable(root: TomlTable, keys: string[]): TomlTable {
    const parent = this.openTable(root, keys.slice(0, -1));
    const last = keys.at(-1) as string;
    let arr = parent[last];
    if (arr === undefined) {
      arr = [];
      parent[last] = arr;
    }
    if (!Array.isArray(arr)) this.fail(`key "${last}" is not an array of tables`);
    const t = Object.create(null) as TomlTable;
    arr.push(t);
    return t;
  }

  assign(table: TomlTable, keys: string[], v: TomlValue): void {
    const t = this.openTable(table, keys.slice(0, -1));
    const last = keys.at(-1) as string;
    if (last in t) this.fail(`duplicate key "${last.slice(0, 60)}"`);
    t[last] = v;
  }

  key(): string[] {
    const keys: string[] = [];
    while (true) {
      this.ws();
      const c = this.s[this.i];
      if (c === '"') keys.push(this.basicString());
      else if (c === "'") keys.push(this.literalString());
      else {
        const start = this.i;
        while (this.i < this.s.length && BARE_KEY.test(this.s[this.i] as string)) this.i++;
        if (this.i === start) this.fail('expected a key');
        keys.push(this.s.slice(start, this.i));
      }
      this.ws();
      if (this.s[this.i] !== '.') return keys;
      this.i++;
    }
  }

  value(depth: number): TomlValue {
    if (depth > this.bounds.maxDepth) {
      throw new BollardError('LIMIT_EXCEEDED', `${this.bounds.what} nests deeper than ${this.bounds.maxDepth} levels`);
    }
    const c = this.s[this.i];
    if (c === '"') return this.s.startsWith('"""', this.i) ? this.multiBasic() : this.basicString();
    if (c === "'") return this.s.startsWith("'''", this.i) ? this.multiLiteral() : this.literalString();
    if (c === '[') return this.array(depth);
    if (c === '{') return this.inlineTable(depth);
    const m = /^[^\s,\]}#]+/.exec(this.s.slice(this.i, this.i + 128));
    if (!m) this.fail('expected a value');
    let word = m[0];
    // Dates may carry a time after a space: `1979-05-27 07:32:00Z`.
    if (/^\d{4}-\d{2}-\d{2}$/.test(word)) {
      const t = /^ \d{2}:\d{2}[^\s,\]}#]*/.exec(this.s.slice(this.i + word.length, this.i + word.length + 64));
      if (t) word += t[0];
    }
    this.i += word.length;
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (/^[+-]?(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?$/.test(word)) return Number(word.replace(/_/g, ''));
    if (/^0x[0-9a-fA-F_]+$|^0o[0-7_]+$|^0b[01_]+$/.test(word)) return Number(word.replace(/_/g, ''));
    if (/^[+-]?(inf|nan)$/.test(word)) return Number(word.replace('inf', 'Infinity').replace(/^[+-]?nan$/, 'NaN'));
    if (/^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}/.test(word)) return word;
    return this.fail(`unexpected value "${word.slice(0, 40)}"`);
  }

  array(depth: number): TomlValue[] {
    this.i++;
    const out: TomlValue[] = [];
    while (true) {
      this.skipBlank(true);
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.skipBlank(true);
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== ']') this.fail('expected "," or "]" in an array');
    }
  }

  inlineTable(depth: number): TomlTable {
    this.i++;
    const t = Object.create(null) as TomlTable;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return t;
    }
    while (true) {
      const keys = this.key();
      this.ws();
      if (this.s[this.i] !== '=') this.fail('expected "=" in an inline table');
      this.i++;
      this.ws();
      this.assign(t, keys, this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.s[this.i] === '}') {
        this.i++;
        return t;
      }
      this.fail('expected "," or "}" in an inline table');
    }
  }

  basicString(): string {
    this.i++;
    let out = '';
    while (true) {
      const c = this.s[this.i];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.i++;
      if (c === '"') return out;
      out += c === '\\' ? this.escape() : c;
    }
  }

  escape(): string {
    const e = this.s[this.i++] as string;
    if (e in ESCAPES) return ESCAPES[e] as string;
    if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = this.s.slice(this.i, this.i + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) this.fail('bad unicode escape');
      this.i += n;
      const cp = Number.parseInt(hex, 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\uFFFD';
    }
    return this.fail('bad escape');
  }

  literalString(): string {
    const end = this.s.indexOf("'", this.i + 1);
    const nl = this.s.indexOf('\n', this.i + 1);
    if (end < 0 || (nl >= 0 && nl < end)) this.fail('unterminated string');
    const out = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return out;
  }

  multiBasic(): string {
    this.i += 3;
    if (this.s[this.i] === '\n') this.i++;
    else if (this.s.startsWith('\r\n', this.i)) this.i += 2;
    let out = '';
    while (true) {
      if (this.i >= this.s.length) this.fail('unterminated string');
      if (this.s.startsWith('"""', this.i)) {
        // Up to two quotes may close the content right before the delimiter.
        let extra = 0;
        while (extra < 2 && this.s[this.i + 3 + extra] === '"') extra++;
        out += '"'.repeat(extra);
        this.i += 3 + extra;
        return out;
      }
      const c = this.s[this.i++] as string;
      if (c !== '\\') {
        out += c;
        continue;
      }
      // A backslash at the end of a line trims the newline and following whitespace.
      const rest = /^[ \t]*\r?\n[\s]*/.exec(this.s.slice(this.i, this.i + 4096));
      if (rest) this.i += rest[0].length;
      else out += this.escape();
    }
  }

  multiLiteral(): string {
    let start = this.i + 3;
    if (this.s[start] === '\n') start++;
    else if (this.s.startsWith('\r\n', start)) start += 2;
    const end = this.s.indexOf("'''", start);
    if (end < 0) this.fail('unterminated string');
    let close = end;
    while (close - end < 2 && this.s[close + 3] === "'") close++;
    this.i = close + 3;
    return this.s.slice(start, close);
  }

  ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  comment(): void {
    const nl = this.s.indexOf('\n', this.i);
    this.i = nl < 0 ? this.s.length : nl;
  }

  /** Whitespace, comments and (when allowed) newlines. */
  skipBlank(newlines: boolean): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t') this.i++;
      else if (c === '#') this.comment();
      else if (newlines && (c === '\n' || c === '\r')) this.i++;
      else return;
    }
  }
}
