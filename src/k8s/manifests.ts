/**
 * The shared Kubernetes manifest reader: files, directories and stdin holding YAML (one or many
 * documents), JSON, `List` dumps (`kubectl get -A -o yaml|json`), Helm-rendered and kustomize output.
 * Every object keeps its file, line range and a `pathLine()` that maps a field path to its line, so
 * findings can point at the exact line. A malformed document is reported through `onError` and the
 * rest of the input is still read.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { BollardError, type ErrorCode, isBollardError } from '../util/errors.ts';
import type { YamlBounds } from '../util/yaml.ts';
import {
  type LineIndex,
  parseYamlSourceMapped,
  type SourceMappedDocument,
  type YamlNodeId,
  type YamlPositionTree,
} from '../util/yaml-sourcemap.ts';

export type FieldPath = readonly (string | number)[];

export interface K8sMetadata {
  name: string;
  /** As written; `undefined` for cluster-scoped objects and for manifests that leave it to the client. */
  namespace: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: K8sMetadata;
  /** The whole object as plain JS (for a List item: the item). */
  raw: Record<string, unknown>;
  /** The path given by the user, or a file under a given directory; `-` for stdin. */
  file: string;
  /** 1-based first and last line of the object in `file`. */
  startLine: number;
  endLine: number;
  /** 0-based index of the YAML document in the file (List items share their List's index). */
  docIndex: number;
  /** For List items: the 0-based index in `items`. */
  itemIndex?: number;
  /** Helm's `# Source: chart/templates/x.yaml` comment above the document, when present. */
  source?: string;
  /** 1-based line of a field path inside this object (`['spec','ports',0,'port']`), if present. */
  pathLine(path: FieldPath): number | undefined;
  /** 1-based line of the deepest part of a field path that is present (a missing field points at its parent). */
  nearestLine(path: FieldPath): number;
}

export interface ManifestError {
  file: string;
  /** 1-based line, when known. */
  line?: number;
  code: ErrorCode;
  message: string;
}

export interface ManifestLimits extends Partial<YamlBounds> {
  /** Most files read from all given paths (default 10,000). */
  maxFiles?: number;
  /** Deepest directory recursion below a given directory (default 32). */
  maxDirDepth?: number;
  /** Most bytes read over all files (default 1 GiB). */
  maxTotalBytes?: number;
}

export interface LoadOptions {
  limits?: ManifestLimits;
  /** Called for every unreadable file, malformed document or object; reading goes on. */
  onError(e: ManifestError): void;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const DEFAULT_MAX_FILES = 10_000;
const DEFAULT_MAX_DIR_DEPTH = 32;
const DEFAULT_MAX_TOTAL = 1024 * 1024 * 1024;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** `file:line: message` for one line of output. */
export function formatManifestError(e: ManifestError): string {
  return `${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`;
}

/**
 * Read every manifest under `paths` (files, directories recursively, `-` for stdin). Files named on
 * the command line are read whatever their extension; inside directories only `.yaml`, `.yml` and
 * `.json` are. Symbolic links are followed only while they stay inside the given root.
 */
export async function loadManifests(paths: readonly string[], opts: LoadOptions): Promise<K8sObject[]> {
  const limits = opts.limits ?? {};
  const files = await collectFiles(paths, limits, opts.onError);
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxTotal = limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL;
  let total = 0;
  const out: K8sObject[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? await readStdin(maxBytes) : await readBounded(file, maxBytes);
    } catch (e) {
      opts.onError(asManifestError(file, e));
      continue;
    }
    total += Buffer.byteLength(text);
    if (total > maxTotal) {
      opts.onError({
        file,
        code: 'LIMIT_EXCEEDED',
        message: `input is over the limit of ${maxTotal} bytes in all; this and later files were not read`,
      });
      break;
    }
    for (const o of parseManifests(text, file, opts)) out.push(o);
  }
  return out;
}

/** Parse one file's text (YAML stream or JSON) into objects; errors go to `onError`. */
export function parseManifests(text: string, file: string, opts: LoadOptions): K8sObject[] {
  const out: K8sObject[] = [];
  let docs: SourceMappedDocument[];
  try {
    // A malformed document (syntax, duplicate keys, alias bombs, depth) is reported with its line
    // and the others are still read; limits on the whole file (size, document count) end it.
    docs = parseYamlSourceMapped(text, { ...opts.limits, what: file }, (e) =>
      opts.onError({ file, line: e.line, code: e.error.code, message: e.reason }),
    );
  } catch (e) {
    opts.onError(asManifestError(file, e));
    return out;
  }
  for (const d of docs) objectsOfDocument(d, text, file, opts, out);
  return out;
}

function objectsOfDocument(
  d: SourceMappedDocument,
  text: string,
  file: string,
  opts: LoadOptions,
  out: K8sObject[],
): void {
  const { value, tree, root, index: docIndex } = d;
  if (value === null || value === undefined) return; // empty documents are common in Helm output
  const range = root >= 0 ? tree.lineRange(root) : undefined;
  const startLine = range?.startLine ?? d.startLine;
  const endLine = range?.endLine ?? startLine;
  if (!isRecord(value)) {
    opts.onError({ file, line: startLine, code: 'INPUT_INVALID', message: 'document is not a Kubernetes object' });
    return;
  }
  const source = helmSource(text, d.lines, startLine);
  const kind = value.kind;
  const items = value.items;
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items)) {
    const listApi = typeof value.apiVersion === 'string' ? value.apiVersion : 'v1';
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -4);
    const itemNodes = tree.items(tree.child(root, 'items'));
    items.forEach((item, i) => {
      const itemNode = itemNodes[i] ?? -1;
      const r = itemNode >= 0 ? tree.lineRange(itemNode) : undefined;
      const base = {
        file,
        startLine: r?.startLine ?? startLine,
        endLine: r?.endLine ?? endLine,
        docIndex,
        itemIndex: i,
      };
      if (!isRecord(item)) {
        opts.onError({ file, line: base.startLine, code: 'INPUT_INVALID', message: `items[${i}] is not an object` });
        return;
      }
      // Typed lists (`PodList` straight from the API) leave kind and apiVersion off their items.
      const filled = {
        ...item,
        kind: item.kind ?? itemKind,
        apiVersion: item.apiVersion ?? (itemKind ? listApi : undefined),
      };
      const o = makeObject(filled, item, tree, itemNode, base, source, opts);
      if (o) out.push(o);
    });
    return;
  }
  const o = makeObject(value, value, tree, root, { file, startLine, endLine, docIndex }, source, opts);
  if (o) out.push(o);
}

function makeObject(
  v: Record<string, unknown>,
  raw: Record<string, unknown>,
  tree: YamlPositionTree,
  node: YamlNodeId,
  base: { file: string; startLine: number; endLine: number; docIndex: number; itemIndex?: number },
  source: string | undefined,
  opts: LoadOptions,
): K8sObject | undefined {
  const pathLine = (path: FieldPath): number | undefined => tree.pathLine(node, path);
  const nearestLine = (path: FieldPath): number => (node < 0 ? base.startLine : tree.nearestPathLine(node, path));
  const fail = (message: string, path: FieldPath): undefined => {
    opts.onError({ file: base.file, line: pathLine(path) ?? base.startLine, code: 'INPUT_INVALID', message });
    return undefined;
  };
  const where = base.itemIndex === undefined ? '' : `items[${base.itemIndex}]: `;
  if (typeof v.kind !== 'string' || v.kind === '') return fail(`${where}object has no kind`, ['kind']);
  if (typeof v.apiVersion !== 'string' || v.apiVersion === '')
    return fail(`${where}${v.kind} has no apiVersion`, ['apiVersion']);
  const md = v.metadata;
  if (!isRecord(md)) return fail(`${where}${v.kind} has no metadata`, ['metadata']);
  // generateName objects (Jobs from CronJobs) are still objects; name them by their prefix.
  const name = typeof md.name === 'string' && md.name !== '' ? md.name : md.generateName;
  if (typeof name !== 'string' || name === '') return fail(`${where}${v.kind} has no metadata.name`, ['metadata']);
  if (md.namespace !== undefined && typeof md.namespace !== 'string')
    return fail(`${where}${v.kind} ${name}: metadata.namespace is not a string`, ['metadata', 'namespace']);
  const obj: K8sObject = {
    apiVersion: v.apiVersion,
    kind: v.kind,
    metadata: {
      name,
      namespace: md.namespace === '' ? undefined : md.namespace,
      labels: stringMap(md.labels),
      annotations: stringMap(md.annotations),
    },
    raw,
    ...base,
    pathLine,
    nearestLine,
  };
  if (source !== undefined) obj.source = source;
  return obj;
}

/** Helm writes `# Source: chart/templates/file.yaml` just above each rendered document. */
function helmSource(text: string, lines: LineIndex, startLine: number): string | undefined {
  // Walk back from the document's first content line over comments, blanks and `---`.
  const start = lines.lineStart(startLine);
  if (start === undefined) return undefined;
  let pos = start - 1; // the newline before the content line
  for (let n = 0; n < 50 && pos > 0; n++) {
    const prev = text.lastIndexOf('\n', pos - 1);
    const l = text.slice(prev + 1, pos).trim();
    const m = /^#\s*Source:\s*(\S.*)$/.exec(l);
    if (m) return m[1]?.trim();
    if (l !== '' && !l.startsWith('#') && l !== '---') return undefined;
    pos = prev;
  }
  return undefined;
}

async function collectFiles(
  paths: readonly string[],
  limits: ManifestLimits,
  onError: (e: ManifestError) => void,
): Promise<string[]> {
  const maxFiles = limits.maxFiles ?? DEFAULT_MAX_FILES;
  const maxDepth = limits.maxDirDepth ?? DEFAULT_MAX_DIR_DEPTH;
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (f: string, real: string): boolean => {
    if (seen.has(real)) return true;
    if (files.length >= maxFiles) {
      onError({
        file: f,
        code: 'LIMIT_EXCEEDED',
        message: `more than ${maxFiles} manifest files; the rest were not read`,
      });
      return false;
    }
    seen.add(real);
    files.push(f);
    return true;
  };
  for (const p of paths) {
    if (p === '-') {
      if (!add('-', '-')) break;
      continue;
    }
    let real: string;
    try {
      real = await realpath(p);
      const st = await stat(real);
      if (st.isFile()) {
        if (!add(p, real)) break;
        continue;
      }
      if (!st.isDirectory()) {
        onError({ file: p, code: 'INPUT_INVALID', message: 'not a regular file or directory' });
        continue;
      }
    } catch (e) {
      onError(asManifestError(p, e));
      continue;
    }
    if (!(await walk(p, real, real, 0))) break;
  }
  return files;

  async function walk(dir: string, realDir: string, realRoot: string, depth: number): Promise<boolean> {
    if (depth > maxDepth) {
      onError({ file: dir, code: 'LIMIT_EXCEEDED', message: `deeper than ${maxDepth} directories; not read` });
      return true;
    }
    let names: string[];
    try {
      names = (await readdir(realDir)).sort();
    } catch (e) {
      onError(asManifestError(dir, e));
      return true;
    }
    for (const name of names) {
      const shown = join(dir, name);
      let real = join(realDir, name);
      try {
        let st = await lstat(real);
        if (st.isSymbolicLink()) {
          real = await realpath(real);
          if (real !== realRoot && !real.startsWith(realRoot + sep)) {
            onError({
              file: shown,
              code: 'PATH_ESCAPE',
              message: 'symbolic link leads outside the given directory; skipped',
            });
            continue;
          }
          st = await stat(real);
        }
        if (st.isDirectory()) {
          if (name.startsWith('.') || seen.has(`dir:${real}`)) continue; // .git and friends; link loops
          seen.add(`dir:${real}`);
          if (!(await walk(shown, real, realRoot, depth + 1))) return false;
        } else if (st.isFile() && MANIFEST_EXTENSIONS.has(extname(name).toLowerCase())) {
          if (!add(shown, real)) return false;
        }
      } catch (e) {
        onError(asManifestError(shown, e));
      }
    }
    return true;
  }
}

async function readBounded(file: string, maxBytes: number): Promise<string> {
  const st = await stat(file);
  if (st.size > maxBytes)
    throw new BollardError('LIMIT_EXCEEDED', `file is ${st.size} bytes, over the limit of ${maxBytes}`);
  return readFile(file, 'utf8');
}

async function readStdin(maxBytes: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > maxBytes) throw new BollardError('LIMIT_EXCEEDED', `standard input is over the limit of ${maxBytes} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

function asManifestError(file: string, e: unknown): ManifestError {
  if (isBollardError(e)) {
    // parseYamlSourceMapped prefixes its messages with the file and, when it knows it, the position.
    if (e.message.startsWith(file)) {
      const rest = e.message.slice(file.length);
      const m = /^ \(line (\d+)(?:, column \d+)?\): (.*)$/s.exec(rest);
      if (m) return { file, line: Number(m[1]), code: e.code, message: m[2] ?? rest };
      if (rest.startsWith(': ')) return { file, code: e.code, message: rest.slice(2) };
    }
    return { file, code: e.code, message: e.message };
  }
  const err = e as NodeJS.ErrnoException;
  const code: ErrorCode = err.code === 'ENOENT' ? 'TARGET_NOT_FOUND' : 'IO';
  return { file, code, message: err.code === 'ENOENT' ? 'no such file or directory' : String(err.message ?? e) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Labels and annotations as strings (YAML may type `version: 1` as a number; Kubernetes would refuse it). */
function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  }
  return out;
}

export { isRecord };
