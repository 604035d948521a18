import type { SeverityEntry } from '../vulndb/types.ts';
import { scoreCvss } from './cvss.ts';
import type { CvssScore, Severity, VulnFinding } from './types.ts';

/** Distro and GHSA rating words, mapped to one scale (Debian urgencies, Alpine, Red Hat, GHSA). */
const RATINGS: Record<string, Severity> = {
  critical: 'CRITICAL',
  important: 'HIGH',
  high: 'HIGH',
  moderate: 'MEDIUM',
  medium: 'MEDIUM',
  low: 'LOW',
  negligible: 'LOW',
  unimportant: 'LOW',
  'end-of-life': 'UNKNOWN',
  'not yet assigned': 'UNKNOWN',
  unknown: 'UNKNOWN',
};

export function ratingSeverity(word: string | undefined): Severity | undefined {
  if (!word) return undefined;
  // Debian urgencies carry markers such as `low*` or `medium**`.
  return RATINGS[word.toLowerCase().replace(/\*+$/, '').trim()];
}

/**
 * Severity of a finding: computed from the newest CVSS version the record carries (v4, then v3.x),
 * else the rating the source gives the package (the distro's for OS packages, GHSA's for language
 * packages), else a rating on the record, else CVSS v2, else UNKNOWN.
 */
export function chooseSeverity(
  entries: readonly SeverityEntry[],
  packageRating: string | undefined,
  ratingSource: 'distro' | 'ghsa' = 'distro',
): Pick<VulnFinding, 'severity' | 'severitySource' | 'cvss'> {
  const cvss: CvssScore[] = [];
  const ratings: { type: 'distro' | 'ghsa'; value: string }[] = [];
  for (const e of entries) {
    if (e.type === 'distro' || e.type === 'ghsa') ratings.push({ type: e.type, value: e.value });
    else {
      const s = scoreCvss(e.value);
      if (s && !cvss.some((c) => c.vector === s.vector)) cvss.push(s);
    }
  }
  const v4 = cvss.find((c) => c.version === '4.0');
  const v3 = cvss.find((c) => c.version === '3.1') ?? cvss.find((c) => c.version === '3.0');
  if (v4) return { severity: v4.severity, severitySource: 'cvss-v4', cvss };
  if (v3) return { severity: v3.severity, severitySource: 'cvss-v3', cvss };
  const own = ratingSeverity(packageRating);
  if (own && own !== 'UNKNOWN') return { severity: own, severitySource: ratingSource, cvss };
  for (const r of ratings) {
    const s = ratingSeverity(r.value);
    if (s && s !== 'UNKNOWN') return { severity: s, severitySource: r.type, cvss };
  }
  const v2 = cvss.find((c) => c.version === '2.0');
  if (v2) return { severity: v2.severity, severitySource: 'cvss-v2', cvss };
  return { severity: 'UNKNOWN', severitySource: 'none', cvss };
}

/** Highest CVSS base score among the finding's vectors, if any. */
export function bestScore(cvss: readonly CvssScore[]): number | undefined {
  let best: number | undefined;
  for (const c of cvss) if (best === undefined || c.score > best) best = c.score;
  return best;
}
