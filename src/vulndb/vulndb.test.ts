import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { expectCode } from '../../test/helpers/errors.ts';
import { writeVulnDb } from './build.ts';
import { buildVulnDb, importFeeds } from './import.ts';
import { resolveDbPath } from './paths.ts';
import { openVulnDb } from './query.ts';
import { dbStatus, formatStatus } from './status.ts';
import { makeZip } from './testing/zip-writer.ts';

const work = mkdtempSync(join(tmpdir(), 'bollard-vulndb-'));
after(() => rmSync(work, { recursive: true, force: true }));
const fx = (p: string): Buffer => readFileSync(new URL(`./ingest/${p}`, import.meta.url));

/** A feed tree like /work/shared/data/vuln, from the fixtures. */
function feeds(): string {
  const root = join(work, 'feeds');
  mkdirSync(join(root, 'osv', 'npm'), { recursive: true });
  mkdirSync(join(root, 'osv', 'Go'), { recursive: true });
  mkdirSync(join(root, 'kev'), { recursive: true });
  mkdirSync(join(root, 'alpine', 'v3.10'), { recursive: true });
  mkdirSync(join(root, 'support'), { recursive: true });
  writeFileSync(
    join(root, 'osv', 'npm', 'all.zip'),
    makeZip([{ name: 'GHSA-35jh-r3h4-6jhm.json', data: fx('osv/__fixtures__/GHSA-35jh-r3h4-6jhm.json') }]),
  );
  writeFileSync(
    join(root, 'osv', 'Go', 'all.zip'),
    makeZip([
      { name: 'GO-2020-0001.json', data: fx('osv/__fixtures__/GO-2020-0001.json') },
      { name: 'GO-2022-0617.json', data: fx('osv/__fixtures__/GO-2022-0617.json') },
    ]),
  );
  writeFileSync(join(root, 'kev', 'known_exploited_vulnerabilities.json'), fx('kev/__fixtures__/kev.json'));
  writeFileSync(join(root, 'kev', 'LICENSE'), 'CC0');
  writeFileSync(join(root, 'epss_scores-current.csv.gz'), gzipSync(fx('epss/__fixtures__/epss_scores.csv')));
  writeFileSync(join(root, 'alpine', 'v3.10', 'main.yaml'), fx('alpine-secdb/__fixtures__/main.yaml'));
  writeFileSync(
    join(root, 'support', 'security-support-ended.deb12'),
    fx('debian-security-support/__fixtures__/security-support-ended.deb12'),
  );
  writeFileSync(join(root, 'tracker.json'), fx('debian-tracker/__fixtures__/tracker.json'));
  return root;
}

describe('build, import and read', () => {
  const root = feeds();
  const db = join(work, 'db', 'bollard.db');

  test('db build from a tree of feeds: every source recorded, reader answers', async () => {
    const r = await buildVulnDb(db, [root]);
    assert.deepEqual(r.sources.map((s) => s.id).sort(), [
      'alpine-secdb:v3.10/main',
      'debian-security-support:ended-deb12',
      'debian-tracker',
      'epss',
      'kev',
      'osv:Go',
      'osv:npm',
    ]);
    assert.deepEqual(r.ignored, [join(root, 'kev', 'LICENSE')]);
    const v = openVulnDb(db);
    try {
      const go = v.sources.find((s) => s.id === 'osv:Go');
      assert.equal(go?.records, 1);
      assert.deepEqual(go?.skipped, { withdrawn: 1 });
      assert.match(go?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.equal(v.affected('npm', 'lodash')[0]?.advisoryId, 'GHSA-35jh-r3h4-6jhm');
      assert.equal(v.affected('npm', 'nope').length, 0);
      assert.equal(v.advisory('CVE-2021-23337')?.id, 'GHSA-35jh-r3h4-6jhm');
      assert.equal(v.advisory('GO-2022-0617'), undefined);
      assert.equal(v.kev('CVE-2025-48384')?.dueDate, '2025-09-15');
      assert.equal(v.epss('CVE-2021-44228')?.percentile, 0.99963);
      assert.ok(v.ecosystems().has('Alpine:v3.10'));
      assert.ok(v.ecosystems().has('Debian:12'));
      assert.equal(v.affected('Debian:12', 'wpewebkit')[0]?.status, 'end_of_life');
      assert.equal(v.schemaVersion, 1);
    } finally {
      v.close();
    }
    const s = dbStatus(db, { now: new Date(Date.now() + 100 * 3_600_000) });
    assert.equal(s.stale, true);
    assert.equal(s.counts.kev, 3);
    assert.match(formatStatus(s), /STALE/);
    assert.equal(dbStatus(db).stale, false);
  });

  test('import upserts OSV records by modified: newer replaces, older is ignored', async () => {
    const base = JSON.parse(fx('osv/__fixtures__/GHSA-35jh-r3h4-6jhm.json').toString('utf8')) as Record<
      string,
      unknown
    >;
    const newer = { ...base, modified: '2030-01-01T00:00:00Z', summary: 'newer' };
    const older = { ...base, modified: '2000-01-01T00:00:00Z', summary: 'older' };
    const f = join(work, 'GHSA-35jh-r3h4-6jhm.json');
    writeFileSync(f, JSON.stringify(newer));
    await importFeeds(db, [f]);
    writeFileSync(f, JSON.stringify(older));
    await importFeeds(db, [f]);
    const v = openVulnDb(db);
    try {
      assert.equal(v.advisory('GHSA-35jh-r3h4-6jhm')?.summary, 'newer');
      assert.equal(v.affected('npm', 'lodash').length, 1);
    } finally {
      v.close();
    }
  });

  test('databases are written with 16 KiB pages; an older 4 KiB database is converted on its next update', async () => {
    const pageSize = (file: string): number => {
      const raw = new DatabaseSync(file, { readOnly: true });
      try {
        return Number((raw.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
      } finally {
        raw.close();
      }
    };
    assert.equal(pageSize(db), 16384);
    const old = join(work, 'old-pages.db');
    copyFileSync(db, old);
    const raw = new DatabaseSync(old);
    raw.exec('PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM');
    raw.close();
    assert.equal(pageSize(old), 4096);
    const before = openVulnDb(old);
    const count = before.counts().advisories;
    before.close();
    const f = join(work, 'GHSA-35jh-r3h4-6jhm.json');
    writeFileSync(f, fx('osv/__fixtures__/GHSA-35jh-r3h4-6jhm.json'));
    await importFeeds(old, [f]);
    assert.equal(pageSize(old), 16384);
    const updated = openVulnDb(old);
    try {
      assert.equal(updated.counts().advisories, count);
      assert.equal(updated.affected('npm', 'lodash').length, 1);
    } finally {
      updated.close();
    }
  });

  test('an unrecognised file named on the command line is one clear error', async () => {
    const f = join(work, 'notes.txt');
    writeFileSync(f, 'hello');
    await assert.rejects(importFeeds(db, [f]), expectCode('FEED_INVALID', /cannot tell what .*notes.txt is/));
    await assert.rejects(importFeeds(db, [join(work, 'missing.zip')]), expectCode('TARGET_NOT_FOUND'));
  });

  test('a build that throws halfway leaves the old file byte-identical, openable, and no temporary file', async () => {
    const before = readFileSync(db);
    await assert.rejects(
      writeVulnDb(db, { mode: 'update' }, (w) => {
        w.clearSource('osv');
        throw new Error('boom');
      }),
      /boom/,
    );
    await assert.rejects(importFeeds(db, [root, join(work, 'notes.txt')]), expectCode('FEED_INVALID'));
    assert.deepEqual(readFileSync(db), before);
    assert.deepEqual(readdirSync(join(work, 'db')), ['bollard.db']);
    const v = openVulnDb(db);
    assert.equal(v.affected('npm', 'lodash').length, 1);
    v.close();
  });

  test('a reader that has the old file open is undisturbed by a rebuild', async () => {
    const v = openVulnDb(db);
    try {
      await buildVulnDb(db, [join(root, 'kev')]);
      assert.equal(v.affected('npm', 'lodash').length, 1);
      const fresh = openVulnDb(db);
      assert.equal(fresh.affected('npm', 'lodash').length, 0);
      fresh.close();
    } finally {
      v.close();
    }
  });
});

describe('the reader refuses what is not a whole Bollard database', () => {
  test('missing file: DB_NOT_FOUND with the hint', () => {
    assert.throws(
      () => openVulnDb(join(work, 'none.db')),
      expectCode('DB_NOT_FOUND', /run "bollard db update" or "bollard db import PATH", or pass --db FILE/),
    );
  });

  test('foreign SQLite, text, truncated copy, other schema version: DB_INVALID', async () => {
    const foreign = join(work, 'foreign.db');
    const f = new DatabaseSync(foreign);
    f.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    f.close();
    assert.throws(() => openVulnDb(foreign), expectCode('DB_INVALID', /not a Bollard/));
    const text = join(work, 'text.db');
    writeFileSync(text, 'x'.repeat(500));
    assert.throws(() => openVulnDb(text), expectCode('DB_INVALID'));
    const good = join(work, 'good.db');
    await buildVulnDb(good, [feeds()]);
    const half = join(work, 'half.db');
    copyFileSync(good, half);
    truncateSync(half, Math.floor(readFileSync(good).length / 2));
    assert.throws(() => openVulnDb(half), expectCode('DB_INVALID', /truncated/));
    const other = join(work, 'other.db');
    copyFileSync(good, other);
    const o = new DatabaseSync(other);
    o.exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    o.close();
    assert.throws(() => openVulnDb(other), expectCode('DB_INVALID', /schema version 99/));
  });
});

test('database path: --db, then BOLLARD_DB, then <cache dir>/db/bollard.db', () => {
  assert.equal(resolveDbPath('/x/a.db', '/c', { BOLLARD_DB: '/y/b.db' }), '/x/a.db');
  assert.equal(resolveDbPath(undefined, '/c', { BOLLARD_DB: '/y/b.db' }), '/y/b.db');
  assert.equal(resolveDbPath(undefined, '/c', {}), '/c/db/bollard.db');
});
