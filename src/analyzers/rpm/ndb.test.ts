import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultLimits } from '../../util/limits.ts';
import type { Package } from '../types.ts';
import type { HeaderRecord } from './header.ts';
import { packageFromHeader } from './index.ts';
import { adler32, isNdb, readNdbPackages } from './ndb.ts';
import { collectRecords, collectWarnings, mutate, prng } from './testing/collect.ts';
import { buildNdb } from './testing/ndb.ts';
import {
  buildFixtureRpms,
  expectedPackage,
  installSqliteDb,
  type RpmQueryRow,
  rpmQueryAll,
  sqliteRecords,
} from './testing/rpm.ts';

// Debian's rpm has no ndb backend, so these files come from our own writer (testing/ndb.ts); the
// header blobs inside them are real ones written by rpm.
const PATH = 'usr/lib/sysimage/rpm/Packages.db';
const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);

function readAll(buf: Buffer): { records: HeaderRecord[]; warnings: ReturnType<typeof collectWarnings>['warnings'] } {
  const w = collectWarnings(PATH);
  const records = collectRecords((sink) => readNdbPackages(buf, w, sink));
  return { records, warnings: w.warnings };
}

const messages = (buf: Buffer): string[] => readAll(buf).warnings.map((w) => w.message);

describe('rpm ndb database (own writer, real rpm header blobs; needs Debian packages rpm)', () => {
  let work: string;
  let records: HeaderRecord[];
  let rows: RpmQueryRow[];
  let ndb: ReturnType<typeof buildNdb>;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bollard-rpm-ndb-'));
    const dir = join(work, 'sqlite');
    records = sqliteRecords(installSqliteDb(buildFixtureRpms(work), dir));
    rows = rpmQueryAll(dir, 'sqlite');
    ndb = buildNdb(records);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('adler32 matches the RFC 1950 reference values', () => {
    assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
    assert.equal(adler32(Buffer.alloc(0)), 1);
    // Long input exercises the deferred modulo: compare with the textbook per-byte form.
    const long = Buffer.alloc(100_000, 0xff);
    let a = 1;
    let b = 0;
    for (const byte of long) {
      a = (a + byte) % 65521;
      b = (b + a) % 65521;
    }
    assert.equal(adler32(long), ((b << 16) | a) >>> 0);
    assert.equal(adler32(long), 0x149a302c);
  });

  test('the layout follows rpmpkg.c: header, slot page, blobs from block 256 on', () => {
    const f = ndb.file;
    assert.ok(isNdb(f));
    assert.equal(f.toString('latin1', 0, 4), 'RpmP');
    assert.equal(f.readUInt32LE(12), 1); // one slot page
    assert.equal(f.toString('latin1', 32, 36), 'Slot');
    assert.equal(f.readUInt32LE(32 + 8), 256); // first blob right after the slot page
    assert.equal(f.toString('latin1', 4096, 4100), 'BlbS');
    assert.equal(f.length % 16, 0);
  });

  test('every real header blob comes back unchanged and makes the packages rpm lists', () => {
    const { records: got, warnings } = readAll(ndb.file);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      got.map((r) => [r.id, r.blob.toString('hex')]),
      records.map((r) => [r.id, r.blob.toString('hex')]),
    );
    const w = collectWarnings(PATH);
    const packages = got
      .map((r) => packageFromHeader(r, { path: PATH, limits: defaultLimits, warn: w.warn }))
      .filter((p): p is Package => p !== undefined);
    const expected = rows.filter((r) => r.name !== 'gpg-pubkey').map((r) => expectedPackage(r, PATH));
    assert.deepEqual(packages.toSorted(byName), expected.toSorted(byName));
  });

  test('more packages than one slot page holds', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, blob: records[i % records.length]!.blob }));
    const big = buildNdb(many);
    assert.equal(big.file.readUInt32LE(12), 2);
    const { records: got, warnings } = readAll(big.file);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      got.map((r) => r.id),
      many.map((r) => r.id),
    );
  });

  test('a slot pointing outside the file is skipped with a warning; the rest is read', () => {
    const bad = Buffer.from(ndb.file);
    bad.writeUInt32LE(0x7ffffff0, ndb.slots[1]! + 8);
    const { records: got, warnings } = readAll(bad);
    assert.equal(got.length, records.length - 1);
    assert.deepEqual(
      warnings.map((w) => w.message),
      ['rpm ndb slot points outside the blob area'],
    );
    const inSlots = Buffer.from(ndb.file);
    inSlots.writeUInt32LE(3, ndb.slots[0]! + 8); // into the slot page itself
    assert.deepEqual(messages(inSlots), ['rpm ndb slot points outside the blob area']);
  });

  test('overlapping slots and a package index used twice are refused', () => {
    const overlap = Buffer.from(ndb.file);
    overlap.writeUInt32LE(overlap.readUInt32LE(ndb.slots[0]! + 8) + 1, ndb.slots[1]! + 8);
    assert.ok(messages(overlap).includes('rpm ndb slots overlap'));

    const twice = buildNdb([records[0]!, { id: records[0]!.id, blob: records[1]!.blob }]);
    const r = readAll(twice.file);
    assert.equal(r.records.length, 1);
    assert.deepEqual(
      r.warnings.map((w) => w.message),
      ['rpm ndb package index appears in two slots'],
    );
  });

  test('blob heads, lengths and tails that disagree with their slot are refused', () => {
    const head = Buffer.from(ndb.file);
    head.writeUInt32LE(999, ndb.blobs[0]! + 4);
    assert.deepEqual(messages(head), ['rpm ndb blob head does not match its slot']);

    const len = Buffer.from(ndb.file);
    len.writeUInt32LE(0xffffffff, ndb.blobs[0]! + 12);
    assert.deepEqual(messages(len), ['rpm ndb blob length does not match its slot']);

    const tail = Buffer.from(ndb.file);
    const end = ndb.blobs[1]! - 4; // the tail magic of blob 0 ends where blob 1 starts
    tail.write('XXXX', end, 'latin1');
    assert.deepEqual(messages(tail), ['rpm ndb blob tail does not match its head']);
  });

  test('a checksum mismatch is reported but the header is still read (as rpm does)', () => {
    const bad = Buffer.from(ndb.file);
    const at = ndb.blobs[0]! + 8; // the timestamp: covered by the sum, not by the header
    bad.writeUInt8(bad.readUInt8(at) ^ 0xff, at);
    const { records: got, warnings } = readAll(bad);
    assert.equal(got.length, records.length);
    assert.deepEqual(
      warnings.map((w) => w.message),
      ['rpm ndb blob checksum mismatch'],
    );
  });

  test('a damaged header or slot page gives warnings', () => {
    const version = Buffer.from(ndb.file);
    version.writeUInt32LE(7, 4);
    assert.deepEqual(messages(version), ['rpm ndb version is not 0']);

    const pages = Buffer.from(ndb.file);
    pages.writeUInt32LE(0xffffffff, 12);
    assert.ok(messages(pages).includes('rpm ndb file is shorter than its slot pages'));

    const slotMagic = Buffer.from(ndb.file);
    slotMagic.write('Sxxx', ndb.slots[2]!, 'latin1');
    const r = readAll(slotMagic);
    assert.equal(r.records.length, records.length - 1);
    assert.deepEqual(
      r.warnings.map((w) => w.message),
      ['rpm ndb slot pages hold entries without slot magic'],
    );
  });

  test('truncated files give warnings and whatever could be read', () => {
    for (const size of [3, 31, 100, 4095, 4096 + 40, Math.floor(ndb.file.length / 2), ndb.file.length - 16]) {
      const { records: got, warnings } = readAll(ndb.file.subarray(0, size));
      assert.ok(warnings.length > 0, `truncated at ${size}`);
      assert.ok(got.length < records.length, `truncated at ${size}`);
    }
  });

  test('random damage never throws or hangs (seeded, 400 mutated copies)', { timeout: 120_000 }, () => {
    const rand = prng(0x9db);
    let warned = 0;
    for (let i = 0; i < 400; i++) {
      // Damage the slot page and blob heads more often than the bulk of the blobs.
      const bad = mutate(ndb.file, rand, 1 + Math.floor(rand() * 20));
      for (let j = 0; j < 4; j++) bad[Math.floor(rand() * 4096)] = Math.floor(rand() * 256);
      const { records: got, warnings } = readAll(bad);
      for (const r of got) packageFromHeader(r, { path: PATH, limits: defaultLimits, warn: () => {} });
      if (warnings.length > 0) warned++;
    }
    assert.ok(warned > 0);
  });
});
