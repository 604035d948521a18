import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BollardError } from '../../util/errors.ts';
import { defaultLimits, type Limits } from '../../util/limits.ts';

/**
 * Bounds for vulnerability feeds. Derived from the project's `Limits` (so `--limit` overrides
 * apply) with feed-specific values where a layer bound does not fit a feed.
 */
export interface FeedLimits {
  /** Largest single record (OSV JSON/YAML file or zip entry), in bytes. */
  maxRecordBytes: number;
  maxJsonDepth: number;
  /** Largest whole feed file read into memory (tracker JSON, KEV, EPSS, secdb), in bytes. */
  maxFeedBytes: number;
  /** Most entries in one zip, and most files walked in one directory tree. */
  maxEntries: number;
  /** Most uncompressed bytes read from one zip. */
  maxZipBytes: number;
  /** Largest uncompressed/compressed ratio of a zip entry, checked once it passes `ratioFloorBytes`. */
  maxCompressionRatio: number;
  ratioFloorBytes: number;
  /** Largest download (a zip, a feed), in bytes. */
  maxDownloadBytes: number;
}

const MiB = 1024 * 1024;

export function feedLimits(limits: Limits = defaultLimits, overrides: Partial<FeedLimits> = {}): FeedLimits {
  return {
    maxRecordBytes: limits.maxJsonBytes,
    maxJsonDepth: limits.maxJsonDepth,
    maxFeedBytes: limits.maxFileBytes,
    maxEntries: limits.maxEntriesPerLayer,
    maxZipBytes: limits.maxLayerBytes,
    maxCompressionRatio: limits.maxCompressionRatio,
    // Records are small: a ratio check from 1 MiB on catches a bomb long before the byte caps.
    ratioFloorBytes: Math.min(limits.ratioFloorBytes, MiB),
    maxDownloadBytes: limits.maxLayerCompressedBytes,
    ...overrides,
  };
}

/** Skipped records counted by reason; `warn` sees each skip (for debug logs), never a stack trace. */
export interface SkipCounter {
  readonly counts: Record<string, number>;
  skip(reason: string, detail?: string): void;
}

export function createSkipCounter(warn?: (reason: string, detail?: string) => void): SkipCounter {
  const counts: Record<string, number> = {};
  return {
    counts,
    skip(reason, detail) {
      counts[reason] = (counts[reason] ?? 0) + 1;
      warn?.(reason, detail);
    },
  };
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Read a whole feed file, refusing one over the bound; `.gz` content is gunzipped with the same bound. */
export function readFeedFile(path: string, limits: FeedLimits): { data: Buffer; digest: string } {
  let size: number;
  try {
    const st = lstatSync(path);
    if (!st.isFile()) throw new BollardError('FEED_INVALID', `${path} is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof BollardError) throw e;
    throw new BollardError('TARGET_NOT_FOUND', `${path}: ${(e as Error).message}`, { cause: e });
  }
  if (size > limits.maxFeedBytes) {
    throw new BollardError('LIMIT_EXCEEDED', `${path} is ${size} bytes, over the feed limit of ${limits.maxFeedBytes}`);
  }
  const raw = readFileSync(path);
  return { data: maybeGunzip(raw, path, limits), digest: sha256(raw) };
}

export function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export function maybeGunzip(raw: Buffer, what: string, limits: FeedLimits): Buffer {
  if (!isGzip(raw)) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: limits.maxFeedBytes });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|buffer/i.test((e as Error).message)) {
      throw new BollardError('LIMIT_EXCEEDED', `${what} decompresses to more than ${limits.maxFeedBytes} bytes`);
    }
    throw new BollardError('FEED_INVALID', `${what}: not a readable gzip stream`, { cause: e });
  }
}

export interface WalkedFile {
  path: string;
  /** Path relative to the walked root, with `/` separators. */
  rel: string;
  size: number;
}

/** Regular files under `root`, sorted, never following symlinks, at most `maxEntries`. */
export function walkFiles(root: string, limits: FeedLimits, skips?: SkipCounter): WalkedFile[] {
  const out: WalkedFile[] = [];
  const stack = [root];
  let seen = 0;
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (++seen > limits.maxEntries) {
        throw new BollardError('LIMIT_EXCEEDED', `${root} holds more than ${limits.maxEntries} entries`);
      }
      const p = join(dir, d.name);
      if (d.isSymbolicLink()) {
        skips?.skip('symlink', p);
        continue;
      }
      if (d.isDirectory()) stack.push(p);
      else if (d.isFile()) {
        out.push({ path: p, rel: relative(root, p).split(sep).join('/'), size: lstatSync(p).size });
      }
    }
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Digest of a directory: sha256 over the sorted `<rel> <sha256>` lines of its files. */
export function treeDigest(lines: readonly string[]): string {
  return sha256([...lines].sort().join('\n'));
}

/** A minimal RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF), row by row. */
export function* csvRows(text: string): Generator<string[]> {
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      yield row;
      row = [];
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    yield row;
  }
}

/** Text of a feed, with a UTF-8 BOM removed. */
export function feedText(data: Buffer): string {
  const s = data.toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

export const CVE_RE = /^CVE-\d{4}-\d{4,}$/;
