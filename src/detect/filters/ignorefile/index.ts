import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { BollardError, isBollardError } from '../../../util/errors.ts';
import { isRecord } from '../../../util/json.ts';
import { lineRange, parseYamlDocuments } from '../../../util/yaml.ts';
import type { FindingPackage, VulnFinding } from '../../types.ts';
import { globMatch } from './glob.ts';

export const id = 'ignorefile';

/** The default ignore file, looked up in the working directory. */
export const DEFAULT_IGNORE_FILE = '.bollardignore';

/** One entry of an ignore file. */
export interface IgnoreEntry {
  /** Record id or any of its aliases (`CVE-2023-1234`, `GHSA-…`, `DSA-…`), compared case-insensitively. */
  id: string;
  /** Glob (`*`, `?`) on the package purl, the purl without qualifiers, or the package name. */
  purl?: string;
  /** Glob on the package's file path (Trivy's `paths`). */
  path?: string;
  reason?: string;
  /** The expiry as written (`2027-01-31` or an ISO 8601 date-time). */
  expires?: string;
  /** The expiry instant in ms since the epoch: the entry stops suppressing from this instant on. */
  expiresAt?: number;
  /** 1-based line of the entry in its file. */
  line: number;
}

export interface LoadedIgnoreFile {
  /** The path as given (reported in suppressions and expired entries). */
  file: string;
  format: 'bollard' | 'trivy-yaml' | 'trivyignore';
  entries: IgnoreEntry[];
}

export interface IgnoreFileOptions {
  /** Largest file accepted (default 4 MiB). */
  maxBytes?: number;
  /** Most entries accepted (default 100,000). */
  maxEntries?: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 100_000;
const BOLLARD_KEYS = new Set(['id', 'purl', 'path', 'reason', 'expires']);
const TRIVY_KEYS = new Set(['id', 'paths', 'purls', 'statement', 'expired_at']);

/**
 * Read an ignore file (synchronously: it is small and read once before a scan). With
 * `required: false`, a missing file gives `undefined` (the default `.bollardignore` need not exist);
 * a file named explicitly must exist.
 */
export function loadIgnoreFile(
  path: string,
  options: IgnoreFileOptions & { required?: boolean } = {},
): LoadedIgnoreFile | undefined {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new BollardError('INPUT_INVALID', `ignore file ${path} is not a regular file`);
    if (st.size > maxBytes) {
      throw new BollardError(
        'LIMIT_EXCEEDED',
        `ignore file ${path} is ${st.size} bytes, over the limit of ${maxBytes}`,
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (isBollardError(e)) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      if (options.required === false) return undefined;
      throw new BollardError('TARGET_NOT_FOUND', `ignore file ${path} does not exist`);
    }
    throw new BollardError('IO', `cannot read ignore file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseIgnoreFile(text, path, options);
}

/**
 * Parse an ignore file: Bollard's YAML (`ignores:`), Trivy's YAML (`vulnerabilities:`), or Trivy's
 * `.trivyignore` text (one id per line, `#` comments, optional `exp:YYYY-MM-DD`). The format is
 * sniffed from the content.
 */
export function parseIgnoreFile(text: string, file: string, options: IgnoreFileOptions = {}): LoadedIgnoreFile {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (Buffer.byteLength(text) > maxBytes) {
    throw new BollardError('LIMIT_EXCEEDED', `ignore file ${file} is over the limit of ${maxBytes} bytes`);
  }
  let yamlError: unknown;
  try {
    const docs = parseYamlDocuments(text, { what: `ignore file ${file}`, maxBytes, maxDocuments: 1 });
    const doc = docs[0];
    if (!doc || doc.value === null || doc.value === undefined) return { file, format: 'bollard', entries: [] };
    if (isRecord(doc.value)) return parseYamlIgnore(doc.doc.contents as Node | null, doc.lineCounter, file, maxEntries);
  } catch (e) {
    // A YAML limit is a limit whatever the format; other YAML errors may just mean text format.
    if (isBollardError(e, 'LIMIT_EXCEEDED')) throw e;
    yamlError = e;
  }
  const looksLikeYaml = /^\s*(?:ignores|vulnerabilities)\s*:/m.test(text) || /^\s*-\s+id\s*:/m.test(text);
  if (yamlError && looksLikeYaml) throw yamlError;
  return { file, format: 'trivyignore', entries: parseTrivyIgnore(text, file, maxEntries) };
}

function parseYamlIgnore(root: Node | null, lc: LineCounter, file: string, maxEntries: number): LoadedIgnoreFile {
  if (!isMap(root)) throw new BollardError('INPUT_INVALID', `ignore file ${file}: expected a mapping`);
  const keys = root.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
  const format = keys.includes('ignores') ? 'bollard' : keys.includes('vulnerabilities') ? 'trivy-yaml' : undefined;
  if (!format) {
    const line = lineRange(root, lc)?.startLine ?? 1;
    throw new BollardError(
      'INPUT_INVALID',
      `ignore file ${file} (line ${line}): expected an "ignores:" list (or Trivy's "vulnerabilities:")`,
    );
  }
  const listKey = format === 'bollard' ? 'ignores' : 'vulnerabilities';
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === listKey);
  const list = pair?.value as Node | null | undefined;
  const entries: IgnoreEntry[] = [];
  if (list === null || list === undefined || (isScalar(list) && list.value === null)) return { file, format, entries };
  if (!isSeq(list)) {
    const line = lineRange(list, lc)?.startLine ?? 1;
    throw new BollardError('INPUT_INVALID', `ignore file ${file} (line ${line}): "${listKey}" must be a list`);
  }
  if (list.items.length > maxEntries) {
    throw new BollardError('LIMIT_EXCEEDED', `ignore file ${file} has more than ${maxEntries} entries`);
  }
  for (const item of list.items) {
    const node = item as Node;
    const line = lineRange(node, lc)?.startLine ?? 1;
    const where = `ignore file ${file} (line ${line})`;
    const value = node.toJSON() as unknown;
    if (!isRecord(value)) throw new BollardError('INPUT_INVALID', `${where}: an entry must be a mapping with an id`);
    const allowed = format === 'bollard' ? BOLLARD_KEYS : TRIVY_KEYS;
    for (const k of Object.keys(value)) {
      // A misspelt key (`expire:`) would silently make an entry permanent: refuse it.
      if (!allowed.has(k)) {
        throw new BollardError(
          'INPUT_INVALID',
          `${where}: unknown key "${k.slice(0, 40)}" (use ${[...allowed].join(', ')})`,
        );
      }
    }
    const entryId = requiredId(value.id, where);
    if (format === 'bollard') {
      const entry: IgnoreEntry = { id: entryId, line };
      const purl = optionalString(value.purl, 'purl', where);
      const path = optionalString(value.path, 'path', where);
      const reason = optionalString(value.reason, 'reason', where);
      if (purl) entry.purl = purl;
      if (path) entry.path = path;
      if (reason) entry.reason = reason;
      setExpiry(entry, value.expires, where);
      entries.push(entry);
    } else {
      const purls = optionalStringList(value.purls, 'purls', where);
      const paths = optionalStringList(value.paths, 'paths', where);
      const reason = optionalString(value.statement, 'statement', where);
      const base: IgnoreEntry = { id: entryId, line };
      if (reason) base.reason = reason;
      setExpiry(base, value.expired_at, where);
      // Trivy: an entry with purls or paths applies to any of them.
      const variants: Pick<IgnoreEntry, 'purl' | 'path'>[] = [
        ...purls.map((purl) => ({ purl })),
        ...paths.map((path) => ({ path })),
      ];
      if (variants.length === 0) entries.push(base);
      for (const v of variants) entries.push({ ...base, ...v });
    }
    if (entries.length > maxEntries) {
      throw new BollardError('LIMIT_EXCEEDED', `ignore file ${file} has more than ${maxEntries} entries`);
    }
  }
  return { file, format, entries };
}

function requiredId(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new BollardError('INPUT_INVALID', `${where}: entry has no id`);
  if (v.length > 256 || /\s/.test(v.trim())) {
    throw new BollardError('INPUT_INVALID', `${where}: "${v.slice(0, 40)}" is not a vulnerability id`);
  }
  return v.trim();
}

function optionalString(v: unknown, key: string, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BollardError('INPUT_INVALID', `${where}: "${key}" must be a string`);
  return v.trim() === '' ? undefined : v;
}

function optionalStringList(v: unknown, key: string, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new BollardError('INPUT_INVALID', `${where}: "${key}" must be a list of strings`);
  }
  return v as string[];
}

function setExpiry(entry: IgnoreEntry, v: unknown, where: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw new BollardError('INPUT_INVALID', `${where}: expiry must be a date (YYYY-MM-DD)`);
  const at = parseExpiry(v);
  if (at === undefined) {
    throw new BollardError(
      'INPUT_INVALID',
      `${where}: invalid expiry date "${v.slice(0, 40)}" (use YYYY-MM-DD or an ISO 8601 date-time)`,
    );
  }
  entry.expires = v;
  entry.expiresAt = at;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * An expiry instant: a date means 00:00 UTC of that day (Trivy's meaning of `exp:`), a date-time
 * without a zone is UTC. Impossible dates (`2027-02-30`) are refused rather than rolled over.
 */
export function parseExpiry(s: string): number | undefined {
  const text = s.trim();
  const d = DATE_RE.exec(text);
  if (d) return utc(Number(d[1]), Number(d[2]), Number(d[3]), 0, 0, 0, 0, 0);
  const m = DATETIME_RE.exec(text);
  if (!m) return undefined;
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (!z) return undefined;
    const hours = Number(z[2]);
    const minutes = Number(z[3]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMin = (z[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  return utc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'), ms, offsetMin);
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMin: number) {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(t);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return t - offsetMin * 60_000;
}

/** `.trivyignore`: `ID [exp:YYYY-MM-DD] [# reason]` per line; `#` starts a comment line. */
function parseTrivyIgnore(text: string, file: string, maxEntries: number): IgnoreEntry[] {
  const entries: IgnoreEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    const where = `ignore file ${file} (line ${line})`;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    const comment = hash >= 0 ? raw.slice(hash + 1).trim() : '';
    if (body === '') continue;
    const [first, ...rest] = body.split(/\s+/);
    const entry: IgnoreEntry = { id: requiredId(first, where), line };
    if (entry.id.startsWith('exp:')) throw new BollardError('INPUT_INVALID', `${where}: entry has no id`);
    for (const token of rest) {
      if (!token.startsWith('exp:')) {
        throw new BollardError(
          'INPUT_INVALID',
          `${where}: unexpected "${token.slice(0, 40)}" (expected "ID [exp:YYYY-MM-DD]"; not YAML either)`,
        );
      }
      setExpiry(entry, token.slice(4), where);
    }
    if (comment) entry.reason = comment;
    entries.push(entry);
    if (entries.length > maxEntries) {
      throw new BollardError('LIMIT_EXCEEDED', `ignore file ${file} has more than ${maxEntries} entries`);
    }
  }
  return entries;
}

/** Is the entry past its expiry at `now`? (Expired from the expiry instant on.) */
export function isExpired(entry: IgnoreEntry, now: Date): boolean {
  return entry.expiresAt !== undefined && now.getTime() >= entry.expiresAt;
}

/** Does an (unexpired) entry match the finding: its id or an alias, and the purl/path globs if any? */
export function entryMatches(entry: IgnoreEntry, finding: VulnFinding): boolean {
  const wanted = entry.id.toUpperCase();
  const ids = [finding.id, ...finding.aliases, ...(finding.cve ? [finding.cve] : [])];
  if (!ids.some((x) => x.toUpperCase() === wanted)) return false;
  if (entry.purl !== undefined && !purlGlobMatches(entry.purl, finding.package)) return false;
  if (entry.path !== undefined && !(finding.package.path && globMatch(entry.path, finding.package.path))) return false;
  return true;
}

function purlGlobMatches(pattern: string, pkg: FindingPackage): boolean {
  const candidates = [pkg.name, pkg.matchedName];
  if (pkg.purl) {
    candidates.push(pkg.purl);
    const bare = pkg.purl.replace(/[?#].*$/, '');
    candidates.push(bare);
    // `%2B` and `+` spell the same version: let a pattern written either way match.
    const decoded = safeDecode(bare);
    if (decoded !== undefined) candidates.push(decoded);
  }
  return candidates.some((c) => globMatch(pattern, c));
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
