/**
 * Test-only writer of rpm ndb `Packages.db` files, written from the layout lib/backend/ndb/rpmpkg.c
 * defines (see ../ndb.ts). Debian's rpm has no ndb backend, so nothing independent checks this
 * writer here: it shares its understanding of the format with the reader.
 */

import type { HeaderRecord } from '../header.ts';
import {
  adler32,
  NDB_BLK_SIZE,
  NDB_BLOBHEAD_SIZE,
  NDB_BLOBTAIL_SIZE,
  NDB_HEADER_SIZE,
  NDB_PAGE_SIZE,
  NDB_SLOT_SIZE,
  ndbBlockCount,
} from '../ndb.ts';

const MAGIC = { pkgdb: 'RpmP', slot: 'Slot', head: 'BlbS', tail: 'BlbE' } as const;

export interface NdbLayout {
  file: Buffer;
  /** Byte offset of each record's slot and blob, in input order (for hostile edits). */
  slots: number[];
  blobs: number[];
}

/** An ndb database holding `records` (ids are the package indexes), with as many slot pages as needed. */
export function buildNdb(records: HeaderRecord[], timestamp = 1_700_000_000): NdbLayout {
  const slotsPerFirstPage = (NDB_PAGE_SIZE - NDB_HEADER_SIZE) / NDB_SLOT_SIZE;
  const slotPages = 1 + Math.max(0, Math.ceil((records.length - slotsPerFirstPage) / (NDB_PAGE_SIZE / NDB_SLOT_SIZE)));
  const blobStart = slotPages * NDB_PAGE_SIZE;
  const size = blobStart + records.reduce((n, r) => n + ndbBlockCount(r.blob.length) * NDB_BLK_SIZE, 0);
  const file = Buffer.alloc(size);
  file.write(MAGIC.pkgdb, 0, 'latin1');
  file.writeUInt32LE(0, 4); // version
  file.writeUInt32LE(records.length + 1, 8); // generation
  file.writeUInt32LE(slotPages, 12);
  file.writeUInt32LE(Math.max(0, ...records.map((r) => r.id)) + 1, 16); // next package index
  // Every slot of every slot page carries the magic, free ones with zeros.
  for (let at = NDB_HEADER_SIZE; at < blobStart; at += NDB_SLOT_SIZE) file.write(MAGIC.slot, at, 'latin1');

  const slots: number[] = [];
  const blobs: number[] = [];
  let blk = blobStart / NDB_BLK_SIZE;
  records.forEach((r, i) => {
    const count = ndbBlockCount(r.blob.length);
    const slot = NDB_HEADER_SIZE + i * NDB_SLOT_SIZE;
    file.writeUInt32LE(r.id, slot + 4);
    file.writeUInt32LE(blk, slot + 8);
    file.writeUInt32LE(count, slot + 12);
    const at = blk * NDB_BLK_SIZE;
    file.write(MAGIC.head, at, 'latin1');
    file.writeUInt32LE(r.id, at + 4);
    file.writeUInt32LE(timestamp, at + 8);
    file.writeUInt32LE(r.blob.length, at + 12);
    r.blob.copy(file, at + NDB_BLOBHEAD_SIZE);
    const tail = at + count * NDB_BLK_SIZE - NDB_BLOBTAIL_SIZE;
    file.writeUInt32LE(adler32(file.subarray(at, tail)), tail);
    file.writeUInt32LE(r.blob.length, tail + 4);
    file.write(MAGIC.tail, tail + 8, 'latin1');
    slots.push(slot);
    blobs.push(at);
    blk += count;
  });
  return { file, slots, blobs };
}
