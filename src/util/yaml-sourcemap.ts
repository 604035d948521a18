/**
 * Source-mapped YAML reading on js-yaml's event parser: ~10x faster than `parseYamlDocuments` on
 * large streams (the Kubernetes manifest reader's hot path), with a compact position tree instead
 * of a full document model. Same bounds and error codes as `./yaml.ts`.
 */
import {
  CHOMPING_MODE,
  COLLECTION_STYLE,
  CORE_SCHEMA,
  constructFromEvents,
  type DocumentEvent,
  EVENT_ID,
  mergeTag,
  parseEvents,
  SCALAR_STYLE,
  type ScalarEvent,
  YAMLException,
  type Event as YamlEvent,
} from 'js-yaml';
import { isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { BollardError } from './errors.ts';
import { firstLine, parseYamlDocuments, YAML_DEFAULTS, type YamlBounds, type YamlDocument } from './yaml.ts';

/** A node of a position tree: an index into the tree's tables; -1 means "none". */
export type YamlNodeId = number;

export type YamlNodeKind = 'scalar' | 'sequence' | 'mapping' | 'alias';

/** Offset → line lookup over one source text (line-start table, binary search). */
export interface LineIndex {
  /** 1-based line of a 0-based offset (offsets past the end give the last line). */
  lineOf(offset: number): number;
  /** 0-based offset where a 1-based line starts, or `undefined` past the last line. */
  lineStart(line: number): number | undefined;
  readonly lineCount: number;
}

/**
 * Where each node of a stream sits in the source. Nodes are plain numbers; aliases are leaves (a
 * path through an alias ends there). Offsets are 0-based, end-exclusive, into `source`.
 */
export interface YamlPositionTree {
  readonly source: string;
  readonly lines: LineIndex;
  kind(node: YamlNodeId): YamlNodeKind;
  start(node: YamlNodeId): number;
  end(node: YamlNodeId): number;
  /** Entries of a mapping or items of a sequence (0 for scalars and aliases). */
  size(node: YamlNodeId): number;
  /** The value under a mapping key (compared as the key's JS string) or a sequence index; -1 when absent. */
  child(node: YamlNodeId, seg: string | number): YamlNodeId;
  /** The key node of a mapping entry; -1 when absent. */
  keyNode(node: YamlNodeId, key: string): YamlNodeId;
  /** The items of a sequence in order (empty for anything else). */
  items(node: YamlNodeId): YamlNodeId[];
  /** 1-based first and last line of a node. */
  lineRange(node: YamlNodeId): { startLine: number; endLine: number };
  /**
   * 1-based line of a field path below `node`: the key's line for mapping entries, the item's
   * first line for sequence items; `undefined` when the path is not written in the source.
   */
  pathLine(node: YamlNodeId, path: readonly (string | number)[]): number | undefined;
  /** Like `pathLine`, but the line of the deepest part of the path that is written (`node`'s own line at worst). */
  nearestPathLine(node: YamlNodeId, path: readonly (string | number)[]): number;
}

/** One document of a stream, as plain JS plus where each of its nodes is. */
export interface SourceMappedDocument {
  /** The document as plain JS (core schema, merge keys applied); `null` for an empty document. */
  value: unknown;
  /** 0-based index of the document in the stream. */
  index: number;
  /** The document's content node in `tree`, -1 when the document has none. */
  root: YamlNodeId;
  tree: YamlPositionTree;
  /** 1-based line of the document's first content line. */
  startLine: number;
  lines: LineIndex;
}

/** A document that could not be read (reported when the caller asks to go on past it). */
export interface YamlDocumentError {
  /** 0-based index of the document in the stream. */
  index: number;
  /** 1-based line of the problem, when known. */
  line: number | undefined;
  /** The message without the `what (line N, column M): ` prefix. */
  reason: string;
  /** The error `parseYamlSourceMapped` would have thrown. */
  error: BollardError;
}

const EVENT_SCHEMA = CORE_SCHEMA.withTags(mergeTag);
const NO_RANGE = -1;
// Node kinds in the tree's table; the three scalar kinds say where a key's text is.
const K_SEQ = 1;
const K_MAP = 2;
const K_PLAIN = 3; // value text = [start, end)
const K_QUOTED = 4; // value text = [start + 1, end - 1)
const K_BLOCK = 5; // start is the header line's newline; as a key, its text is in `keyTexts` only
const K_ALIAS = 6;
const KIND_NAMES: readonly YamlNodeKind[] = ['scalar', 'sequence', 'mapping', 'scalar', 'scalar', 'scalar', 'alias'];

/**
 * Parse untrusted YAML (one or many documents) into plain values and a position tree, on js-yaml's
 * event parser. Same guards and error codes as `parseYamlDocuments`: size, document count and
 * nesting limits; core schema only (tags that construct objects and unknown tags are refused);
 * duplicate keys are errors; aliases are counted through their expansion (memoised per anchored
 * node, so a billion-laughs document is refused in time linear in its size) and recursive
 * aliases are refused. A stack overflow anywhere becomes `LIMIT_EXCEEDED`.
 *
 * Without `onDocumentError` the first bad document throws. With it, a bad document is reported
 * and skipped and the others are still read (a syntax error makes the stream be re-read document
 * by document, split at `---` / `...` lines); limits on the whole input still throw. A document
 * js-yaml refuses as malformed but the `yaml` library reads (a flow collection closed at its key's
 * indentation, which kubectl accepts) is read through `parseYamlDocuments` instead, so nothing the
 * older reader accepted is lost.
 *
 * Values differ from `parseYamlDocuments` only where neither is a Kubernetes value: a null key is
 * `"null"` (not `""`), and `!!binary`, `!!set`, `!!omap` and complex (collection) keys are refused.
 */
export function parseYamlSourceMapped(
  input: string | Buffer,
  bounds: YamlBounds,
  onDocumentError?: (e: YamlDocumentError) => void,
): SourceMappedDocument[] {
  const b = { ...YAML_DEFAULTS, ...bounds };
  // A negative alias bound means "no bound", as it does for the `yaml` library.
  if (b.maxAliasCount < 0) b.maxAliasCount = Number.POSITIVE_INFINITY;
  if (b.maxAliasNodes < 0) b.maxAliasNodes = Number.POSITIVE_INFINITY;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > b.maxBytes) {
    throw new BollardError('LIMIT_EXCEEDED', `${b.what} is ${size} bytes, over the limit of ${b.maxBytes}`);
  }
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const lines = lineIndexOf(text);
  const out: SourceMappedDocument[] = [];
  const report = (f: DocumentFailure, index: number): void => {
    const e = failureError(f, b.what, lines);
    if (!onDocumentError) throw e;
    const line = f.offset === undefined ? undefined : lines.lineOf(f.offset);
    onDocumentError({ index, line, reason: f.reason, error: e });
  };
  const stream: StreamRead = { text, lines, b, out, report };
  let events: YamlEvent[];
  try {
    events = parseEvents(text, { maxDepth: b.maxDepth });
  } catch {
    // Some document is malformed, too deep, or written in a form js-yaml is stricter about than
    // the `yaml` library: read document by document.
    readChunks(stream);
    return out;
  }
  readEvents(stream, events, text, 0, 0);
  return out;
}

/** The line-start table of a text. */
export function lineIndexOf(text: string): LineIndex {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  const starts = new Int32Array(n);
  let k = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[k++] = i + 1;
  return new LineTable(starts);
}

class LineTable implements LineIndex {
  readonly starts: Int32Array;
  readonly lineCount: number;
  constructor(starts: Int32Array) {
    this.starts = starts;
    this.lineCount = starts.length;
  }
  lineOf(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((s[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  lineStart(line: number): number | undefined {
    return line >= 1 && line <= this.lineCount ? this.starts[line - 1] : undefined;
  }
}

/** Flat tables indexed by event number: no object per node. */
class EventTree implements YamlPositionTree {
  readonly source: string;
  readonly lines: LineIndex;
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** The event after a node's subtree (its next sibling, or its parent's POP). */
  readonly nexts: Int32Array;
  /** JS key strings of the keys whose source text is not the key (escapes, tags, `0x10`, `~`). */
  readonly keyTexts = new Map<number, string>();
  constructor(
    source: string,
    lines: LineIndex,
    kinds: Uint8Array,
    starts: Int32Array,
    ends: Int32Array,
    nexts: Int32Array,
  ) {
    this.source = source;
    this.lines = lines;
    this.kinds = kinds;
    this.starts = starts;
    this.ends = ends;
    this.nexts = nexts;
  }
  kind(node: YamlNodeId): YamlNodeKind {
    return KIND_NAMES[this.kinds[node] ?? 0] ?? 'scalar';
  }
  start(node: YamlNodeId): number {
    return this.starts[node] ?? 0;
  }
  end(node: YamlNodeId): number {
    return this.ends[node] ?? 0;
  }
  size(node: YamlNodeId): number {
    const k = this.kinds[node];
    if (k !== K_SEQ && k !== K_MAP) return 0;
    const nexts = this.nexts;
    const stop = (nexts[node] as number) - 1;
    let n = 0;
    for (let j = node + 1; j < stop; j = nexts[j] as number) n++;
    return k === K_MAP ? n / 2 : n;
  }
  child(node: YamlNodeId, seg: string | number): YamlNodeId {
    if (node < 0) return NO_RANGE;
    if (typeof seg === 'number') {
      if (this.kinds[node] !== K_SEQ || seg < 0) return NO_RANGE;
      const nexts = this.nexts;
      const stop = (nexts[node] as number) - 1;
      let j = node + 1;
      for (let i = 0; j < stop; i++, j = nexts[j] as number) if (i === seg) return j;
      return NO_RANGE;
    }
    const key = this.keyNode(node, seg);
    return key < 0 ? NO_RANGE : (this.nexts[key] as number);
  }
  items(node: YamlNodeId): YamlNodeId[] {
    const out: YamlNodeId[] = [];
    if (node < 0 || this.kinds[node] !== K_SEQ) return out;
    const nexts = this.nexts;
    const stop = (nexts[node] as number) - 1;
    for (let j = node + 1; j < stop; j = nexts[j] as number) out.push(j);
    return out;
  }
  keyNode(node: YamlNodeId, key: string): YamlNodeId {
    if (node < 0 || this.kinds[node] !== K_MAP) return NO_RANGE;
    const nexts = this.nexts;
    const stop = (nexts[node] as number) - 1;
    for (let j = node + 1; j < stop; j = nexts[nexts[j] as number] as number) if (this.keyIs(j, key)) return j;
    return NO_RANGE;
  }
  lineRange(node: YamlNodeId): { startLine: number; endLine: number } {
    const s = this.start(node);
    const startLine = this.lines.lineOf(s);
    // `end` is exclusive: a block scalar's or collection's trailing newline must not count the next line.
    return { startLine, endLine: Math.max(startLine, this.lines.lineOf(Math.max(s, this.end(node) - 1))) };
  }
  pathLine(node: YamlNodeId, path: readonly (string | number)[]): number | undefined {
    const at = this.walk(node, path, false);
    return at < 0 ? undefined : this.lines.lineOf(at);
  }
  nearestPathLine(node: YamlNodeId, path: readonly (string | number)[]): number {
    return this.lines.lineOf(Math.max(0, this.walk(node, path, true)));
  }
  /** Offset of the line-bearing token of `path` (key or item), or of the deepest present prefix. */
  private walk(node: YamlNodeId, path: readonly (string | number)[], nearest: boolean): number {
    if (node < 0) return NO_RANGE;
    const starts = this.starts;
    let n = node;
    let at = starts[n] as number;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as string | number;
      if (typeof seg === 'number') {
        const item = this.child(n, seg);
        if (item < 0) return nearest ? at : NO_RANGE;
        n = item;
        at = starts[n] as number;
      } else {
        const k = this.keyNode(n, seg);
        if (k < 0) return nearest ? at : NO_RANGE;
        at = starts[k] as number;
        n = this.nexts[k] as number;
      }
    }
    return at;
  }
  private keyIs(node: number, key: string): boolean {
    if (this.keyTexts.size > 0) {
      const t = this.keyTexts.get(node);
      if (t !== undefined) return t === key;
    }
    const k = this.kinds[node];
    let s = this.starts[node] as number;
    let e = this.ends[node] as number;
    if (k === K_QUOTED) {
      s++;
      e--;
    } else if (k !== K_PLAIN) return false;
    return e - s === key.length && this.source.startsWith(key, s);
  }
}

interface DocumentFailure {
  code: 'INPUT_INVALID' | 'LIMIT_EXCEEDED';
  reason: string;
  /** Offset into the whole text, when known. */
  offset: number | undefined;
  /** Report the line only, not the column (document-wide problems). */
  lineOnly?: boolean;
}

class FailureSignal extends Error {
  readonly failure: DocumentFailure;
  constructor(failure: DocumentFailure) {
    super(failure.reason);
    this.failure = failure;
  }
}

type Bounds = Required<YamlBounds>;

function failureError(f: DocumentFailure, what: string, lines: LineIndex): BollardError {
  let where = '';
  if (f.offset !== undefined) {
    const line = lines.lineOf(f.offset);
    where = f.lineOnly ? ` (line ${line})` : ` (line ${line}, column ${f.offset - (lines.lineStart(line) ?? 0) + 1})`;
  }
  return new BollardError(f.code, `${what}${where}: ${f.reason}`);
}

/** What went wrong in js-yaml (or in our own checks), with the offset made absolute. */
function asFailure(e: unknown, base: number, b: Bounds): DocumentFailure {
  if (e instanceof FailureSignal) return e.failure;
  if (e instanceof RangeError) {
    // Recursion in the parser past what the stack holds, or a string/array too large to build.
    return { code: 'LIMIT_EXCEEDED', reason: 'document nests too deeply or is too large to parse', offset: undefined };
  }
  if (e instanceof YAMLException) {
    const offset = e.mark ? base + e.mark.position : undefined;
    const reason = firstLine(e.reason);
    if (reason.startsWith('nesting exceeded maxDepth')) {
      return { code: 'LIMIT_EXCEEDED', reason: `nests deeper than ${b.maxDepth} levels`, offset };
    }
    if (/exceeded max|abnormal merge/.test(reason)) return { code: 'LIMIT_EXCEEDED', reason, offset };
    if (/^unknown (scalar|sequence|mapping) tag/.test(reason) || /explicit tag/.test(reason)) {
      return { code: 'INPUT_INVALID', reason: `unsupported YAML tag: ${reason}`, offset };
    }
    return { code: 'INPUT_INVALID', reason, offset };
  }
  return { code: 'INPUT_INVALID', reason: firstLine(e instanceof Error ? e.message : String(e)), offset: undefined };
}

/** The whole input being read and where its documents and failures go. */
interface StreamRead {
  text: string;
  lines: LineIndex;
  b: Bounds;
  out: SourceMappedDocument[];
  report: (f: DocumentFailure, index: number) => void;
}

/**
 * Build the position tree for every document of one event stream, check aliases, construct the
 * values. `chunk` is the text the events were parsed from, `base` its offset in `text`.
 */
function readEvents(stream: StreamRead, events: YamlEvent[], chunk: string, base: number, firstIndex: number): number {
  const { text, lines, b, out, report } = stream;
  const docStarts: number[] = [];
  for (let i = 0; i < events.length; i++) if ((events[i] as YamlEvent).type === EVENT_ID.DOCUMENT) docStarts.push(i);
  if (firstIndex + docStarts.length > b.maxDocuments) {
    throw new BollardError('LIMIT_EXCEEDED', `${b.what} has more than ${b.maxDocuments} documents`);
  }
  const n = events.length;
  const tree = new EventTree(text, lines, new Uint8Array(n), new Int32Array(n), new Int32Array(n), new Int32Array(n));
  const builder = new TreeBuilder(tree, events, chunk, base, b);
  for (let d = 0; d < docStarts.length; d++) {
    const from = docStarts[d] as number;
    const to = docStarts[d + 1] ?? events.length;
    const index = firstIndex + d;
    let root: number;
    let value: unknown;
    try {
      root = builder.document(from, to);
      value = constructFromEvents(events.slice(from, to), {
        source: chunk,
        schema: EVENT_SCHEMA,
        maxAliases: Number.isFinite(b.maxAliasCount) ? b.maxAliasCount : -1,
      })[0];
    } catch (e) {
      const f = asFailure(e, base, b);
      if (f.offset === undefined) {
        // No position (a stack overflow): name the document's first line.
        f.offset = tree.kinds[from + 1] ? (tree.starts[from + 1] as number) : builder.lastEnd;
        f.lineOnly = true;
      }
      report(f, index);
      continue;
    }
    const startOffset = root >= 0 ? tree.start(root) : builder.lastEnd;
    out.push({ value: value ?? null, index, root, tree, startLine: lines.lineOf(startOffset), lines });
  }
  return docStarts.length;
}

interface Frame {
  /** Collection node, or -1 for the document. */
  node: number;
  mapping: boolean;
  /** A flow collection with its own brackets (its end is the closing one). */
  bracketed: boolean;
  /** In a mapping: whether the next node completed is a key. */
  keyTurn: boolean;
  /** The anchor's entry: filled in at the POP, whatever the name means by then (as js-yaml does). */
  anchor: AnchorSize | undefined;
  /** Nodes written in the subtree so far, nodes aliases add, alias references through expansion. */
  written: number;
  added: number;
  derefs: number;
}

interface AnchorSize {
  /** Expanded size of the anchored node, and alias references inside it (expanded). */
  nodes: number;
  derefs: number;
  open: boolean;
}

/** One pass over a document's events: positions, next-sibling links, alias expansion sizes. */
class TreeBuilder {
  readonly tree: EventTree;
  readonly events: YamlEvent[];
  readonly chunk: string;
  readonly base: number;
  readonly b: Bounds;
  /** End offset (absolute) of the last node completed or start of the last collection opened. */
  lastEnd: number;
  constructor(tree: EventTree, events: YamlEvent[], chunk: string, base: number, b: Bounds) {
    this.lastEnd = base;
    this.tree = tree;
    this.events = events;
    this.chunk = chunk;
    this.base = base;
    this.b = b;
  }

  /** Returns the root node (-1 for an empty document); throws FailureSignal or js-yaml errors. */
  document(from: number, to: number): number {
    const { events, tree, base, chunk, b } = this;
    const { kinds, starts, ends, nexts } = tree;
    const text = tree.source;
    const anchors = new Map<string, AnchorSize>();
    const docEvent = events[from] as DocumentEvent;
    if (docEvent.explicitStart) this.lastEnd = markerOffset(text, this.lastEnd);
    const stack: Frame[] = [frame(-1, false, false, undefined)];
    let top = stack[0] as Frame;
    const root = from + 1 < to && (events[from + 1] as YamlEvent).type !== EVENT_ID.POP ? from + 1 : NO_RANGE;
    const fail = (code: DocumentFailure['code'], reason: string, offset: number, lineOnly = false): never => {
      throw new FailureSignal({ code, reason, offset, lineOnly });
    };
    const docStart = (): number => (root >= 0 ? (starts[root] as number) : this.lastEnd);
    let i = from + 1;
    // Called while event `i` is read: a scalar or alias is event `i`, a collection ends at its POP `i`.
    const complete = (node: number, written: number, added: number, derefs: number): void => {
      nexts[node] = i + 1;
      top.written += written;
      top.added += added;
      top.derefs += derefs;
      if (top.mapping) top.keyTurn = !top.keyTurn;
      if (top.derefs > b.maxAliasCount) {
        fail(
          'LIMIT_EXCEEDED',
          `aliases expand to more than ${b.maxAliasCount} alias references (billion-laughs guard)`,
          docStart(),
          true,
        );
      }
      if (top.added > b.maxAliasNodes) {
        fail(
          'LIMIT_EXCEEDED',
          `aliases expand to more than ${b.maxAliasNodes} extra nodes (billion-laughs guard)`,
          docStart(),
          true,
        );
      }
    };
    for (; i < to; i++) {
      const e = events[i] as YamlEvent;
      switch (e.type) {
        case EVENT_ID.SCALAR: {
          let s: number;
          let en: number;
          let k: number;
          const vs = e.valueStart;
          if (vs === NO_RANGE) {
            // An empty (null) node has no text; place it after what came before (a `-` in a list).
            s = this.emptyPosition(top);
            en = s;
            k = K_PLAIN;
          } else if (e.style === SCALAR_STYLE.PLAIN) {
            s = vs + base;
            en = e.valueEnd + base;
            k = K_PLAIN;
          } else if (e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED) {
            s = vs - 1 + base;
            en = e.valueEnd + 1 + base;
            k = K_QUOTED;
          } else {
            // Block scalars: the text starts on the line after the `|`/`>` header; keep the header's
            // line. Trailing blank lines belong to the node only when kept (`|+`).
            s = Math.max(0, vs - 1) + base;
            let ve = e.valueEnd;
            if (e.chomping !== CHOMPING_MODE.KEEP) {
              while (ve > vs && isBlank(chunk.charCodeAt(ve - 1))) ve--;
            }
            en = ve + base;
            k = K_BLOCK;
          }
          kinds[i] = k;
          starts[i] = s;
          ends[i] = en;
          if (top.mapping && top.keyTurn && !keyTextIsSource(e, chunk)) {
            const t = keyTextOf(docEvent, e, chunk);
            if (t !== undefined) tree.keyTexts.set(i, t);
          }
          if (e.anchorStart !== NO_RANGE) {
            anchors.set(chunk.slice(e.anchorStart, e.anchorEnd), { nodes: 1, derefs: 0, open: false });
          }
          this.lastEnd = en;
          complete(i, 1, 0, 0);
          break;
        }
        case EVENT_ID.SEQUENCE:
        case EVENT_ID.MAPPING: {
          const s = e.start + base;
          kinds[i] = e.type === EVENT_ID.MAPPING ? K_MAP : K_SEQ;
          starts[i] = s;
          let anchor: AnchorSize | undefined;
          if (e.anchorStart !== NO_RANGE) {
            anchor = { nodes: 0, derefs: 0, open: true };
            anchors.set(chunk.slice(e.anchorStart, e.anchorEnd), anchor);
          }
          // A single `key: value` pair inside a flow sequence is a mapping without braces of its own.
          const bracketed =
            e.style === COLLECTION_STYLE.FLOW && text.charCodeAt(s) === (e.type === EVENT_ID.MAPPING ? 0x7b : 0x5b);
          top = frame(i, e.type === EVENT_ID.MAPPING, bracketed, anchor);
          stack.push(top);
          this.lastEnd = s;
          break;
        }
        case EVENT_ID.ALIAS: {
          const name = chunk.slice(e.anchorStart, e.anchorEnd);
          const target = anchors.get(name);
          const s = e.anchorStart - 1 + base;
          if (!target) fail('INPUT_INVALID', `unidentified alias "${name}"`, s);
          else if (target.open) fail('INPUT_INVALID', `recursive alias "${name}" is not supported`, s);
          kinds[i] = K_ALIAS;
          starts[i] = s;
          ends[i] = e.anchorEnd + base;
          this.lastEnd = e.anchorEnd + base;
          const t = target as AnchorSize;
          complete(i, 1, t.nodes - 1, 1 + t.derefs);
          break;
        }
        case EVENT_ID.POP: {
          const f = stack.pop() as Frame;
          if (f.node < 0) break; // the document's own POP
          top = stack[stack.length - 1] as Frame;
          const en = f.bracketed ? closingBracketEnd(text, this.lastEnd) : this.lastEnd;
          ends[f.node] = en;
          this.lastEnd = en;
          const written = f.written + 1;
          if (f.anchor !== undefined) {
            f.anchor.nodes = written + f.added;
            f.anchor.derefs = f.derefs;
            f.anchor.open = false;
          }
          complete(f.node, written, f.added, f.derefs);
          break;
        }
        default:
          // A DOCUMENT event inside a document's range cannot happen (ranges are split at them).
          break;
      }
    }
    return root;
  }

  /** Offset for an empty node: after the last token, or at the `-` of an empty list item. */
  emptyPosition(top: Frame): number {
    const text = this.tree.source;
    let p = this.lastEnd;
    if (top.node < 0 || top.mapping || top.bracketed) return p;
    for (; p < text.length; p++) {
      const c = text.charCodeAt(p);
      if (c === 0x23) {
        const nl = text.indexOf('\n', p);
        if (nl < 0) return this.lastEnd;
        p = nl;
      } else if (!isBlank(c)) break;
    }
    if (text.charCodeAt(p) !== 0x2d) return this.lastEnd;
    // The next empty item must look past this dash.
    this.lastEnd = p + 1;
    return p;
  }
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Offset of the `---` line that starts the next document (an empty document's position). */
function markerOffset(text: string, from: number): number {
  if ((from === 0 || text.charCodeAt(from - 1) === 0x0a) && text.startsWith('---', from)) return from;
  const at = text.indexOf('\n---', from);
  return at < 0 ? from : at + 1;
}

function frame(node: number, mapping: boolean, bracketed: boolean, anchor: AnchorSize | undefined): Frame {
  return { node, mapping, bracketed, keyTurn: true, anchor, written: 0, added: 0, derefs: 0 };
}

/** End (exclusive) of a flow collection: the `]` or `}` after its last child, past commas and comments. */
function closingBracketEnd(text: string, from: number): number {
  for (let p = from; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (c === 0x5d || c === 0x7d) return p + 1;
    if (c === 0x23) {
      const nl = text.indexOf('\n', p);
      if (nl < 0) break;
      p = nl;
    }
  }
  return from;
}

/** Whether a key scalar's JS key string is its source text (plain or quoted, no escapes, no tag, a string). */
function keyTextIsSource(e: ScalarEvent, chunk: string): boolean {
  if (!e.fast || e.tagStart !== NO_RANGE) return false;
  if (e.style !== SCALAR_STYLE.PLAIN)
    return e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED;
  const len = e.valueEnd - e.valueStart;
  if (len === 0) return false;
  const c = chunk.charCodeAt(e.valueStart);
  // Plain keys the core schema reads as numbers, null or booleans (`0x10: a` has the key "16").
  if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x7e) return false;
  if (
    (len === 4 || len === 5) &&
    /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/.test(chunk.slice(e.valueStart, e.valueEnd))
  ) {
    return false;
  }
  return true;
}

const POP_EVENT: YamlEvent = { type: EVENT_ID.POP };

/** The JS key string of one key scalar, built the way the document's values are. */
function keyTextOf(doc: DocumentEvent, e: ScalarEvent, chunk: string): string | undefined {
  try {
    return String(constructFromEvents([doc, e, POP_EVENT], { source: chunk, schema: EVENT_SCHEMA })[0]);
  } catch {
    return undefined; // the document's own construction reports it
  }
}

/**
 * After a syntax error: split the stream at `---` / `...` lines and read each piece on its own,
 * so one malformed document does not hide the others.
 */
function readChunks(stream: StreamRead): void {
  const { text, lines, b, report } = stream;
  const chunks: [start: number, end: number][] = [];
  let start = 0;
  for (let line = 1; line <= lines.lineCount; line++) {
    const ls = lines.lineStart(line) as number;
    const le = lines.lineStart(line + 1) ?? text.length;
    const isStart = text.startsWith('---', ls) && (ls + 3 === le || /\s/.test(text.charAt(ls + 3)));
    const isEnd = !isStart && text.startsWith('...', ls) && text.slice(ls + 3, le).trim() === '';
    if (!isStart && !isEnd) continue;
    chunks.push([start, ls]);
    // A `--- {inline}` line starts the next document; keep what follows the marker.
    start = isStart ? ls + 3 : le;
  }
  chunks.push([start, text.length]);
  const pieces = chunks.filter(([s, e]) => text.slice(s, e).trim() !== '');
  if (pieces.length > b.maxDocuments) {
    throw new BollardError('LIMIT_EXCEEDED', `${b.what} has more than ${b.maxDocuments} documents`);
  }
  let index = 0;
  for (const [s, e] of pieces) {
    const chunk = text.slice(s, e);
    let events: YamlEvent[];
    try {
      events = parseEvents(chunk, { maxDepth: b.maxDepth });
    } catch (err) {
      const f = asFailure(err, s, b);
      if (err instanceof YAMLException && f.code === 'INPUT_INVALID') {
        // js-yaml is stricter than the `yaml` library (and kubectl) about the indentation of flow
        // collections (`args: [` ... `]` aligned with its key): accept what the old reader accepted.
        const n = readWithYamlLibrary(stream, chunk, s, index);
        if (n > 0) {
          index += n;
          continue;
        }
      }
      if (f.offset === undefined) {
        // Place it on the chunk's first line with content.
        const first = chunk.search(/\S/);
        f.offset = s + Math.max(0, first);
        f.lineOnly = true;
      } else if (f.offset >= e && e > s) {
        // "Unexpected end of the document": its last line, not the `---` line after it.
        f.offset = e - 1;
      }
      report(f, index++);
      continue;
    }
    index += readEvents(stream, events, chunk, s, index);
  }
}

/**
 * Read one piece of a stream with the `yaml` library (`parseYamlDocuments`, same guards) and map
 * its nodes into a position tree. Returns the number of documents read, 0 when it fails too.
 */
function readWithYamlLibrary(stream: StreamRead, chunk: string, base: number, firstIndex: number): number {
  const { text, lines, b, out, report } = stream;
  let docs: YamlDocument[];
  try {
    docs = parseYamlDocuments(chunk, b);
  } catch {
    return 0;
  }
  docs.forEach((d, i) => {
    try {
      const { tree, root } = treeOfYamlDocument(d, base, text, lines, b);
      const startLine = root >= 0 ? lines.lineOf(tree.start(root)) : d.startLine + lines.lineOf(base) - 1;
      out.push({ value: d.value ?? null, index: firstIndex + i, root, tree, startLine, lines });
    } catch (e) {
      report(asFailure(e, base, b), firstIndex + i);
    }
  });
  return Math.max(1, docs.length);
}

/** The position tree of a `yaml` library document, with the same alias checks as the event path. */
function treeOfYamlDocument(
  d: YamlDocument,
  base: number,
  text: string,
  lines: LineIndex,
  b: Bounds,
): { tree: EventTree; root: number } {
  const kinds: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const nexts: number[] = [];
  const keyTexts = new Map<number, string>();
  const sizes = new Map<unknown, AnchorSize>();
  const root = d.doc.contents as Node | null;
  const docStart = base + (root?.range?.[0] ?? 0);
  const fail = (code: DocumentFailure['code'], reason: string, offset: number, lineOnly = false): never => {
    throw new FailureSignal({ code, reason, offset, lineOnly });
  };
  const add = (kind: number, s: number, e: number): number => {
    kinds.push(kind);
    starts.push(base + s);
    ends.push(base + e);
    nexts.push(kinds.length);
    return kinds.length - 1;
  };
  // Recursion is bounded: parseYamlDocuments has refused anything nested deeper than maxDepth.
  const visit = (node: unknown, at: number): AnchorSize & { written: number } => {
    if (isAlias(node)) {
      const s = node.range?.[0] ?? at;
      const target = node.resolve(d.doc);
      const size = target ? sizes.get(target) : undefined;
      if (!target) fail('INPUT_INVALID', `unidentified alias "${node.source}"`, base + s);
      if (!size || size.open) fail('INPUT_INVALID', `recursive alias "${node.source}" is not supported`, base + s);
      add(K_ALIAS, s, node.range?.[1] ?? s);
      const t = size as AnchorSize;
      return { written: 1, nodes: t.nodes, derefs: 1 + t.derefs, open: false };
    }
    if (isMap(node) || isSeq(node)) {
      const id = add(isMap(node) ? K_MAP : K_SEQ, node.range?.[0] ?? at, node.range?.[1] ?? at);
      const mine: AnchorSize = { nodes: 0, derefs: 0, open: true };
      if (node.anchor) sizes.set(node, mine);
      let written = 1;
      let nodes = 1;
      let derefs = 0;
      const take = (r: AnchorSize & { written: number }): void => {
        written += r.written;
        nodes += r.nodes;
        derefs += r.derefs;
        if (derefs > b.maxAliasCount) {
          fail(
            'LIMIT_EXCEEDED',
            `aliases expand to more than ${b.maxAliasCount} alias references (billion-laughs guard)`,
            docStart,
            true,
          );
        }
        if (nodes - written > b.maxAliasNodes) {
          fail(
            'LIMIT_EXCEEDED',
            `aliases expand to more than ${b.maxAliasNodes} extra nodes (billion-laughs guard)`,
            docStart,
            true,
          );
        }
      };
      for (const item of node.items) {
        if (isPair(item)) {
          const keyAt = (item.key as Node | null)?.range?.[1] ?? at;
          const keyId = kinds.length;
          take(visit(item.key, at));
          if (isScalar(item.key)) {
            const v = item.key.value;
            keyTexts.set(keyId, typeof v === 'symbol' ? '<<' : String(v));
          }
          take(visit(item.value, keyAt));
        } else take(visit(item, at));
      }
      add(0, 0, 0); // the POP slot that ends the children
      nexts[id] = kinds.length;
      mine.nodes = nodes;
      mine.derefs = derefs;
      mine.open = false;
      return { written, nodes, derefs, open: false };
    }
    const r = isScalar(node) ? node.range : undefined;
    add(K_BLOCK, r?.[0] ?? at, r?.[1] ?? at);
    const size = { nodes: 1, derefs: 0, open: false };
    if (isScalar(node) && node.anchor) sizes.set(node, size);
    return { written: 1, ...size };
  };
  if (root) visit(root, 0);
  const tree = new EventTree(
    text,
    lines,
    Uint8Array.from(kinds),
    Int32Array.from(starts),
    Int32Array.from(ends),
    Int32Array.from(nexts),
  );
  for (const [k, v] of keyTexts) tree.keyTexts.set(k, v);
  return { tree, root: root ? 0 : NO_RANGE };
}
