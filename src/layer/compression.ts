import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { BollardError } from '../util/errors.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Detect compression from the first bytes: gzip `1f 8b`, zstd frame `28 b5 2f fd`, else plain tar. */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export function createDecompressor(c: Exclude<Compression, 'none'>): Transform {
  return c === 'gzip' ? createGunzip({ chunkSize: 128 * 1024 }) : createZstdDecompress({ chunkSize: 128 * 1024 });
}

/**
 * Decompress a stream whose compression is known only from its magic bytes (media types lie, and
 * docker-archive layers carry none). Nothing is buffered beyond the first chunk.
 */
export async function decompressAuto(raw: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < 4) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
  }
  if (head.length === 0) throw new BollardError('ARCHIVE_INVALID', 'layer is empty (0 bytes)');
  const compression = detectCompression(head);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield head;
      for (;;) {
        if (ended) return;
        const r = await it.next();
        if (r.done) {
          ended = true;
          return;
        }
        yield r.value;
      }
    } finally {
      // Stopped early (consumer gone or error): release the source.
      if (!ended) await it.return?.();
    }
  }
  const source = Readable.from(replay(), { objectMode: false, highWaterMark: 256 * 1024 });
  if (compression === 'none') return { compression, stream: source };
  const d = createDecompressor(compression);
  pipeline(source, d).catch((e: unknown) => {
    d.destroy(
      e instanceof BollardError
        ? e
        : new BollardError(
            'ARCHIVE_INVALID',
            `${compression} stream is corrupt or truncated: ${(e as Error).message}`,
            {
              cause: e,
            },
          ),
    );
  });
  return { compression, stream: d };
}
