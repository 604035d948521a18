import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { versioningFor } from '../versioning/api.ts';
import { versionsOutsideRanges } from '../versioning/range.ts';
import { checkVulnDbFile } from './query.ts';
import { createSchema, type SourceRow, setMeta, sourceFromRow } from './schema.ts';
import type { Advisory, AffectedEntry, EpssEntry, KevEntry, SourceInfo } from './types.ts';

/** Page size of every database this module writes. */
const PAGE_SIZE = 16384;

/** Write access to a database being built or updated (always a private temporary copy). */
export interface DbWriter {
  /** Upsert by `modified`: replaces a stored record with the same id and source unless the stored one is newer. */
  putAdvisory(a: Advisory, affected: readonly AffectedEntry[]): 'inserted' | 'replaced' | 'kept';
  /** Insert an advisory unless one with the same id and source exists; true when inserted. */
  addAdvisory(a: Advisory): boolean;
  addAffected(e: AffectedEntry): void;
  /** Remove a record (a withdrawn OSV record), unless the stored copy is newer than `modified`. */
  withdraw(id: string, source: string, modified?: string): boolean;
  /** Delete every advisory, affected row and alias of one source (before re-importing it whole). */
  clearSource(source: string): void;
  replaceKev(entries: Iterable<KevEntry>): number;
  replaceEpss(entries: Iterable<EpssEntry>): number;
  putSource(info: SourceInfo): void;
  source(id: string): SourceInfo | undefined;
  sources(): SourceInfo[];
  countAdvisories(source: string): number;
}

export interface WriteOptions {
  /** `fresh`: start from an empty database; `update`: start from a copy of the existing one (created when missing). */
  mode: 'fresh' | 'update';
  now?: () => Date;
}

const TMP_RE = /\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Build or update `target` atomically: work on `<target>.tmp-<pid>-<random>` next to it, fsync,
 * then rename over the target. A build that fails or is killed leaves the old file untouched, and
 * processes that have the old file open keep reading it (the rename swaps the directory entry,
 * not the inode they hold).
 */
export async function writeVulnDb<T>(
  target: string,
  options: WriteOptions,
  work: (w: DbWriter) => Promise<T> | T,
): Promise<T> {
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(target);
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const now = (options.now ?? (() => new Date()))().toISOString();
  let db: DatabaseSync | undefined;
  try {
    const fresh = options.mode === 'fresh' || !existsSync(target);
    if (!fresh) {
      checkVulnDbFile(target);
      copyFileSync(target, tmp);
    }
    db = new DatabaseSync(tmp);
    // The temporary file is thrown away on any failure, so no journal is needed; durability comes
    // from the explicit fsync before the rename.
    db.exec(
      'PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -65536;',
    );
    // 16 KiB pages: the clustered look-ups of a scan touch fewer, fuller pages (about 20% faster
    // than SQLite's 4 KiB default, measured in bench/match.ts). Set before the first table exists.
    if (fresh) db.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
    db.exec('BEGIN');
    if (fresh) createSchema(db, now);
    const result = await work(createWriter(db));
    setMeta(db, 'updated_at', now);
    db.exec('COMMIT');
    // A database made by an older Bollard keeps its page size until rebuilt once.
    if ((db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size !== PAGE_SIZE)
      db.exec(`PRAGMA page_size = ${PAGE_SIZE}; VACUUM`);
    db.exec('PRAGMA optimize');
    db.close();
    db = undefined;
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    syncDir(dir);
    return result;
  } catch (e) {
    try {
      db?.close();
    } catch {
      // already failing; the temporary file goes away below
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on directories; the rename itself is still atomic.
  }
}

/** Temporary files of builds whose process is gone (killed mid-build). */
function removeStaleTemps(target: string): void {
  const base = `${basename(target)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(base)) continue;
    const pid = Number(TMP_RE.exec(n)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    rmSync(join(dirname(target), n), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Compare two ISO 8601 timestamps by instant (falls back to text when one does not parse). */
export function compareModified(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function createWriter(db: DatabaseSync): DbWriter {
  const s = (sql: string): StatementSync => db.prepare(sql);
  const getModified = s('SELECT modified FROM advisories WHERE id = ? AND source = ?');
  const insertAdvisory = s(
    `INSERT INTO advisories (id, source, aliases, related, published, modified, summary, severity, cwes, refs)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id, source) DO UPDATE SET aliases = excluded.aliases, related = excluded.related,
       published = excluded.published, modified = excluded.modified, summary = excluded.summary,
       severity = excluded.severity, cwes = excluded.cwes, refs = excluded.refs`,
  );
  const insertIgnore = s(
    `INSERT OR IGNORE INTO advisories (id, source, aliases, related, published, modified, summary, severity, cwes, refs)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAffected = s(
    'INSERT INTO affected (ecosystem, package, advisory_id, source, seq, ranges, versions, status, severity, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let seq = Number((db.prepare('SELECT coalesce(max(seq), 0) AS n FROM affected').get() as { n: number }).n);
  const insertAlias = s('INSERT OR IGNORE INTO aliases (alias, advisory_id, source) VALUES (?, ?, ?)');
  const deleteAffected = s('DELETE FROM affected WHERE advisory_id = ? AND source = ?');
  const deleteAliases = s('DELETE FROM aliases WHERE advisory_id = ? AND source = ?');
  const deleteAdvisory = s('DELETE FROM advisories WHERE id = ? AND source = ?');
  const insertKev = s(
    'INSERT OR REPLACE INTO kev (cve, date_added, due_date, ransomware, vendor, product) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertEpss = s('INSERT OR REPLACE INTO epss (cve, score, percentile, date) VALUES (?, ?, ?, ?)');
  const upsertSource = s(
    `INSERT OR REPLACE INTO sources (id, kind, origin, digest, records, skipped, license, fetched_at, cursor)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const getSource = s('SELECT * FROM sources WHERE id = ?');
  const allSources = s('SELECT * FROM sources ORDER BY id');
  const countSource = s('SELECT count(*) AS n FROM advisories WHERE source = ?');

  const advisoryRow = (a: Advisory): (string | null)[] => [
    a.id,
    a.source,
    JSON.stringify(a.aliases),
    JSON.stringify(a.related),
    a.published ?? null,
    a.modified ?? null,
    a.summary ?? null,
    JSON.stringify(a.severity),
    JSON.stringify(a.cwes),
    JSON.stringify(a.references),
  ];
  const addAliases = (a: Advisory): void => {
    insertAlias.run(a.id, a.id, a.source);
    for (const x of a.aliases) insertAlias.run(x, a.id, a.source);
    for (const x of a.related) insertAlias.run(x, a.id, a.source);
  };
  const addAffected = (e: AffectedEntry): void => {
    insertAffected.run(
      e.ecosystem,
      e.package,
      e.advisoryId,
      e.source,
      ++seq,
      JSON.stringify(e.ranges),
      // Versions a range already covers would only cost every scan a parse and a compare.
      JSON.stringify(versionsOutsideRanges(versioningFor(e.ecosystem), e, e.ecosystem)),
      e.status ?? null,
      e.severity ?? null,
      e.note ?? null,
    );
  };
  const removeRows = (id: string, source: string): void => {
    deleteAffected.run(id, source);
    deleteAliases.run(id, source);
  };

  return {
    putAdvisory(a, affected) {
      const prev = getModified.get(a.id, a.source) as { modified: string | null } | undefined;
      if (prev && compareModified(prev.modified ?? undefined, a.modified) > 0) return 'kept';
      if (prev) removeRows(a.id, a.source);
      insertAdvisory.run(...advisoryRow(a));
      addAliases(a);
      for (const e of affected) addAffected(e);
      return prev ? 'replaced' : 'inserted';
    },
    addAdvisory(a) {
      const r = insertIgnore.run(...advisoryRow(a));
      if (Number(r.changes) === 0) return false;
      addAliases(a);
      return true;
    },
    addAffected,
    withdraw(id, source, modified) {
      const prev = getModified.get(id, source) as { modified: string | null } | undefined;
      if (!prev) return false;
      if (modified !== undefined && compareModified(prev.modified ?? undefined, modified) > 0) return false;
      removeRows(id, source);
      deleteAdvisory.run(id, source);
      return true;
    },
    clearSource(source) {
      db.prepare('DELETE FROM affected WHERE source = ?').run(source);
      db.prepare('DELETE FROM aliases WHERE source = ?').run(source);
      db.prepare('DELETE FROM advisories WHERE source = ?').run(source);
    },
    replaceKev(entries) {
      db.exec('DELETE FROM kev');
      let n = 0;
      for (const e of entries) {
        insertKev.run(e.cve, e.dateAdded, e.dueDate, e.knownRansomware ? 1 : 0, e.vendor, e.product);
        n++;
      }
      return n;
    },
    replaceEpss(entries) {
      db.exec('DELETE FROM epss');
      let n = 0;
      for (const e of entries) {
        insertEpss.run(e.cve, e.score, e.percentile, e.date ?? null);
        n++;
      }
      return n;
    },
    putSource(i) {
      upsertSource.run(
        i.id,
        i.kind,
        i.origin,
        i.digest,
        i.records,
        JSON.stringify(i.skipped),
        i.license,
        i.fetchedAt,
        i.cursor ?? null,
      );
    },
    source(id) {
      const r = getSource.get(id) as SourceRow | undefined;
      return r ? sourceFromRow(r) : undefined;
    },
    sources() {
      return (allSources.all() as unknown as SourceRow[]).map(sourceFromRow);
    },
    countAdvisories(source) {
      return Number((countSource.get(source) as { n: number }).n);
    },
  };
}
