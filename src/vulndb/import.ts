import { lstatSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { BollardError } from '../util/errors.ts';
import { isRecord } from '../util/json.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { type Progress, silentProgress } from '../util/progress.ts';
import { parseYamlBounded } from '../util/yaml.ts';
import { type DbWriter, writeVulnDb } from './build.ts';
import { looksLikeSecdb, SECDB_LICENSE, secdbItems, secdbSourceId } from './ingest/alpine-secdb/index.ts';
import {
  createSkipCounter,
  type FeedLimits,
  feedLimits,
  feedText,
  maybeGunzip,
  readFeedFile,
  type SkipCounter,
  sha256,
  treeDigest,
  walkFiles,
} from './ingest/common.ts';
import {
  isSupportList,
  SUPPORT_LICENSE,
  supportItems,
  supportListRelease,
} from './ingest/debian-security-support/index.ts';
import { TRACKER_LICENSE, TRACKER_SOURCE, trackerItems } from './ingest/debian-tracker/index.ts';
import { EPSS_LICENSE, EPSS_SOURCE, epssFromCsv, looksLikeEpss } from './ingest/epss/index.ts';
import {
  KEV_LICENSE,
  KEV_SOURCE,
  kevFromCsv,
  kevFromJson,
  looksLikeKevCsv,
  looksLikeKevJson,
} from './ingest/kev/index.ts';
import { OSV_LICENSE, type OsvParsed, osvFromZip, osvSourceId, parseOsvRecord } from './ingest/osv/index.ts';
import type { SourceInfo } from './types.ts';

export interface IngestOptions {
  limits?: FeedLimits;
  logger?: Logger;
  progress?: Progress;
  now?: () => Date;
  /**
   * Debian release (`12`) that `security-support-limited` and an unsuffixed `security-support-ended`
   * describe: those lists name no release (they belong to a branch of debian-security-support).
   */
  supportRelease?: string;
}

export interface ImportResult {
  sources: SourceInfo[];
  /** Files in imported directories that are not a known feed (README, licences...). */
  ignored: string[];
}

export interface Ctx {
  limits: FeedLimits;
  logger: Logger;
  progress: Progress;
  now: string;
  supportRelease: string;
}

export function ingestContext(o: IngestOptions): Ctx {
  return {
    limits: o.limits ?? feedLimits(),
    logger: o.logger ?? silentLogger,
    progress: o.progress ?? silentProgress,
    now: (o.now ?? (() => new Date()))().toISOString(),
    supportRelease: o.supportRelease ?? '12',
  };
}

/** `bollard db import`: add feeds from disk to the database at `db` (created when missing), atomically. */
export async function importFeeds(db: string, paths: readonly string[], o: IngestOptions = {}): Promise<ImportResult> {
  preflight(paths);
  return writeVulnDb(db, { mode: 'update', ...(o.now ? { now: o.now } : {}) }, (w) =>
    ingestPaths(w, paths, ingestContext(o)),
  );
}

/** `bollard db build --out FILE`: a new database from feeds on disk only (replaces FILE atomically). */
export async function buildVulnDb(out: string, paths: readonly string[], o: IngestOptions = {}): Promise<ImportResult> {
  preflight(paths);
  return writeVulnDb(out, { mode: 'fresh', ...(o.now ? { now: o.now } : {}) }, (w) =>
    ingestPaths(w, paths, ingestContext(o)),
  );
}

function preflight(paths: readonly string[]): void {
  if (paths.length === 0) throw new BollardError('USAGE', 'name at least one feed file or directory to import');
  for (const p of paths) {
    try {
      lstatSync(p);
    } catch {
      throw new BollardError('TARGET_NOT_FOUND', `${p} does not exist`);
    }
  }
}

async function ingestPaths(w: DbWriter, paths: readonly string[], ctx: Ctx): Promise<ImportResult> {
  const result: ImportResult = { sources: [], ignored: [] };
  for (const p of paths) {
    const abs = resolve(p);
    const st = lstatSync(abs);
    if (st.isDirectory()) await ingestDir(w, abs, ctx, result);
    else if (st.isFile()) {
      const done = await ingestFile(w, abs, ctx, true);
      if (done) result.sources.push(...done);
    } else throw new BollardError('FEED_INVALID', `${p} is neither a regular file nor a directory`);
  }
  return result;
}

type Classified =
  | { kind: 'osv-zip' }
  | { kind: 'osv-record'; value: unknown }
  | { kind: 'osv-broken'; reason: string }
  | { kind: 'tracker'; value: unknown }
  | { kind: 'secdb'; value: unknown }
  | { kind: 'kev-json'; value: unknown }
  | { kind: 'kev-csv'; text: string }
  | { kind: 'epss'; text: string }
  | { kind: 'support' }
  | { kind: 'unknown'; why: string };

const ZIP_MAGIC = 0x04034b50;

/** What a file is, from its name and content. */
function classify(path: string, data: Buffer, ctx: Ctx): Classified {
  const name = basename(path).toLowerCase();
  if (data.length >= 4 && data.readUInt32LE(0) === ZIP_MAGIC) return { kind: 'osv-zip' };
  if (isSupportList(path)) return { kind: 'support' };
  const body = maybeGunzip(data, path, ctx.limits);
  const text = feedText(body);
  const head = text.trimStart().slice(0, 1);
  if (name.endsWith('.csv') || name.endsWith('.csv.gz') || name.endsWith('.gz')) {
    if (looksLikeKevCsv(text)) return { kind: 'kev-csv', text };
    if (looksLikeEpss(text)) return { kind: 'epss', text };
    return { kind: 'unknown', why: 'a CSV that is neither KEV nor EPSS' };
  }
  const yaml = name.endsWith('.yaml') || name.endsWith('.yml');
  if (yaml || head === '{' || head === '[' || name.endsWith('.json')) {
    let value: unknown;
    try {
      value = yaml
        ? parseYamlBounded(body, { what: path, maxBytes: ctx.limits.maxFeedBytes, maxDepth: ctx.limits.maxJsonDepth })
        : JSON.parse(text);
    } catch {
      return { kind: 'osv-broken', reason: yaml ? 'malformed-yaml' : 'malformed-json' };
    }
    if (looksLikeKevJson(value)) return { kind: 'kev-json', value };
    if (looksLikeSecdb(value)) return { kind: 'secdb', value };
    if (looksLikeTracker(value)) return { kind: 'tracker', value };
    if (
      isRecord(value) &&
      typeof value.id === 'string' &&
      ('affected' in value || 'modified' in value || 'schema_version' in value)
    ) {
      return { kind: 'osv-record', value };
    }
    return { kind: 'unknown', why: 'a document of no known feed format' };
  }
  if (looksLikeKevCsv(text)) return { kind: 'kev-csv', text };
  if (looksLikeEpss(text)) return { kind: 'epss', text };
  return { kind: 'unknown', why: 'no known feed format' };
}

function looksLikeTracker(v: unknown): boolean {
  if (!isRecord(v)) return false;
  let seen = 0;
  for (const issues of Object.values(v)) {
    if (!isRecord(issues)) return false;
    for (const [id, issue] of Object.entries(issues)) {
      if (!/^(CVE|TEMP)-/.test(id) || !isRecord(issue) || !('releases' in issue)) return false;
      if (++seen >= 3) return true;
      break;
    }
  }
  return seen > 0;
}

const EXPECTED =
  'expected an OSV zip, directory or record (JSON/YAML), the Debian security tracker JSON, an Alpine secdb file, KEV JSON/CSV, EPSS CSV(.gz) or a debian-security-support list';

/** Ingest one file; `explicit` files that are not a feed are an error, files found in a directory are ignored. */
async function ingestFile(w: DbWriter, path: string, ctx: Ctx, explicit: boolean): Promise<SourceInfo[] | undefined> {
  const { data, digest } = readFeedFile(path, ctx.limits);
  const c = classify(path, data, ctx);
  switch (c.kind) {
    case 'osv-zip':
      return [await ingestOsvZip(w, path, path, digest, ctx)];
    case 'osv-record':
    case 'osv-broken': {
      if (!explicit) return undefined;
      if (c.kind === 'osv-broken')
        throw new BollardError(
          'FEED_INVALID',
          `${path} is not valid ${c.reason === 'malformed-yaml' ? 'YAML' : 'JSON'}`,
        );
      const skips = createSkipCounter(debugSkip(ctx, path));
      return [ingestOsvRecords(w, [parseOsvRecord(c.value, path, skips)], osvSourceId(path), path, digest, skips, ctx)];
    }
    case 'tracker':
      return [ingestTracker(w, c.value, path, digest, ctx)];
    case 'secdb':
      return [ingestSecdb(w, c.value, path, digest, ctx)];
    case 'kev-json':
    case 'kev-csv':
      return [ingestKev(w, c, path, digest, ctx)];
    case 'epss':
      return [ingestEpss(w, c.text, path, digest, ctx)];
    case 'support':
      return [ingestSupport(w, feedText(data), path, digest, ctx)];
    case 'unknown':
      if (explicit) throw new BollardError('FEED_INVALID', `cannot tell what ${path} is (${c.why}): ${EXPECTED}`);
      return undefined;
  }
}

async function ingestDir(w: DbWriter, root: string, ctx: Ctx, result: ImportResult): Promise<void> {
  const skips = createSkipCounter(debugSkip(ctx, root));
  const files = walkFiles(root, ctx.limits, skips);
  const records: (OsvParsed | undefined)[] = [];
  const digests: string[] = [];
  for (const f of files) {
    const lower = f.rel.toLowerCase();
    const recordLike = lower.endsWith('.json') || lower.endsWith('.yaml') || lower.endsWith('.yml');
    // Loose records are small; only a file that may be a whole feed is read past the record bound.
    if (f.size > ctx.limits.maxFeedBytes) {
      skips.skip('too-large', f.rel);
      continue;
    }
    let data: Buffer;
    try {
      data = readFileSync(f.path);
    } catch {
      skips.skip('unreadable', f.rel);
      continue;
    }
    const c =
      recordLike || lower.endsWith('.zip') || lower.endsWith('.csv') || lower.endsWith('.gz') || isSupportList(f.path)
        ? classify(f.path, data, ctx)
        : ({ kind: 'unknown', why: '' } satisfies Classified);
    if (c.kind === 'osv-record' || c.kind === 'osv-broken') {
      if (data.length > ctx.limits.maxRecordBytes) {
        skips.skip('too-large', f.rel);
        continue;
      }
      digests.push(`${f.rel} ${sha256(data)}`);
      if (c.kind === 'osv-broken') skips.skip(c.reason, f.rel);
      else records.push(parseOsvRecord(c.value, f.rel, skips));
      continue;
    }
    if (c.kind === 'unknown') {
      result.ignored.push(f.path);
      continue;
    }
    const done = await ingestFile(w, f.path, ctx, true);
    if (done) result.sources.push(...done);
  }
  if (digests.length > 0) {
    result.sources.push(ingestOsvRecords(w, records, osvSourceId(root), root, treeDigest(digests), skips, ctx));
  }
}

function debugSkip(ctx: Ctx, origin: string): (reason: string, detail?: string) => void {
  return (reason, detail) => ctx.logger.debug('skipped a feed record', { origin, reason, record: detail });
}

/** Store OSV records (upsert by `modified`, withdrawn ones removed); returns the source row written. */
export function ingestOsvRecords(
  w: DbWriter,
  records: Iterable<OsvParsed | undefined>,
  sourceId: string,
  origin: string,
  digest: string,
  skips: SkipCounter,
  ctx: Pick<Ctx, 'now'>,
  fetchedAt: string = ctx.now,
): SourceInfo {
  const acc = osvAccumulator(w);
  for (const r of records) acc.add(r);
  return putOsvSource(w, sourceId, origin, digest, skips, acc, fetchedAt);
}

export interface OsvAccumulator {
  add(r: OsvParsed | undefined): void;
  /** Records read and stored (inserted, replaced or already newer in the database). */
  stored: number;
  /** Records new to the database, and withdrawn records removed from it. */
  inserted: number;
  removed: number;
  cursor: string | undefined;
}

export function osvAccumulator(w: DbWriter): OsvAccumulator {
  const acc: OsvAccumulator = {
    stored: 0,
    inserted: 0,
    removed: 0,
    cursor: undefined,
    add(r) {
      if (!r) return;
      const modified = r.kind === 'record' ? r.advisory.modified : r.modified;
      if (modified && (acc.cursor === undefined || compareIso(modified, acc.cursor) > 0)) acc.cursor = modified;
      if (r.kind === 'withdrawn') {
        if (w.withdraw(r.id, 'osv', r.modified)) acc.removed++;
        return;
      }
      if (w.putAdvisory(r.advisory, r.affected) === 'inserted') acc.inserted++;
      acc.stored++;
    },
  };
  return acc;
}

export function putOsvSource(
  w: DbWriter,
  sourceId: string,
  origin: string,
  digest: string,
  skips: SkipCounter,
  acc: OsvAccumulator,
  fetchedAt: string,
  incremental = false,
): SourceInfo {
  const prev = w.source(sourceId);
  const cursor = [prev?.cursor, acc.cursor]
    .filter((x): x is string => x !== undefined)
    .sort(compareIso)
    .at(-1);
  const info: SourceInfo = {
    id: sourceId,
    kind: 'osv',
    origin,
    digest,
    records: incremental ? Math.max(0, (prev?.records ?? 0) + acc.inserted - acc.removed) : acc.stored,
    skipped: incremental ? mergeCounts(prev?.skipped ?? {}, skips.counts) : skips.counts,
    license: OSV_LICENSE,
    fetchedAt,
  };
  if (cursor !== undefined) info.cursor = cursor;
  w.putSource(info);
  return info;
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function compareIso(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function ingestOsvZip(
  w: DbWriter,
  path: string,
  origin: string,
  digest: string,
  ctx: Ctx,
  sourceId = osvSourceId(path),
): Promise<SourceInfo> {
  const skips = createSkipCounter(debugSkip(ctx, origin));
  const task = ctx.progress.task(`import ${sourceId}`, undefined, 'items');
  const acc = osvAccumulator(w);
  try {
    for await (const r of osvFromZip(path, ctx.limits, skips)) {
      acc.add(r);
      task.advance(1);
    }
  } catch (e) {
    task.fail();
    throw e;
  }
  task.done(`${acc.stored} records`);
  return putOsvSource(w, sourceId, origin, digest, skips, acc, ctx.now);
}

function ingestTracker(w: DbWriter, doc: unknown, origin: string, digest: string, ctx: Ctx): SourceInfo {
  const skips = createSkipCounter(debugSkip(ctx, origin));
  w.clearSource(TRACKER_SOURCE);
  const ids = new Set<string>();
  for (const item of trackerItems(doc, skips)) {
    w.addAdvisory(item.advisory);
    ids.add(item.advisory.id);
    for (const e of item.affected) w.addAffected(e);
  }
  const info: SourceInfo = {
    id: TRACKER_SOURCE,
    kind: 'debian-tracker',
    origin,
    digest,
    records: ids.size,
    skipped: skips.counts,
    license: TRACKER_LICENSE,
    fetchedAt: ctx.now,
  };
  w.putSource(info);
  return info;
}

function ingestSecdb(w: DbWriter, doc: unknown, origin: string, digest: string, ctx: Ctx): SourceInfo {
  const skips = createSkipCounter(debugSkip(ctx, origin));
  const source = secdbSourceId(doc, origin);
  w.clearSource(source);
  let n = 0;
  for (const item of secdbItems(doc, source, skips)) {
    if (w.addAdvisory(item.advisory)) n++;
    w.addAffected(item.affected);
  }
  const info: SourceInfo = {
    id: source,
    kind: 'alpine-secdb',
    origin,
    digest,
    records: n,
    skipped: skips.counts,
    license: SECDB_LICENSE,
    fetchedAt: ctx.now,
  };
  w.putSource(info);
  return info;
}

function ingestSupport(w: DbWriter, text: string, origin: string, digest: string, ctx: Ctx): SourceInfo {
  const skips = createSkipCounter(debugSkip(ctx, origin));
  const limited = basename(origin) === 'security-support-limited';
  const listed = supportListRelease(origin);
  const release = limited ? ctx.supportRelease : (listed ?? ctx.supportRelease);
  // The unsuffixed lists belong to the branch they were taken from: their own source ids.
  const source = `debian-security-support:${limited ? 'limited' : listed ? `ended-deb${listed}` : 'ended'}`;
  w.clearSource(source);
  let n = 0;
  for (const item of supportItems(text, origin, release, source, skips)) {
    if (w.addAdvisory(item.advisory)) {
      w.addAffected(item.affected);
      n++;
    } else skips.skip('duplicate-package', item.affected.package);
  }
  const info: SourceInfo = {
    id: source,
    kind: 'debian-security-support',
    origin,
    digest,
    records: n,
    skipped: skips.counts,
    license: SUPPORT_LICENSE,
    fetchedAt: ctx.now,
  };
  w.putSource(info);
  return info;
}

export function ingestKev(
  w: DbWriter,
  c: { kind: 'kev-json'; value: unknown } | { kind: 'kev-csv'; text: string },
  origin: string,
  digest: string,
  ctx: Pick<Ctx, 'now'>,
): SourceInfo {
  const skips = createSkipCounter();
  const n = w.replaceKev(c.kind === 'kev-json' ? kevFromJson(c.value, skips) : kevFromCsv(c.text, skips));
  if (n === 0) throw new BollardError('FEED_INVALID', `${origin} holds no KEV entries`);
  const info: SourceInfo = {
    id: KEV_SOURCE,
    kind: 'kev',
    origin,
    digest,
    records: n,
    skipped: skips.counts,
    license: KEV_LICENSE,
    fetchedAt: ctx.now,
  };
  w.putSource(info);
  return info;
}

export function ingestEpss(
  w: DbWriter,
  text: string,
  origin: string,
  digest: string,
  ctx: Pick<Ctx, 'now'>,
): SourceInfo {
  const skips = createSkipCounter();
  const n = w.replaceEpss(epssFromCsv(text, skips));
  if (n === 0)
    throw new BollardError('FEED_INVALID', `${origin} holds no EPSS scores (expected a "cve,epss,percentile" header)`);
  const info: SourceInfo = {
    id: EPSS_SOURCE,
    kind: 'epss',
    origin,
    digest,
    records: n,
    skipped: skips.counts,
    license: EPSS_LICENSE,
    fetchedAt: ctx.now,
  };
  w.putSource(info);
  return info;
}

/** Parse a downloaded KEV JSON or EPSS CSV body (for `db update`). */
export function kevDocument(
  data: Buffer,
  origin: string,
): { kind: 'kev-json'; value: unknown } | { kind: 'kev-csv'; text: string } {
  const text = feedText(data);
  if (looksLikeKevCsv(text)) return { kind: 'kev-csv', text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BollardError('FEED_INVALID', `${origin} is not valid KEV JSON`);
  }
  if (!looksLikeKevJson(value)) throw new BollardError('FEED_INVALID', `${origin} is not the KEV catalogue`);
  return { kind: 'kev-json', value };
}
