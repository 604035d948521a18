import type { LayerEntry } from '../../layer/types.ts';
import type { AnalysisItem, Analyzer, AnalyzerFile, ImageFile, InventoryDraft, SurvivingItem } from '../types.ts';

export const id = 'file-modes';

/** Where world-writable entries are expected, sticky or not: temporary and lock directories. */
export const WRITABLE_OK = /^(?:tmp|var\/tmp|dev\/shm|run\/lock|var\/lock)(?:\/|$)/;

export interface PackageCache {
  re: RegExp;
  /** What the files are, as a check reports them (`apt archives`). */
  what: string;
}

/** Files package managers leave behind when a build does not clean up (CIS Docker 4.3). */
export const PACKAGE_CACHES: readonly PackageCache[] = [
  { re: /^var\/cache\/apt\/archives\/[^/]+\.deb$/, what: 'apt archives' },
  { re: /^var\/lib\/apt\/lists\/[^/]+_(Packages|Sources|InRelease|Release)(\.\w+)?$/, what: 'apt lists' },
  { re: /^var\/cache\/apk\/[^/]+\.tar\.gz$/, what: 'apk cache' },
  { re: /^var\/cache\/(yum|dnf)\/.+\.(rpm|sqlite|solv|xml\.gz)$/, what: 'yum/dnf cache' },
  { re: /^var\/cache\/zypp\/.+\.(rpm|solv)$/, what: 'zypper cache' },
  { re: /^root\/\.cache\/pip\//, what: 'pip cache' },
  { re: /^(root|home\/[^/]+)\/\.npm\/_cacache\//, what: 'npm cache' },
  { re: /^usr\/local\/share\/\.cache\/yarn\//, what: 'yarn cache' },
];

export type AccessTool = 'sshd' | 'dropbear' | 'sudo' | 'doas';

/** SSH daemons and privilege tools where packages and installers put them (merged /usr or not). */
const ACCESS_TOOL = /^(?:usr\/(?:local\/)?)?s?bin\/(sshd|dropbear|sudo|doas)$/;
/** The longest path ACCESS_TOOL matches (`usr/local/sbin/dropbear`). */
const ACCESS_TOOL_MAX = 23;

/** Which package cache a path belongs to, if any. */
export function packageCache(path: string): string | undefined {
  for (const c of PACKAGE_CACHES) if (c.re.test(path)) return c.what;
  return undefined;
}

/** The SSH daemon or privilege tool a path is, if any. */
export function accessTool(path: string): AccessTool | undefined {
  if (path.length > ACCESS_TOOL_MAX) return undefined;
  const m = ACCESS_TOOL.exec(path);
  return m ? (m[1] as AccessTool) : undefined;
}

/**
 * Paths the checks want whatever their mode. A switch on the first character keeps the regular
 * expressions off the great majority of paths (`usr/share/...`, `etc/...`, `opt/...`).
 */
function wantedPath(path: string): boolean {
  switch (path.charCodeAt(0)) {
    case 0x76: // var/cache/..., var/lib/apt/lists/...
      return (
        (path.startsWith('var/cache/') || path.startsWith('var/lib/apt/lists/')) && packageCache(path) !== undefined
      );
    case 0x72: // root/.cache/pip/, root/.npm/
    case 0x68: // home/USER/.npm/
      return path.includes('/.') && packageCache(path) !== undefined;
    case 0x75: // usr/(local/)?s?bin/TOOL, usr/local/share/.cache/yarn/
      if (path.length <= ACCESS_TOOL_MAX) return ACCESS_TOOL.test(path);
      return path.startsWith('usr/local/share/.cache/') && packageCache(path) !== undefined;
    case 0x62: // bin/TOOL
    case 0x73: // sbin/TOOL
      return path.length <= ACCESS_TOOL_MAX && ACCESS_TOOL.test(path);
    default:
      return false;
  }
}

/**
 * Judged on the header alone, mode bits first (this runs for every entry of every layer): setuid or
 * setgid regular files, world-writable files and non-sticky directories outside the temporary
 * directories, then the paths of package caches and of sshd/dropbear/sudo/doas. Hard links are
 * regular files: their headers carry the file's mode.
 */
export function wantsEntry(path: string, entry: LayerEntry): boolean {
  const m = entry.mode;
  const t = entry.type;
  if (t === 'file' || t === 'hardlink') {
    if ((m & 0o6000) !== 0) return true;
    if ((m & 0o002) !== 0 && !WRITABLE_OK.test(path)) return true;
    return wantedPath(path);
  }
  if (t === 'dir') return (m & 0o1002) === 0o002 && !WRITABLE_OK.test(path);
  return false;
}

/**
 * The metadata-only analyzer behind the image file checks (setuid/setgid, world-writable, package
 * caches, sshd/sudo present): one `file-meta` item per wanted entry, squashed per path like any
 * other item, so a later layer's `chmod`, deletion or opaque directory wins.
 */
export const fileModesAnalyzer: Analyzer = {
  id,
  version: 1,
  metadataOnly: true,
  wants: wantsEntry,
  analyze(file: AnalyzerFile): AnalysisItem[] {
    const e = file.entry;
    return [
      {
        kind: 'file-meta',
        analyzer: id,
        path: file.path,
        type: e.type === 'hardlink' ? 'file' : e.type,
        mode: e.mode & 0o7777,
        uid: e.uid,
        gid: e.gid,
        size: e.size,
      },
    ];
  },
  finalize(items: SurvivingItem[], draft: InventoryDraft): void {
    const files: ImageFile[] = [];
    for (const it of items) {
      if (it.kind !== 'file-meta') continue;
      const f: ImageFile = { path: it.path, type: it.type, mode: it.mode, uid: it.uid, gid: it.gid, size: it.size };
      if (it.layer !== undefined) f.layer = it.layer;
      files.push(f);
    }
    draft.files = files;
  },
};
