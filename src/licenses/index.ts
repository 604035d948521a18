import type { Package } from '../analyzers/types.ts';
import type { ReportResult } from '../report/types.ts';
import type { InventoryResult } from '../scan/types.ts';
import { categoryOf } from './category.ts';
import type { LicenseHeader } from './headers.ts';
import { normalizeLicense } from './normalize.ts';
import { evaluatePolicy, type LicensePolicy, licenseSeverity } from './policy.ts';
import type { LicenseFinding } from './types.ts';

export { categoryOf, categoryOfId } from './category.ts';
export { type LicenseHeader, licenseHeaderIn, scanLicenseHeaders } from './headers.ts';
export { type NormalizedLicense, normalizeLicense, normalizeLicenseName } from './normalize.ts';
export { evaluatePolicy, type LicensePolicy, loadLicensePolicy, parseLicensePolicy } from './policy.ts';
export type { LicenseCategory, LicenseFinding, LicensePolicyAction } from './types.ts';

/** Judge one declared licence string. */
export function judgeLicense(declared: string, policy: LicensePolicy | undefined): Omit<LicenseFinding, 'source'> {
  const n = normalizeLicense(declared);
  const category = n.node ? categoryOf(n.node) : 'unknown';
  const verdict = policy ? evaluatePolicy(policy, n.node) : undefined;
  const f: Omit<LicenseFinding, 'source'> = {
    declared: n.declared,
    ids: n.ids,
    category,
    severity: licenseSeverity(category, verdict),
    unknown: n.unknown,
  };
  if (n.spdx !== undefined) f.spdx = n.spdx;
  if (verdict !== undefined) f.policy = verdict;
  return f;
}

/**
 * One finding per licence string of every package (OS packages from their database or copyright
 * file, application packages from their manifests). A package that states no licence gets one
 * finding with an empty `declared`, flagged unknown: "no licence" is not "no problem".
 */
export function packageLicenseFindings(packages: readonly Package[], policy?: LicensePolicy): LicenseFinding[] {
  const out: LicenseFinding[] = [];
  for (const p of packages) {
    if (policy?.ignorePackages.has(p.name)) continue;
    const declared = [...new Set(p.licenses.map((l) => l.trim()).filter(Boolean))];
    for (const d of declared.length > 0 ? declared : ['']) {
      const f: LicenseFinding = {
        source: 'package',
        package: p.name,
        version: p.version,
        packageType: p.type,
        file: p.location.path,
        ...judgeLicense(d, policy),
      };
      if (p.purl) f.purl = p.purl;
      if (p.location.layer !== undefined) f.layer = p.location.layer;
      out.push(f);
    }
  }
  return out;
}

/** Findings of SPDX-License-Identifier headers. */
export function headerLicenseFindings(headers: readonly LicenseHeader[], policy?: LicensePolicy): LicenseFinding[] {
  return headers.map((h) => ({ source: 'header', file: h.file, line: h.line, ...judgeLicense(h.expression, policy) }));
}

export function licenseFindingsOf(inv: InventoryResult, policy?: LicensePolicy): LicenseFinding[] {
  return packageLicenseFindings(inv.inventory.packages, policy);
}

/** Results: one per package type (`license`), and one for file headers (`license-file`). */
export function licenseResults(findings: readonly LicenseFinding[]): ReportResult[] {
  const byType = new Map<string, LicenseFinding[]>();
  for (const f of findings) {
    const t = f.source === 'header' ? '\0header' : (f.packageType ?? 'unknown');
    const list = byType.get(t);
    if (list) list.push(f);
    else byType.set(t, [f]);
  }
  return [...byType.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([t, list]) =>
      t === '\0header'
        ? { target: 'source file headers', class: 'license-file', type: 'spdx-header', licenses: list }
        : { target: `${t} packages`, class: 'license', type: t, licenses: list },
    );
}

/** Findings a policy forbids: what fails the build with `--exit-code`. */
export function countForbidden(findings: readonly LicenseFinding[]): number {
  return findings.filter((f) => f.policy === 'forbidden').length;
}
