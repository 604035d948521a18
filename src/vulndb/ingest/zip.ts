import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { BollardError } from '../../util/errors.ts';
import type { FeedLimits, SkipCounter } from './common.ts';

export interface ZipRecord {
  /** Entry name as stored (decoded as UTF-8, never used as a path on disk). */
  name: string;
  data: Buffer;
}

/**
 * Entries of a zip, read into memory one at a time and never extracted. Unsafe names (absolute,
 * `..`, backslashes, drive letters) are skipped and counted; a zip that breaks a bound (entry
 * count, entry size, total size, compression ratio) is refused whole with LIMIT_EXCEEDED, and
 * one that cannot be read with FEED_INVALID.
 */
export async function* zipRecords(
  path: string,
  limits: FeedLimits,
  skips: SkipCounter,
  accept: (name: string) => boolean,
): AsyncGenerator<ZipRecord> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, {
      lazyEntries: true,
      autoClose: true,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (e) {
    throw new BollardError('FEED_INVALID', `${path} is not a readable zip: ${(e as Error).message}`, { cause: e });
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${path} holds ${zip.entryCount} entries, over the limit of ${limits.maxEntries}`,
    );
  }
  let total = 0;
  let finished = false;
  try {
    for await (const entry of zip.eachEntry()) {
      const raw: unknown = entry.fileName;
      const name = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
      if (name.endsWith('/')) continue;
      if (!safeEntryName(name)) {
        skips.skip('unsafe-path', name.slice(0, 200));
        continue;
      }
      if (!accept(name)) {
        skips.skip('not-a-record', name.slice(0, 200));
        continue;
      }
      if (entry.uncompressedSize > limits.maxRecordBytes) {
        throw new BollardError(
          'LIMIT_EXCEEDED',
          `${path}: entry ${name.slice(0, 200)} declares ${entry.uncompressedSize} bytes, over the record limit of ${limits.maxRecordBytes}`,
        );
      }
      let stream: Readable;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch (e) {
        throw new BollardError(
          'FEED_INVALID',
          `${path}: entry ${name.slice(0, 200)} cannot be read: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      const data = await readEntry(stream, path, name, entry.compressedSize, limits, total);
      total += data.length;
      yield { name, data };
    }
    finished = true;
  } catch (e) {
    if (e instanceof BollardError) throw e;
    throw new BollardError('FEED_INVALID', `${path} is not a readable zip: ${(e as Error).message}`, { cause: e });
  } finally {
    if (!finished) zip.close();
  }
}

async function readEntry(
  stream: Readable,
  path: string,
  name: string,
  compressed: number,
  limits: FeedLimits,
  totalSoFar: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      n += b.length;
      // Bounds are checked on the bytes actually inflated: headers can lie.
      if (n > limits.maxRecordBytes) {
        throw new BollardError(
          'LIMIT_EXCEEDED',
          `${path}: entry ${name.slice(0, 200)} inflates to more than ${limits.maxRecordBytes} bytes (zip bomb?)`,
        );
      }
      if (n > limits.ratioFloorBytes && n / Math.max(1, compressed) > limits.maxCompressionRatio) {
        throw new BollardError(
          'LIMIT_EXCEEDED',
          `${path}: entry ${name.slice(0, 200)} inflates more than ${limits.maxCompressionRatio} times (zip bomb?)`,
        );
      }
      if (totalSoFar + n > limits.maxZipBytes) {
        throw new BollardError('LIMIT_EXCEEDED', `${path} inflates to more than ${limits.maxZipBytes} bytes`);
      }
      chunks.push(b);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof BollardError) throw e;
    throw new BollardError('FEED_INVALID', `${path}: entry ${name.slice(0, 200)} is corrupt: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return Buffer.concat(chunks, n);
}

/** A relative name without `..` segments, backslashes, NUL or a drive letter. */
export function safeEntryName(name: string): boolean {
  if (name === '' || name.startsWith('/') || name.includes('\\') || name.includes('\0')) return false;
  if (/^[A-Za-z]:/.test(name)) return false;
  return !name.split('/').some((s) => s === '..');
}
