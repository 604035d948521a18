import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
} from 'node:fs';
import { join } from 'node:path';
import type { LayerDispatcher } from '../../layer/dispatch.ts';
import type { LayerEntry } from '../../layer/types.ts';
import { BollardError } from '../../util/errors.ts';
import type { Limits } from '../../util/limits.ts';
import type { ProgressTask } from '../../util/progress.ts';

export interface RootfsWalkOptions {
  progress?: ProgressTask;
  /** Entries to leave out (a skipped directory is not entered); `bollard fs` skip lists. */
  skip?: (path: string, isDir: boolean) => boolean;
}

/**
 * Walk a root filesystem the way a layer is walked: every entry is offered to the dispatcher, only
 * wanted files are read. Symlinks are never followed (they are reported as links and resolved
 * inside the root by the applier), and mount points of other file systems (`/proc`, `/sys` when
 * scanning `/`) are not entered. Returns how many entries `skip` left out.
 */
export async function walkRootfs(
  root: string,
  d: LayerDispatcher,
  limits: Limits,
  options: RootfsWalkOptions = {},
): Promise<number> {
  const { progress, skip } = options;
  const rootDev = lstatSync(root).dev;
  const stack: string[] = [''];
  let entries = 0;
  let skipped = 0;
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch (e) {
      d.warn(
        'UNREADABLE_DIR',
        'directories that could not be read were skipped',
        `${rel}: ${(e as NodeJS.ErrnoException).code}`,
      );
      continue;
    }
    for (const de of dirents) {
      const path = rel ? `${rel}/${de.name}` : de.name;
      if (++entries > limits.maxEntriesPerLayer) {
        throw new BollardError('LIMIT_EXCEEDED', `${root} has more than ${limits.maxEntriesPerLayer} entries`);
      }
      if (Buffer.byteLength(path) > limits.maxPathBytes) {
        d.warn(
          'PATH_TOO_LONG',
          `entries with paths longer than ${limits.maxPathBytes} bytes were skipped`,
          path.slice(0, 120),
        );
        continue;
      }
      if (skip?.(path, de.isDirectory())) {
        skipped++;
        continue;
      }
      const abs = join(root, path);
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(abs);
      } catch {
        continue; // vanished while walking
      }
      const entry: LayerEntry = { path, type: 'other', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0 };
      if (st.isDirectory()) {
        entry.type = 'dir';
        d.count(entry);
        d.header(entry);
        if (st.dev === rootDev) stack.push(path);
        continue;
      }
      if (st.isSymbolicLink()) {
        entry.type = 'symlink';
        try {
          entry.linkTarget = readlinkSync(abs);
        } catch {
          continue;
        }
        d.count(entry);
        d.header(entry);
        if (d.wanted(entry).length > 0) d.link(entry);
        continue;
      }
      if (!st.isFile()) {
        d.count(entry);
        d.header(entry);
        continue;
      }
      entry.type = 'file';
      entry.size = st.size;
      d.count(entry);
      d.header(entry);
      if (progress && entries % 1024 === 0) progress.update(entries);
      const claim = d.claim(entry);
      if (!claim) continue;
      const content = readRegularFile(abs, claim.maxBytes);
      if (content === undefined) {
        d.skip(entry, claim.analyzers, 'UNREADABLE_FILE', 'files that could not be read were skipped');
        continue;
      }
      await d.file(entry, content, claim.analyzers);
    }
  }
  progress?.update(entries);
  return skipped;
}

/** Read a file without following a symlink swapped in after the walk saw a regular file. */
function readRegularFile(abs: string, max: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > max) return undefined;
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
