/**
 * Entry paths from tar headers are untrusted text. `normaliseEntryPath` turns them into the one
 * form the rest of Bollard uses (relative, `/`-separated, no `.`/`..`/empty components) or returns
 * undefined when the path climbs out of the root, which makes the entry unusable.
 */
export function normaliseEntryPath(name: string): string | undefined {
  // Fast path: most tar names are already clean (`usr/lib/x`, `./usr/lib/x`, `usr/lib/` for directories).
  const raw = name.startsWith('./') ? name.slice(2) : name;
  if (
    raw.length > 0 &&
    raw.charCodeAt(0) !== 0x2f &&
    raw.charCodeAt(0) !== 0x2e &&
    !raw.includes('//') &&
    !raw.includes('/.')
  ) {
    return raw.charCodeAt(raw.length - 1) === 0x2f ? raw.slice(0, -1) : raw;
  }
  const parts = raw.split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') return undefined;
    out.push(p);
  }
  return out.join('/');
}

/** Parent directory of a normalised path ('' for the root). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Is `path` equal to `dir` or below it? (`dir` '' is the root.) */
export function isWithin(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/**
 * Resolve a symlink target written in the image against the directory holding the link, the way
 * the kernel does inside a chroot: absolute targets start at the image root and `..` stops at it.
 * The result is always inside the root.
 */
export function resolveLinkTarget(linkPath: string, target: string): string {
  const base = target.startsWith('/') ? [] : parentOf(linkPath).split('/').filter(Boolean);
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') base.pop();
    else base.push(p);
  }
  return base.join('/');
}
