import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { BollardError } from '../util/errors.ts';
import type { AffectedRange } from '../versioning/types.ts';
import { APPLICATION_ID, SCHEMA_VERSION, type SourceRow, sourceFromRow } from './schema.ts';
import type {
  Advisory,
  AdvisoryStatus,
  AffectedEntry,
  EpssEntry,
  KevEntry,
  SeverityEntry,
  VulnDbReader,
} from './types.ts';

export const DB_HINT = 'run "bollard db update" or "bollard db import PATH", or pass --db FILE';

/** The reader of `openVulnDb`, with a few look-ups beyond the detectors' contract. */
export interface VulnDb extends VulnDbReader {
  /** Every record whose id, alias or related id is `id` (a CVE finds its OSV, tracker and secdb records). */
  advisoriesFor(id: string): Advisory[];
  updatedAt: string;
  counts(): DbCounts;
}

export interface DbCounts {
  advisories: number;
  affected: number;
  kev: number;
  epss: number;
  ecosystems: number;
  bySource: Record<string, number>;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

interface EpssRow {
  cve: string;
  score: number;
  percentile: number;
  date: string | null;
}

function toEpss(r: EpssRow): EpssEntry {
  const e: EpssEntry = { cve: r.cve, score: r.score, percentile: r.percentile };
  if (r.date !== null) e.date = r.date;
  return e;
}
const CACHE_MAX = 100_000;

/**
 * Check that a file is a whole Bollard database before anyone opens it: the SQLite header, a file
 * at least as long as the header says (a half-written copy is shorter), our application id and
 * schema version, and the meta table. Throws DB_NOT_FOUND or DB_INVALID.
 */
export function checkVulnDbFile(path: string): void {
  if (!existsSync(path)) {
    throw new BollardError('DB_NOT_FOUND', `no vulnerability database at ${path}: ${DB_HINT}`);
  }
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    const n = readSync(fd, header, 0, 100, 0);
    const size = fstatSync(fd).size;
    if (n < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
      throw new BollardError('DB_INVALID', `${path} is not a Bollard vulnerability database (not SQLite): ${DB_HINT}`);
    }
    const rawPage = header.readUInt16BE(16);
    const pageSize = rawPage === 1 ? 65536 : rawPage;
    const pages = header.readUInt32BE(28);
    // The in-header page count is valid only when "version-valid-for" matches the change counter.
    if (header.readUInt32BE(92) === header.readUInt32BE(24) && pages * pageSize > size) {
      throw new BollardError('DB_INVALID', `${path} is truncated (half-written?): ${DB_HINT}`);
    }
    if (header.readUInt32BE(68) !== APPLICATION_ID) {
      throw new BollardError('DB_INVALID', `${path} is an SQLite file but not a Bollard vulnerability database`);
    }
  } finally {
    closeSync(fd);
  }
}

/** An `affected` row as an array (no per-row object from SQLite: look-ups are hot). */
type AffectedTuple = [string, string, string, string, string | null, string | null, string | null];

interface AdvisoryRow {
  id: string;
  source: string;
  aliases: string;
  related: string;
  published: string | null;
  modified: string | null;
  summary: string | null;
  severity: string;
  cwes: string;
  refs: string;
}

/** Open a database read-only. Missing file: DB_NOT_FOUND; foreign, half-written or other schema: DB_INVALID. */
export function openVulnDb(path: string): VulnDb {
  checkVulnDbFile(path);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (e) {
    throw new BollardError('DB_INVALID', `${path} cannot be opened: ${(e as Error).message}`, { cause: e });
  }
  try {
    return createReader(db, path);
  } catch (e) {
    db.close();
    if (e instanceof BollardError) throw e;
    throw new BollardError(
      'DB_INVALID',
      `${path} is not a readable Bollard database: ${(e as Error).message}: ${DB_HINT}`,
      {
        cause: e,
      },
    );
  }
}

function createReader(db: DatabaseSync, path: string): VulnDb {
  const meta = new Map<string, string>();
  for (const r of db.prepare('SELECT key, value FROM meta').all() as unknown as { key: string; value: string }[]) {
    meta.set(r.key, r.value);
  }
  const version = Number(meta.get('schema_version'));
  if (!Number.isInteger(version)) throw new BollardError('DB_INVALID', `${path} has no schema version: ${DB_HINT}`);
  if (version !== SCHEMA_VERSION) {
    throw new BollardError(
      'DB_INVALID',
      `${path} has schema version ${version}, this Bollard reads version ${SCHEMA_VERSION}: ${DB_HINT}`,
    );
  }
  const sources = (db.prepare('SELECT * FROM sources ORDER BY id').all() as unknown as SourceRow[]).map(sourceFromRow);
  const qAffected: StatementSync = db.prepare(
    'SELECT advisory_id, source, ranges, versions, status, severity, note FROM affected WHERE ecosystem = ? AND package = ? ORDER BY advisory_id, source, seq',
  );
  qAffected.setReturnArrays(true);
  const qAffectedMany: StatementSync = db.prepare(
    'SELECT package, advisory_id, source, ranges, versions, status, severity, note FROM affected WHERE ecosystem = ? AND package IN (SELECT value FROM json_each(?)) ORDER BY package, advisory_id, source, seq',
  );
  qAffectedMany.setReturnArrays(true);
  const qPackages = db.prepare('SELECT DISTINCT package FROM affected WHERE ecosystem = ?');
  // Most look-ups are misses (packages without records): one set of names per ecosystem, loaded
  // on first use, answers those without a query.
  const packageNames = new Map<string, Set<string>>();
  const known = (ecosystem: string, pkg: string): boolean => {
    let set = packageNames.get(ecosystem);
    if (!set) {
      set = new Set((qPackages.all(ecosystem) as unknown as { package: string }[]).map((r) => r.package));
      packageNames.set(ecosystem, set);
    }
    return set.has(pkg);
  };
  const qAdvisory = db.prepare(
    "SELECT * FROM advisories WHERE id = ? ORDER BY CASE WHEN source = 'osv' THEN 0 ELSE 1 END, source LIMIT 1",
  );
  const qAdvisoryBy = db.prepare('SELECT * FROM advisories WHERE id = ? AND source = ?');
  const qAlias = db.prepare('SELECT advisory_id, source FROM aliases WHERE alias = ? ORDER BY advisory_id, source');
  const qAdvisoryMany = db.prepare(
    'SELECT id, source, aliases, related, published, modified, summary, severity, cwes, refs FROM advisories WHERE id IN (SELECT value FROM json_each(?))',
  );
  qAdvisoryMany.setReturnArrays(true);
  const qEpssMany = db.prepare('SELECT * FROM epss WHERE cve IN (SELECT value FROM json_each(?))');
  // KEV is a catalogue of ~1,500 entries: one read on first use beats a query per CVE.
  let kevAll: Map<string, KevEntry> | undefined;
  const qEpss = db.prepare('SELECT * FROM epss WHERE cve = ?');
  // Rows by ecosystem, then package: no per-look-up key string on the hot path.
  const cache = new Map<string, Map<string, AffectedEntry[]>>();
  let cached = 0;
  const cacheOf = (ecosystem: string): Map<string, AffectedEntry[]> => {
    let m = cache.get(ecosystem);
    if (!m) {
      m = new Map();
      cache.set(ecosystem, m);
    }
    return m;
  };
  const remember = (byPackage: Map<string, AffectedEntry[]>, pkg: string, entries: AffectedEntry[]): void => {
    if (cached >= CACHE_MAX) {
      for (const m of cache.values()) m.clear();
      cached = 0;
    }
    byPackage.set(pkg, entries);
    cached++;
  };
  // Records by id for advisoriesById: a server keeps the reader open across scans.
  const advisoryCache = new Map<string, Advisory | null>();
  let hasCveRecords: boolean | undefined;
  let ecosystems: Set<string> | undefined;

  // Many rows carry the same ranges text (every CVE a distro fixed in one upload): parse each text
  // once and share the (never mutated) result, which also lets range evaluation reuse its sort.
  const rangesCache = new Map<string, AffectedRange[]>();
  const parseRanges = (text: string): AffectedRange[] => {
    let r = rangesCache.get(text);
    if (!r) {
      r = JSON.parse(text) as AffectedRange[];
      if (rangesCache.size >= CACHE_MAX) rangesCache.clear();
      rangesCache.set(text, r);
    }
    return r;
  };

  /** An entry from a row of the affected columns starting at `at` (rows are arrays, not objects). */
  const toEntry = (ecosystem: string, pkg: string, r: readonly unknown[], at = 0): AffectedEntry => {
    const versions = r[at + 3] as string;
    const e: AffectedEntry = {
      advisoryId: r[at] as string,
      source: r[at + 1] as string,
      ecosystem,
      package: pkg,
      ranges: parseRanges(r[at + 2] as string),
      versions: versions === '[]' ? [] : (JSON.parse(versions) as string[]),
    };
    const status = r[at + 4] as string | null;
    const severity = r[at + 5] as string | null;
    const note = r[at + 6] as string | null;
    if (status !== null) e.status = status as AdvisoryStatus;
    if (severity !== null) e.severity = severity;
    if (note !== null) e.note = note;
    return e;
  };

  const toAdvisory = (r: AdvisoryRow): Advisory => {
    const a: Advisory = {
      id: r.id,
      source: r.source,
      aliases: JSON.parse(r.aliases) as string[],
      related: JSON.parse(r.related) as string[],
      severity: JSON.parse(r.severity) as SeverityEntry[],
      cwes: JSON.parse(r.cwes) as string[],
      references: JSON.parse(r.refs) as string[],
    };
    if (r.published !== null) a.published = r.published;
    if (r.modified !== null) a.modified = r.modified;
    if (r.summary !== null) a.summary = r.summary;
    return a;
  };

  /** `toAdvisory` for a row of qAdvisoryMany's columns, without an intermediate object. */
  const advisoryFromArray = (a: readonly unknown[]): Advisory => {
    const adv: Advisory = {
      id: a[0] as string,
      source: a[1] as string,
      aliases: JSON.parse(a[2] as string) as string[],
      related: JSON.parse(a[3] as string) as string[],
      severity: JSON.parse(a[7] as string) as SeverityEntry[],
      cwes: JSON.parse(a[8] as string) as string[],
      references: JSON.parse(a[9] as string) as string[],
    };
    if (a[4] !== null) adv.published = a[4] as string;
    if (a[5] !== null) adv.modified = a[5] as string;
    if (a[6] !== null) adv.summary = a[6] as string;
    return adv;
  };

  return {
    path,
    schemaVersion: version,
    builtAt: meta.get('built_at') ?? '',
    updatedAt: meta.get('updated_at') ?? meta.get('built_at') ?? '',
    sources,
    affected(ecosystem, pkg) {
      const byPackage = cacheOf(ecosystem);
      const hit = byPackage.get(pkg);
      if (hit) return hit;
      if (!known(ecosystem, pkg)) return [];
      const rows = qAffected.all(ecosystem, pkg) as unknown as AffectedTuple[];
      const out = rows.map((r) => toEntry(ecosystem, pkg, r));
      remember(byPackage, pkg, out);
      return out;
    },
    prefetchAffected(ecosystem, packages) {
      // Names the database lacks come back without rows and are cached as such: no per-name check.
      const byPackage = cacheOf(ecosystem);
      const grouped = new Map<string, AffectedEntry[]>();
      for (const p of packages) if (!byPackage.has(p) && !grouped.has(p)) grouped.set(p, []);
      if (grouped.size === 0 || grouped.size + cached > CACHE_MAX) return;
      for (const row of qAffectedMany.all(ecosystem, JSON.stringify([...grouped.keys()])) as unknown as unknown[][]) {
        const pkg = row[0] as string;
        grouped.get(pkg)?.push(toEntry(ecosystem, pkg, row, 1));
      }
      for (const [p, entries] of grouped) byPackage.set(p, entries);
      cached += grouped.size;
    },
    ecosystems() {
      ecosystems ??= new Set(
        (db.prepare('SELECT DISTINCT ecosystem FROM affected').all() as unknown as { ecosystem: string }[]).map(
          (r) => r.ecosystem,
        ),
      );
      return new Set(ecosystems);
    },
    advisory(id) {
      const r = qAdvisory.get(id) as AdvisoryRow | undefined;
      if (r) return toAdvisory(r);
      const alias = qAlias.get(id) as { advisory_id: string; source: string } | undefined;
      if (!alias) return undefined;
      const a = qAdvisoryBy.get(alias.advisory_id, alias.source) as AdvisoryRow | undefined;
      return a ? toAdvisory(a) : undefined;
    },
    advisoriesFor(id) {
      const out: Advisory[] = [];
      for (const r of qAlias.all(id) as unknown as { advisory_id: string; source: string }[]) {
        const a = qAdvisoryBy.get(r.advisory_id, r.source) as AdvisoryRow | undefined;
        if (a) out.push(toAdvisory(a));
      }
      return out;
    },
    advisoriesById(ids) {
      const out = new Map<string, Advisory>();
      const missing: string[] = [];
      // Detectors ask for a finding's CVE record when its own record has no severity; a database
      // without any CVE-named record (OSV feeds only) answers those without a query.
      hasCveRecords ??= db.prepare("SELECT 1 AS x FROM advisories WHERE id GLOB 'CVE-*' LIMIT 1").get() !== undefined;
      for (const id of ids) {
        const hit = advisoryCache.get(id);
        if (hit === undefined) {
          if (hasCveRecords || !id.startsWith('CVE-')) missing.push(id);
        } else if (hit) out.set(id, hit);
      }
      if (missing.length === 0) return out;
      const found = new Map<string, Advisory>();
      for (const a of qAdvisoryMany.all(JSON.stringify(missing)) as unknown as unknown[][]) {
        const id = a[0] as string;
        const source = a[1] as string;
        // The same id from several sources: prefer OSV's record, as advisory() does.
        const prev = found.get(id);
        if (!prev || (prev.source !== 'osv' && (source === 'osv' || source < prev.source)))
          found.set(id, advisoryFromArray(a));
      }
      if (advisoryCache.size + missing.length > CACHE_MAX) advisoryCache.clear();
      for (const id of missing) {
        const a = found.get(id);
        advisoryCache.set(id, a ?? null);
        if (a) out.set(id, a);
      }
      return out;
    },
    kev(cve) {
      if (!kevAll) {
        kevAll = new Map();
        for (const r of db.prepare('SELECT * FROM kev').all() as unknown as {
          cve: string;
          date_added: string;
          due_date: string;
          ransomware: number;
          vendor: string;
          product: string;
        }[]) {
          kevAll.set(r.cve, {
            cve: r.cve,
            dateAdded: r.date_added,
            dueDate: r.due_date,
            knownRansomware: r.ransomware === 1,
            vendor: r.vendor,
            product: r.product,
          });
        }
      }
      return kevAll.get(cve);
    },
    epss(cve) {
      const r = qEpss.get(cve) as EpssRow | undefined;
      return r ? toEpss(r) : undefined;
    },
    epssMany(cves) {
      const out = new Map<string, EpssEntry>();
      if (cves.length === 0) return out;
      for (const r of qEpssMany.all(JSON.stringify(cves)) as unknown as EpssRow[]) out.set(r.cve, toEpss(r));
      return out;
    },
    counts() {
      const one = (sql: string): number => Number((db.prepare(sql).get() as { n: number }).n);
      const bySource: Record<string, number> = {};
      for (const r of db
        .prepare('SELECT source, count(*) AS n FROM advisories GROUP BY source ORDER BY source')
        .all() as unknown as {
        source: string;
        n: number;
      }[])
        bySource[r.source] = Number(r.n);
      return {
        advisories: one('SELECT count(*) AS n FROM advisories'),
        affected: one('SELECT count(*) AS n FROM affected'),
        kev: one('SELECT count(*) AS n FROM kev'),
        epss: one('SELECT count(*) AS n FROM epss'),
        ecosystems: one('SELECT count(DISTINCT ecosystem) AS n FROM affected'),
        bySource,
      };
    },
    close() {
      db.close();
    },
  };
}
