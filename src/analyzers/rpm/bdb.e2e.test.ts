import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultLimits } from '../../util/limits.ts';
import type { Package } from '../types.ts';
import { bdbMagic, readBdbPackages } from './bdb.ts';
import type { HeaderRecord } from './header.ts';
import { packageFromHeader } from './index.ts';
import { collectRecords, collectWarnings, mutate, prng } from './testing/collect.ts';
import {
  type BdbOptions,
  buildBdb,
  buildFixtureRpms,
  expectedPackage,
  installSqliteDb,
  type RpmQueryRow,
  rpmQueryAll,
  sqliteRecords,
} from './testing/rpm.ts';

const PATH = 'var/lib/rpm/Packages';
const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);

interface Fixture extends BdbOptions {
  dir: string;
  content: Buffer;
}

/** Page headers of a Berkeley DB file, read the simple way (for locating pages to damage). */
function pagesOf(f: Fixture): { pgno: number; at: number; type: number; next: number }[] {
  const out = [];
  for (let pgno = 1; (pgno + 1) * f.pagesize <= f.content.length; pgno++) {
    const at = pgno * f.pagesize;
    const next = f.littleEndian ? f.content.readUInt32LE(at + 16) : f.content.readUInt32BE(at + 16);
    out.push({ pgno, at, type: f.content[at + 25]!, next });
  }
  return out;
}

function writeU32(f: Fixture, buf: Buffer, at: number, v: number): void {
  if (f.littleEndian) buf.writeUInt32LE(v, at);
  else buf.writeUInt32BE(v, at);
}

function readAll(buf: Buffer): { records: HeaderRecord[]; warnings: ReturnType<typeof collectWarnings>['warnings'] } {
  const w = collectWarnings(PATH);
  const records = collectRecords((sink) => readBdbPackages(buf, w, sink));
  return { records, warnings: w.warnings };
}

function hex(rs: HeaderRecord[]): string[][] {
  return rs.map((r) => [String(r.id), r.blob.toString('hex')]).toSorted((a, b) => Number(a[0]) - Number(b[0]));
}

function toPackages(records: HeaderRecord[]): Package[] {
  const w = collectWarnings(PATH);
  const out = records.map((r) => packageFromHeader(r, { path: PATH, limits: defaultLimits, warn: w.warn }));
  assert.deepEqual(w.warnings, []);
  return out.filter((p): p is Package => p !== undefined);
}

describe('rpm Berkeley DB hash database (written by db5.3_load, read back by rpm bdb_ro; needs Debian packages rpm and db-util)', () => {
  let work: string;
  let records: HeaderRecord[];
  let sqliteRows: RpmQueryRow[];
  const fixtures: Fixture[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bollard-rpm-bdb-'));
    const sqliteDir = join(work, 'sqlite');
    records = sqliteRecords(installSqliteDb(buildFixtureRpms(work), sqliteDir));
    sqliteRows = rpmQueryAll(sqliteDir, 'sqlite');
    for (const littleEndian of [true, false]) {
      for (const pagesize of [512, 4096]) {
        const dir = join(work, `bdb-${littleEndian ? 'le' : 'be'}-${pagesize}`);
        const content = readFileSync(buildBdb(records, dir, { littleEndian, pagesize }));
        fixtures.push({ dir, content, littleEndian, pagesize });
      }
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the fixtures are what they claim: both byte orders, several buckets, headers spanning many pages', () => {
    for (const f of fixtures) {
      assert.deepEqual(bdbMagic(f.content), { kind: 'hash', littleEndian: f.littleEndian });
      const types = pagesOf(f).map((p) => p.type);
      assert.ok(types.filter((t) => t === 7).length > 10, 'overflow pages');
      const maxBucket = f.littleEndian ? f.content.readUInt32LE(72) : f.content.readUInt32BE(72);
      assert.ok(maxBucket >= 1, 'more than one bucket');
    }
    const biggest = Math.max(...records.map((r) => r.blob.length));
    assert.ok(biggest > 10 * 4096, `largest header is ${biggest} bytes`);
  });

  test('rpm itself (bdb_ro backend) reads each fixture and lists the same packages as from SQLite', () => {
    for (const f of fixtures) {
      const rows = rpmQueryAll(f.dir, 'bdb_ro');
      assert.deepEqual(rows.toSorted(byName), sqliteRows.toSorted(byName), f.dir);
    }
  });

  test('the reader returns every header, byte for byte, in both byte orders and page sizes', () => {
    for (const f of fixtures) {
      const { records: got, warnings } = readAll(f.content);
      assert.deepEqual(warnings, [], f.dir);
      assert.deepEqual(hex(got), hex(records), f.dir);
    }
  });

  test('packages equal what rpm -qa prints (bdb_ro), gpg-pubkey left out', () => {
    for (const f of fixtures) {
      const got = toPackages(readAll(f.content).records);
      const expected = rpmQueryAll(f.dir, 'bdb_ro')
        .filter((r) => r.name !== 'gpg-pubkey')
        .map((r) => expectedPackage(r, PATH));
      assert.deepEqual(got.toSorted(byName), expected.toSorted(byName), f.dir);
    }
  });

  test('an overflow chain that loops back on itself ends with a warning; other packages survive', () => {
    for (const f of fixtures) {
      const bad = Buffer.from(f.content);
      const ov = pagesOf(f).find((p) => p.type === 7 && p.next !== 0)!;
      writeU32(f, bad, ov.at + 16, ov.pgno);
      const { records: got, warnings } = readAll(bad);
      assert.equal(got.length, records.length - 1, f.dir);
      assert.ok(warnings.some((w) => w.message === 'rpm Berkeley DB page is linked twice (loop or shared chain)'));
    }
  });

  test('a bucket chain that loops, and a chain into another chain, end with warnings', () => {
    const f = fixtures[0]!;
    const hash = pagesOf(f).filter((p) => p.type === 13);
    const loop = Buffer.from(f.content);
    writeU32(f, loop, hash[0]!.at + 16, hash[0]!.pgno);
    const a = readAll(loop);
    assert.equal(a.records.length, records.length);
    assert.ok(a.warnings.some((w) => w.message === 'rpm Berkeley DB page is linked twice (loop or shared chain)'));
    // The middle of one overflow chain pointed at the start of another value's chain.
    const overflow = pagesOf(f).filter((p) => p.type === 7);
    const heads = overflow.filter((p) => !overflow.some((q) => q.next === p.pgno));
    const long = heads.find((p) => p.next !== 0)!;
    const other = heads.find((p) => p.pgno !== long.pgno)!;
    const shared = Buffer.from(f.content);
    writeU32(f, shared, long.at + 16, other.pgno);
    const b = readAll(shared);
    assert.ok(b.records.length < records.length);
    assert.ok(b.warnings.some((w) => w.message === 'rpm Berkeley DB page is linked twice (loop or shared chain)'));
  });

  test('page numbers outside the file, impossible lengths and a lying metadata page give warnings', () => {
    const f = fixtures[0]!;
    const ov = pagesOf(f).find((p) => p.type === 7 && p.next !== 0)!;
    const outside = Buffer.from(f.content);
    writeU32(f, outside, ov.at + 16, 0x7fffffff);
    assert.ok(readAll(outside).warnings.some((w) => w.message === 'rpm Berkeley DB page number is outside the file'));

    const len = Buffer.from(f.content);
    len.writeUInt16LE(0xffff, ov.at + 22);
    assert.ok(readAll(len).warnings.some((w) => w.message === 'rpm Berkeley DB overflow page length is impossible'));

    const buckets = Buffer.from(f.content);
    writeU32(f, buckets, 72, 0xffffffff);
    const r = readAll(buckets);
    assert.ok(r.warnings.some((w) => w.message === 'rpm Berkeley DB bucket count exceeds its pages'));

    const pagesize = Buffer.from(f.content);
    writeU32(f, pagesize, 20, 1000);
    assert.equal(
      readAll(pagesize).warnings[0]?.message,
      'rpm Berkeley DB page size is not a power of two in 512..65536',
    );

    const lastPgno = Buffer.from(f.content);
    writeU32(f, lastPgno, 32, 0xfffffff0);
    const l = readAll(lastPgno);
    assert.equal(l.records.length, records.length);
    assert.equal(l.warnings[0]?.message, 'rpm Berkeley DB file is shorter than its last page number');
  });

  test('truncated files give warnings and whatever could be read', () => {
    for (const f of fixtures) {
      for (const size of [
        12,
        100,
        511,
        f.pagesize,
        3 * f.pagesize,
        Math.floor(f.content.length / 2),
        f.content.length - 1,
      ]) {
        const { records: got, warnings } = readAll(f.content.subarray(0, size));
        assert.ok(warnings.length > 0, `${f.dir} truncated at ${size}`);
        assert.ok(got.length < records.length || size === f.content.length - 1);
      }
    }
  });

  test('a btree database is reported as unsupported', () => {
    const file = buildBdb(records.slice(0, 2), join(work, 'btree'), {
      littleEndian: true,
      pagesize: 4096,
      type: 'btree',
    });
    const { records: got, warnings } = readAll(readFileSync(file));
    assert.deepEqual(got, []);
    assert.equal(warnings[0]?.code, 'rpm-db-unsupported');
  });

  test('random damage never throws or hangs (seeded, 400 mutated copies)', { timeout: 120_000 }, () => {
    const rand = prng(0xb0da);
    let warned = 0;
    for (let i = 0; i < 400; i++) {
      const f = fixtures[i % fixtures.length]!;
      const bad = mutate(f.content, rand, 1 + Math.floor(rand() * 40));
      const { records: got, warnings } = readAll(bad);
      for (const r of got) packageFromHeader(r, { path: PATH, limits: defaultLimits, warn: () => {} });
      if (warnings.length > 0) warned++;
    }
    assert.ok(warned > 0);
  });
});
