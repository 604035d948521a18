/**
 * rpm's SQLite database (`rpmdb.sqlite`, Fedora 33+, RHEL 9): the table `Packages(hnum, blob)`.
 *
 * SQLite needs a file, so the buffer is written into the private temp root and opened read-only
 * and immutable (no locks, no -wal/-shm files next to it), then deleted. The schema comes from the
 * image: the table must be a plain table with plain `hnum` and `blob` columns, so that a view or a
 * generated column cannot make the query compute anything; blobs are capped at the file size.
 */

import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import type { TempRoot } from '../../util/tempdir.ts';
import type { ReadOptions, RecordSink } from './header.ts';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function isSqlite(buf: Buffer): boolean {
  return buf.length >= SQLITE_MAGIC.length && buf.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC);
}

export interface SqliteReadOptions extends ReadOptions {
  tempRoot: TempRoot;
}

/**
 * Read every row of `Packages` and hand each header blob to `sink`, in table order.
 * Problems (not SQLite, corrupt pages, a foreign schema, non-blob values) are reported through
 * `opts.warn`; the function never throws on malformed input.
 */
export async function readSqlitePackages(buf: Buffer, opts: SqliteReadOptions, sink: RecordSink): Promise<void> {
  const { warn, label } = opts;
  if (isTruncated(buf)) warn('rpm-db-invalid', 'rpm sqlite file is shorter than its header says', label);
  const file = opts.tempRoot.file('rpmdb.sqlite');
  try {
    await writeFile(file, buf, { mode: 0o600 });
    const url = pathToFileURL(file);
    url.searchParams.set('immutable', '1');
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(url, {
        readOnly: true,
        defensive: true,
        // No value can be bigger than the file it came from (nor than SQLite's default ceiling).
        limits: { length: Math.min(Math.max(buf.length, 1024), 1_000_000_000) },
      });
    } catch {
      warn('rpm-db-invalid', 'rpm sqlite database cannot be opened', label);
      return;
    }
    try {
      readRows(db, opts, sink);
    } finally {
      db.close();
    }
  } finally {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
  }
}

/** The header's page count is trusted only when its change counter matches (as SQLite does). */
function isTruncated(buf: Buffer): boolean {
  if (buf.length < 100) return true;
  const raw = buf.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const pages = buf.readUInt32BE(28);
  const valid = pages > 0 && buf.readUInt32BE(24) === buf.readUInt32BE(92);
  return valid && buf.length < pages * pageSize;
}

function readRows(db: DatabaseSync, opts: ReadOptions, sink: RecordSink): void {
  const { warn, label } = opts;
  try {
    // Temporary tables and sort spills would otherwise go to SQLite's temp directory, outside our root.
    db.exec('PRAGMA temp_store = MEMORY');
    const row = db.prepare("SELECT type, sql FROM sqlite_schema WHERE name = 'Packages' COLLATE NOCASE").get();
    if (!row) {
      warn('rpm-db-invalid', 'rpm sqlite database has no Packages table', label);
      return;
    }
    const virtual = typeof row.sql !== 'string' || /^\s*create\s+virtual/i.test(row.sql);
    if (row.type !== 'table' || virtual) {
      warn('rpm-db-invalid', 'rpm sqlite Packages is not a plain table', `${label}: ${String(row.type)}`);
      return;
    }
    const columns = db.prepare('SELECT name, hidden FROM pragma_table_xinfo(?)').all('Packages');
    const plain = (name: string): boolean =>
      columns.some((c) => typeof c.name === 'string' && c.name.toLowerCase() === name && c.hidden === 0);
    if (!plain('hnum') || !plain('blob')) {
      warn('rpm-db-invalid', 'rpm sqlite Packages table lacks plain hnum and blob columns', label);
      return;
    }
  } catch {
    warn('rpm-db-invalid', 'rpm sqlite schema cannot be read', label);
    return;
  }

  let badRows = 0;
  try {
    // Table order is hnum order for rpm's INTEGER PRIMARY KEY; no ORDER BY, so no sorter.
    const stmt = db.prepare('SELECT hnum, blob FROM "Packages"');
    stmt.setReadBigInts(true);
    for (const row of stmt.iterate()) {
      const id = typeof row.hnum === 'bigint' && row.hnum >= 0n && row.hnum <= 0xffffffffn ? Number(row.hnum) : -1;
      if (id < 0 || !(row.blob instanceof Uint8Array)) {
        badRows++;
        continue;
      }
      sink({ id, blob: Buffer.from(row.blob.buffer, row.blob.byteOffset, row.blob.byteLength) });
    }
  } catch {
    // Corrupt pages surface here, possibly mid-way: keep what was read.
    warn('rpm-db-invalid', 'rpm sqlite Packages table cannot be read to the end', label);
  }
  if (badRows > 0)
    warn('rpm-db-invalid', 'rpm sqlite rows without an integer hnum and a blob', `${label}: ${badRows} rows`);
}
