import type { EpssEntry } from '../../types.ts';
import { CVE_RE, csvRows, type SkipCounter } from '../common.ts';

export const EPSS_SOURCE = 'epss';
export const EPSS_LICENSE = 'EPSS scores by FIRST.org (free to use with attribution)';

export function looksLikeEpss(text: string): boolean {
  return /^\uFEFF?(#model_version|cve,epss)/.test(text);
}

/**
 * EPSS CSV: an optional comment line `#model_version:v2025.03.14,score_date:2025-11-20T12:55:00Z`,
 * a header `cve,epss,percentile`, then one row per CVE with scores in [0, 1].
 */
export function* epssFromCsv(text: string, skips: SkipCounter): Generator<EpssEntry> {
  let date: string | undefined;
  let body = text.replace(/^\uFEFF/, '');
  if (body.startsWith('#')) {
    const nl = body.indexOf('\n');
    const comment = nl < 0 ? body : body.slice(0, nl);
    date = /score_date:([0-9T:.\-+Z]+)/.exec(comment)?.[1];
    body = nl < 0 ? '' : body.slice(nl + 1);
  }
  let col: { cve: number; epss: number; percentile: number } | undefined;
  for (const row of csvRows(body)) {
    if (!col) {
      const names = row.map((h) => h.trim());
      col = { cve: names.indexOf('cve'), epss: names.indexOf('epss'), percentile: names.indexOf('percentile') };
      if (col.cve < 0 || col.epss < 0 || col.percentile < 0) return;
      continue;
    }
    if (row.length === 1 && row[0] === '') continue;
    const cve = row[col.cve]?.trim() ?? '';
    const rawScore = row[col.epss];
    const rawPct = row[col.percentile];
    const score = Number(rawScore);
    const percentile = Number(rawPct);
    if (!CVE_RE.test(cve) || !inUnit(rawScore, score) || !inUnit(rawPct, percentile)) {
      skips.skip('malformed-row');
      continue;
    }
    const e: EpssEntry = { cve, score, percentile };
    if (date) e.date = date;
    yield e;
  }
}

function inUnit(raw: string | undefined, n: number): boolean {
  return raw !== undefined && raw.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 1;
}
