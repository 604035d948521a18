import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import type { LayerAnalysis } from '../analyzers/types.ts';
import type { LayerRef } from '../artifact/types.ts';
import { DigestingStream } from '../util/digest.ts';
import { BollardError, isBollardError } from '../util/errors.ts';
import type { Limits } from '../util/limits.ts';
import type { ProgressTask } from '../util/progress.ts';
import { type Compression, decompressAuto } from './compression.ts';
import type { LayerDispatcher } from './dispatch.ts';
import { normaliseEntryPath } from './path.ts';
import { readTar, type TarHeader } from './tar.ts';
import type { EntryType, LayerEntry } from './types.ts';
import { classifyWhiteout } from './whiteout.ts';

/** What one layer walk produced, with the byte counts it measured. */
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

/** Walk an uncompressed tar stream into the dispatcher. */
export async function walkTar(
  tarStream: Readable,
  dispatcher: LayerDispatcher,
  limits: Limits,
  what: string,
): Promise<void> {
  let entries = 0;
  await readTar(tarStream, (header) => {
    if (++entries > limits.maxEntriesPerLayer) {
      throw new BollardError('LIMIT_EXCEEDED', `${what} has more than ${limits.maxEntriesPerLayer} entries`);
    }
    return handleEntry(header, dispatcher, limits);
  });
}

type Receiver = ((content: Buffer) => Promise<void>) | undefined;

function handleEntry(header: TarHeader, d: LayerDispatcher, limits: Limits): Receiver {
  const rawName = header.name;
  if (rawName.length > limits.maxPathBytes || Buffer.byteLength(rawName) > limits.maxPathBytes) {
    d.warn(
      'PATH_TOO_LONG',
      `entries with paths longer than ${limits.maxPathBytes} bytes were skipped`,
      rawName.slice(0, 120),
    );
    return undefined;
  }
  const path = normaliseEntryPath(rawName);
  if (path === undefined) {
    d.warn('PATH_ESCAPE', 'entries whose path climbs out of the image root (..) were skipped', rawName.slice(0, 200));
    return undefined;
  }
  if (path === '') return undefined; // the root directory itself
  const type = entryType(header.type);
  const entry: LayerEntry = {
    path,
    type,
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    size: type === 'file' ? header.size : 0,
  };
  if (type === 'symlink') entry.linkTarget = header.linkname;
  if (type === 'hardlink') {
    const target = normaliseEntryPath(header.linkname);
    if (target === undefined || target === '') {
      d.warn('LINK_ESCAPE', 'hard links pointing outside the image root were skipped', rawName.slice(0, 200));
      return undefined;
    }
    entry.linkTarget = target;
  }
  const wo = classifyWhiteout(path);
  if (wo.kind === 'whiteout') {
    d.whiteout(wo.target);
    return undefined;
  }
  if (wo.kind === 'opaque') {
    d.opaque(wo.dir);
    return undefined;
  }
  if (wo.kind === 'meta') return undefined;
  d.count(entry);
  // Headers only: metadata-only analyzers never make the walker read an entry's body.
  d.header(entry);
  if (type !== 'file' && type !== 'symlink' && type !== 'hardlink') return undefined;
  if (type !== 'file') {
    if (d.wanted(entry).length > 0) d.link(entry);
    return undefined;
  }
  const claim = d.claim(entry);
  return claim ? (content) => d.file(entry, content, claim.analyzers) : undefined;
}

function entryType(t: TarHeader['type']): EntryType {
  switch (t) {
    case 'file':
      return 'file';
    case 'dir':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'hardlink':
      return 'hardlink';
    default:
      return 'other';
  }
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
    if (c > l.maxLayerCompressedBytes) {
      cb(new BollardError('LIMIT_EXCEEDED', `${this.#what} blob is larger than ${l.maxLayerCompressedBytes} bytes`));
      return;
    }
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
  if (isBollardError(e)) {
    if (e.code === 'ARCHIVE_INVALID' && !e.message.startsWith(what)) {
      return new BollardError('ARCHIVE_INVALID', `${what}: ${e.message}`, { cause: e });
    }
    return e;
  }
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
  return new BollardError('ARCHIVE_INVALID', `${what} could not be read: ${msg}`, { cause: e });
}
