import { bestScore } from './severity.ts';
import type { Severity, VulnFinding } from './types.ts';

/**
 * Risk score in [0, 100] that orders what to fix first (documented in docs/risk.md):
 *
 *   impact      = CVSS base score / 10, or the severity's midpoint when no vector is known
 *   likelihood  = EPSS percentile (0 when unknown)
 *   exploited   = 1 when the CVE is in CISA KEV
 *   raw         = 0.5 * impact + 0.3 * likelihood + 0.2 * exploited
 *   risk        = round(100 * raw * (fix available ? 1 : 0.85), 1 decimal)
 *
 * Known exploitation and a high exploit probability lift a finding above others of the same
 * severity; a finding nobody can fix yet ranks slightly lower than one a package upgrade removes.
 */
const SEVERITY_MIDPOINT: Record<Severity, number> = {
  CRITICAL: 9.5,
  HIGH: 8.0,
  MEDIUM: 5.5,
  LOW: 2.0,
  UNKNOWN: 5.0,
};

export function riskScore(f: Pick<VulnFinding, 'severity' | 'cvss' | 'epss' | 'kev' | 'fixedVersion'>): number {
  const impact = (bestScore(f.cvss) ?? SEVERITY_MIDPOINT[f.severity]) / 10;
  const likelihood = f.epss ? clamp01(f.epss.percentile) : 0;
  const exploited = f.kev ? 1 : 0;
  const raw = 0.5 * impact + 0.3 * likelihood + 0.2 * exploited;
  const factor = f.fixedVersion ? 1 : 0.85;
  return Math.round(1000 * raw * factor) / 10;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
