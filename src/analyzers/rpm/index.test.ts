import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import type { LayerEntry } from '../../layer/types.ts';
import { defaultLimits } from '../../util/limits.ts';
import { createTempRoot, type TempRoot } from '../../util/tempdir.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext } from '../types.ts';
import type { HeaderRecord } from './header.ts';
import { RPM_TYPE, RPMTAG } from './header.ts';
import { detectRpmDbFormat, id, RPMDB_PATHS, rpmAnalyzer } from './index.ts';
import { type CollectedWarning, prng, randomBytes } from './testing/collect.ts';
import { buildHeader } from './testing/header.ts';
import { buildNdb } from './testing/ndb.ts';
import { buildBdb } from './testing/rpm.ts';

const { STRING, INT32, STRING_ARRAY } = RPM_TYPE;

function header(name: string, version: string, release: string, epoch?: number): Buffer {
  return buildHeader([
    { tag: RPMTAG.NAME, type: STRING, value: name },
    { tag: RPMTAG.VERSION, type: STRING, value: version },
    { tag: RPMTAG.RELEASE, type: STRING, value: release },
    ...(epoch === undefined ? [] : [{ tag: RPMTAG.EPOCH, type: INT32, value: [epoch] }]),
    { tag: RPMTAG.ARCH, type: STRING, value: 'aarch64' },
    { tag: RPMTAG.DIRINDEXES, type: INT32, value: [0] },
    { tag: RPMTAG.BASENAMES, type: STRING_ARRAY, value: [name] },
    { tag: RPMTAG.DIRNAMES, type: STRING_ARRAY, value: ['/usr/bin/'] },
  ]);
}

const RECORDS: HeaderRecord[] = [
  { id: 1, blob: header('bash', '5.1.8', '9.el9') },
  { id: 2, blob: header('gpg-pubkey', 'fd431d51', '4ae0493b') },
  { id: 3, blob: header('curl', '7.76.1', '26.el9_3.2', 0) },
];

const entry = (path: string, size: number): LayerEntry => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size });

describe('rpm analyzer (content sniffing, contract; needs Debian package db-util for the Berkeley DB case)', () => {
  let work: string;
  let temp: TempRoot;
  const dbs: Record<'sqlite' | 'bdb' | 'ndb', Buffer> = {
    sqlite: Buffer.alloc(0),
    bdb: Buffer.alloc(0),
    ndb: Buffer.alloc(0),
  };

  async function analyze(
    path: string,
    content: Buffer,
  ): Promise<{ items: AnalysisItem[]; warnings: CollectedWarning[] }> {
    const warnings: CollectedWarning[] = [];
    const ctx: AnalyzerContext = {
      layer: undefined,
      limits: defaultLimits,
      tempRoot: temp,
      warn: (code, message, sample) => warnings.push({ code, message, sample }),
    };
    const items = await rpmAnalyzer.analyze({ path, entry: entry(path, content.length), content }, ctx);
    return { items, warnings };
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bollard-rpm-index-'));
    temp = createTempRoot('t-', work);
    const sqliteFile = join(work, 'rpmdb.sqlite');
    const db = new DatabaseSync(sqliteFile);
    db.exec("CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)");
    for (const r of RECORDS) db.prepare('INSERT INTO Packages VALUES (?, ?)').run(r.id, r.blob);
    db.close();
    dbs.sqlite = readFileSync(sqliteFile);
    dbs.bdb = readFileSync(buildBdb(RECORDS, join(work, 'bdb'), { littleEndian: true, pagesize: 4096 }));
    dbs.ndb = buildNdb(RECORDS).file;
  });
  after(() => {
    temp.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('is a valid Analyzer with a stable id', () => {
    const a: Analyzer = rpmAnalyzer;
    assert.equal(a.id, 'rpm');
    assert.equal(id, 'rpm');
    assert.equal(a.version, 1);
  });

  test('wants exactly the six database paths', () => {
    for (const p of RPMDB_PATHS) assert.equal(rpmAnalyzer.wants(p), true, p);
    assert.equal(RPMDB_PATHS.length, 6);
    for (const p of [
      '/var/lib/rpm/Packages',
      'var/lib/rpm/Name',
      'var/lib/rpm/Packages.bak',
      'var/lib/rpm/rpmdb.sqlite-wal',
      'var/lib/rpm/rpmdb.sqlite-shm',
      'usr/lib/sysimage/rpm/Index.db',
      'srv/var/lib/rpm/Packages',
      'var/lib/dpkg/status',
    ]) {
      assert.equal(rpmAnalyzer.wants(p), false, p);
    }
  });

  test('detects each format by content', () => {
    assert.equal(detectRpmDbFormat(dbs.sqlite), 'sqlite');
    assert.equal(detectRpmDbFormat(dbs.bdb), 'bdb');
    assert.equal(detectRpmDbFormat(dbs.ndb), 'ndb');
    assert.equal(detectRpmDbFormat(Buffer.from('hello world, not a database')), undefined);
  });

  test('returns one packages item per database, whatever name the file has', async () => {
    for (const [format, content] of Object.entries(dbs)) {
      for (const path of ['var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/rpmdb.sqlite']) {
        const { items, warnings } = await analyze(path, content);
        assert.deepEqual(warnings, [], `${format} at ${path}`);
        assert.equal(items.length, 1);
        const item = items[0]!;
        assert.ok(item.kind === 'packages');
        assert.equal(item.analyzer, 'rpm');
        assert.equal(item.path, path);
        const byName = item.packages.toSorted((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(
          byName.map((p) => [p.name, p.version, p.epoch, p.arch, p.files, p.location]),
          [
            ['bash', '5.1.8-9.el9', undefined, 'aarch64', ['usr/bin/bash'], { path }],
            ['curl', '0:7.76.1-26.el9_3.2', 0, 'aarch64', ['usr/bin/curl'], { path }],
          ],
          `${format} at ${path}`,
        );
      }
    }
  });

  test('an empty file and an unknown format are warnings with an empty item', async () => {
    const empty = await analyze('var/lib/rpm/Packages', Buffer.alloc(0));
    assert.deepEqual(
      empty.warnings.map((w) => w.message),
      ['rpm database file is empty'],
    );
    assert.deepEqual(empty.items, [{ kind: 'packages', analyzer: 'rpm', path: 'var/lib/rpm/Packages', packages: [] }]);
    const text = await analyze('var/lib/rpm/rpmdb.sqlite', Buffer.from('# not a database\n'));
    assert.deepEqual(
      text.warnings.map((w) => w.code),
      ['rpm-db-unrecognised'],
    );
    assert.equal(text.warnings[0]?.sample, 'var/lib/rpm/rpmdb.sqlite');
  });

  test('random bytes behind each magic give warnings, never an exception (seeded)', { timeout: 120_000 }, async () => {
    const rand = prng(7);
    const prefixes = [
      Buffer.alloc(0),
      Buffer.from('SQLite format 3\0', 'latin1'),
      Buffer.from('RpmP\0\0\0\0', 'latin1'),
      dbs.bdb.subarray(0, 16), // lsn, pgno and the hash magic
      dbs.ndb.subarray(0, 32),
      dbs.sqlite.subarray(0, 100),
    ];
    for (let i = 0; i < 240; i++) {
      const prefix = prefixes[i % prefixes.length]!;
      const content = Buffer.concat([prefix, randomBytes(rand, Math.floor(rand() * 9000))]);
      const { items, warnings } = await analyze('var/lib/rpm/Packages', content);
      assert.equal(items.length, 1);
      assert.ok(warnings.length > 0, `input ${i}`);
    }
  });
});
