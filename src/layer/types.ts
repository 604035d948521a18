/** One entry of a layer (a tar entry, or a file found walking a root filesystem). */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface LayerEntry {
  /** Normalised path relative to the image root: no leading `/` or `./`, no `.` or `..` components, `/`-separated. */
  path: string;
  type: EntryType;
  /** Permission and special bits (setuid 0o4000, setgid 0o2000, sticky 0o1000 included). */
  mode: number;
  uid: number;
  gid: number;
  /** Size in bytes of a regular file (0 for other types). */
  size: number;
  /** Symlink target as written (may be relative or absolute), or the normalised path a hard link points to. */
  linkTarget?: string;
}

/** A link an analyzer asked about, kept so the applier can resolve it in the squashed image. */
export interface RecordedLink {
  path: string;
  type: 'symlink' | 'hardlink';
  target: string;
}
