import type { PackageType } from '../analyzers/types.ts';
import type { RangeEvent } from '../versioning/types.ts';
import type { AdvisoryStatus, EpssEntry } from '../vulndb/types.ts';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

/** A finding's status (Trivy's vocabulary): `undetermined` tracker entries are reported as `affected`. */
export type FindingStatus = Exclude<AdvisoryStatus, 'undetermined'>;

export interface CvssScore {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  /** Base score computed from the vector (never copied from the record). */
  score: number;
  severity: Severity;
}

export interface FindingPackage {
  name: string;
  version: string;
  type: PackageType | string;
  purl?: string;
  /** The name and version that were matched (a Debian binary package matches by its source). */
  matchedName: string;
  matchedVersion: string;
  /** Ecosystem the match used (`Debian:12`, `npm`). */
  ecosystem: string;
  path?: string;
  layer?: number;
  /** Digest of the layer that introduced the package, when known. */
  layerDigest?: string;
}

export interface MatchEvidence {
  /** Database source of the record (`osv:Debian`, `debian-tracker`). */
  source: string;
  /** `versions` list or range type that decided. */
  via: 'versions' | 'range' | 'status';
  rangeType?: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  /** The interval that contains the installed version. */
  events: RangeEvent[];
  /** Versioning module that compared (`deb`, `semver`, ...). */
  comparator: string;
  /** One sentence of facts: `3.0.11-1~deb12u2 < 3.0.14-1~deb12u1 (fixed)`. */
  reason: string;
}

export interface Suppression {
  by: 'ignorefile' | 'vex';
  /** The ignore file or VEX document that suppressed it. */
  file: string;
  reason?: string;
  /** VEX status and justification (`not_affected` + `vulnerable_code_not_in_execute_path`). */
  vexStatus?: string;
  justification?: string;
  expires?: string;
}

export interface VulnFinding {
  /** Record id as the database stores it (`CVE-2024-1`, `GHSA-...`, `DSA-...`). */
  id: string;
  aliases: string[];
  /** The CVE id among id and aliases, used for KEV and EPSS look-ups. */
  cve?: string;
  package: FindingPackage;
  fixedVersion?: string;
  status: FindingStatus;
  severity: Severity;
  /** What the severity came from: a CVSS version, or the distro's or GHSA's rating. */
  severitySource: 'cvss-v4' | 'cvss-v3' | 'cvss-v2' | 'distro' | 'ghsa' | 'none';
  cvss: CvssScore[];
  epss?: Pick<EpssEntry, 'score' | 'percentile' | 'date'>;
  kev?: { dateAdded: string; dueDate: string; knownRansomware: boolean };
  /** Risk score in [0, 100], see detect/risk.ts; the table is sorted by it. */
  risk: number;
  title?: string;
  references: string[];
  cwes: string[];
  evidence: MatchEvidence;
  /** Set when an ignore file or VEX statement suppressed the finding (kept in JSON, hidden from tables). */
  suppressed?: Suppression;
}

/** Packages the detectors could not evaluate, counted by reason: never silently "no findings". */
export interface Unmatched {
  reason: 'unknown-ecosystem' | 'no-data-for-ecosystem' | 'unparsable-version' | 'unsupported-os';
  ecosystem: string;
  count: number;
  samples: string[];
}
