import { basename, dirname } from 'node:path';
import { BollardError } from '../../../util/errors.ts';
import { isRecord, jsonDepth } from '../../../util/json.ts';
import { parseYamlBounded } from '../../../util/yaml.ts';
import type { AffectedRange, RangeEvent } from '../../../versioning/types.ts';
import type { Advisory, AffectedEntry, SeverityEntry } from '../../types.ts';
import { type FeedLimits, type SkipCounter, sha256, treeDigest, walkFiles } from '../common.ts';
import { zipRecords } from '../zip.ts';

/** Every OSV record is stored under this source id; the ecosystem feeds it came from are sources `osv:<Ecosystem>`. */
export const OSV_SOURCE = 'osv';

/**
 * Ecosystems Bollard can match (OSV's own names, before any `:release` suffix). Records for other
 * ecosystems are counted as `unknown-ecosystem`.
 */
export const KNOWN_ECOSYSTEMS: ReadonlySet<string> = new Set([
  'Debian',
  'Ubuntu',
  'Alpine',
  'Wolfi',
  'Chainguard',
  'Red Hat',
  'Rocky Linux',
  'AlmaLinux',
  'openSUSE',
  'SUSE',
  'Mageia',
  'openEuler',
  'Azure Linux',
  'Photon OS',
  'npm',
  'PyPI',
  'Go',
  'crates.io',
  'Maven',
  'RubyGems',
  'Packagist',
  'NuGet',
]);

/** One parsed OSV record: stored, or withdrawn (so an update can remove an older copy). */
export type OsvParsed =
  | { kind: 'record'; advisory: Advisory; affected: AffectedEntry[] }
  | { kind: 'withdrawn'; id: string; modified?: string };

const EVENT_KEYS = new Set(['introduced', 'fixed', 'last_affected', 'limit']);
const RANGE_TYPES = new Set(['ECOSYSTEM', 'SEMVER', 'GIT']);
const MAX_SUMMARY = 1024;

/** PEP 503 normalised name: lower case, runs of `-`, `_`, `.` become one `-`. */
export function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Base name of an OSV ecosystem (`Debian:12` → `Debian`). */
export function ecosystemBase(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

/** Parse one OSV record's text (JSON, or YAML when `yaml`); undefined when it was skipped (and counted). */
export function parseOsvText(
  data: Buffer,
  what: string,
  yaml: boolean,
  limits: FeedLimits,
  skips: SkipCounter,
): OsvParsed | undefined {
  if (data.length > limits.maxRecordBytes) {
    skips.skip('too-large', what);
    return undefined;
  }
  let value: unknown;
  if (yaml) {
    try {
      value = parseYamlBounded(data, { what, maxBytes: limits.maxRecordBytes, maxDepth: limits.maxJsonDepth });
    } catch {
      skips.skip('malformed-yaml', what);
      return undefined;
    }
  } else {
    const text = data.toString('utf8');
    if (jsonDepth(text) > limits.maxJsonDepth) {
      skips.skip('too-deep', what);
      return undefined;
    }
    try {
      value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      skips.skip('malformed-json', what);
      return undefined;
    }
  }
  return parseOsvRecord(value, what, skips);
}

/** Turn one OSV document into an advisory and its affected entries, counting what is skipped. */
export function parseOsvRecord(value: unknown, what: string, skips: SkipCounter): OsvParsed | undefined {
  if (!isRecord(value)) {
    skips.skip('not-an-object', what);
    return undefined;
  }
  const id = value.id;
  if (typeof id !== 'string' || id.trim() === '' || id.length > 256) {
    skips.skip('missing-id', what);
    return undefined;
  }
  const modified = str(value.modified);
  if (value.withdrawn !== undefined && value.withdrawn !== null) {
    skips.skip('withdrawn', id);
    return modified === undefined ? { kind: 'withdrawn', id } : { kind: 'withdrawn', id, modified };
  }
  const advisory: Advisory = {
    id,
    source: OSV_SOURCE,
    aliases: strings(value.aliases).filter((a) => a !== id),
    related: uniq([...strings(value.related), ...strings(value.upstream)].filter((a) => a !== id)),
    severity: [],
    cwes: [],
    references: [],
  };
  const published = str(value.published);
  if (published !== undefined) advisory.published = published;
  if (modified !== undefined) advisory.modified = modified;
  const summary = str(value.summary);
  if (summary) advisory.summary = summary.slice(0, MAX_SUMMARY);
  advisory.severity.push(...cvssEntries(value.severity));
  const dbs = isRecord(value.database_specific) ? value.database_specific : undefined;
  const ghsa = dbs ? str(dbs.severity) : undefined;
  if (ghsa) advisory.severity.push({ type: 'ghsa', value: ghsa });
  if (dbs) advisory.cwes = uniq(strings(dbs.cwe_ids));
  if (Array.isArray(value.references)) {
    for (const r of value.references) if (isRecord(r) && typeof r.url === 'string') advisory.references.push(r.url);
  }

  const affected: AffectedEntry[] = [];
  const raw = value.affected;
  if (raw !== undefined && !Array.isArray(raw)) {
    skips.skip('malformed-affected', id);
    return undefined;
  }
  const list = (raw ?? []) as unknown[];
  let unknown = 0;
  let impossible = 0;
  let malformed = 0;
  for (const a of list) {
    const r = parseAffected(a, id, ghsa, advisory.severity);
    if (r === 'unknown-ecosystem') unknown++;
    else if (r === 'impossible-range') impossible++;
    else if (r === 'malformed-affected') malformed++;
    else affected.push(r);
  }
  if (list.length > 0 && affected.length === 0) {
    // Nothing usable: count the record once, by its most telling reason.
    skips.skip(impossible > 0 ? 'impossible-range' : malformed > 0 ? 'malformed-affected' : 'unknown-ecosystem', id);
    return undefined;
  }
  if (unknown > 0) skips.skip('affected:unknown-ecosystem', id);
  if (impossible > 0) skips.skip('affected:impossible-range', id);
  if (malformed > 0) skips.skip('affected:malformed', id);
  advisory.severity = dedupeSeverity(advisory.severity);
  return { kind: 'record', advisory, affected: dedupeAffected(affected) };
}

type AffectedResult = AffectedEntry | 'unknown-ecosystem' | 'impossible-range' | 'malformed-affected';

function parseAffected(
  a: unknown,
  id: string,
  ghsa: string | undefined,
  recordSeverity: SeverityEntry[],
): AffectedResult {
  if (!isRecord(a) || !isRecord(a.package)) return 'malformed-affected';
  const ecosystem = str(a.package.ecosystem);
  const name = str(a.package.name);
  if (!ecosystem || !name) return 'malformed-affected';
  if (!KNOWN_ECOSYSTEMS.has(ecosystemBase(ecosystem))) return 'unknown-ecosystem';
  const ranges: AffectedRange[] = [];
  if (a.ranges !== undefined) {
    if (!Array.isArray(a.ranges)) return 'impossible-range';
    for (const r of a.ranges) {
      const range = parseRange(r);
      if (!range) return 'impossible-range';
      ranges.push(range);
    }
  }
  let versions: string[] = [];
  if (a.versions !== undefined) {
    if (!Array.isArray(a.versions) || !a.versions.every((v) => typeof v === 'string')) return 'malformed-affected';
    versions = a.versions as string[];
  }
  if (ranges.length === 0 && versions.length === 0) return 'impossible-range';
  const entry: AffectedEntry = {
    advisoryId: id,
    source: OSV_SOURCE,
    ecosystem,
    package: ecosystemBase(ecosystem) === 'PyPI' ? pep503(name) : name,
    ranges,
    versions,
  };
  // Per-package ratings: Debian urgency, a severity in ecosystem_specific, or the GHSA rating.
  const es = isRecord(a.ecosystem_specific) ? a.ecosystem_specific : undefined;
  const ds = isRecord(a.database_specific) ? a.database_specific : undefined;
  const rating = (es && (str(es.urgency) ?? str(es.severity))) ?? (ds && str(ds.severity)) ?? ghsa;
  if (rating) entry.severity = rating;
  recordSeverity.push(...cvssEntries(a.severity));
  return entry;
}

function parseRange(r: unknown): AffectedRange | undefined {
  if (!isRecord(r)) return undefined;
  const type = r.type;
  if (typeof type !== 'string' || !RANGE_TYPES.has(type) || !Array.isArray(r.events)) return undefined;
  const events: RangeEvent[] = [];
  let introduced = false;
  for (const e of r.events) {
    if (!isRecord(e)) return undefined;
    const keys = Object.keys(e);
    if (keys.length !== 1) return undefined;
    const k = keys[0] as string;
    const v = e[k];
    if (!EVENT_KEYS.has(k) || typeof v !== 'string' || v === '') return undefined;
    if (k === 'introduced') introduced = true;
    events.push({ [k]: v } as RangeEvent);
  }
  if (!introduced) return undefined;
  return { type: type as AffectedRange['type'], events };
}

function cvssEntries(v: unknown): SeverityEntry[] {
  const out: SeverityEntry[] = [];
  if (!Array.isArray(v)) return out;
  for (const s of v) {
    if (!isRecord(s) || typeof s.score !== 'string') continue;
    if (s.type === 'CVSS_V2' || s.type === 'CVSS_V3' || s.type === 'CVSS_V4')
      out.push({ type: s.type, value: s.score });
  }
  return out;
}

function dedupeSeverity(list: SeverityEntry[]): SeverityEntry[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const k = `${s.type}\0${s.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One row per (ecosystem, package): OSV repeats a package for several range groups. */
function dedupeAffected(list: AffectedEntry[]): AffectedEntry[] {
  const by = new Map<string, AffectedEntry>();
  for (const e of list) {
    const k = `${e.ecosystem}\0${e.package}`;
    const prev = by.get(k);
    if (!prev) by.set(k, e);
    else {
      prev.ranges.push(...e.ranges);
      prev.versions = uniq([...prev.versions, ...e.versions]);
      prev.severity ??= e.severity;
    }
  }
  return [...by.values()];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

function isRecordName(name: string): 'json' | 'yaml' | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.json')) return 'json';
  if (n.endsWith('.yaml') || n.endsWith('.yml')) return 'yaml';
  return undefined;
}

/** Source id for an OSV input: `<Ecosystem>/all.zip` → `osv:<Ecosystem>`; otherwise the file or folder name. */
export function osvSourceId(path: string): string {
  const base = basename(path);
  if (base.toLowerCase() === 'all.zip') return `osv:${basename(dirname(path))}`;
  return `osv:${base.replace(/\.(zip|json|ya?ml)$/i, '')}`;
}

export interface OsvInputResult {
  digest: string;
}

/** Records of an OSV zip (`all.zip`): each entry parsed on its own; bounds as in `zipRecords`. */
export async function* osvFromZip(path: string, limits: FeedLimits, skips: SkipCounter): AsyncGenerator<OsvParsed> {
  for await (const r of zipRecords(path, limits, skips, (n) => isRecordName(n) !== undefined)) {
    const parsed = parseOsvText(r.data, r.name, isRecordName(r.name) === 'yaml', limits, skips);
    if (parsed) yield parsed;
  }
}

/** Records of a directory tree of OSV JSON/YAML files (symlinks are not followed). */
export function* osvFromDir(
  root: string,
  limits: FeedLimits,
  skips: SkipCounter,
  readFile: (path: string) => Buffer,
  digestLines: string[],
): Generator<OsvParsed> {
  for (const f of walkFiles(root, limits, skips)) {
    const kind = isRecordName(f.rel);
    if (!kind) continue;
    if (f.size > limits.maxRecordBytes) {
      skips.skip('too-large', f.rel);
      continue;
    }
    const data = readFile(f.path);
    digestLines.push(`${f.rel} ${sha256(data)}`);
    const parsed = parseOsvText(data, f.rel, kind === 'yaml', limits, skips);
    if (parsed) yield parsed;
  }
}

export function dirDigest(lines: string[]): string {
  return treeDigest(lines);
}

/** Parse one OSV file (JSON or YAML) that was named on the command line. */
export function osvFromFile(path: string, data: Buffer, limits: FeedLimits, skips: SkipCounter): OsvParsed | undefined {
  const kind = isRecordName(path);
  if (!kind) throw new BollardError('FEED_INVALID', `${path}: an OSV record must be a .json, .yaml or .yml file`);
  return parseOsvText(data, path, kind === 'yaml', limits, skips);
}

export const OSV_LICENSE = 'CC-BY-4.0 (OSV.dev aggregate; per-source terms apply)';
