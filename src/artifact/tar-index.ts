import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Compression, createDecompressor, detectCompression } from '../layer/compression.ts';
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
  type TarEntryType,
} from '../layer/tar-header.ts';
import { BollardError, toBollardError } from '../util/errors.ts';
import type { Limits } from '../util/limits.ts';
import type { Progress } from '../util/progress.ts';
import type { TempRoot } from '../util/tempdir.ts';
import type { ArtifactOptions } from './types.ts';

/**
 * Random access to an uncompressed tar file: one pass over the headers with positional reads builds
 * a name → entry map, then entries are read in place. Used for OCI and Docker archives, which hold a
 * few large blobs that must be streamed without extracting the archive.
 */

export type { TarEntryType } from '../layer/tar-header.ts';

export interface TarIndexEntry {
  /** Normalised name: no leading `/` or `./`, no `.`/`..` components, no trailing `/`. */
  name: string;
  /** Offset of the entry's data in the archive file. */
  offset: number;
  /** Size of the entry's data in bytes (0 for links and directories). */
  size: number;
  type: TarEntryType;
  /** Symlink target as written, or the normalised name a hard link points to. */
  linkTarget?: string;
}

export type TarWarn = (message: string, fields: Record<string, unknown>) => void;

export interface TarIndexOptions {
  limits: Pick<Limits, 'maxEntriesPerLayer' | 'maxPathBytes' | 'maxSymlinkHops'>;
  /** Called for each record that is skipped (escaping names, duplicates, a missing end marker). */
  warn?: TarWarn;
  /** What the archive is, for messages (default: the file path). */
  what?: string;
}

export interface TarIndex {
  readonly path: string;
  /** Size of the archive file in bytes. */
  readonly size: number;
  readonly entries: ReadonlyMap<string, TarIndexEntry>;
  /**
   * The entry `name` designates, following symlinks and hard links by name inside the archive only.
   * Undefined when absent; throws PATH_ESCAPE when the name or a link leads outside the archive and
   * LIMIT_EXCEEDED after `maxSymlinkHops` links.
   */
  resolve(name: string): TarIndexEntry | undefined;
  /** The content of a regular file, refused with LIMIT_EXCEEDED when larger than `max`. */
  readBuffer(name: string, max: number): Promise<Buffer>;
  /** A stream of a regular file's content, read in place. */
  createReadStream(name: string): Readable;
  close(): Promise<void>;
}

const BLOCK = 512;
const WINDOW = 64 * 1024;

/**
 * Normalise an entry or link name the way tar extractors do (`./a//b/` → `a/b`, `/a` → `a`).
 * Returns `''` for the archive root and undefined when `..` would climb above it.
 */
export function normaliseTarName(name: string): string | undefined {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/** Does this 512-byte block look like a tar header (a valid checksum)? Used to sniff files. */
export function looksLikeTar(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  if (isZeroBlock(block.subarray(0, BLOCK))) return false;
  return checksumOk(block.subarray(0, BLOCK));
}

/** Compression of a whole archive from its first bytes (undefined for a plain tar). */
export function sniffCompression(head: Buffer): Exclude<Compression, 'none'> | undefined {
  const c = detectCompression(head);
  return c === 'none' ? undefined : c;
}

export async function openTarIndex(path: string, opts: TarIndexOptions): Promise<TarIndex> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw toBollardError(e, `cannot open ${path}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new BollardError('TARGET_UNRECOGNISED', `${path} is not a regular file`);
    const entries = await scan(fh, st.size, opts);
    return makeIndex(fh, path, st.size, entries, opts);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export interface OpenArchiveOptions extends TarIndexOptions {
  limits: TarIndexOptions['limits'] & Pick<Limits, 'maxSpoolBytes'>;
  tempRoot: TempRoot;
  progress?: Progress;
}

/** openArchive with an image source's options: its limits, temp root, progress and logger. */
export function openImageArchive(where: string, opts: ArtifactOptions): Promise<TarIndex> {
  return openArchive(where, {
    limits: opts.limits,
    tempRoot: opts.tempRoot,
    progress: opts.progress,
    what: where,
    warn: (msg, fields) => opts.logger.warn(msg, fields),
  });
}

/**
 * Index a tar archive that may be gzip- or zstd-compressed as a whole: a compressed archive is
 * decompressed once into the private temp root (bounded by `maxSpoolBytes`) and the copy is
 * indexed; closing the index deletes the copy.
 */
export async function openArchive(path: string, opts: OpenArchiveOptions): Promise<TarIndex> {
  const head = await readHead(path, 4);
  const compression = sniffCompression(head);
  if (!compression) return openTarIndex(path, opts);
  const spool = opts.tempRoot.file(`archive-${compression}.tar`);
  try {
    await decompressTo(path, spool, compression, opts);
    const tarHead = await readHead(spool, BLOCK);
    if (!looksLikeTar(tarHead)) {
      throw new BollardError(
        'TARGET_UNRECOGNISED',
        `${path} is ${compression}-compressed but does not hold a tar archive`,
      );
    }
    const index = await openTarIndex(spool, { ...opts, what: opts.what ?? path });
    const close = index.close;
    return {
      path: index.path,
      size: index.size,
      entries: index.entries,
      resolve: index.resolve,
      readBuffer: index.readBuffer,
      createReadStream: index.createReadStream,
      async close() {
        await close();
        await rm(spool, { force: true });
      },
    };
  } catch (e) {
    await rm(spool, { force: true });
    throw e;
  }
}

/** The first `n` bytes of a file (fewer when it is shorter). */
export async function readHead(path: string, n: number): Promise<Buffer> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw toBollardError(e, `cannot open ${path}`);
  }
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function decompressTo(
  src: string,
  dest: string,
  compression: Exclude<Compression, 'none'>,
  opts: OpenArchiveOptions,
): Promise<void> {
  const max = opts.limits.maxSpoolBytes;
  const task = opts.progress?.task(`decompress ${compression} archive`, undefined, 'bytes');
  let total = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      total += chunk.length;
      if (total > max) {
        cb(new BollardError('LIMIT_EXCEEDED', `${src} decompresses to more than ${max} bytes (maxSpoolBytes)`));
        return;
      }
      task?.update(total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      createReadStream(src),
      createDecompressor(compression),
      bound,
      createWriteStream(dest, { flags: 'wx', mode: 0o600 }),
    );
    task?.done();
  } catch (e) {
    task?.fail();
    if (e instanceof BollardError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new BollardError('ARCHIVE_INVALID', `${src}: ${compression} data is corrupt or truncated`, { cause: e });
    }
    throw toBollardError(e, `cannot decompress ${src}`);
  }
}

interface Pending {
  longName?: string;
  longLink?: string;
  paxPath?: string;
  paxLinkpath?: string;
  paxSize?: number;
}

/** Walk the headers: only header blocks (and GNU/PAX metadata records) are read, never entry data. */
async function scan(fh: FileHandle, fileSize: number, opts: TarIndexOptions): Promise<Map<string, TarIndexEntry>> {
  const what = opts.what ?? 'tar archive';
  const { maxEntriesPerLayer, maxPathBytes } = opts.limits;
  const paxMax = 64 * 1024 + 2 * maxPathBytes;
  const warn = opts.warn ?? (() => {});
  const entries = new Map<string, TarIndexEntry>();
  let window = Buffer.alloc(0);
  let windowStart = 0;
  const readAt = async (pos: number, len: number): Promise<Buffer> => {
    if (pos >= windowStart && pos + len <= windowStart + window.length) {
      return window.subarray(pos - windowStart, pos - windowStart + len);
    }
    const want = Math.max(len, WINDOW);
    const buf = Buffer.alloc(Math.min(want, fileSize - pos));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    window = buf.subarray(0, got);
    windowStart = pos;
    if (got < len) throw truncated(what, pos);
    return window.subarray(0, len);
  };

  let pos = 0;
  let records = 0;
  let pending: Pending = {};
  for (;;) {
    if (pos === fileSize) {
      warn('tar archive has no end-of-archive marker', { archive: what });
      break;
    }
    if (pos + BLOCK > fileSize) throw truncated(what, pos);
    const header = await readAt(pos, BLOCK);
    if (isZeroBlock(header)) break;
    if (!checksumOk(header)) {
      throw new BollardError('ARCHIVE_INVALID', `${what}: bad tar header checksum at offset ${pos}`);
    }
    if (++records > maxEntriesPerLayer) {
      throw new BollardError('LIMIT_EXCEEDED', `${what} has more than ${maxEntriesPerLayer} entries`);
    }
    const typeflag = headerFlag(header);
    const headerSize = at(pos, () => readTarNumber(header, 124, 12));
    const isMeta = typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g';
    const size = !isMeta && pending.paxSize !== undefined ? pending.paxSize : headerSize;
    const dataStart = pos + BLOCK;
    const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (dataStart + size > fileSize) throw truncated(what, pos);

    if (typeflag === 'L' || typeflag === 'K') {
      if (size > maxPathBytes + 1) {
        throw new BollardError(
          'LIMIT_EXCEEDED',
          `${what}: a name at offset ${pos} is longer than ${maxPathBytes} bytes`,
        );
      }
      const value = cString(await readAt(dataStart, size));
      if (typeflag === 'L') pending.longName = value;
      else pending.longLink = value;
      pos = next;
      continue;
    }
    if (typeflag === 'x' || typeflag === 'g') {
      if (size > paxMax) {
        throw new BollardError('LIMIT_EXCEEDED', `${what}: PAX header at offset ${pos} is larger than ${paxMax} bytes`);
      }
      // Global headers rarely carry names; their attributes are not applied.
      if (typeflag === 'x') {
        const data = await readAt(dataStart, size);
        const pax = at(pos, () => parsePaxRecords(data));
        pending.paxPath = pax.get('path') ?? pending.paxPath;
        pending.paxLinkpath = pax.get('linkpath') ?? pending.paxLinkpath;
        pending.paxSize = at(pos, () => paxNumber(pax, 'size')) ?? pending.paxSize;
      }
      pos = next;
      continue;
    }

    const rawName = pending.paxPath ?? pending.longName ?? headerName(header);
    const rawLink = pending.paxLinkpath ?? pending.longLink ?? headerLinkname(header);
    pending = {};
    pos = next;
    if (Buffer.byteLength(rawName) > maxPathBytes || Buffer.byteLength(rawLink) > maxPathBytes) {
      throw new BollardError('LIMIT_EXCEEDED', `${what}: an entry name is longer than ${maxPathBytes} bytes`);
    }
    const name = normaliseTarName(rawName);
    if (name === undefined || rawName.includes('\0')) {
      warn('skipped tar entry whose name leaves the archive', { archive: what, name: rawName.slice(0, 200) });
      continue;
    }
    if (name === '') continue; // the root directory itself
    const type = entryType(typeflag);
    const entry: TarIndexEntry = { name, offset: dataStart, size: type === 'file' ? size : 0, type };
    if (type === 'symlink') entry.linkTarget = rawLink;
    if (type === 'hardlink') {
      const target = normaliseTarName(rawLink);
      if (!target) {
        warn('skipped tar hard link whose target leaves the archive', { archive: what, name, target: rawLink });
        continue;
      }
      entry.linkTarget = target;
    }
    if (entries.has(name) && !(type === 'dir' && entries.get(name)?.type === 'dir'))
      warn('duplicate tar entry, the last one wins', { archive: what, name });
    entries.set(name, entry);
  }
  return entries;
}

function makeIndex(
  fh: FileHandle,
  path: string,
  size: number,
  entries: Map<string, TarIndexEntry>,
  opts: TarIndexOptions,
): TarIndex {
  const what = opts.what ?? path;
  const maxHops = opts.limits.maxSymlinkHops;

  function resolve(name: string): TarIndexEntry | undefined {
    const start = normaliseTarName(name);
    if (start === undefined)
      throw new BollardError('PATH_ESCAPE', `${what}: "${name.slice(0, 200)}" leaves the archive`);
    let hops = 0;
    let todo = start === '' ? [] : start.split('/');
    let done: string[] = [];
    while (todo.length > 0) {
      const part = todo.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (done.length === 0) {
          throw new BollardError('PATH_ESCAPE', `${what}: a link in "${name.slice(0, 200)}" leads outside the archive`);
        }
        done.pop();
        continue;
      }
      const here = [...done, part].join('/');
      const e = entries.get(here);
      if (e?.type === 'symlink' || e?.type === 'hardlink') {
        if (++hops > maxHops) {
          throw new BollardError(
            'LIMIT_EXCEEDED',
            `${what}: more than ${maxHops} links resolving "${name.slice(0, 200)}"`,
          );
        }
        const target = e.linkTarget ?? '';
        // Hard link targets are archive names; symlink targets are relative to the link's directory.
        if (e.type === 'hardlink' || target.startsWith('/')) done = [];
        todo = [...target.split('/'), ...todo];
        continue;
      }
      done.push(part);
    }
    return entries.get(done.join('/'));
  }

  function fileEntry(name: string): TarIndexEntry {
    const e = resolve(name);
    if (!e) throw new BollardError('TARGET_NOT_FOUND', `${what} has no entry "${name.slice(0, 200)}"`);
    if (e.type !== 'file') throw new BollardError('ARCHIVE_INVALID', `${what}: "${name.slice(0, 200)}" is not a file`);
    return e;
  }

  return {
    path,
    size,
    entries,
    resolve,
    async readBuffer(name: string, max: number): Promise<Buffer> {
      const e = fileEntry(name);
      if (e.size > max) {
        throw new BollardError('LIMIT_EXCEEDED', `${what}: "${e.name}" is ${e.size} bytes, over the limit of ${max}`);
      }
      const buf = Buffer.alloc(e.size);
      let got = 0;
      while (got < e.size) {
        const { bytesRead } = await fh.read(buf, got, e.size - got, e.offset + got);
        if (bytesRead === 0) throw truncated(what, e.offset);
        got += bytesRead;
      }
      return buf;
    },
    createReadStream(name: string): Readable {
      const e = fileEntry(name);
      if (e.size === 0) return Readable.from([]);
      // Reads through the handle opened at indexing time: a file swapped on disk later is not read.
      return fh.createReadStream({ start: e.offset, end: e.offset + e.size - 1, autoClose: false });
    },
    async close(): Promise<void> {
      await fh.close();
    },
  };
}

/** Run a header decoder, naming the archive and offset in its error. */
function at<T>(pos: number, decode: () => T, what = 'tar archive'): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof BollardError)
      throw new BollardError(e.code, `${what}: ${e.message} at offset ${pos}`, { cause: e });
    throw e;
  }
}

function truncated(what: string, pos: number): BollardError {
  return new BollardError('ARCHIVE_INVALID', `${what} is truncated (an entry at offset ${pos} runs past the end)`);
}
