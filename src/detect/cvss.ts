import calculator from 'ae-cvss-calculator';
import type { CvssScore, Severity } from './types.ts';

/**
 * CVSS base scores computed from vectors with ae-cvss-calculator. The library accepts nonsense
 * quietly (a vector with missing metrics scores 0), so every vector is checked here first against
 * the metrics its version requires; an invalid vector yields no score rather than a wrong one.
 */

interface CvssClass {
  new (vector: string): { calculateScores(): { base?: number; overall?: number } };
}
const lib = ((calculator as unknown as { CvssCalculator?: unknown }).CvssCalculator ?? calculator) as Record<
  'Cvss2' | 'Cvss3P0' | 'Cvss3P1' | 'Cvss4P0',
  CvssClass
>;

const REQUIRED: Record<CvssScore['version'], Record<string, RegExp>> = {
  '2.0': { AV: /^[LAN]$/, AC: /^[HML]$/, Au: /^[MSN]$/, C: /^[NPC]$/, I: /^[NPC]$/, A: /^[NPC]$/ },
  '3.0': {
    AV: /^[NALP]$/,
    AC: /^[LH]$/,
    PR: /^[NLH]$/,
    UI: /^[NR]$/,
    S: /^[UC]$/,
    C: /^[HLN]$/,
    I: /^[HLN]$/,
    A: /^[HLN]$/,
  },
  '3.1': {
    AV: /^[NALP]$/,
    AC: /^[LH]$/,
    PR: /^[NLH]$/,
    UI: /^[NR]$/,
    S: /^[UC]$/,
    C: /^[HLN]$/,
    I: /^[HLN]$/,
    A: /^[HLN]$/,
  },
  '4.0': {
    AV: /^[NALP]$/,
    AC: /^[LH]$/,
    AT: /^[NP]$/,
    PR: /^[NLH]$/,
    UI: /^[NPA]$/,
    VC: /^[HLN]$/,
    VI: /^[HLN]$/,
    VA: /^[HLN]$/,
    SC: /^[HLN]$/,
    SI: /^[HLN]$/,
    SA: /^[HLN]$/,
  },
};

// Records share vectors (a CVE appears in many records): score each distinct vector once.
const cache = new Map<string, CvssScore | null>();
const CACHE_MAX = 50_000;

/** Parse a CVSS vector (v2 with or without `(...)`, v3.0, v3.1, v4.0) and compute its base score. */
export function scoreCvss(vector: string): CvssScore | undefined {
  if (typeof vector !== 'string') return undefined;
  const hit = cache.get(vector);
  if (hit !== undefined) return hit ?? undefined;
  const s = computeCvss(vector);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(vector, s ?? null);
  return s;
}

function computeCvss(vector: string): CvssScore | undefined {
  if (typeof vector !== 'string' || vector.length > 512) return undefined;
  let v = vector.trim();
  if (v.startsWith('(') && v.endsWith(')')) v = v.slice(1, -1);
  let version: CvssScore['version'];
  let body: string;
  const m = /^CVSS:(3\.0|3\.1|4\.0)\/(.*)$/.exec(v);
  if (m) {
    version = m[1] as CvssScore['version'];
    body = m[2] ?? '';
  } else if (/^AV:[LAN]\//.test(v)) {
    version = '2.0';
    body = v;
  } else return undefined;
  const metrics = new Map<string, string>();
  for (const part of body.split('/')) {
    const [k, val, extra] = part.split(':');
    if (!k || val === undefined || extra !== undefined || metrics.has(k)) return undefined;
    metrics.set(k, val);
  }
  for (const [k, re] of Object.entries(REQUIRED[version])) {
    const val = metrics.get(k);
    if (val === undefined || !re.test(val)) return undefined;
  }
  const Ctor =
    version === '2.0' ? lib.Cvss2 : version === '3.0' ? lib.Cvss3P0 : version === '3.1' ? lib.Cvss3P1 : lib.Cvss4P0;
  let score: number | undefined;
  try {
    const s = new Ctor(v).calculateScores();
    score = s.base ?? s.overall;
  } catch {
    return undefined;
  }
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return undefined;
  return { version, vector: v, score, severity: severityOfScore(score, version) };
}

/** Qualitative rating of a score (CVSS v3/v4 table; v2 has no CRITICAL band). */
export function severityOfScore(score: number, version: CvssScore['version'] = '3.1'): Severity {
  if (version === '2.0') return score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW';
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'LOW';
}
