import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { defaultLimits } from '../../util/limits.ts';
import { createTempRoot, type TempRoot } from '../../util/tempdir.ts';
import type { Package } from '../types.ts';
import { readRpmDatabase } from './index.ts';
import { readSqlitePackages } from './sqlite.ts';
import { type CollectedWarning, collectWarnings } from './testing/collect.ts';
import {
  buildFixtureRpms,
  expectedPackage,
  installSqliteDb,
  type RpmQueryRow,
  rpmListFiles,
  rpmQueryAll,
  sqliteRecords,
} from './testing/rpm.ts';

const PATH = 'var/lib/rpm/rpmdb.sqlite';
const byName = (a: Package, b: Package): number => a.name.localeCompare(b.name);

describe('rpm SQLite database (RPMs built by rpmbuild, installed by rpm; needs Debian packages rpm)', () => {
  let work: string;
  let temp: TempRoot;
  let dbDir: string;
  let sqliteFile: string;
  let content: Buffer;
  let rows: RpmQueryRow[];

  async function read(buf: Buffer): Promise<{ packages: Package[]; warnings: CollectedWarning[] }> {
    const w = collectWarnings();
    const packages = await readRpmDatabase(buf, { path: PATH, tempRoot: temp, limits: defaultLimits, warn: w.warn });
    return { packages, warnings: w.warnings };
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bollard-rpm-sqlite-'));
    temp = createTempRoot('bollard-rpm-test-', work);
    dbDir = join(work, 'db');
    sqliteFile = installSqliteDb(buildFixtureRpms(work), dbDir);
    content = readFileSync(sqliteFile);
    rows = rpmQueryAll(dbDir, 'sqlite');
  });
  after(() => {
    temp.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('reads the packages rpm -qa lists, field for field', async () => {
    const { packages, warnings } = await read(content);
    assert.deepEqual(warnings, []);
    const expected = rows.filter((r) => r.name !== 'gpg-pubkey').map((r) => expectedPackage(r, PATH));
    assert.equal(packages.length, 16);
    assert.deepEqual(packages.toSorted(byName), expected.toSorted(byName));
  });

  test('file lists equal rpm -ql for every package', async () => {
    const { packages } = await read(content);
    for (const p of packages) {
      const listed = rpmListFiles(dbDir, p.name).map((f) => f.slice(1));
      assert.deepEqual(p.files, listed, p.name);
    }
    assert.equal(packages.find((p) => p.name === 'bollard-demo')?.files?.length, 603); // 600 data files, 2 directories, 1 script
  });

  test('epoch, epoch 0, modularity label, licence, vendor and a source RPM that differs from the name', async () => {
    // Stated from the spec files, so that rpm and the analyzer cannot agree on a wrong answer.
    const { packages } = await read(content);
    const get = (name: string): Package => {
      const p = packages.find((x) => x.name === name);
      assert.ok(p, name);
      return p;
    };
    const demo = get('bollard-demo');
    assert.equal(demo.version, '2:1.4.0-3.fc40');
    assert.equal(demo.epoch, 2);
    assert.equal(demo.arch, 'noarch');
    assert.equal(demo.modularityLabel, 'bollard:1:8090020231024105237:a75119d5');
    assert.deepEqual(demo.licenses, ['MIT AND (Apache-2.0 OR BSD-3-Clause)']);
    assert.equal(demo.vendor, 'Bollard Project');
    assert.equal(demo.maintainer, 'Bollard Tests <tests@bollard.invalid>');
    assert.deepEqual(demo.dependsOn, ['bash', 'bollard-demo-libs']);
    assert.ok(demo.files?.includes('usr/bin/bollard-demo'));
    const libs = get('bollard-demo-libs');
    assert.deepEqual(libs.source, { name: 'bollard-demo', version: '1.4.0-3.fc40' });
    assert.deepEqual(libs.licenses, ['MIT']);
    assert.deepEqual(libs.files, ['usr/lib64/libbollard-demo.so.1']);
    const zero = get('bollard-zero');
    assert.equal(zero.version, '0:2.0.1-7.el8');
    assert.equal(zero.epoch, 0);
    const plain = get('bollard-plain');
    assert.equal(plain.version, '0.9-1');
    assert.equal(plain.epoch, undefined);
    assert.equal(plain.vendor, undefined);
    assert.deepEqual(plain.files, []);
    assert.equal(
      packages.some((p) => p.name === 'gpg-pubkey'),
      false,
    );
    assert.ok(
      rows.some((r) => r.name === 'gpg-pubkey'),
      'the fixture database holds a gpg-pubkey record',
    );
  });

  test('leaves nothing behind in the temp root', async () => {
    await read(content);
    assert.deepEqual(readdirSync(temp.path), []);
  });

  test('a database without a Packages table is a warning', async () => {
    const { packages, warnings } = await read(makeDb(work, 'CREATE TABLE Other (x INTEGER)'));
    assert.deepEqual(packages, []);
    assert.equal(warnings[0]?.message, 'rpm sqlite database has no Packages table');
  });

  test('a Packages table with other columns is a warning', async () => {
    const { packages, warnings } = await read(
      makeDb(work, 'CREATE TABLE Packages (id INTEGER PRIMARY KEY, data BLOB)'),
    );
    assert.deepEqual(packages, []);
    assert.equal(warnings[0]?.message, 'rpm sqlite Packages table lacks plain hnum and blob columns');
  });

  test('a Packages view is refused rather than run (this one would never end)', async () => {
    const sql = `CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
      SELECT x AS hnum, zeroblob(16) AS blob FROM c`;
    const { packages, warnings } = await read(makeDb(work, sql));
    assert.deepEqual(packages, []);
    assert.equal(warnings[0]?.message, 'rpm sqlite Packages is not a plain table');
  });

  test('a generated blob column is refused rather than computed', async () => {
    const sql = `CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, raw BLOB,
      blob BLOB GENERATED ALWAYS AS (zeroblob(900000000)) VIRTUAL); INSERT INTO Packages (hnum, raw) VALUES (1, x'00')`;
    const { packages, warnings } = await read(makeDb(work, sql));
    assert.deepEqual(packages, []);
    assert.equal(warnings[0]?.message, 'rpm sqlite Packages table lacks plain hnum and blob columns');
  });

  test('rows that are not blobs are counted; good rows are still read', async () => {
    const good = sqliteRecords(sqliteFile).find((r) => r.id === 1)!;
    const file = join(work, `mixed-${Date.now()}.sqlite`);
    const db = new DatabaseSync(file);
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    db.prepare('INSERT INTO Packages VALUES (?, ?)').run(1, good.blob);
    db.exec("INSERT INTO Packages VALUES (2, 'text, not a header'); INSERT INTO Packages VALUES (3, 42)");
    db.prepare('INSERT INTO Packages VALUES (?, ?)').run(4, Buffer.from('not a header either'));
    db.close();
    const { packages, warnings } = await read(readFileSync(file));
    assert.equal(packages.length, 1);
    assert.deepEqual(
      warnings.map((w) => w.message),
      ['rpm header blob does not fit its own intro', 'rpm sqlite rows without an integer hnum and a blob'],
    );
    assert.equal(warnings[1]?.sample, `${PATH}: 2 rows`);
  });

  test('truncated copies give warnings, never an exception', async () => {
    for (const size of [
      16,
      100,
      4096,
      8192,
      Math.floor(content.length / 2),
      content.length - 4096,
      content.length - 1,
    ]) {
      const { warnings } = await read(content.subarray(0, size));
      assert.equal(warnings[0]?.message, 'rpm sqlite file is shorter than its header says', `truncated at ${size}`);
    }
  });

  test('readSqlitePackages hands over every row blob unchanged', async () => {
    const w = collectWarnings(PATH);
    const seen: { id: number; blob: Buffer }[] = [];
    await readSqlitePackages(content, { ...w, tempRoot: temp }, (r) => seen.push(r));
    const direct = sqliteRecords(sqliteFile);
    assert.equal(seen.length, 17);
    assert.deepEqual(
      seen.map((r) => [r.id, r.blob.toString('hex')]),
      direct.map((r) => [r.id, r.blob.toString('hex')]),
    );
  });
});

function makeDb(dir: string, sql: string): Buffer {
  const file = join(dir, `schema-${Math.random().toString(36).slice(2)}.sqlite`);
  const db = new DatabaseSync(file);
  db.exec(sql);
  db.close();
  return readFileSync(file);
}
