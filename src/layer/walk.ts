import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { type ExtractEvents, extract, type Header } from 'tar-stream';
import type { LayerAnalysis } from '../analyzers/types.ts';
import type { LayerRef } from '../artifact/types.ts';
import { DigestingStream } from '../util/digest.ts';
import { BollardError, isBollardError } from '../util/errors.ts';
import type { Limits } from '../util/limits.ts';
import type { ProgressTask } from '../util/progress.ts';
import { type Compression, decompressAuto } from './compression.ts';
import type { LayerDispatcher } from './dispatch.ts';
import { normaliseEntryPath } from './path.ts';
import type { EntryType, LayerEntry } from './types.ts';
import { classifyWhiteout } from './whiteout.ts';

/** The per-entry stream tar-stream hands out (a streamx Readable). */
type EntryStream = ExtractEvents['entry'][1];

export interface WalkResult {
  analysis: LayerAnalysis;
  compression: Compression;
  compressedBytes: number;
  bytes: number;
}

/**
 * One streaming pass over a layer blob: verify the blob digest (when known) and the diffID while
 * decompressing, enforce the size, ratio and entry limits, and hand every entry to the dispatcher.
 * Only the files an analyzer asked for are read into memory, one at a time.
 */
export async function walkLayer(
  raw: Readable,
  layer: LayerRef,
  dispatcher: LayerDispatcher,
  limits: Limits,
  progress?: ProgressTask,
  signal?: AbortSignal,
): Promise<WalkResult> {
  const what = `layer ${layer.index} (${layer.diffId.slice(0, 19)})`;
  const onAbort = (): void => {
    raw.destroy(signal?.reason instanceof Error ? signal.reason : new BollardError('TIMEOUT', `${what}: aborted`));
  };
  signal?.throwIfAborted();
  signal?.addEventListener('abort', onAbort, { once: true });
  const compressed = new DigestingStream({ ...(layer.digest ? { expected: layer.digest } : {}), what: `${what} blob` });
  raw.on('error', (e) => compressed.destroy(e));
  raw.pipe(compressed);
  if (progress) compressed.on('data', (c: Buffer) => progress.advance(c.length));
  let compression: Compression = 'none';
  const meter = new MeterStream(limits, () => compressed.bytes, what);
  const uncompressed = new DigestingStream({ expected: layer.diffId, what: `${what} content (diffID)` });
  try {
    const d = await decompressAuto(compressed);
    compression = d.compression;
    d.stream.on('error', (e) => meter.destroy(e));
    meter.on('error', (e) => uncompressed.destroy(e));
    d.stream.pipe(meter).pipe(uncompressed);
    await walkTar(uncompressed, dispatcher, limits, what);
  } catch (e) {
    raw.destroy();
    if (signal?.aborted) throw signal.reason;
    throw mapWalkError(e, what);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return { analysis: dispatcher.finish(), compression, compressedBytes: compressed.bytes, bytes: uncompressed.bytes };
}

/** Walk an uncompressed tar stream (already verified upstream or not) into the dispatcher. */
export function walkTar(tarStream: Readable, dispatcher: LayerDispatcher, limits: Limits, what: string): Promise<void> {
  // Accept pre-POSIX (v7) headers too: the checksum still guards against garbage.
  const extractOptions: Record<string, unknown> = { allowUnknownFormat: true };
  const ex = extract(extractOptions);
  let entries = 0;
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      tarStream.destroy();
      ex.destroy();
      reject(e);
    };
    tarStream.on('error', fail);
    ex.on('error', fail);
    ex.on('finish', () => {
      // The tar end marker may come before the end of the stream: the diffID covers every byte,
      // so wait until the source itself has ended (tar-stream keeps consuming trailing blocks).
      if (tarStream.readableEnded) resolve();
      else tarStream.once('end', resolve);
    });
    ex.on('entry', (header, stream, next) => {
      entries++;
      if (entries > limits.maxEntriesPerLayer) {
        stream.resume();
        fail(new BollardError('LIMIT_EXCEEDED', `${what} has more than ${limits.maxEntriesPerLayer} entries`));
        return;
      }
      handleEntry(header, stream, dispatcher, limits).then(
        () => next(),
        (e: unknown) => {
          stream.resume();
          fail(e);
        },
      );
    });
    tarStream.pipe(ex);
  });
}

async function handleEntry(header: Header, stream: EntryStream, d: LayerDispatcher, limits: Limits): Promise<void> {
  const type = entryType(header.type);
  const rawName = header.name;
  if (Buffer.byteLength(rawName) > limits.maxPathBytes) {
    d.warn(
      'PATH_TOO_LONG',
      `entries with paths longer than ${limits.maxPathBytes} bytes were skipped`,
      rawName.slice(0, 120),
    );
    return drain(stream);
  }
  const path = normaliseEntryPath(rawName);
  if (path === undefined) {
    d.warn('PATH_ESCAPE', 'entries whose path climbs out of the image root (..) were skipped', rawName.slice(0, 200));
    return drain(stream);
  }
  if (path === '') return drain(stream); // the root directory itself
  const entry: LayerEntry = {
    path,
    type,
    mode: header.mode ?? 0,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    size: type === 'file' ? (header.size ?? 0) : 0,
  };
  if (type === 'symlink' && header.linkname) entry.linkTarget = header.linkname;
  if (type === 'hardlink' && header.linkname) {
    const target = normaliseEntryPath(header.linkname);
    if (target === undefined || target === '') {
      d.warn('LINK_ESCAPE', 'hard links pointing outside the image root were skipped', rawName.slice(0, 200));
      return drain(stream);
    }
    entry.linkTarget = target;
  }
  const wo = classifyWhiteout(path);
  if (wo.kind === 'whiteout') {
    d.whiteout(wo.target);
    return drain(stream);
  }
  if (wo.kind === 'opaque') {
    d.opaque(wo.dir);
    return drain(stream);
  }
  if (wo.kind === 'meta') return drain(stream);
  d.count(entry);
  if (type !== 'file' && type !== 'symlink' && type !== 'hardlink') return drain(stream);
  const analyzers = d.wanted(entry);
  if (analyzers.length === 0) return drain(stream);
  if (type !== 'file') {
    d.link(entry);
    return drain(stream);
  }
  const max = d.maxBytes(analyzers);
  if (entry.size > max) {
    d.warn('FILE_TOO_LARGE', `files larger than the analyzers' limit were skipped (limit ${max} bytes)`, path);
    return drain(stream);
  }
  const content = await readAll(stream, entry.size);
  await d.file(entry, content, analyzers);
}

function entryType(t: Header['type']): EntryType {
  switch (t) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

function drain(stream: EntryStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
    stream.resume();
  });
}

async function readAll(stream: EntryStream, size: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    if (at + b.length > size) throw new BollardError('ARCHIVE_INVALID', 'tar entry is longer than its header says');
    b.copy(out, at);
    at += b.length;
  }
  if (at !== size) throw new BollardError('ARCHIVE_INVALID', 'tar entry is truncated');
  return out;
}

/** Counts decompressed bytes and stops a stream that outgrows its limits (size, ratio to compressed). */
class MeterStream extends Transform {
  bytes = 0;
  readonly #limits: Limits;
  readonly #compressedBytes: () => number;
  readonly #what: string;

  constructor(limits: Limits, compressedBytes: () => number, what: string) {
    super({ highWaterMark: 256 * 1024 });
    this.#limits = limits;
    this.#compressedBytes = compressedBytes;
    this.#what = what;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    const l = this.#limits;
    if (this.bytes > l.maxLayerBytes) {
      cb(new BollardError('LIMIT_EXCEEDED', `${this.#what} decompresses to more than ${l.maxLayerBytes} bytes`));
      return;
    }
    const c = this.#compressedBytes();
    if (this.bytes > l.ratioFloorBytes && c > 0 && this.bytes / c > l.maxCompressionRatio) {
      cb(
        new BollardError(
          'LIMIT_EXCEEDED',
          `${this.#what} expands more than ${l.maxCompressionRatio}:1 (${this.bytes} bytes from ${c}): refusing a decompression bomb`,
        ),
      );
      return;
    }
    cb(null, chunk);
  }
}

function mapWalkError(e: unknown, what: string): BollardError {
  if (isBollardError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  const msg = err?.message ?? String(e);
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of (file|data)/i.test(msg)) {
    return new BollardError('ARCHIVE_INVALID', `${what} is truncated`, { cause: e });
  }
  if (typeof err?.code === 'string' && err.code.startsWith('Z_')) {
    return new BollardError('ARCHIVE_INVALID', `${what} is not a valid compressed stream: ${msg}`, { cause: e });
  }
  if (/zstd/i.test(msg) || err?.code?.startsWith?.('ERR_ZSTD')) {
    return new BollardError('ARCHIVE_INVALID', `${what} is not a valid zstd stream: ${msg}`, { cause: e });
  }
  if (/tar header|Header exceeds|Invalid header/i.test(msg)) {
    return new BollardError('ARCHIVE_INVALID', `${what} is not a valid tar stream: ${msg}`, { cause: e });
  }
  return new BollardError('ARCHIVE_INVALID', `${what} could not be read: ${msg}`, { cause: e });
}
