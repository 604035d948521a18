import { basename } from 'node:path';
import { isRecord } from '../../../util/json.ts';
import type { Advisory, AffectedEntry } from '../../types.ts';
import type { SkipCounter } from '../common.ts';

export const SECDB_LICENSE = 'Alpine secdb (MIT)';

export interface SecdbItem {
  advisory: Advisory;
  affected: AffectedEntry;
}

/** Source id of one secdb document: `alpine-secdb:v3.19/main`. */
export function secdbSourceId(doc: unknown, path: string): string {
  const d = isRecord(doc) ? doc : {};
  const ver = typeof d.distroversion === 'string' ? d.distroversion : 'unknown';
  const repo = typeof d.reponame === 'string' ? d.reponame : basename(path).replace(/\.(ya?ml|json)$/i, '');
  return `alpine-secdb:${ver}/${repo}`;
}

export function looksLikeSecdb(doc: unknown): boolean {
  return (
    isRecord(doc) && typeof doc.distroversion === 'string' && (Array.isArray(doc.packages) || doc.packages === null)
  );
}

/**
 * secdb (YAML or JSON): `distroversion: v3.x`, `packages: [{pkg: {name, secfixes: {<fixed version>:
 * [CVE...]}}}]`. Each (version, CVE) becomes a fixed range for `Alpine:v3.x`; the `0` key means
 * "never affected" (not_affected). Entries may carry extra words (`CVE-2019-1 XSA-2`): every id is kept.
 */
export function* secdbItems(doc: unknown, source: string, skips: SkipCounter): Generator<SecdbItem> {
  if (!isRecord(doc) || typeof doc.distroversion !== 'string') return;
  // An empty repository is written as `packages:` (null).
  if (!Array.isArray(doc.packages)) {
    if (doc.packages !== null) skips.skip('malformed-packages');
    return;
  }
  const ver = doc.distroversion.trim();
  const ecosystem = `Alpine:${ver.startsWith('v') || ver === 'edge' ? ver : `v${ver}`}`;
  for (const p of doc.packages) {
    const pkg = isRecord(p) && isRecord(p.pkg) ? p.pkg : undefined;
    const name = pkg && typeof pkg.name === 'string' && pkg.name !== '' ? pkg.name : undefined;
    if (!pkg || !name) {
      skips.skip('malformed-package');
      continue;
    }
    if (pkg.secfixes === undefined || pkg.secfixes === null) continue;
    if (!isRecord(pkg.secfixes)) {
      skips.skip('malformed-secfixes', name);
      continue;
    }
    for (const [version, ids] of Object.entries(pkg.secfixes)) {
      if (!Array.isArray(ids) || version === '') {
        skips.skip('malformed-secfixes', `${name}@${version}`);
        continue;
      }
      for (const raw of ids) {
        // YAML may turn an unquoted id into a number or null: only strings are ids.
        if (typeof raw !== 'string') {
          skips.skip('malformed-id', `${name}@${version}`);
          continue;
        }
        for (const id of raw.split(/\s+/).filter((x) => /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9-:._]+$/.test(x))) {
          const advisory: Advisory = { id, source, aliases: [], related: [], severity: [], cwes: [], references: [] };
          const entry: AffectedEntry = { advisoryId: id, source, ecosystem, package: name, ranges: [], versions: [] };
          if (version === '0') entry.status = 'not_affected';
          else {
            entry.status = 'fixed';
            entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] }];
          }
          yield { advisory, affected: entry };
        }
      }
    }
  }
}
