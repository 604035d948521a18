import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import { BollardError } from './errors.ts';

export interface YamlBounds {
  /** What the document is, for error messages (a file path, "ignore file"). */
  what: string;
  /** Largest text accepted, in bytes (default 16 MiB). */
  maxBytes?: number;
  /** Most documents in one stream (default 100,000). */
  maxDocuments?: number;
  /** Deepest nesting of collections (default 64). */
  maxDepth?: number;
  /** Most alias expansions per document: billion-laughs guard (default 1,000). */
  maxAliasCount?: number;
  /**
   * Most nodes that alias expansion may add to one document, counting every alias as a copy of
   * what it names (default 250,000). Only `parseYamlSourceMapped` reads it.
   */
  maxAliasNodes?: number;
}

/** One parsed document with its source map, so callers can report exact lines. */
export interface YamlDocument {
  /** The document as plain JS (maps as objects, merge keys applied). */
  value: unknown;
  /** The parsed document; `doc.contents` nodes carry `range` offsets. */
  doc: Document.Parsed;
  /** 1-based line of the document's first content line. */
  startLine: number;
  lineCounter: LineCounter;
}

export const YAML_DEFAULTS = {
  maxBytes: 16 * 1024 * 1024,
  maxDocuments: 100_000,
  maxDepth: 64,
  maxAliasCount: 1000,
  maxAliasNodes: 250_000,
};

/**
 * Parse untrusted YAML (one or many documents). Core schema only: tags that would construct
 * objects (`!!python/object`, `!!js/function`) are refused, alias expansion is capped, nesting
 * is measured before any value is built, and duplicate keys are errors.
 */
export function parseYamlDocuments(input: string | Buffer, bounds: YamlBounds): YamlDocument[] {
  const b = { ...YAML_DEFAULTS, ...bounds };
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > b.maxBytes) {
    throw new BollardError('LIMIT_EXCEEDED', `${b.what} is ${size} bytes, over the limit of ${b.maxBytes}`);
  }
  const text = typeof input === 'string' ? input : input.toString('utf8');
  // Flow collections nest by brackets: measure before the parser sees them, so a hostile
  // `[[[[...` never reaches recursive code.
  if (flowDepth(text) > b.maxDepth) {
    throw new BollardError('LIMIT_EXCEEDED', `${b.what} nests deeper than ${b.maxDepth} levels`);
  }
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      schema: 'core',
      merge: true,
      strict: true,
    }) as Document.Parsed[];
  } catch (e) {
    throw new BollardError('INPUT_INVALID', `${b.what}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(docs)) docs = [docs];
  if (docs.length > b.maxDocuments) {
    throw new BollardError('LIMIT_EXCEEDED', `${b.what} has more than ${b.maxDocuments} documents`);
  }
  const out: YamlDocument[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      // Without prettyErrors the parser leaves linePos unset; the offset is always there.
      const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
      const where = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
      throw new BollardError('INPUT_INVALID', `${b.what}${where}: ${firstLine(err.message)}`);
    }
    const tagWarning = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
    if (tagWarning) {
      const pos = tagWarning.linePos?.[0] ?? lineCounter.linePos(tagWarning.pos[0]);
      throw new BollardError(
        'INPUT_INVALID',
        `${b.what}${pos ? ` (line ${pos.line})` : ''}: unsupported YAML tag: ${firstLine(tagWarning.message)}`,
      );
    }
    if (nodeDepth(doc.contents as Node | null) > b.maxDepth) {
      throw new BollardError('LIMIT_EXCEEDED', `${b.what} nests deeper than ${b.maxDepth} levels`);
    }
    const recursive = recursiveAlias(doc.contents as Node | null);
    if (recursive !== undefined) {
      const pos = recursive.range ? lineCounter.linePos(recursive.range[0]) : undefined;
      throw new BollardError(
        'INPUT_INVALID',
        `${b.what}${pos ? ` (line ${pos.line})` : ''}: alias *${recursive.source} refers to a node that contains it`,
      );
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: b.maxAliasCount });
    } catch (e) {
      const msg = (e as Error).message;
      const code = /alias/i.test(msg) ? 'LIMIT_EXCEEDED' : 'INPUT_INVALID';
      throw new BollardError(code, `${b.what}: ${firstLine(msg)}`, { cause: e });
    }
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    out.push({ value, doc, startLine: lineCounter.linePos(start).line, lineCounter });
  }
  return out;
}

/** Parse a stream that must hold exactly one document (empty input gives `null`). */
export function parseYamlBounded(input: string | Buffer, bounds: YamlBounds): unknown {
  const docs = parseYamlDocuments(input, { ...bounds, maxDocuments: 1 });
  return docs[0]?.value ?? null;
}

/** 1-based first and last line of a node (for findings with line ranges). */
export function lineRange(
  node: Node | null | undefined,
  lc: LineCounter,
): { startLine: number; endLine: number } | undefined {
  const r = node?.range;
  if (!r) return undefined;
  const startLine = lc.linePos(r[0]).line;
  // range[1] is the end of the value; a trailing newline would count the next line.
  const endOffset = Math.max(r[0], r[1] - 1);
  return { startLine, endLine: Math.max(startLine, lc.linePos(endOffset).line) };
}

/** The first line of a (library) message, for one-line errors. */
export function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (c === 0x5c && quote === 0x22) i++;
      else if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) {
      // Only a quote that opens a scalar starts a string; `it's` inside plain text does not.
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0x0a;
      if (
        prev === 0x20 ||
        prev === 0x0a ||
        prev === 0x5b ||
        prev === 0x7b ||
        prev === 0x2c ||
        prev === 0x3a ||
        prev === 0x2d
      )
        quote = c;
    } else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) === 0x20 || text.charCodeAt(i - 1) === 0x0a)) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
    else if (c === 0x0a && depth === 0) quote = 0;
  }
  return max;
}

/** Collection depth of a parsed node tree, iteratively (aliases are not followed). */
function nodeDepth(root: Node | null): number {
  if (!root) return 0;
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [n, d] = stack.pop() as [unknown, number];
    if (isMap(n) || isSeq(n)) {
      if (d > max) max = d;
      for (const item of n.items) {
        if (isPair(item)) {
          stack.push([item.key, d + 1], [item.value, d + 1]);
        } else stack.push([item, d + 1]);
      }
    } else if (isScalar(n) || isAlias(n)) {
      // leaves
    }
  }
  return max;
}

/**
 * An alias inside the node its anchor names (`a: &a [*a]`): the library would build a cyclic
 * value, which loops anything that walks it. Iterative walk with the anchors currently open.
 */
function recursiveAlias(root: Node | null): Alias | undefined {
  if (!root) return undefined;
  const open = new Map<string, number>();
  // A string entry closes the anchor it names once its node's children are done.
  const stack: (unknown | { close: string })[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (n && typeof n === 'object' && 'close' in n && typeof n.close === 'string') {
      const left = (open.get(n.close) ?? 1) - 1;
      if (left === 0) open.delete(n.close);
      else open.set(n.close, left);
      continue;
    }
    if (isAlias(n)) {
      if (open.has(n.source)) return n;
      continue;
    }
    if (!isMap(n) && !isSeq(n)) continue;
    if (n.anchor) {
      open.set(n.anchor, (open.get(n.anchor) ?? 0) + 1);
      stack.push({ close: n.anchor });
    }
    for (const item of n.items) {
      if (isPair(item)) stack.push(item.key, item.value);
      else stack.push(item);
    }
  }
  return undefined;
}
