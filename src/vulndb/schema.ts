import type { DatabaseSync } from 'node:sqlite';
import { BollardError } from '../util/errors.ts';
import type { SourceInfo } from './types.ts';

/** Bumped on any change a reader must know about; readers refuse other versions. */
export const SCHEMA_VERSION = 1;

/** `PRAGMA application_id` of a Bollard vulnerability database ("BLVD"), to tell it from other SQLite files. */
export const APPLICATION_ID = 0x424c5644;

/**
 * One compact file: advisories keep ids, aliases, dates, summary, severity, CWEs and reference URLs
 * (no `details` prose); ranges and version lists stay JSON as the source gave them, because
 * matching happens in the versioning modules, not in SQL.
 */
const SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  origin TEXT NOT NULL,
  digest TEXT NOT NULL,
  records INTEGER NOT NULL,
  skipped TEXT NOT NULL,
  license TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  cursor TEXT
) WITHOUT ROWID;
CREATE TABLE advisories (
  id TEXT NOT NULL,
  source TEXT NOT NULL,
  aliases TEXT NOT NULL,
  related TEXT NOT NULL,
  published TEXT,
  modified TEXT,
  summary TEXT,
  severity TEXT NOT NULL,
  cwes TEXT NOT NULL,
  refs TEXT NOT NULL,
  PRIMARY KEY (id, source)
) WITHOUT ROWID;
CREATE TABLE affected (
  ecosystem TEXT NOT NULL,
  package TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  source TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ranges TEXT NOT NULL,
  versions TEXT NOT NULL,
  status TEXT,
  severity TEXT,
  note TEXT,
  -- Clustered by package: one b-tree descent finds every row of a package.
  PRIMARY KEY (ecosystem, package, advisory_id, source, seq)
) WITHOUT ROWID;
CREATE INDEX affected_advisory ON affected (advisory_id, source);
CREATE TABLE aliases (
  alias TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (alias, advisory_id, source)
) WITHOUT ROWID;
CREATE INDEX aliases_advisory ON aliases (advisory_id, source);
CREATE TABLE kev (
  cve TEXT PRIMARY KEY,
  date_added TEXT NOT NULL,
  due_date TEXT NOT NULL,
  ransomware INTEGER NOT NULL,
  vendor TEXT NOT NULL,
  product TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE epss (
  cve TEXT PRIMARY KEY,
  score REAL NOT NULL,
  percentile REAL NOT NULL,
  date TEXT
) WITHOUT ROWID;
`;

export function createSchema(db: DatabaseSync, now: string): void {
  db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION};`);
  db.exec(SCHEMA_SQL);
  const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  put.run('schema_version', String(SCHEMA_VERSION));
  put.run('built_at', now);
  put.run('updated_at', now);
}

export function setMeta(db: DatabaseSync, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}

export interface SourceRow {
  id: string;
  kind: string;
  origin: string;
  digest: string;
  records: number;
  skipped: string;
  license: string;
  fetched_at: string;
  cursor: string | null;
}

const KINDS = new Set<SourceInfo['kind']>([
  'osv',
  'debian-tracker',
  'debian-security-support',
  'alpine-secdb',
  'kev',
  'epss',
]);

export function sourceFromRow(r: SourceRow): SourceInfo {
  if (!KINDS.has(r.kind as SourceInfo['kind'])) {
    throw new BollardError('DB_INVALID', `source ${r.id} has an unknown kind "${r.kind}"`);
  }
  const info: SourceInfo = {
    id: r.id,
    kind: r.kind as SourceInfo['kind'],
    origin: r.origin,
    digest: r.digest,
    records: Number(r.records),
    skipped: JSON.parse(r.skipped) as Record<string, number>,
    license: r.license,
    fetchedAt: r.fetched_at,
  };
  if (r.cursor !== null) info.cursor = r.cursor;
  return info;
}
