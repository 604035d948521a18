import type { ImageFile, OSInfo, Package, Warning } from '../analyzers/types.ts';
import type { ImageMetadata } from '../artifact/types.ts';

/** Coverage of one analyzer over the whole target: what it looked at, so "nothing found" is never ambiguous. */
export interface AnalyzerCoverage {
  id: string;
  version: number;
  /** Files the analyzer parsed (over all layers walked in this run or read from cache). */
  files: number;
  /** Items it produced that survived squashing. */
  items: number;
  /**
   * `ok`: its files were present and parsed; `no-files`: the target has none of the files it reads
   * (nothing was evaluated, which is not the same as nothing found); `partial`/`error`: it failed on
   * some or all of its files.
   */
  status: 'ok' | 'no-files' | 'partial' | 'error';
  note?: string;
}

export interface Inventory {
  os: OSInfo | undefined;
  packages: Package[];
  /**
   * Entries of the squashed image that the file checks need (setuid/setgid files, world-writable
   * entries outside tmp directories, package-cache files, sshd/sudo binaries), each with its mode
   * and layer; from the file-modes analyzer, absent when it did not run.
   */
  files?: ImageFile[];
}

export interface ScanTarget {
  kind: ImageMetadata['kind'];
  input: string;
  name: string;
  /** Image metadata; absent for a root filesystem. */
  image?: ImageMetadata;
  /** Directory of a root filesystem scan. */
  path?: string;
  /** purl of the scanned artifact itself when it is known (an SBOM's subject); images derive theirs from `image`. */
  purl?: string;
}

export interface ScanStats {
  layers: number;
  layersFromCache: number;
  layersWalked: number;
  entries: number;
  bytesWalked: number;
  durationMs: number;
}

/** The inventory of one target, as every later stage (detectors, SBOM writers, reports) consumes it. */
export interface InventoryResult {
  schemaVersion: 1;
  target: ScanTarget;
  inventory: Inventory;
  coverage: AnalyzerCoverage[];
  warnings: Warning[];
  stats: ScanStats;
  /** Tool name and version that produced the result. */
  tool: { name: 'bollard'; version: string };
  /** When the scan finished (ISO 8601). */
  createdAt: string;
}
