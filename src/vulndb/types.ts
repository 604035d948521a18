import type { AffectedRange } from '../versioning/types.ts';

/** Where a record came from; one row per source in the database's `sources` table. */
export interface SourceInfo {
  /** Stable id: `osv:Debian`, `osv:npm`, `debian-tracker`, `debian-security-support`, `alpine-secdb`, `kev`, `epss`. */
  id: string;
  kind: 'osv' | 'debian-tracker' | 'debian-security-support' | 'alpine-secdb' | 'kev' | 'epss';
  /** URL or file path it was read from. */
  origin: string;
  /** sha256 of the bytes read (`sha256:<hex>`), for zips and single files; for directories, of the sorted file digests. */
  digest: string;
  records: number;
  /** Records skipped because they were malformed, withdrawn or of an unknown ecosystem (counted by reason). */
  skipped: Record<string, number>;
  license: string;
  /** ISO 8601: when these bytes were fetched or imported. */
  fetchedAt: string;
  /** Source-specific cursor for incremental updates (OSV: the newest `modified` seen). */
  cursor?: string;
}

/** Status of a package for a record, as the source states it. OSV ranges imply `affected`/`fixed`. */
export type AdvisoryStatus = 'affected' | 'fixed' | 'will_not_fix' | 'end_of_life' | 'not_affected' | 'undetermined';

export interface SeverityEntry {
  /** `CVSS_V2`, `CVSS_V3`, `CVSS_V4` (a vector), or `distro`/`ghsa` (a rating word). */
  type: 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4' | 'distro' | 'ghsa';
  /** A CVSS vector, or a rating such as `high`, `unimportant`, `MODERATE`. */
  value: string;
}

/** One vulnerability record (OSV record, tracker CVE, secdb fix), stored once. */
export interface Advisory {
  id: string;
  source: string;
  aliases: string[];
  /** Related ids that are not aliases (OSV `related`, `upstream`). */
  related: string[];
  published?: string;
  modified?: string;
  summary?: string;
  severity: SeverityEntry[];
  cwes: string[];
  references: string[];
}

/** One (ecosystem, package) that a record affects. */
export interface AffectedEntry {
  advisoryId: string;
  source: string;
  /** Normalised ecosystem: `Debian:12`, `Alpine:v3.19`, `npm`, `PyPI`, `Go`, `Maven`, `crates.io`, `RubyGems`, `Packagist`, `NuGet`, `Red Hat`, `Rocky Linux:9`, ... */
  ecosystem: string;
  /** Package name as the ecosystem writes it; PyPI names normalised per PEP 503. Debian/Alpine: the source package. */
  package: string;
  ranges: AffectedRange[];
  versions: string[];
  /** Set by sources that state a status beyond ranges (Debian tracker, security-support lists). */
  status?: AdvisoryStatus;
  /** The source's own rating for this package (Debian urgency, GHSA severity). */
  severity?: string;
  /** Free-form note from the source (tracker `nodsa_reason`, security-support text), facts only. */
  note?: string;
}

export interface KevEntry {
  cve: string;
  dateAdded: string;
  dueDate: string;
  knownRansomware: boolean;
  vendor: string;
  product: string;
}

export interface EpssEntry {
  cve: string;
  score: number;
  percentile: number;
  /** Score date from the CSV header (`score_date`). */
  date?: string;
}

/** Read-only view of an open database, used by detectors. Implemented by vulndb/query.ts. */
export interface VulnDbReader {
  readonly path: string;
  readonly schemaVersion: number;
  readonly builtAt: string;
  readonly sources: SourceInfo[];
  /** Every entry for one package in one ecosystem (exact, case-sensitive after normalisation). */
  affected(ecosystem: string, pkg: string): AffectedEntry[];
  /** Load the entries of many packages of one ecosystem in one statement, so later `affected` calls are served from memory. */
  prefetchAffected(ecosystem: string, packages: readonly string[]): void;
  /** Which ecosystems have any entry (to tell "no data for this distro" from "no findings"). */
  ecosystems(): Set<string>;
  advisory(id: string): Advisory | undefined;
  /** Records by exact id, many at once (one statement: detectors fetch a package's records together). */
  advisoriesById(ids: readonly string[]): Map<string, Advisory>;
  kev(cve: string): KevEntry | undefined;
  epss(cve: string): EpssEntry | undefined;
  /** EPSS scores of many CVEs at once. */
  epssMany(cves: readonly string[]): Map<string, EpssEntry>;
  close(): void;
}
