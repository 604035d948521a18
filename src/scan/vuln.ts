import { applyFilters, type FilterOptions } from '../detect/filters/apply.ts';
import { detectVulnerabilities } from '../detect/match.ts';
import { SEVERITIES, type Severity } from '../detect/types.ts';
import type { DbSummary, Report, ReportResult } from '../report/types.ts';
import { imagePurl } from '../sbom/purl.ts';
import { VERSION } from '../version.ts';
import type { VulnDbReader } from '../vulndb/types.ts';
import type { InventoryResult } from './types.ts';

/** A database is stale when its newest source is older than this (OSV publishes continuously). */
export const STALE_AFTER_HOURS = 72;

export interface VulnReportOptions {
  filters?: FilterOptions;
  /** Paths of the ignore file and VEX documents, recorded in the report's `filters`. */
  ignoreFilePath?: string;
  vexPaths?: string[];
  now?: Date;
}

/**
 * Turn an inventory into a vulnerability report: match, enrich, filter, summarise. The report
 * carries the database it used, what was filtered or suppressed, and what could not be matched.
 */
export function vulnerabilityReport(
  inv: InventoryResult,
  db: VulnDbReader | undefined,
  options: VulnReportOptions = {},
): Report {
  const now = options.now ?? new Date();
  // Without a database (a configuration-only scan) there are no package results at all, so nothing
  // reads as "no vulnerabilities".
  const detected = db ? detectVulnerabilities(inv.inventory, db) : { results: [], unmatched: [] };
  const filters: FilterOptions = { ...options.filters };
  // VEX statements about the image (with subcomponents) apply only to the artifact they name.
  const self = inv.target.purl ?? (inv.target.image ? imagePurl(inv.target.image) : undefined);
  if (self && !filters.targets) filters.targets = [self];
  const expiredIgnores: Report['expiredIgnores'] = [];
  const results: ReportResult[] = detected.results.map((r) => {
    const applied = applyFilters(r.vulnerabilities ?? [], { ...filters, now });
    for (const e of applied.expiredIgnores) {
      if (!expiredIgnores.some((x) => x.id === e.id && x.purl === e.purl)) expiredIgnores.push(e);
    }
    return { ...r, vulnerabilities: applied.findings };
  });
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const r of results) for (const f of r.vulnerabilities ?? []) if (!f.suppressed) summary[f.severity]++;
  return {
    schemaVersion: '1.0',
    tool: { name: 'bollard', version: VERSION },
    createdAt: now.toISOString(),
    target: inv.target,
    ...(inv.inventory.os ? { os: inv.inventory.os } : {}),
    ...(db ? { db: dbSummary(db, now) } : {}),
    results,
    unmatched: detected.unmatched,
    expiredIgnores,
    coverage: inv.coverage,
    warnings: inv.warnings,
    summary,
    filters: {
      severities: filters.severities ?? [...SEVERITIES],
      ignoreUnfixed: filters.ignoreUnfixed ?? false,
      ...(options.ignoreFilePath ? { ignoreFile: options.ignoreFilePath } : {}),
      vex: options.vexPaths ?? [],
    },
  };
}

export function dbSummary(db: VulnDbReader, now: Date): DbSummary {
  const newest = Math.max(0, ...db.sources.map((s) => Date.parse(s.fetchedAt)).filter((t) => Number.isFinite(t)));
  const ageHours = newest > 0 ? Math.max(0, (now.getTime() - newest) / 3_600_000) : Number.POSITIVE_INFINITY;
  return {
    path: db.path,
    schemaVersion: db.schemaVersion,
    builtAt: db.builtAt,
    ageHours: Number.isFinite(ageHours) ? Math.round(ageHours * 10) / 10 : -1,
    stale: !Number.isFinite(ageHours) || ageHours > STALE_AFTER_HOURS,
    sources: db.sources.map((s) => ({
      id: s.id,
      origin: s.origin,
      digest: s.digest,
      records: s.records,
      fetchedAt: s.fetchedAt,
      license: s.license,
    })),
  };
}

/** Findings at or above the lowest selected severity that remain after filtering (for `--exit-code`). */
export function countFailing(report: Report): number {
  let n = 0;
  const wanted = new Set(report.filters.severities);
  for (const r of report.results) {
    for (const f of r.vulnerabilities ?? []) if (!f.suppressed && wanted.has(f.severity)) n++;
    for (const m of r.misconfigurations ?? [])
      if (m.status === 'failed' && !m.suppressed && wanted.has(m.severity)) n++;
  }
  return n;
}
