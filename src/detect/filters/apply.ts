import { type ParsedPurl, parsePurl } from '../../artifact/sbom/purl-parse.ts';
import type { Report } from '../../report/types.ts';
import type { FindingStatus, Severity, Suppression, VulnFinding } from '../types.ts';
import { entryMatches, type IgnoreEntry, isExpired, type LoadedIgnoreFile } from './ignorefile/index.ts';
import { filterBySeverity } from './severity.ts';
import { decidingStatement, type LoadedVex, suppresses } from './vex/index.ts';

export interface FilterOptions {
  /** Keep only these severities (empty or absent: all). */
  severities?: Severity[];
  /** Drop findings that have no fixed version (statuses affected, will_not_fix, end_of_life). */
  ignoreUnfixed?: boolean;
  ignore?: LoadedIgnoreFile;
  vex?: LoadedVex[];
  /**
   * purls of the scanned artifact itself (the image's `pkg:oci/…`, an SBOM's root component): a VEX
   * product with subcomponents applies only when the product is one of these.
   */
  targets?: string[];
  /** Clock for ignore-file expiry (tests inject it). */
  now?: Date;
}

export interface FilterResult {
  /** Every finding that survived the dropping filters; suppressed ones carry `suppressed`. */
  findings: VulnFinding[];
  /** Ignore-file entries past their expiry: they suppressed nothing. */
  expiredIgnores: Report['expiredIgnores'];
  /** Counts of what each filter did, for logs and summaries. */
  stats: { droppedBySeverity: number; droppedUnfixed: number; suppressedByIgnore: number; suppressedByVex: number };
}

const UNFIXED: ReadonlySet<FindingStatus> = new Set<FindingStatus>(['affected', 'will_not_fix', 'end_of_life']);

/**
 * Apply the filters of a scan. `--severity` and `--ignore-unfixed` drop findings; the ignore file and
 * VEX statements mark them `suppressed` (kept for JSON output, hidden from tables and summaries). An
 * ignore-file match wins over VEX (it is the user's own decision); a finding already suppressed is
 * left as it is. The input findings are not modified.
 */
export function applyFilters(findings: readonly VulnFinding[], opts: FilterOptions = {}): FilterResult {
  const now = opts.now ?? new Date();
  const stats = { droppedBySeverity: 0, droppedUnfixed: 0, suppressedByIgnore: 0, suppressedByVex: 0 };

  let kept =
    opts.severities && opts.severities.length > 0 ? filterBySeverity(findings, opts.severities) : [...findings];
  stats.droppedBySeverity = findings.length - kept.length;
  if (opts.ignoreUnfixed) {
    const before = kept.length;
    kept = kept.filter((f) => !!f.fixedVersion && !UNFIXED.has(f.status));
    stats.droppedUnfixed = before - kept.length;
  }

  const expiredIgnores: Report['expiredIgnores'] = [];
  const activeIgnores: IgnoreEntry[] = [];
  for (const e of opts.ignore?.entries ?? []) {
    if (isExpired(e, now)) {
      expiredIgnores.push({
        id: e.id,
        ...(e.purl !== undefined ? { purl: e.purl } : {}),
        expires: e.expires ?? '',
        file: opts.ignore?.file ?? '',
      });
    } else activeIgnores.push(e);
  }
  const vex = opts.vex ?? [];
  const targets = (opts.targets ?? []).map(parsePurl).filter((p): p is ParsedPurl => p !== undefined);

  const out = kept.map((f): VulnFinding => {
    if (f.suppressed) return f;
    const entry = activeIgnores.find((e) => entryMatches(e, f));
    if (entry && opts.ignore) {
      stats.suppressedByIgnore++;
      const s: Suppression = { by: 'ignorefile', file: opts.ignore.file };
      if (entry.reason) s.reason = entry.reason;
      if (entry.expires) s.expires = entry.expires;
      return { ...f, suppressed: s };
    }
    if (vex.length > 0) {
      const decided = decidingStatement(f, vex, { targets });
      if (decided && suppresses(decided.statement.status)) {
        stats.suppressedByVex++;
        const st = decided.statement;
        const s: Suppression = { by: 'vex', file: decided.file, vexStatus: st.rawStatus };
        if (st.justification) s.justification = st.justification;
        const reason = st.impactStatement ?? st.actionStatement;
        if (reason) s.reason = reason;
        return { ...f, suppressed: s };
      }
    }
    return f;
  });
  return { findings: out, expiredIgnores, stats };
}
