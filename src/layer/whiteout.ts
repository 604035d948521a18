import { parentOf } from './path.ts';

/** OCI/AUFS whiteout markers: `.wh.<name>` deletes `<name>` from lower layers; `.wh..wh..opq` hides a directory's lower content. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'whiteout'; target: string }
  | { kind: 'opaque'; dir: string }
  /** Other AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`): not content, ignored. */
  | { kind: 'meta' };

export function classifyWhiteout(path: string): WhiteoutKind {
  const slash = path.lastIndexOf('/');
  const base = slash < 0 ? path : path.slice(slash + 1);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: parentOf(path) };
  // Anything inside an AUFS metadata directory (`.wh..wh.plnk/...`) is not image content.
  if (path.startsWith('.wh..wh.') || path.includes('/.wh..wh.')) return { kind: 'meta' };
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base.startsWith('.wh..wh.')) return { kind: 'meta' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') return { kind: 'meta' };
  const dir = parentOf(path);
  return { kind: 'whiteout', target: dir ? `${dir}/${name}` : name };
}
