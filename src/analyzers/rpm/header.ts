/**
 * rpm header blobs, as every rpm database backend stores them: a big-endian intro (index entry
 * count, data length), 16-byte index entries (tag, type, offset, count), then the data store. The
 * blob comes from an image, so every entry is checked against the data store before it is read.
 */

import { err, ok, type Result } from '../../util/result.ts';

/** Report a problem that did not stop the read: a static message, data in `sample`. */
export type WarnFn = (code: string, message: string, sample?: string) => void;

/** One package record of a database: its key (header number) and its header blob. */
export interface HeaderRecord {
  id: number;
  blob: Buffer;
}

export interface ReadOptions {
  warn: WarnFn;
  /** Names the database in warning samples (the path inside the image). */
  label: string;
}

export type RecordSink = (record: HeaderRecord) => void;

/** Tags the analyzer reads (rpmtag.h numbering). */
export const RPMTAG = {
  HEADERIMMUTABLE: 63,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  PACKAGER: 1015,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  SOURCERPM: 1044,
  REQUIRENAME: 1049,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

/** Data types of index entries. */
export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** rpm's own ceilings (HEADER_TAGS_MAX, HEADER_DATA_MAX): anything above is not a header rpm wrote. */
export const HEADER_MAX_ENTRIES = 0xffff;
export const HEADER_MAX_DATA = 0x0fffffff;

/** Magic of a header as it appears in a package file; database blobs normally omit it. */
const HEADER_MAGIC = 0x8eade801;

const FIXED_SIZE: Record<number, number> = {
  [RPM_TYPE.CHAR]: 1,
  [RPM_TYPE.INT8]: 1,
  [RPM_TYPE.INT16]: 2,
  [RPM_TYPE.INT32]: 4,
  [RPM_TYPE.INT64]: 8,
  [RPM_TYPE.BIN]: 1,
};

export interface HeaderEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

export interface RpmHeader {
  /** Valid entries by tag; for a tag present twice the later entry wins (rpm's "dribble" entries). */
  readonly entries: ReadonlyMap<number, HeaderEntry>;
  /** The data store. */
  readonly data: Buffer;
  /** Entries dropped because their type, offset or count did not fit the data store. */
  readonly invalidEntries: number;
}

export type HeaderProblem =
  | 'truncated' // shorter than its intro says
  | 'too-many-entries' // index count above rpm's ceiling
  | 'data-too-large'; // data length above rpm's ceiling

/**
 * Parse the intro and index of a header blob. Entries whose bytes fall outside the data store are
 * dropped and counted; the blob itself is only rejected when its intro does not fit.
 */
export function parseHeader(blob: Buffer): Result<RpmHeader, HeaderProblem> {
  let start = 0;
  if (blob.length >= 8 && blob.readUInt32BE(0) === HEADER_MAGIC) start = 8;
  if (blob.length - start < 8) return err('truncated');
  const il = blob.readUInt32BE(start);
  const dl = blob.readUInt32BE(start + 4);
  if (il > HEADER_MAX_ENTRIES) return err('too-many-entries');
  if (dl > HEADER_MAX_DATA) return err('data-too-large');
  const indexStart = start + 8;
  const dataStart = indexStart + il * 16;
  if (dataStart + dl > blob.length) return err('truncated');
  const data = blob.subarray(dataStart, dataStart + dl);
  const entries = new Map<number, HeaderEntry>();
  let invalid = 0;
  for (let i = 0; i < il; i++) {
    const at = indexStart + i * 16;
    const entry: HeaderEntry = {
      tag: blob.readUInt32BE(at),
      type: blob.readUInt32BE(at + 4),
      // Region trailers carry negative offsets; read unsigned so they fail the bounds check below.
      offset: blob.readUInt32BE(at + 8),
      count: blob.readUInt32BE(at + 12),
    };
    if (entryFits(entry, dl)) entries.set(entry.tag, entry);
    else invalid++;
  }
  return ok({ entries, data, invalidEntries: invalid });
}

function entryFits(e: HeaderEntry, dl: number): boolean {
  if (e.count === 0 || e.offset >= dl) return false;
  const size = FIXED_SIZE[e.type];
  if (size !== undefined) return e.count <= (dl - e.offset) / size;
  if (e.type === RPM_TYPE.STRING) return e.count === 1;
  // Each string takes at least its NUL byte: a larger count cannot fit and would only make work.
  if (e.type === RPM_TYPE.STRING_ARRAY || e.type === RPM_TYPE.I18NSTRING) return e.count <= dl - e.offset;
  return false; // NULL or an unknown type
}

/** A string tag (STRING, or the first translation of an I18NSTRING); undefined when absent or unterminated. */
export function headerString(h: RpmHeader, tag: number): string | undefined {
  const e = h.entries.get(tag);
  if (!e || (e.type !== RPM_TYPE.STRING && e.type !== RPM_TYPE.I18NSTRING)) return undefined;
  return readStrings(h.data, e.offset, 1)?.[0];
}

/** A STRING_ARRAY tag; undefined when absent, of another type, or when a string runs past the data. */
export function headerStringArray(h: RpmHeader, tag: number): string[] | undefined {
  const e = h.entries.get(tag);
  if (!e || e.type !== RPM_TYPE.STRING_ARRAY) return undefined;
  return readStrings(h.data, e.offset, e.count);
}

/** An INT32 tag as unsigned numbers; the bounds were checked by parseHeader. */
export function headerInt32Array(h: RpmHeader, tag: number): number[] | undefined {
  const e = h.entries.get(tag);
  if (!e || e.type !== RPM_TYPE.INT32) return undefined;
  return Array.from({ length: e.count }, (_, i) => h.data.readUInt32BE(e.offset + i * 4));
}

function readStrings(data: Buffer, offset: number, count: number): string[] | undefined {
  const out: string[] = [];
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const end = data.indexOf(0, pos);
    if (end < 0) return undefined;
    out.push(data.toString('utf8', pos, end));
    pos = end + 1;
  }
  return out;
}
