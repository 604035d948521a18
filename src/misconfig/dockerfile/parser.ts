import { BollardError } from '../../util/errors.ts';

/**
 * A Dockerfile parser that keeps line numbers: parser directives (`# syntax=`, `# escape=`,
 * `# check=`), line continuations with the escape character (comment and blank lines inside a
 * continuation are dropped, as BuildKit does), heredocs (`<<EOF`, `<<-EOF`, quoted delimiters,
 * several per instruction), ARG/ENV substitution for the instructions Docker expands, multi-stage
 * builds (`FROM ... AS name`) and stage references (`COPY --from=`).
 */

export interface Heredoc {
  name: string;
  /** `<<-`: leading tabs were stripped from the body and the delimiter line. */
  stripTabs: boolean;
  /** The delimiter was quoted: no expansion inside the body. */
  quoted: boolean;
  body: string;
  startLine: number;
  endLine: number;
}

export interface Flag {
  name: string;
  value: string | undefined;
}

export interface Instruction {
  /** Upper-case keyword (`RUN`, `FROM`, ...). */
  keyword: string;
  /** Everything after the keyword, continuations joined (heredoc bodies not included). */
  raw: string;
  /** `raw` without leading `--flag[=value]` options (for the instructions that take them). */
  args: string;
  flags: Flag[];
  /** Exec (JSON array) form, for RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME. */
  json?: string[];
  heredocs: Heredoc[];
  /** 1-based first and last source line (heredoc bodies included). */
  startLine: number;
  endLine: number;
  /** Index of the stage the instruction belongs to; -1 before the first FROM. */
  stage: number;
  /** The instruction an ONBUILD registers. */
  onbuild?: Instruction;
  /**
   * `args` with ARG/ENV values substituted, for the instructions Docker expands (FROM, COPY, ADD,
   * ENV, LABEL, USER, WORKDIR, EXPOSE, VOLUME, STOPSIGNAL, ARG).
   */
  expanded?: string;
  /** Some variable in `args` had no known value (then checks on the value are skipped). */
  unresolved?: boolean;
}

export interface Stage {
  index: number;
  /** `AS name`, lower-cased as BuildKit compares them. */
  name?: string;
  /** The base image as written, and with global ARGs substituted. */
  image: string;
  imageExpanded: string;
  /** The base refers to an earlier stage (by name or index). */
  parentStage?: number;
  platform?: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface Comment {
  line: number;
  text: string;
}

export interface Dockerfile {
  directives: { syntax?: string; escape: string; check?: string };
  instructions: Instruction[];
  stages: Stage[];
  comments: Comment[];
  /** Instructions before the first FROM (ARG, comments). */
  preamble: Instruction[];
  lineCount: number;
}

export interface ParseOptions {
  /** What the file is, for error messages. */
  what?: string;
  /** Largest Dockerfile accepted, in bytes (default 4 MiB). */
  maxBytes?: number;
  /** Most instructions accepted (default 20,000). */
  maxInstructions?: number;
}

const FLAG_KEYWORDS = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);
const JSON_KEYWORDS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME']);
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const EXPANDED_KEYWORDS = new Set([
  'FROM',
  'COPY',
  'ADD',
  'ENV',
  'LABEL',
  'USER',
  'WORKDIR',
  'EXPOSE',
  'VOLUME',
  'STOPSIGNAL',
  'ARG',
]);
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

export function parseDockerfile(input: string | Buffer, options: ParseOptions = {}): Dockerfile {
  const what = options.what ?? 'Dockerfile';
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const maxInstructions = options.maxInstructions ?? 20_000;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes)
    throw new BollardError('LIMIT_EXCEEDED', `${what} is ${size} bytes, over the limit of ${maxBytes}`);
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  const directives: Dockerfile['directives'] = { escape: '\\' };
  const comments: Comment[] = [];
  let i = 0;
  // Parser directives: only at the very top, before any blank line, comment or instruction.
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name) || seen.has(name)) break;
    seen.add(name);
    const value = m[2] ?? '';
    if (name === 'escape') {
      if (value !== '\\' && value !== '`')
        throw new BollardError('INPUT_INVALID', `${what} (line ${i + 1}): invalid escape character "${value}"`);
      directives.escape = value;
    } else if (name === 'syntax') directives.syntax = value;
    else directives.check = value;
    comments.push({ line: i + 1, text: lines[i]! });
  }
  const esc = directives.escape;

  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '') {
      i++;
      continue;
    }
    if (trimmed.startsWith('#')) {
      comments.push({ line: i + 1, text: trimmed });
      i++;
      continue;
    }
    const startLine = i + 1;
    let logical = '';
    let cur = line;
    for (;;) {
      const rtrimmed = cur.replace(/[ \t]+$/, '');
      if (rtrimmed.endsWith(esc)) {
        logical += rtrimmed.slice(0, -1);
        i++;
        // Blank lines and comment lines inside a continuation are dropped.
        while (i < lines.length) {
          const t = lines[i]!.trim();
          if (t === '' || t.startsWith('#')) {
            if (t.startsWith('#')) comments.push({ line: i + 1, text: t });
            i++;
          } else break;
        }
        if (i >= lines.length) break;
        cur = lines[i]!;
        continue;
      }
      logical += cur;
      i++;
      break;
    }
    let endLine = Math.min(i, lines.length);
    const inst = parseInstruction(logical.trimStart(), startLine, endLine, esc, what);
    if (HEREDOC_KEYWORDS.has(inst.keyword) && !inst.json) {
      const docs = [...inst.raw.matchAll(HEREDOC)];
      for (const d of docs) {
        const stripTabs = d[1] === '-';
        const name = d[3]!;
        const bodyLines: string[] = [];
        const hStart = i + 1;
        let closed = false;
        while (i < lines.length) {
          const l = lines[i]!;
          i++;
          const cmp = stripTabs ? l.replace(/^\t+/, '') : l;
          if (cmp === name) {
            closed = true;
            break;
          }
          bodyLines.push(stripTabs ? l.replace(/^\t+/, '') : l);
        }
        if (!closed)
          throw new BollardError('INPUT_INVALID', `${what} (line ${startLine}): heredoc <<${name} is not terminated`);
        inst.heredocs.push({
          name,
          stripTabs,
          quoted: d[2] !== '',
          body: bodyLines.join('\n'),
          startLine: hStart,
          endLine: i,
        });
        endLine = i;
      }
      inst.endLine = endLine;
    }
    instructions.push(inst);
    if (instructions.length > maxInstructions)
      throw new BollardError('LIMIT_EXCEEDED', `${what} has more than ${maxInstructions} instructions`);
  }

  return assemble(instructions, directives, comments, lines.length, what);
}

function parseInstruction(logical: string, startLine: number, endLine: number, esc: string, what: string): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(logical);
  const keyword = (m?.[1] ?? '').toUpperCase();
  const raw = (m?.[2] ?? '').trim();
  if (!/^[A-Z]+$/.test(keyword))
    throw new BollardError('INPUT_INVALID', `${what} (line ${startLine}): not an instruction: ${logical.slice(0, 60)}`);
  const inst: Instruction = {
    keyword,
    raw,
    args: raw,
    flags: [],
    heredocs: [],
    startLine,
    endLine,
    stage: -1,
  };
  if (keyword === 'ONBUILD') {
    inst.onbuild = parseInstruction(raw, startLine, endLine, esc, what);
    return inst;
  }
  if (FLAG_KEYWORDS.has(keyword)) {
    let rest = raw;
    for (;;) {
      const f = /^--([A-Za-z][A-Za-z0-9-]*)(?:=("(?:[^"\\]|\\.)*"|\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      let value = f[2];
      if (value?.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      inst.flags.push({ name: f[1]!.toLowerCase(), value });
      rest = rest.slice(f[0].length);
    }
    inst.args = rest.trim();
  }
  if (JSON_KEYWORDS.has(keyword) && inst.args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(inst.args);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) inst.json = parsed as string[];
    } catch {
      // not JSON: shell form (Docker does the same)
    }
  }
  return inst;
}

function assemble(
  instructions: Instruction[],
  directives: Dockerfile['directives'],
  comments: Comment[],
  lineCount: number,
  _what: string,
): Dockerfile {
  const stages: Stage[] = [];
  const preamble: Instruction[] = [];
  // Global ARGs (before the first FROM) are visible to FROM lines, and to stages that redeclare them.
  const globalArgs = new Map<string, string | undefined>();
  let scope = new Map<string, string | undefined>();
  const stageScopes: Map<string, string | undefined>[] = [];
  const esc = directives.escape;

  for (const inst of instructions) {
    const current = stages[stages.length - 1];
    if (inst.keyword === 'FROM') {
      const ex = substitute(inst.args, globalArgs, esc);
      inst.expanded = ex.value;
      inst.unresolved = ex.unresolved;
      const words = splitWords(ex.value, esc);
      const rawWords = splitWords(inst.args, esc);
      const image = rawWords[0] ?? '';
      const imageExpanded = words[0] ?? '';
      const asIdx = words.findIndex((w) => w.toLowerCase() === 'as');
      const name = asIdx >= 0 ? words[asIdx + 1]?.toLowerCase() : undefined;
      const index = stages.length;
      inst.stage = index;
      const lower = imageExpanded.toLowerCase();
      let parentStage: number | undefined = stages.find((s) => s.name !== undefined && s.name === lower)?.index;
      if (parentStage === undefined && /^\d+$/.test(imageExpanded) && Number(imageExpanded) < index)
        parentStage = Number(imageExpanded);
      const platform = inst.flags.find((f) => f.name === 'platform')?.value;
      const stage: Stage = {
        index,
        image,
        imageExpanded,
        from: inst,
        instructions: [inst],
        ...(name !== undefined ? { name } : {}),
        ...(parentStage !== undefined ? { parentStage } : {}),
        ...(platform !== undefined ? { platform } : {}),
      };
      stages.push(stage);
      // A stage built on another stage inherits its ENV (but not its ARGs).
      scope = new Map();
      if (parentStage !== undefined) {
        for (const [k, v] of stageScopes[parentStage] ?? new Map<string, string | undefined>())
          if (!k.startsWith('arg:')) scope.set(k, v);
      }
      stageScopes.push(scope);
      continue;
    }
    if (!current) {
      preamble.push(inst);
      if (inst.keyword === 'ARG') {
        for (const [k, v] of parseArgs(inst.args, esc)) {
          const value = v === undefined ? undefined : substitute(v, globalArgs, esc).value;
          globalArgs.set(k, value);
        }
        inst.expanded = inst.args;
      }
      continue;
    }
    inst.stage = current.index;
    current.instructions.push(inst);
    if (inst.onbuild) inst.onbuild.stage = current.index;
    const vars = flatten(scope);
    if (EXPANDED_KEYWORDS.has(inst.keyword)) {
      const ex = substitute(inst.args, vars, esc);
      inst.expanded = ex.value;
      inst.unresolved = ex.unresolved;
    }
    if (inst.keyword === 'ARG') {
      for (const [k, v] of parseArgs(inst.args, esc)) {
        // Redeclaring a global ARG inside a stage brings its default in.
        const value = v !== undefined ? substitute(v, vars, esc).value : globalArgs.get(k);
        scope.set(`arg:${k}`, value);
      }
    } else if (inst.keyword === 'ENV') {
      for (const [k, v] of parseKeyValues(inst.args, esc, true)) {
        scope.set(`env:${k}`, substitute(v, flatten(scope), esc).value);
      }
    }
  }
  return { directives, instructions, stages, comments, preamble, lineCount };
}

/** ENV overrides ARG of the same name. */
function flatten(scope: Map<string, string | undefined>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [k, v] of scope) if (k.startsWith('arg:')) out.set(k.slice(4), v);
  for (const [k, v] of scope) if (k.startsWith('env:')) out.set(k.slice(4), v);
  return out;
}

/**
 * Docker's word expansion: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`,
 * `${VAR+alt}`, `${VAR:?msg}`; the escape character makes `$` literal. Unknown variables expand
 * to the empty string, as Docker does, and mark the result `unresolved`.
 */
export function substitute(
  text: string,
  vars: ReadonlyMap<string, string | undefined>,
  esc = '\\',
): { value: string; unresolved: boolean } {
  let out = '';
  let unresolved = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === esc && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c === "'" && quote === '') quote = "'";
    else if (c === "'" && quote === "'") quote = '';
    else if (c === '"' && quote === '') quote = '"';
    else if (c === '"' && quote === '"') quote = '';
    if (c !== '$' || quote === "'") {
      out += c;
      continue;
    }
    const n = text[i + 1];
    if (n === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) {
        out += c;
        continue;
      }
      const body = text.slice(i + 2, close);
      i = close;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(body);
      if (!m) {
        unresolved = true;
        continue;
      }
      const name = m[1]!;
      const op = m[2];
      const word = m[3] ?? '';
      const has = vars.has(name) && vars.get(name) !== undefined;
      const value = vars.get(name) ?? '';
      if (op === ':-') {
        out += has && value !== '' ? value : substitute(word, vars, esc).value;
      } else if (op === '-') {
        out += has ? value : substitute(word, vars, esc).value;
      } else if (op === ':+') {
        out += has && value !== '' ? substitute(word, vars, esc).value : '';
      } else if (op === '+') {
        out += has ? substitute(word, vars, esc).value : '';
      } else if (op === ':?' || op === '?') {
        if (!has) unresolved = true;
        out += value;
      } else {
        if (!has) unresolved = true;
        out += value;
      }
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += c;
      continue;
    }
    const name = m[0];
    if (!(vars.has(name) && vars.get(name) !== undefined)) unresolved = true;
    out += vars.get(name) ?? '';
    i += name.length;
  }
  return { value: out, unresolved };
}

/** Split on unquoted whitespace, removing quotes and escape characters. */
export function splitWords(text: string, esc = '\\'): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === esc && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === esc && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

/** `ARG a=1 b` → [['a','1'], ['b', undefined]]. */
export function parseArgs(text: string, esc = '\\'): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  for (const w of splitWords(text, esc)) {
    const eq = w.indexOf('=');
    if (eq < 0) out.push([w, undefined]);
    else out.push([w.slice(0, eq), w.slice(eq + 1)]);
  }
  return out;
}

/**
 * `ENV a=1 b="x y"` or the legacy `ENV a x y` (one pair, the rest of the line is the value);
 * LABEL uses the `=` form only.
 */
export function parseKeyValues(text: string, esc = '\\', legacy = false): [string, string][] {
  const words = splitWords(text, esc);
  if (words.length === 0) return [];
  if (legacy && !words[0]!.includes('=')) {
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(text);
    if (!m) return [[words[0]!, '']];
    return [[m[1]!, splitWords(m[2]!, esc).join(' ')]];
  }
  const out: [string, string][] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) out.push([w, '']);
    else out.push([w.slice(0, eq), w.slice(eq + 1)]);
  }
  return out;
}

/** The script a RUN executes: its heredoc bodies when it runs one, else its shell-form text. */
export function runScript(inst: Instruction): string {
  if (inst.json) {
    const j = inst.json;
    // ["sh", "-c", "script"] runs a script; anything else is a single command.
    if (j.length >= 3 && /(^|\/)(ba|a|z|da)?sh$/.test(j[0] ?? '') && j[1] === '-c') return j[2] ?? '';
    return j.map((w) => (/[\s'"\\]/.test(w) ? `'${w.replace(/'/g, "'\\''")}'` : w)).join(' ');
  }
  if (inst.heredocs.length > 0) {
    // `RUN <<EOF` runs the body; `RUN python3 <<EOF` feeds it to a command: keep both.
    const head = inst.args.replace(HEREDOC, '').trim();
    const parts = head ? [head] : [];
    for (const h of inst.heredocs) parts.push(h.body);
    return parts.join('\n');
  }
  return inst.args;
}
