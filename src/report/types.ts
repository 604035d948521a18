import type { OSInfo, Warning } from '../analyzers/types.ts';
import type { Severity, Unmatched, VulnFinding } from '../detect/types.ts';
import type { LicenseFinding } from '../licenses/types.ts';
import type { AnalyzerCoverage, ScanTarget } from '../scan/types.ts';
import type { SecretFinding } from '../secrets/types.ts';
import type { SourceInfo } from '../vulndb/types.ts';

/**
 * Configuration check findings (#6): Dockerfiles, image configuration, Kubernetes manifests, RBAC,
 * CEL policies. Every check reports a status so "not evaluated" never reads as "passed".
 */
export interface MisconfigFinding {
  /** Bollard check id (`BD-DF-001`), with aliases (`DL3008`, `CIS-DI-4.1`, PSS `privileged`). */
  checkId: string;
  aliases: string[];
  severity: Severity;
  title: string;
  message: string;
  remediation?: string;
  status: 'failed' | 'passed' | 'skipped' | 'error';
  /** Why a check was skipped or errored. */
  reason?: string;
  resource?: { kind: string; namespace?: string; name: string };
  /** File and 1-based line range in the source. */
  file?: string;
  startLine?: number;
  endLine?: number;
  /** Field path inside the resource (`spec.containers[0].securityContext.privileged`). */
  fieldPath?: string;
  /** Framework controls (`CIS-Docker-4.1`, `PSS-baseline`, `NSA-CISA`). */
  controls: string[];
  references: string[];
  suppressed?: { by: 'inline' | 'ignorefile'; file: string; reason?: string };
}

/** One result block: one package source (OS packages, a lockfile) or one config file. */
export interface ReportResult {
  /** What was scanned: `debian 12.15 (os packages)`, `app/package-lock.json`, `Dockerfile`. */
  target: string;
  class: 'os-pkgs' | 'lang-pkgs' | 'config' | 'image-config' | 'secret' | 'license' | 'license-file';
  /** Ecosystem or file type: `debian`, `npm`, `dockerfile`, `kubernetes`. */
  type: string;
  packages?: number;
  vulnerabilities?: VulnFinding[];
  misconfigurations?: MisconfigFinding[];
  /** Secrets found in one file or in the image configuration (#7); redacted, never the secret itself. */
  secrets?: SecretFinding[];
  /** Licences of packages (`license`) or of source file headers (`license-file`) (#7). */
  licenses?: LicenseFinding[];
  /** Packages whose distribution limits or ended security support (Debian's security-support lists). */
  supportNotices?: SupportNotice[];
}

export interface SupportNotice {
  package: string;
  version: string;
  status: 'end_of_life' | 'limited';
  /** The list entry as the distribution states it. */
  note?: string;
  source: string;
}

export interface DbSummary {
  path: string;
  schemaVersion: number;
  builtAt: string;
  /** Hours since the newest source was fetched, at report time. */
  ageHours: number;
  stale: boolean;
  sources: Pick<SourceInfo, 'id' | 'origin' | 'digest' | 'records' | 'fetchedAt' | 'license'>[];
}

/** Everything a writer needs. The JSON format is this object (schema in docs/report-schema.json). */
export interface Report {
  schemaVersion: '1.0';
  tool: { name: 'bollard'; version: string };
  createdAt: string;
  target: ScanTarget;
  os?: OSInfo;
  db?: DbSummary;
  results: ReportResult[];
  /** Packages that could not be matched, by reason. */
  unmatched: Unmatched[];
  /** Ignore-file entries past their expiry date: they no longer suppress anything. */
  expiredIgnores: { id: string; purl?: string; expires: string; file: string }[];
  coverage: AnalyzerCoverage[];
  warnings: Warning[];
  /** Counts of unsuppressed findings by severity, after filters. */
  summary: Record<Severity, number>;
  /** The filters applied, so a reader knows what is not shown. */
  filters: { severities: Severity[]; ignoreUnfixed: boolean; ignoreFile?: string; vex: string[] };
}
