/**
 * Berkeley DB hash databases (`/var/lib/rpm/Packages` of RHEL/CentOS 7-8 and Amazon Linux 2), read
 * without libdb: the metadata page, the bucket chains and the overflow chains that hold values
 * bigger than a page (most rpm headers are).
 *
 * The file is hostile: every page number is checked against the file, every page is visited at most
 * once (so a loop in a bucket or overflow chain ends the chain with a warning instead of hanging), and
 * no value is allocated larger than the pages that could hold it.
 */

import type { ReadOptions, RecordSink } from './header.ts';

const HASH_MAGIC = 0x061561;
const BTREE_MAGIC = 0x053162;

/** Page header: lsn(8) pgno(4) prev(4) next(4) entries(2) hf_offset(2) level(1) type(1). */
const PAGE_HEADER = 26;
const OFF_PGNO = 8;
const OFF_NEXT = 16;
const OFF_ENTRIES = 20;
const OFF_HF = 22;
const OFF_TYPE = 25;

const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;

const H_KEYDATA = 1;
const H_OFFPAGE = 3;

/** Hash metadata page fields (offsets in the page). */
const META = {
  magic: 12,
  version: 16,
  pagesize: 20,
  encryptAlg: 24,
  metaflags: 26,
  lastPgno: 32,
  maxBucket: 72,
  spares: 96,
} as const;

/** DBMETA_CHKSUM: pages carry a checksum, which moves the item area. rpm never sets it. */
const METAFLAG_CHKSUM = 0x01;

export function bdbMagic(buf: Buffer): { kind: 'hash' | 'btree'; littleEndian: boolean } | undefined {
  if (buf.length < 16) return undefined;
  const le = buf.readUInt32LE(META.magic);
  const be = buf.readUInt32BE(META.magic);
  if (le === HASH_MAGIC) return { kind: 'hash', littleEndian: true };
  if (be === HASH_MAGIC) return { kind: 'hash', littleEndian: false };
  if (le === BTREE_MAGIC) return { kind: 'btree', littleEndian: true };
  if (be === BTREE_MAGIC) return { kind: 'btree', littleEndian: false };
  return undefined;
}

interface Db {
  buf: Buffer;
  le: boolean;
  pagesize: number;
  lastPage: number;
  /** Pages already read as a bucket or overflow page: each is used once, which also breaks loops. */
  seen: Uint8Array;
}

function u16(db: Db, at: number): number {
  return db.le ? db.buf.readUInt16LE(at) : db.buf.readUInt16BE(at);
}

function u32(db: Db, at: number): number {
  return db.le ? db.buf.readUInt32LE(at) : db.buf.readUInt32BE(at);
}

/**
 * Read every key/value pair of an rpm `Packages` hash database and hand each header to `sink`.
 * Record 0 (rpm's next-instance counter) is skipped. Problems are reported through `opts.warn`;
 * the function never throws on malformed input.
 */
export function readBdbPackages(buf: Buffer, opts: ReadOptions, sink: RecordSink): void {
  const { warn, label } = opts;
  const magic = bdbMagic(buf);
  if (!magic) {
    warn('rpm-db-invalid', 'rpm Berkeley DB file has no hash magic', label);
    return;
  }
  if (magic.kind === 'btree') {
    warn('rpm-db-unsupported', 'rpm Berkeley DB file is a btree, not a hash database', label);
    return;
  }
  if (buf.length < 512) {
    warn('rpm-db-invalid', 'rpm Berkeley DB file is truncated in its metadata page', label);
    return;
  }
  const probe: Db = { buf, le: magic.littleEndian, pagesize: 0, lastPage: 0, seen: new Uint8Array(0) };
  const version = u32(probe, META.version);
  const pagesize = u32(probe, META.pagesize);
  if (version < 8 || version > 10) {
    warn('rpm-db-unsupported', 'rpm Berkeley DB hash version is not 8-10', `${label}: version ${version}`);
    return;
  }
  if (pagesize < 512 || pagesize > 65536 || (pagesize & (pagesize - 1)) !== 0) {
    warn('rpm-db-invalid', 'rpm Berkeley DB page size is not a power of two in 512..65536', `${label}: ${pagesize}`);
    return;
  }
  if (buf[META.encryptAlg] !== 0 || (buf[META.metaflags]! & METAFLAG_CHKSUM) !== 0) {
    warn('rpm-db-unsupported', 'rpm Berkeley DB file is encrypted or checksummed', label);
    return;
  }
  const pagesInFile = Math.floor(buf.length / pagesize);
  if (pagesInFile < 2) {
    warn('rpm-db-invalid', 'rpm Berkeley DB file is truncated after its metadata page', label);
    return;
  }
  let lastPage = u32(probe, META.lastPgno);
  if (lastPage >= pagesInFile) {
    warn(
      'rpm-db-invalid',
      'rpm Berkeley DB file is shorter than its last page number',
      `${label}: last page ${lastPage}`,
    );
    lastPage = pagesInFile - 1;
  }
  const db: Db = { buf, le: magic.littleEndian, pagesize, lastPage, seen: new Uint8Array(lastPage + 1) };
  let maxBucket = u32(db, META.maxBucket);
  if (maxBucket >= lastPage) {
    // Every bucket owns a page: more buckets than pages is a lie, and looping 2^32 times a hang.
    warn('rpm-db-invalid', 'rpm Berkeley DB bucket count exceeds its pages', `${label}: max bucket ${maxBucket}`);
    maxBucket = Math.max(0, lastPage - 1);
  }
  const spares: number[] = [];
  for (let i = 0; i < 32; i++) spares.push(u32(db, META.spares + i * 4));

  for (let bucket = 0; bucket <= maxBucket; bucket++) {
    // Bucket b lives at b + spares[bit length of b] (the split point that created it).
    const bits = bucket === 0 ? 0 : 32 - Math.clz32(bucket);
    let pgno = bucket + spares[bits]!;
    while (pgno !== 0) {
      const page = takePage(db, pgno, opts);
      if (page === undefined) break;
      const type = buf[page + OFF_TYPE];
      if (type !== P_HASH && type !== P_HASH_UNSORTED) {
        warn('rpm-db-invalid', 'rpm Berkeley DB bucket page is not a hash page', `${label}: page ${pgno}`);
        break;
      }
      readHashPage(db, pgno, page, opts, sink);
      pgno = u32(db, page + OFF_NEXT);
    }
  }
}

/** Byte offset of page `pgno`, marking it used; undefined (with a warning) if it is out of range, reused or mislabelled. */
function takePage(db: Db, pgno: number, opts: ReadOptions): number | undefined {
  if (pgno < 1 || pgno > db.lastPage) {
    opts.warn('rpm-db-invalid', 'rpm Berkeley DB page number is outside the file', `${opts.label}: page ${pgno}`);
    return undefined;
  }
  if (db.seen[pgno]) {
    opts.warn(
      'rpm-db-invalid',
      'rpm Berkeley DB page is linked twice (loop or shared chain)',
      `${opts.label}: page ${pgno}`,
    );
    return undefined;
  }
  db.seen[pgno] = 1;
  const page = pgno * db.pagesize;
  if (u32(db, page + OFF_PGNO) !== pgno) {
    opts.warn('rpm-db-invalid', 'rpm Berkeley DB page does not carry its own number', `${opts.label}: page ${pgno}`);
    return undefined;
  }
  return page;
}

function readHashPage(db: Db, pgno: number, page: number, opts: ReadOptions, sink: RecordSink): void {
  const { pagesize } = db;
  const entries = u16(db, page + OFF_ENTRIES);
  const itemsStart = PAGE_HEADER + entries * 2;
  if (itemsStart > pagesize || entries % 2 !== 0) {
    opts.warn(
      'rpm-db-invalid',
      'rpm Berkeley DB hash page has an impossible entry count',
      `${opts.label}: page ${pgno}`,
    );
    return;
  }
  // Items are packed from the end of the page down: item i spans [inp[i], inp[i-1]) with inp[-1] = pagesize.
  let upper = pagesize;
  const items: { off: number; len: number }[] = [];
  for (let i = 0; i < entries; i++) {
    const off = u16(db, page + PAGE_HEADER + i * 2);
    if (off < itemsStart || off >= upper) {
      opts.warn('rpm-db-invalid', 'rpm Berkeley DB hash item lies outside its page', `${opts.label}: page ${pgno}`);
      return;
    }
    items.push({ off, len: upper - off });
    upper = off;
  }
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = itemBytes(db, page, items[i]!, opts, pgno);
    if (key === undefined) continue;
    if (key.length !== 4) {
      opts.warn('rpm-db-invalid', 'rpm Berkeley DB key is not a 4-byte header number', `${opts.label}: page ${pgno}`);
      continue;
    }
    const id = db.le ? key.readUInt32LE(0) : key.readUInt32BE(0);
    // Record 0 holds rpm's next-instance counter, not a header; skip it without reading its value.
    if (id === 0) continue;
    const blob = itemBytes(db, page, items[i + 1]!, opts, pgno);
    if (blob !== undefined) sink({ id, blob });
  }
}

/** The bytes of one hash item: inline (H_KEYDATA) or gathered from an overflow chain (H_OFFPAGE). */
function itemBytes(
  db: Db,
  page: number,
  item: { off: number; len: number },
  opts: ReadOptions,
  pgno: number,
): Buffer | undefined {
  const at = page + item.off;
  const type = db.buf[at];
  if (type === H_KEYDATA) return db.buf.subarray(at + 1, at + item.len);
  if (type === H_OFFPAGE) {
    if (item.len < 12) {
      opts.warn('rpm-db-invalid', 'rpm Berkeley DB off-page item is truncated', `${opts.label}: page ${pgno}`);
      return undefined;
    }
    return readOverflow(db, u32(db, at + 4), u32(db, at + 8), opts);
  }
  opts.warn(
    'rpm-db-unsupported',
    'rpm Berkeley DB item type is not key/data or off-page',
    `${opts.label}: page ${pgno}`,
  );
  return undefined;
}

function readOverflow(db: Db, first: number, total: number, opts: ReadOptions): Buffer | undefined {
  const room = db.pagesize - PAGE_HEADER;
  // A value cannot be longer than all the pages of the file could hold: no allocation beyond the input.
  if (total === 0 || total > db.lastPage * room) {
    opts.warn('rpm-db-invalid', 'rpm Berkeley DB overflow length is impossible', `${opts.label}: page ${first}`);
    return undefined;
  }
  const out = Buffer.alloc(total);
  let filled = 0;
  let pgno = first;
  while (filled < total) {
    if (pgno === 0) {
      opts.warn('rpm-db-invalid', 'rpm Berkeley DB overflow chain ends early', `${opts.label}: page ${first}`);
      return undefined;
    }
    const page = takePage(db, pgno, opts);
    if (page === undefined) return undefined;
    if (db.buf[page + OFF_TYPE] !== P_OVERFLOW) {
      opts.warn(
        'rpm-db-invalid',
        'rpm Berkeley DB overflow chain reaches a non-overflow page',
        `${opts.label}: page ${pgno}`,
      );
      return undefined;
    }
    // On overflow pages hf_offset holds the number of bytes used.
    const len = u16(db, page + OFF_HF);
    if (len === 0 || len > room || len > total - filled) {
      opts.warn('rpm-db-invalid', 'rpm Berkeley DB overflow page length is impossible', `${opts.label}: page ${pgno}`);
      return undefined;
    }
    db.buf.copy(out, filled, page + PAGE_HEADER, page + PAGE_HEADER + len);
    filled += len;
    pgno = u32(db, page + OFF_NEXT);
  }
  return out;
}
