import type { Readable } from 'node:stream';
import { BollardError } from '../util/errors.ts';
import {
  checksumOk,
  cString,
  entryType,
  headerFlag,
  headerLinkname,
  headerName,
  isZeroBlock,
  parsePaxRecords,
  paxNumber,
  readTarNumber,
  TAR_BLOCK,
  type TarEntryType,
} from './tar-header.ts';

/**
 * A streaming tar reader built for the layer walk: entries that nobody wants are skipped by
 * advancing an offset (no per-entry stream objects), wanted ones are collected into one Buffer.
 * Reads ustar, GNU (long names `L`/`K`, base-256 numbers) and PAX (`path`, `linkpath`, `size`,
 * `uid`, `gid`) headers, as Docker and podman write them.
 */
export type { TarEntryType } from './tar-header.ts';

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

const BLOCK = TAR_BLOCK;
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
      if (!checksumOk(block)) {
        throw new BollardError(
          'ARCHIVE_INVALID',
          'tar header checksum mismatch: the stream is not a tar archive or is corrupt',
        );
      }
      const flag = headerFlag(block);
      let size = readTarNumber(block, 124, 12);
      const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > MAX_META_BYTES)
          throw new BollardError('ARCHIVE_INVALID', `tar metadata record of ${size} bytes exceeds ${MAX_META_BYTES}`);
        const data = await readExact(size);
        await skip(padded(size) - size);
        if (flag === 'L') longName = cString(data);
        else if (flag === 'K') longLink = cString(data);
        else if (flag === 'x') pax = parsePaxRecords(data, new Map(globalPax ?? []));
        else globalPax = parsePaxRecords(data, new Map(globalPax ?? []));
        continue;
      }

      let name = headerName(block);
      let linkname = headerLinkname(block);
      let uid = readTarNumber(block, 108, 8);
      let gid = readTarNumber(block, 116, 8);
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
        mode: readTarNumber(block, 100, 8) & 0o7777,
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
