/**
 * rpm's own "ndb" package database (`Packages.db`, SUSE and openSUSE), as lib/backend/ndb/rpmpkg.c
 * defines it. All numbers are little-endian.
 *
 *   header   32 bytes: "RpmP", version 0, generation, slot page count, next package index
 *   slots    16 bytes each, filling the slot pages after the header: "Slot", package index,
 *            block offset, block count (block offset 0 = free slot); blocks are 16 bytes
 *   blobs    at block offset * 16: "BlbS", package index, timestamp, length, the header blob,
 *            zero padding, then adler32 (of everything before it), length again, "BlbE"
 */

import type { ReadOptions, RecordSink } from './header.ts';

const PKGDB_MAGIC = 0x506d7052; // "RpmP"
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOBHEAD_MAGIC = 0x53626c42; // "BlbS"
const BLOBTAIL_MAGIC = 0x45626c42; // "BlbE"

export const NDB_HEADER_SIZE = 32;
export const NDB_SLOT_SIZE = 16;
export const NDB_BLK_SIZE = 16;
export const NDB_PAGE_SIZE = 4096;
export const NDB_BLOBHEAD_SIZE = 16;
export const NDB_BLOBTAIL_SIZE = 12;

export function isNdb(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === PKGDB_MAGIC;
}

/** Blocks a blob of `length` bytes occupies, head and tail included. */
export function ndbBlockCount(length: number): number {
  return Math.ceil((NDB_BLOBHEAD_SIZE + length + NDB_BLOBTAIL_SIZE) / NDB_BLK_SIZE);
}

/** Adler-32 (RFC 1950), which ndb uses to check blobs. */
export function adler32(data: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let b = (start >>> 16) & 0xffff;
  let i = 0;
  while (i < data.length) {
    // 5552 is the most bytes that can be summed before b may overflow 2^32.
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

interface Slot {
  pkgidx: number;
  blkoff: number;
  blkcnt: number;
}

/**
 * Read every package blob of an ndb `Packages.db` and hand each header to `sink`, in file order.
 * Problems are reported through `opts.warn`; the function never throws on malformed input.
 */
export function readNdbPackages(buf: Buffer, opts: ReadOptions, sink: RecordSink): void {
  const { warn, label } = opts;
  if (buf.length < NDB_HEADER_SIZE || !isNdb(buf)) {
    warn('rpm-db-invalid', 'rpm ndb file is truncated in its header', label);
    return;
  }
  const version = buf.readUInt32LE(4);
  if (version !== 0) {
    warn('rpm-db-unsupported', 'rpm ndb version is not 0', `${label}: version ${version}`);
    return;
  }
  if (buf.length % NDB_BLK_SIZE !== 0) {
    warn('rpm-db-invalid', 'rpm ndb file size is not a whole number of blocks', label);
  }
  let slotPages = buf.readUInt32LE(12);
  if (slotPages === 0) {
    warn('rpm-db-invalid', 'rpm ndb header announces no slot pages', label);
    return;
  }
  const pagesInFile = Math.floor(buf.length / NDB_PAGE_SIZE);
  if (slotPages > pagesInFile) {
    warn('rpm-db-invalid', 'rpm ndb file is shorter than its slot pages', `${label}: ${slotPages} slot pages`);
    slotPages = pagesInFile;
  }
  const minBlk = (slotPages * NDB_PAGE_SIZE) / NDB_BLK_SIZE;
  const fileBlks = Math.floor(buf.length / NDB_BLK_SIZE);

  const slots: Slot[] = [];
  let badSlots = 0;
  for (let at = NDB_HEADER_SIZE; at < slotPages * NDB_PAGE_SIZE; at += NDB_SLOT_SIZE) {
    if (buf.readUInt32LE(at) !== SLOT_MAGIC) {
      badSlots++;
      continue;
    }
    const blkoff = buf.readUInt32LE(at + 8);
    if (blkoff === 0) continue; // free slot
    const slot: Slot = { pkgidx: buf.readUInt32LE(at + 4), blkoff, blkcnt: buf.readUInt32LE(at + 12) };
    if (slot.pkgidx === 0 || slot.blkcnt === 0 || slot.blkoff < minBlk || slot.blkoff + slot.blkcnt > fileBlks) {
      warn('rpm-db-invalid', 'rpm ndb slot points outside the blob area', `${label}: package ${slot.pkgidx}`);
      continue;
    }
    slots.push(slot);
  }
  if (badSlots > 0)
    warn('rpm-db-invalid', 'rpm ndb slot pages hold entries without slot magic', `${label}: ${badSlots} slots`);

  // rpm keeps blobs disjoint; refusing overlaps also keeps the work linear in the file size.
  slots.sort((x, y) => x.blkoff - y.blkoff);
  let end = minBlk;
  const seen = new Set<number>();
  for (const slot of slots) {
    if (slot.blkoff < end) {
      warn('rpm-db-invalid', 'rpm ndb slots overlap', `${label}: package ${slot.pkgidx}`);
      continue;
    }
    if (seen.has(slot.pkgidx)) {
      warn('rpm-db-invalid', 'rpm ndb package index appears in two slots', `${label}: package ${slot.pkgidx}`);
      continue;
    }
    end = slot.blkoff + slot.blkcnt;
    const blob = readBlob(buf, slot, opts);
    if (blob === undefined) continue;
    seen.add(slot.pkgidx);
    sink({ id: slot.pkgidx, blob });
  }
}

function readBlob(buf: Buffer, slot: Slot, opts: ReadOptions): Buffer | undefined {
  const start = slot.blkoff * NDB_BLK_SIZE;
  const stop = (slot.blkoff + slot.blkcnt) * NDB_BLK_SIZE;
  const sample = `${opts.label}: package ${slot.pkgidx}`;
  if (stop - start < NDB_BLOBHEAD_SIZE + NDB_BLOBTAIL_SIZE) {
    opts.warn('rpm-db-invalid', 'rpm ndb blob is too small for its head and tail', sample);
    return undefined;
  }
  if (buf.readUInt32LE(start) !== BLOBHEAD_MAGIC || buf.readUInt32LE(start + 4) !== slot.pkgidx) {
    opts.warn('rpm-db-invalid', 'rpm ndb blob head does not match its slot', sample);
    return undefined;
  }
  const length = buf.readUInt32LE(start + 12);
  if (ndbBlockCount(length) !== slot.blkcnt) {
    opts.warn('rpm-db-invalid', 'rpm ndb blob length does not match its slot', sample);
    return undefined;
  }
  const tail = stop - NDB_BLOBTAIL_SIZE;
  if (buf.readUInt32LE(tail + 4) !== length || buf.readUInt32LE(tail + 8) !== BLOBTAIL_MAGIC) {
    opts.warn('rpm-db-invalid', 'rpm ndb blob tail does not match its head', sample);
    return undefined;
  }
  // rpm itself does not check the sum when reading; a mismatch is reported and the header still parsed.
  if (adler32(buf.subarray(start, tail)) !== buf.readUInt32LE(tail)) {
    opts.warn('rpm-db-invalid', 'rpm ndb blob checksum mismatch', sample);
  }
  return buf.subarray(start + NDB_BLOBHEAD_SIZE, start + NDB_BLOBHEAD_SIZE + length);
}
