import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { boundedStream, discard, type HttpResponse, HttpTransport, headerValue, readBounded } from '../oci/http.ts';
import { DigestingStream } from '../util/digest.ts';
import { BollardError } from '../util/errors.ts';
import { defaultLimits, type Limits } from '../util/limits.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { type Progress, silentProgress } from '../util/progress.ts';
import { createTempRoot } from '../util/tempdir.ts';
import { writeVulnDb } from './build.ts';
import {
  ingestContext,
  ingestEpss,
  ingestKev,
  ingestOsvZip,
  kevDocument,
  osvAccumulator,
  putOsvSource,
} from './import.ts';
import { createSkipCounter, type FeedLimits, feedLimits, maybeGunzip, sha256, treeDigest } from './ingest/common.ts';
import { parseOsvText } from './ingest/osv/index.ts';
import { openVulnDb } from './query.ts';
import type { SourceInfo } from './types.ts';

export const DEFAULT_OSV_URL = 'https://osv-vulnerabilities.storage.googleapis.com';
export const DEFAULT_KEV_URL = 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json';
export const DEFAULT_EPSS_URL = 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz';

/** OSV ecosystems fetched by default: the distributions and language ecosystems Bollard matches. */
export const DEFAULT_ECOSYSTEMS: readonly string[] = [
  'Debian',
  'Alpine',
  'Ubuntu',
  'Red Hat',
  'Rocky Linux',
  'AlmaLinux',
  'SUSE',
  'openSUSE',
  'Wolfi',
  'Chainguard',
  'npm',
  'PyPI',
  'Go',
  'Maven',
  'crates.io',
  'RubyGems',
  'Packagist',
  'NuGet',
];

export interface UpdateOptions {
  osvUrl?: string;
  ecosystems?: readonly string[];
  /** KEV catalogue URL, or false to skip KEV. */
  kevUrl?: string | false;
  /** EPSS CSV(.gz) URL, or false to skip EPSS. */
  epssUrl?: string | false;
  limits?: Limits;
  feedLimits?: FeedLimits;
  /** Above this many changed records an incremental step downloads `all.zip` instead (default 5,000). */
  maxIncremental?: number;
  /** Allow plain HTTP / unverified TLS to hosts that are not on loopback. */
  insecure?: boolean;
  logger?: Logger;
  progress?: Progress;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface UpdateResult {
  sources: SourceInfo[];
  /** Per OSV ecosystem: `full` (all.zip), `incremental` (records fetched) or `unchanged`. */
  steps: { ecosystem: string; mode: 'full' | 'incremental' | 'unchanged'; records: number }[];
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/;

type Plan =
  | { ecosystem: string; mode: 'full'; file: string; digest: string; origin: string }
  | {
      ecosystem: string;
      mode: 'incremental';
      records: { id: string; data: Buffer }[];
      digest: string;
      origin: string;
      missing: number;
    };

/**
 * `bollard db update`: download first (into a private temp root), then apply everything to a copy
 * of the database and rename it into place. Killing the process at any point leaves the old
 * database as it was.
 */
export async function updateVulnDb(dbPath: string, o: UpdateOptions = {}): Promise<UpdateResult> {
  const limits = o.limits ?? defaultLimits;
  const fl = o.feedLimits ?? feedLimits(limits);
  const logger = o.logger ?? silentLogger;
  const progress = o.progress ?? silentProgress;
  const base = (o.osvUrl ?? process.env.BOLLARD_OSV_URL ?? DEFAULT_OSV_URL).replace(/\/+$/, '');
  const ecosystems = o.ecosystems ?? DEFAULT_ECOSYSTEMS;
  const kevUrl = o.kevUrl === undefined ? (process.env.BOLLARD_KEV_URL ?? DEFAULT_KEV_URL) : o.kevUrl;
  const epssUrl = o.epssUrl === undefined ? (process.env.BOLLARD_EPSS_URL ?? DEFAULT_EPSS_URL) : o.epssUrl;
  const maxIncremental = o.maxIncremental ?? 5000;

  // Cursors of the current database (a missing one means a first, full update).
  const current = new Map<string, SourceInfo>();
  if (existsSync(dbPath)) {
    const db = openVulnDb(dbPath);
    try {
      for (const s of db.sources) current.set(s.id, s);
    } finally {
      db.close();
    }
  }

  const http = new HttpTransport({ limits, logger, insecure: o.insecure === true, userAgent: 'bollard-db-update' });
  const tmp = createTempRoot('bollard-db-');
  const signal = o.signal;
  try {
    const get = async (url: string, what: string): Promise<HttpResponse> => {
      const res = await http.request({
        method: 'GET',
        url: new URL(url),
        operation: `download ${what}`,
        ...(signal ? { signal } : {}),
      });
      if (res.status !== 200) {
        await discard(res.body);
        throw new BollardError(
          res.status === 404 ? 'FEED_INVALID' : 'NETWORK',
          `download ${what}: ${new URL(url).host} answered HTTP ${res.status}`,
        );
      }
      return res;
    };
    const small = async (url: string, what: string, max: number): Promise<Buffer> => {
      const res = await get(url, what);
      return readBounded(res, { maxBytes: max, what, host: new URL(url).host, operation: `download ${what}`, limits });
    };
    const toFile = async (url: string, what: string): Promise<{ file: string; digest: string }> => {
      const res = await get(url, what);
      const declared = Number(headerValue(res.headers, 'content-length'));
      const task = progress.task(`download ${what}`, Number.isFinite(declared) ? declared : undefined, 'bytes');
      const file = tmp.file(what);
      const hash = new DigestingStream();
      try {
        await pipeline(
          boundedStream(res.body, {
            maxBytes: fl.maxDownloadBytes,
            what,
            host: new URL(url).host,
            operation: `download ${what}`,
            limits,
            onBytes: (n) => task.advance(n),
          }),
          hash,
          createWriteStream(file, { mode: 0o600 }),
        );
      } catch (e) {
        task.fail();
        throw e;
      }
      task.done();
      return { file, digest: hash.digest ?? sha256(readFileSync(file)) };
    };

    const plans: Plan[] = [];
    for (const eco of ecosystems) {
      const dir = `${base}/${encodeURIComponent(eco)}`;
      const prev = current.get(`osv:${eco}`);
      if (prev?.cursor) {
        const csv = await small(`${dir}/modified_id.csv`, `${eco}/modified_id.csv`, fl.maxFeedBytes);
        const changed = changedIds(csv.toString('utf8'), prev.cursor);
        if (changed.length <= maxIncremental) {
          const digests = [`modified_id.csv ${sha256(csv)}`];
          const records: { id: string; data: Buffer }[] = [];
          let missing = 0;
          const task = progress.task(`download ${eco} changes`, changed.length, 'items');
          for (const id of changed) {
            let data: Buffer;
            try {
              data = await small(`${dir}/${encodeURIComponent(id)}.json`, `${eco}/${id}.json`, fl.maxRecordBytes);
            } catch (e) {
              // A record listed but gone (withdrawn and deleted) is counted, not fatal.
              if (e instanceof BollardError && e.code === 'FEED_INVALID') {
                missing++;
                continue;
              }
              task.fail();
              throw e;
            }
            digests.push(`${id}.json ${sha256(data)}`);
            records.push({ id, data });
            task.advance(1);
          }
          task.done(`${records.length} records`);
          plans.push({
            ecosystem: eco,
            mode: 'incremental',
            records,
            digest: treeDigest(digests),
            origin: dir,
            missing,
          });
          continue;
        }
        logger.info('many changes: downloading the whole ecosystem', { ecosystem: eco, changed: changed.length });
      }
      const { file, digest } = await toFile(`${dir}/all.zip`, `${eco}/all.zip`);
      plans.push({ ecosystem: eco, mode: 'full', file, digest, origin: `${dir}/all.zip` });
    }
    let kev: { data: Buffer; url: string } | undefined;
    if (kevUrl) kev = { data: await small(kevUrl, 'KEV catalogue', fl.maxFeedBytes), url: kevUrl };
    let epss: { data: Buffer; url: string } | undefined;
    if (epssUrl) {
      const { file } = await toFile(epssUrl, 'EPSS scores');
      epss = { data: readFileSync(file), url: epssUrl };
    }

    const ctx = ingestContext({ limits: fl, logger, progress, ...(o.now ? { now: o.now } : {}) });
    return await writeVulnDb(dbPath, { mode: 'update', ...(o.now ? { now: o.now } : {}) }, async (w) => {
      const result: UpdateResult = { sources: [], steps: [] };
      for (const p of plans) {
        const id = `osv:${p.ecosystem}`;
        if (p.mode === 'full') {
          const info = await ingestOsvZip(w, p.file, p.origin, p.digest, ctx, id);
          result.sources.push(info);
          result.steps.push({ ecosystem: p.ecosystem, mode: 'full', records: info.records });
          continue;
        }
        const skips = createSkipCounter();
        for (let i = 0; i < p.missing; i++) skips.skip('missing-record');
        const acc = osvAccumulator(w);
        for (const r of p.records) acc.add(parseOsvText(r.data, `${r.id}.json`, false, fl, skips));
        const info = putOsvSource(w, id, p.origin, p.digest, skips, acc, ctx.now, true);
        result.sources.push(info);
        result.steps.push({
          ecosystem: p.ecosystem,
          mode: p.records.length === 0 ? 'unchanged' : 'incremental',
          records: p.records.length,
        });
      }
      if (kev) result.sources.push(ingestKev(w, kevDocument(kev.data, kev.url), kev.url, sha256(kev.data), ctx));
      if (epss) {
        const text = maybeGunzip(epss.data, epss.url, fl).toString('utf8');
        result.sources.push(ingestEpss(w, text, epss.url, sha256(epss.data), ctx));
      }
      return result;
    });
  } finally {
    tmp.dispose();
    await http.close();
  }
}

/**
 * Ids from OSV's `modified_id.csv` (`<iso modified>,<id>`, newest first) modified at or after the
 * cursor. Equal timestamps are fetched again: a record published in the same second as the
 * newest one already stored must not be missed, and re-reading one is harmless (upsert).
 */
export function changedIds(csv: string, cursor: string): string[] {
  const since = Date.parse(cursor);
  const out = new Set<string>();
  for (const line of csv.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    const comma = t.indexOf(',');
    if (comma < 0) continue;
    const when = Date.parse(t.slice(0, comma));
    const id = t.slice(comma + 1).trim();
    if (!Number.isFinite(when) || !ID_RE.test(id)) continue;
    if (Number.isFinite(since) && when < since) continue;
    out.add(id);
  }
  return [...out];
}
