import type { LayerRef } from '../artifact/types.ts';
import type { LayerEntry } from '../layer/types.ts';
import type { SecretMatch } from '../secrets/types.ts';
import type { Limits } from '../util/limits.ts';
import type { TempRoot } from '../util/tempdir.ts';

/** OS package managers whose databases Bollard reads. */
export type OSPackageType = 'deb' | 'apk' | 'rpm';
/** Language ecosystems, named by their purl type. */
export type LangPackageType = 'npm' | 'pypi' | 'golang' | 'maven' | 'cargo' | 'gem' | 'composer' | 'nuget';
export type PackageType = OSPackageType | LangPackageType;
export const OS_PACKAGE_TYPES: readonly OSPackageType[] = ['deb', 'apk', 'rpm'];

export function isOSPackageType(t: string): t is OSPackageType {
  return t === 'deb' || t === 'apk' || t === 'rpm';
}

/** The operating system of an image, as its release files describe it. */
export interface OSInfo {
  /** Family id used for matching and purls: debian, ubuntu, alpine, rhel, centos, fedora, amzn, sles, opensuse-leap, rocky, almalinux, ol, photon, wolfi, chainguard, ... */
  family: string;
  /** Release used for matching (`12` for Debian bookworm, `3.19` for Alpine 3.19.1, `9` for RHEL 9.3). */
  release: string;
  /** The most precise version the files give (`12.15`, `3.19.1`, `9.3`). */
  version: string;
  codename?: string;
  /** Human name (PRETTY_NAME). */
  name: string;
  /** ID_LIKE values from os-release. */
  idLike?: string[];
  /** End of life or other notes are added by detectors later. */
}

/** Where something was found: the file in the image and the layer it came from. */
export interface Location {
  path: string;
  /** Layer index; absent for a root filesystem scan. */
  layer?: number;
}

export interface Package {
  type: PackageType;
  name: string;
  /** The version as the package manager prints it: deb `[epoch:]upstream[-revision]`, rpm `[epoch:]version-release`, apk `pkgver`. */
  version: string;
  /** rpm and deb epoch when the package has one. */
  epoch?: number;
  arch?: string;
  /** The source package this binary package was built from (deb `Source:`, rpm source RPM, apk origin). */
  source?: { name: string; version: string };
  /** Licence strings as the metadata states them (not yet normalised to SPDX). */
  licenses: string[];
  maintainer?: string;
  /** Installed files, as paths relative to the root (no leading `/`). */
  files?: string[];
  /** rpm modularity label (`nodejs:18:8090020231024105237:a75119d5`). */
  modularityLabel?: string;
  vendor?: string;
  /** Names of packages this one depends on, as the database records them (for the dependency graph). */
  dependsOn?: string[];
  /** Language packages: a direct dependency of the project (false: only through another package); absent when unknown. */
  direct?: boolean;
  /** Language packages: needed only for development (npm devDependencies, Poetry/Composer dev groups); absent when unknown. */
  dev?: boolean;
  /** Language packages: integrity hash as the lockfile or build info records it (npm `sha512-…`, Go `h1:…`). */
  integrity?: string;
  /** The database file that lists the package, and the layer that introduced it (set by the applier). */
  location: Location;
  /** purl, set once the OS is known (see sbom/purl.ts). */
  purl?: string;
}

/**
 * One entry of the squashed image whose header a check needs (setuid/setgid, world-writable, package
 * caches, sshd/sudo binaries), with the layer it came from (absent for a root filesystem).
 */
export type ImageFile = EntryHeader & { layer?: number };

/** The header fields of a layer entry that file checks judge (mode includes setuid, setgid, sticky). */
export type EntryHeader = Pick<LayerEntry, 'path' | 'type' | 'mode' | 'uid' | 'gid' | 'size'>;

/** Something an analyzer found in one file. Items are squashed across layers by their `path`. */
export type AnalysisItem =
  | { kind: 'os'; analyzer: string; path: string; os: OSInfo; priority: number }
  | { kind: 'packages'; analyzer: string; path: string; packages: Package[] }
  /** Files owned by one package (dpkg `info/<pkg>.list`), attached after squashing. */
  | { kind: 'owned-files'; analyzer: string; path: string; packageName: string; arch?: string; files: string[] }
  /** Licences found for one package outside its database record (dpkg copyright files). */
  | { kind: 'license'; analyzer: string; path: string; packageName: string; licenses: string[] }
  /**
   * Secrets found in one file of one layer (#7). `file` is the file's path; `path` is made unique per
   * layer (see src/secrets/analyzer.ts), so squashing never drops a file a later layer deletes.
   */
  | { kind: 'secrets'; analyzer: string; path: string; file: string; secrets: SecretMatch[] }
  /**
   * The header of one entry, from a metadata-only analyzer (file modes). The applier copies it to
   * hard links of the entry, never to symlinks (a symlink has no mode of its own).
   */
  | ({ kind: 'file-meta'; analyzer: string } & EntryHeader);

/** A problem that did not stop the scan: counted and reported, never silent. */
export interface Warning {
  code: string;
  message: string;
  count: number;
  /** One example (a path, an id), to help a person find the rest. */
  sample?: string;
}

export interface AnalyzerContext {
  /** The layer being walked; undefined for a root filesystem. */
  layer: LayerRef | undefined;
  limits: Limits;
  /** Private temp root, for analyzers that need a file on disk (sqlite databases). */
  tempRoot: TempRoot;
  warn(code: string, message: string, sample?: string): void;
}

export interface AnalyzerFile {
  path: string;
  entry: LayerEntry;
  /** The file's bytes; empty for a metadata-only analyzer, which is never handed content. */
  content: Buffer;
}

/** What the applier hands to `finalize`: an item that survived squashing, with its layer. */
export type SurvivingItem = AnalysisItem & { layer: number | undefined };

export interface InventoryDraft {
  os: OSInfo | undefined;
  packages: Package[];
  /** Entries the file checks need (set by the file-modes analyzer; absent when it did not run). */
  files?: ImageFile[];
  warn(code: string, message: string, sample?: string): void;
}

export interface Analyzer {
  /** Stable id (`dpkg`, `apk`, `rpm`, `os-release`); part of cache keys. */
  readonly id: string;
  /** Bump when output changes: cached layer results of older versions are ignored. */
  readonly version: number;
  /** Largest file this analyzer reads (default: limits.maxFileBytes). Larger files are skipped and counted. */
  readonly maxFileBytes?: number;
  /**
   * The analyzer judges entries by path and header alone and never reads content: it is offered
   * every entry of every layer (directories and devices too), `analyze` gets an empty buffer and
   * must answer synchronously, no size limit applies and no bytes are read for it. Its items are
   * capped per layer (limits.maxMetadataItems), and each image layer records the paths it holds, so a
   * later layer's version of a path it no longer wants (`chmod u-s`) still replaces the lower item.
   */
  readonly metadataOnly?: boolean;
  /**
   * Does the analyzer need this file? Called for every regular file, symlink and hard link of every
   * layer (every entry for a metadata-only analyzer), so it must be cheap (string tests on the path).
   * Links that are wanted are recorded and resolved inside the image root after squashing.
   */
  wants(path: string, entry: LayerEntry): boolean;
  /** Parse one file. Malformed content is reported with ctx.warn and yields what could be read. */
  analyze(file: AnalyzerFile, ctx: AnalyzerContext): Promise<AnalysisItem[]> | AnalysisItem[];
  /**
   * After squashing, combine this analyzer's surviving items into the inventory. Packages of
   * `packages` items are already added by the applier (with their origin layer) before this runs.
   */
  finalize?(items: SurvivingItem[], draft: InventoryDraft): void;
}

/** What one layer (or one root filesystem) yields; cached by diffID and analyzer versions. */
export interface LayerAnalysis {
  schema: 1;
  /** Analyzer id → version that produced the items. */
  analyzers: Record<string, number>;
  items: AnalysisItem[];
  /**
   * Every wanted regular file present in this layer, whether or not it yielded items (a file that
   * parses to nothing, or is too large to read, still hides the lower layer's version).
   */
  paths: string[];
  /** Paths removed from lower layers (`.wh.<name>` entries). */
  whiteouts: string[];
  /** Directories whose lower-layer content is hidden (`.wh..wh..opq` entries). */
  opaqueDirs: string[];
  /** Wanted paths that are links, for resolution in the squashed image. */
  links: { path: string; type: 'symlink' | 'hardlink'; target: string }[];
  /**
   * Every path this layer holds (any entry type; whiteouts are in `whiteouts`), separated by NUL
   * (`\0`, which no path holds; a hostile name that does is left out), recorded for image layers when
   * a metadata-only analyzer ran: a path present here replaces what lower layers held there, even when
   * no analyzer wanted this layer's version. One string, not one per entry, to spare the walk's
   * garbage collector. Absent otherwise.
   */
  present?: string;
  /** False when `present` stopped at limits.maxPresenceBytes (lower items it does not list are kept). */
  presentComplete?: boolean;
  stats: {
    entries: number;
    files: number;
    bytes: number;
    /** Per analyzer: files handed to it and files it failed on. */
    analyzed: Record<string, { files: number; errors: number }>;
  };
  warnings: Warning[];
}
