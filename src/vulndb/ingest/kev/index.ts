import { isRecord } from '../../../util/json.ts';
import type { KevEntry } from '../../types.ts';
import { CVE_RE, csvRows, type SkipCounter } from '../common.ts';

export const KEV_SOURCE = 'kev';
export const KEV_LICENSE = 'CC0-1.0 (CISA Known Exploited Vulnerabilities catalog)';

export function looksLikeKevJson(doc: unknown): boolean {
  return (
    isRecord(doc) &&
    Array.isArray(doc.vulnerabilities) &&
    (typeof doc.catalogVersion === 'string' || typeof doc.title === 'string')
  );
}

/** KEV JSON: `{vulnerabilities: [{cveID, vendorProject, product, dateAdded, dueDate, knownRansomwareCampaignUse}]}`. */
export function* kevFromJson(doc: unknown, skips: SkipCounter): Generator<KevEntry> {
  if (!isRecord(doc) || !Array.isArray(doc.vulnerabilities)) return;
  for (const v of doc.vulnerabilities) {
    const e = isRecord(v)
      ? kevEntry(v.cveID, v.dateAdded, v.dueDate, v.knownRansomwareCampaignUse, v.vendorProject, v.product)
      : undefined;
    if (e) yield e;
    else skips.skip('malformed-entry');
  }
}

const KEV_HEADER = ['cveID', 'vendorProject', 'product', 'dateAdded', 'dueDate', 'knownRansomwareCampaignUse'];

export function looksLikeKevCsv(text: string): boolean {
  return /^\uFEFF?"?cveID"?,/.test(text);
}

/** KEV CSV with the catalogue's header row (columns located by name). */
export function* kevFromCsv(text: string, skips: SkipCounter): Generator<KevEntry> {
  let col: Record<string, number> | undefined;
  for (const row of csvRows(text)) {
    if (!col) {
      col = Object.fromEntries(row.map((h, i) => [h.replace(/^\uFEFF/, '').trim(), i]));
      if (KEV_HEADER.some((h) => col?.[h] === undefined)) return;
      continue;
    }
    if (row.length === 1 && row[0] === '') continue;
    const at = (h: string): string | undefined => row[col?.[h] ?? -1];
    const e = kevEntry(
      at('cveID'),
      at('dateAdded'),
      at('dueDate'),
      at('knownRansomwareCampaignUse'),
      at('vendorProject'),
      at('product'),
    );
    if (e) yield e;
    else skips.skip('malformed-entry');
  }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function kevEntry(
  cve: unknown,
  added: unknown,
  due: unknown,
  ransomware: unknown,
  vendor: unknown,
  product: unknown,
): KevEntry | undefined {
  if (typeof cve !== 'string' || !CVE_RE.test(cve.trim())) return undefined;
  if (typeof added !== 'string' || !DATE_RE.test(added) || typeof due !== 'string' || !DATE_RE.test(due))
    return undefined;
  return {
    cve: cve.trim(),
    dateAdded: added,
    dueDate: due,
    knownRansomware: typeof ransomware === 'string' && ransomware.trim().toLowerCase() === 'known',
    vendor: typeof vendor === 'string' ? vendor : '',
    product: typeof product === 'string' ? product : '',
  };
}
