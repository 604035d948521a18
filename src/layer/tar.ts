import type { Readable } from 'node:stream';
import { BollardError } from '../util/errors.ts';

/**
 * A streaming tar reader built for the layer walk: entries that nobody wants are skipped by
 * advancing an offset (no per-entry stream objects), wanted ones are collected into one Buffer.
 * Reads ustar, GNU (long names `L`/`K`, base-256 numbers) and PAX (`path`, `linkpath`, `size`,
 * `uid`, `gid`) headers, as Docker and podman write them.
 */
export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'dir' | 'char' | 'block' | 'fifo' | 'other';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname: string;
}

/**
 * Called for every entry. Return a function to receive the entry's whole content (called before the
 * next entry is read; the stream waits while it runs), or undefined to skip the content.
 */
export type TarEntryHandler = (header: TarHeader) => ((content: Buffer) => void | Promise<void>) | undefined;

const BLOCK = 512;
/** Largest PAX or GNU long-name record accepted (real ones are a few hundred bytes). */
const MAX_META_BYTES = 1024 * 1024;

export async function readTar(stream: Readable, onEntry: TarEntryHandler): Promise<void> {
  const chunks: Buffer[] = [];
  let buffered = 0;
  let ended = false;
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;

  /** Ensure at least `n` bytes are buffered; false at the end of the stream. */
  const fill = async (n: number): Promise<boolean> => {
    while (buffered < n) {
      if (ended) return false;
      const r = await it.next();
      if (r.done) {
        ended = true;
        return false;
      }
      if (r.value.length === 0) continue;
      chunks.push(r.value);
      buffered += r.value.length;
    }
    return true;
  };
  /** Take exactly `n` buffered bytes (n <= buffered). */
  const take = (n: number): Buffer => {
    const first = chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) chunks.shift();
      else chunks[0] = first.subarray(n);
      buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) chunks.shift();
      else chunks[0] = c.subarray(k);
    }
    buffered -= n;
    return out;
  };
  /** Discard `n` bytes, reading through the stream without keeping them. */
  const skip = async (n: number): Promise<void> => {
    let left = n;
    while (left > 0) {
      if (buffered === 0 && !(await fill(1))) throw truncated();
      while (left > 0 && chunks.length > 0) {
        const c = chunks[0]!;
        if (c.length <= left) {
          chunks.shift();
          buffered -= c.length;
          left -= c.length;
        } else {
          chunks[0] = c.subarray(left);
          buffered -= left;
          left = 0;
        }
      }
    }
  };
  const readExact = async (n: number): Promise<Buffer> => {
    if (n <= buffered) return take(n);
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      if (buffered === 0 && !(await fill(1))) throw truncated();
      const k = Math.min(buffered, n - at);
      take(k).copy(out, at);
      at += k;
    }
    return out;
  };

  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  let globalPax: Map<string, string> | undefined;

  try {
    for (;;) {
      if (!(await fill(BLOCK))) {
        if (buffered > 0) throw truncated();
        return; // end of stream without an end marker: accepted, as Docker does
      }
      const block = take(BLOCK);
      if (isZeroBlock(block)) {
        // End of archive: drain the rest (padding) so the caller's digest covers every byte.
        while (await fill(1)) take(buffered);
        return;
      }
      verifyChecksum(block);
      const flag = String.fromCharCode(block[156] ?? 0);
      let size = readNumber(block, 124, 12);
      const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > MAX_META_BYTES)
          throw new BollardError('ARCHIVE_INVALID', `tar metadata record of ${size} bytes exceeds ${MAX_META_BYTES}`);
        const data = await readExact(size);
        await skip(padded(size) - size);
        if (flag === 'L') longName = cString(data);
        else if (flag === 'K') longLink = cString(data);
        else if (flag === 'x') pax = parsePax(data, globalPax);
        else globalPax = parsePax(data, globalPax);
        continue;
      }

      let name = cString(block.subarray(0, 100));
      const magic = block.toString('latin1', 257, 263);
      if (magic.startsWith('ustar')) {
        const prefix = cString(block.subarray(345, 500));
        if (prefix && magic === 'ustar\u000000') name = `${prefix}/${name}`;
      }
      let linkname = cString(block.subarray(157, 257));
      let uid = readNumber(block, 108, 8);
      let gid = readNumber(block, 116, 8);
      const meta = pax ?? globalPax;
      if (longName !== undefined) name = longName;
      if (longLink !== undefined) linkname = longLink;
      if (meta) {
        const p = meta.get('path');
        if (p !== undefined) name = p;
        const l = meta.get('linkpath');
        if (l !== undefined) linkname = l;
        size = paxNumber(meta, 'size') ?? size;
        uid = paxNumber(meta, 'uid') ?? uid;
        gid = paxNumber(meta, 'gid') ?? gid;
      }
      longName = undefined;
      longLink = undefined;
      pax = undefined;

      const type = entryType(flag);
      // Links, directories and devices carry no data even when a header claims a size (hard links in
      // some writers do): only regular files and unknown types have content to read or skip.
      const dataSize = type === 'file' || type === 'other' ? size : 0;
      const header: TarHeader = {
        name,
        type,
        mode: readNumber(block, 100, 8) & 0o7777,
        uid,
        gid,
        size: dataSize,
        linkname,
      };
      const receive = onEntry(header);
      if (receive && dataSize >= 0) {
        const content = await readExact(dataSize);
        await skip(padded(dataSize) - dataSize);
        await receive(content);
      } else {
        await skip(padded(dataSize));
      }
    }
  } finally {
    if (!ended) await it.return?.();
  }
}

function truncated(): BollardError {
  return new BollardError('ARCHIVE_INVALID', 'tar stream is truncated');
}

function isZeroBlock(b: Buffer): boolean {
  if (b[0] !== 0 || b[148] !== 0) return false; // a real header has a name and a checksum
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function verifyChecksum(b: Buffer): void {
  const stored = readNumber(b, 148, 8);
  // The checksum field counts as eight spaces.
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += b[i]!;
  for (let i = 156; i < BLOCK; i++) sum += b[i]!;
  if (stored === sum) return;
  // Some old writers summed signed bytes.
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) signed += b[i]! > 127 ? b[i]! - 256 : b[i]!;
  if (stored !== signed) {
    throw new BollardError(
      'ARCHIVE_INVALID',
      'tar header checksum mismatch: the stream is not a tar archive or is corrupt',
    );
  }
}

/** Octal (optionally space/NUL padded) or GNU base-256 numeric field. */
function readNumber(b: Buffer, offset: number, length: number): number {
  const first = b[offset]!;
  if (first & 0x80) {
    // base-256: big-endian two's complement; we accept positive values up to 2^53.
    if (first === 0xff) throw new BollardError('ARCHIVE_INVALID', 'tar header has a negative number');
    let v = first & 0x7f;
    for (let i = 1; i < length; i++) {
      v = v * 256 + b[offset + i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw new BollardError('ARCHIVE_INVALID', 'tar header number is too large');
    }
    return v;
  }
  let v = 0;
  let i = offset;
  const end = offset + length;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw new BollardError('ARCHIVE_INVALID', 'tar header has an invalid octal number');
    v = v * 8 + (c - 0x30);
  }
  return v;
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\u0000':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
      return 'dir';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

/** PAX extended header records: `<len> <key>=<value>\n`, each length counting the whole record. */
function parsePax(data: Buffer, base: Map<string, string> | undefined): Map<string, string> {
  const out = new Map(base ?? []);
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // NUL padding after the last record
    const space = data.indexOf(0x20, at);
    if (space < 0) throw new BollardError('ARCHIVE_INVALID', 'tar PAX header is malformed');
    const len = Number.parseInt(data.toString('latin1', at, space), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > data.length) {
      throw new BollardError('ARCHIVE_INVALID', 'tar PAX header is malformed');
    }
    const record = data.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

function paxNumber(m: Map<string, string>, key: string): number | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new BollardError('ARCHIVE_INVALID', `tar PAX ${key} is not a valid number`);
  return n;
}
