import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { CvssScore, Severity, VulnFinding } from '../../detect/types.ts';
import { buildCycloneDxBom } from '../../sbom/cyclonedx/index.ts';
import { buildSbomModel } from '../../sbom/model.ts';
import {
  advisoryUrl,
  allVulns,
  compareFindings,
  compareStrings,
  escapeJsonText,
  normalizeReport,
  oneLine,
  safeHttpUrl,
  sha256Hex,
} from '../common.ts';
import type { Report } from '../types.ts';
import type { ReportWriter, WriteContext } from '../writer.ts';

export const id = 'cyclonedx';

/*
 * CycloneDX 1.6 JSON with the components of `bollard sbom` (same model, same bom-refs, built by the SBOM
 * writer) and one vulnerability per finding, linked to its component through `affects[].ref`.
 */

const P = 'bollard';

const METHOD: Record<CvssScore['version'], Enums.Vulnerability.RatingMethod> = {
  '2.0': Enums.Vulnerability.RatingMethod.CVSSv2,
  '3.0': Enums.Vulnerability.RatingMethod.CVSSv3,
  '3.1': Enums.Vulnerability.RatingMethod.CVSSv31,
  '4.0': Enums.Vulnerability.RatingMethod.CVSSv4,
};

const SEVERITY: Record<Severity, Enums.Vulnerability.Severity> = {
  CRITICAL: Enums.Vulnerability.Severity.Critical,
  HIGH: Enums.Vulnerability.Severity.High,
  MEDIUM: Enums.Vulnerability.Severity.Medium,
  LOW: Enums.Vulnerability.Severity.Low,
  UNKNOWN: Enums.Vulnerability.Severity.Unknown,
};

const J = Enums.Vulnerability.AnalysisJustification;
/** OpenVEX justifications in CycloneDX terms; CycloneDX VEX values pass through. */
const JUSTIFICATION: Record<string, Enums.Vulnerability.AnalysisJustification> = {
  component_not_present: J.CodeNotPresent,
  vulnerable_code_not_present: J.CodeNotPresent,
  vulnerable_code_not_in_execute_path: J.CodeNotReachable,
  vulnerable_code_cannot_be_controlled_by_adversary: J.RequiresEnvironment,
  inline_mitigations_already_exist: J.ProtectedByMitigatingControl,
  code_not_present: J.CodeNotPresent,
  code_not_reachable: J.CodeNotReachable,
  requires_configuration: J.RequiresConfiguration,
  requires_dependency: J.RequiresDependency,
  requires_environment: J.RequiresEnvironment,
  protected_by_compiler: J.ProtectedByCompiler,
  protected_at_runtime: J.ProtectedAtRuntime,
  protected_at_perimeter: J.ProtectedAtPerimeter,
  protected_by_mitigating_control: J.ProtectedByMitigatingControl,
};

/** A UUID (version 4 layout) derived from the report: stable for the same report, distinct for others. */
function serialFor(report: Report): string {
  const h = sha256Hex(JSON.stringify(normalizeReport(report)));
  const variant = ((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function addProps(target: Models.PropertyRepository, props: [string, string | number | boolean | undefined][]): void {
  for (const [name, value] of props) {
    if (value === undefined || value === '') continue;
    target.add(new Models.Property(name, String(value)));
  }
}

function sourceFor(f: VulnFinding): Models.Vulnerability.Source {
  const url = f.id.startsWith('CVE-')
    ? `https://nvd.nist.gov/vuln/detail/${encodeURIComponent(f.id)}`
    : advisoryUrl(f.id);
  return new Models.Vulnerability.Source({ name: oneLine(f.evidence.source) || 'bollard', url });
}

function cweNumber(cwe: string): number | undefined {
  const m = /^CWE-(\d{1,6})$/i.exec(cwe.trim());
  if (!m?.[1]) return undefined;
  const n = Number.parseInt(m[1], 10);
  return n > 0 ? n : undefined;
}

/** Components of the findings when no inventory was given: enough for `affects` to resolve. */
function bomFromFindings(report: Report): Models.Bom {
  const bom = new Models.Bom();
  const root = new Models.Component(
    report.target.image ? Enums.ComponentType.Container : Enums.ComponentType.File,
    oneLine(report.target.name) || 'target',
    { bomRef: `target:${oneLine(report.target.name)}` },
  );
  bom.metadata.component = root;
  const seen = new Set<string>();
  for (const f of allVulns(report).toSorted(compareFindings)) {
    const ref = componentKey(f);
    if (seen.has(ref)) continue;
    seen.add(ref);
    bom.components.add(extraComponent(f, ref));
  }
  for (const c of bom.components) root.dependencies.add(c.bomRef);
  return bom;
}

function componentKey(f: VulnFinding): string {
  return f.package.purl ? oneLine(f.package.purl) : `pkg:${oneLine(f.package.name)}@${oneLine(f.package.version)}`;
}

function extraComponent(f: VulnFinding, ref: string): Models.Component {
  const c = new Models.Component(Enums.ComponentType.Library, oneLine(f.package.name) || 'unknown', {
    bomRef: ref,
    version: oneLine(f.package.version),
  });
  if (f.package.purl) {
    // The purl field must parse as a purl; a finding's purl that does not is kept only as the ref.
    try {
      c.purl = oneLine(f.package.purl);
    } catch {
      // not a valid purl string
    }
  }
  addProps(c.properties, [
    [`${P}:package:type`, oneLine(String(f.package.type))],
    [`${P}:package:database`, oneLine(f.package.path)],
  ]);
  return c;
}

/** Map each finding to the bom-ref of its component: by purl and database path, then purl, then name and version. */
function componentIndex(bom: Models.Bom, ctx: WriteContext): (f: VulnFinding) => Models.BomRef | undefined {
  const byPurlPath = new Map<string, Models.BomRef>();
  const byPurl = new Map<string, Models.BomRef>();
  const byNameVersion = new Map<string, Models.BomRef>();
  if (ctx.inventory) {
    const model = buildSbomModel(ctx.inventory);
    const refs = new Map<string, Models.BomRef>();
    for (const c of bom.components) if (c.bomRef.value) refs.set(c.bomRef.value, c.bomRef);
    for (const p of model.packages) {
      const ref = refs.get(p.ref);
      if (!ref) continue;
      byPurlPath.set(`${p.purl}\0${p.pkg.location.path}`, ref);
      if (!byPurl.has(p.purl)) byPurl.set(p.purl, ref);
      const nv = `${p.pkg.name}\0${p.pkg.version}`;
      if (!byNameVersion.has(nv)) byNameVersion.set(nv, ref);
    }
  }
  return (f) => {
    const purl = f.package.purl;
    return (
      (purl ? (byPurlPath.get(`${purl}\0${f.package.path ?? ''}`) ?? byPurl.get(purl)) : undefined) ??
      byNameVersion.get(`${f.package.name}\0${f.package.version}`)
    );
  };
}

function vulnerability(f: VulnFinding, ref: Models.BomRef, n: number): Models.Vulnerability.Vulnerability {
  const v = new Models.Vulnerability.Vulnerability({
    bomRef: `vuln:${n}:${oneLine(f.id)}`,
    id: oneLine(f.id),
    source: sourceFor(f),
  });
  if (f.title) v.description = oneLine(f.title);
  v.detail = oneLine(f.evidence.reason);
  if (f.fixedVersion) v.recommendation = `Upgrade ${oneLine(f.package.name)} to ${oneLine(f.fixedVersion)} or later.`;
  for (const c of f.cvss) {
    v.ratings.add(
      new Models.Vulnerability.Rating({
        score: c.score,
        severity: SEVERITY[c.severity],
        method: METHOD[c.version],
        vector: oneLine(c.vector),
        source: new Models.Vulnerability.Source({ name: oneLine(f.evidence.source) || 'bollard' }),
      }),
    );
  }
  // The severity Bollard decided on, and where it came from (a CVSS version or the distro's rating).
  v.ratings.add(
    new Models.Vulnerability.Rating({
      severity: SEVERITY[f.severity],
      method: Enums.Vulnerability.RatingMethod.Other,
      source: new Models.Vulnerability.Source({ name: `bollard:${f.severitySource}` }),
    }),
  );
  for (const cwe of f.cwes) {
    const num = cweNumber(cwe);
    if (num !== undefined) v.cwes.add(num);
  }
  for (const alias of f.aliases) {
    const a = oneLine(alias);
    if (a && a !== f.id) {
      v.references.add(new Models.Vulnerability.Reference(a, new Models.Vulnerability.Source({ url: advisoryUrl(a) })));
    }
  }
  for (const r of f.references) {
    const url = safeHttpUrl(r);
    if (url) v.advisories.add(new Models.Vulnerability.Advisory(url));
  }
  v.affects.add(
    new Models.Vulnerability.Affect(ref, {
      versions: new Models.Vulnerability.AffectedVersionRepository([
        new Models.Vulnerability.AffectedSingleVersion(oneLine(f.package.version) || 'unknown', {
          status:
            f.suppressed?.vexStatus === 'not_affected'
              ? Enums.Vulnerability.AffectStatus.Unaffected
              : Enums.Vulnerability.AffectStatus.Affected,
        }),
      ]),
    }),
  );
  const s = f.suppressed;
  if (s?.by === 'vex') {
    const analysis = new Models.Vulnerability.Analysis({
      state:
        s.vexStatus === 'fixed'
          ? Enums.Vulnerability.AnalysisState.Resolved
          : Enums.Vulnerability.AnalysisState.NotAffected,
    });
    const j = s.justification ? JUSTIFICATION[s.justification] : undefined;
    if (j && s.vexStatus !== 'fixed') analysis.justification = j;
    const detail = [s.reason, `VEX ${s.file}`].map(oneLine).filter(Boolean).join('; ');
    if (detail) analysis.detail = detail;
    v.analysis = analysis;
  } else if (f.status === 'will_not_fix') {
    const analysis = new Models.Vulnerability.Analysis();
    analysis.response.add(Enums.Vulnerability.AnalysisResponse.WillNotFix);
    v.analysis = analysis;
  }
  addProps(v.properties, [
    [`${P}:status`, f.status],
    [`${P}:risk`, f.risk],
    [`${P}:epss:score`, f.epss?.score],
    [`${P}:epss:percentile`, f.epss?.percentile],
    [`${P}:epss:date`, oneLine(f.epss?.date)],
    [`${P}:kev`, f.kev ? 'true' : undefined],
    [`${P}:kev:dateAdded`, oneLine(f.kev?.dateAdded)],
    [`${P}:kev:dueDate`, oneLine(f.kev?.dueDate)],
    [`${P}:kev:knownRansomware`, f.kev ? String(f.kev.knownRansomware) : undefined],
    [`${P}:fixedVersion`, oneLine(f.fixedVersion)],
    [`${P}:ecosystem`, oneLine(f.package.ecosystem)],
    [`${P}:matched`, `${oneLine(f.package.matchedName)}@${oneLine(f.package.matchedVersion)}`],
    [`${P}:evidence:comparator`, oneLine(f.evidence.comparator)],
    [`${P}:suppressed:by`, s?.by],
    [`${P}:suppressed:file`, oneLine(s?.file)],
    [`${P}:suppressed:reason`, oneLine(s?.reason)],
    [`${P}:suppressed:expires`, oneLine(s?.expires)],
  ]);
  return v;
}

/** CycloneDX 1.6 JSON: the SBOM of the inventory plus `vulnerabilities[]`. */
export function writeCycloneDxReport(report: Report, ctx: WriteContext): string {
  const now = (): Date => new Date(report.createdAt);
  const uuid = (): string => serialFor(report);
  const bom = ctx.inventory ? buildCycloneDxBom(ctx.inventory, { now, uuid }) : bomFromFindings(report);
  if (!ctx.inventory) {
    bom.serialNumber = `urn:uuid:${uuid()}`;
    bom.metadata.timestamp = now();
    bom.metadata.tools.components.add(
      new Models.Component(Enums.ComponentType.Application, report.tool.name, { version: report.tool.version }),
    );
  }
  addProps(bom.metadata.properties, [
    [`${P}:report:schemaVersion`, report.schemaVersion],
    [`${P}:db:builtAt`, report.db?.builtAt],
    [`${P}:db:ageHours`, report.db?.ageHours],
    [`${P}:db:stale`, report.db ? String(report.db.stale) : undefined],
    [`${P}:vulnerabilities`, report.db ? 'evaluated' : 'not-evaluated'],
  ]);
  for (const s of report.db?.sources ?? [])
    addProps(bom.metadata.properties, [[`${P}:db:source:${oneLine(s.id)}`, oneLine(s.digest)]]);
  for (const u of report.unmatched)
    addProps(bom.metadata.properties, [[`${P}:unmatched:${u.reason}:${oneLine(u.ecosystem)}`, u.count]]);

  const refOf = componentIndex(bom, ctx);
  const extra = new Map<string, Models.Component>();
  const findings = allVulns(report).toSorted(compareFindings);
  findings.forEach((f, n) => {
    let ref = refOf(f);
    if (!ref) {
      // A finding whose package is not in the inventory still needs a component to point at.
      const key = `finding:${componentKey(f)}`;
      let c = extra.get(key);
      if (!c) {
        c = extraComponent(f, key);
        extra.set(key, c);
      }
      ref = c.bomRef;
    }
    bom.vulnerabilities.add(vulnerability(f, ref, n + 1));
  });
  for (const key of [...extra.keys()].sort(compareStrings)) {
    const c = extra.get(key);
    if (c) {
      bom.components.add(c);
      bom.metadata.component?.dependencies.add(c.bomRef);
    }
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  // sortLists=false: order is ours (code-unit order and risk), the library would sort by locale.
  return `${escapeJsonText(serializer.serialize(bom, { sortLists: false, space: 2 }))}\n`;
}

export const cyclonedxReportWriter: ReportWriter = {
  id,
  mediaType: 'application/vnd.cyclonedx+json; version=1.6',
  fileExtension: '.cdx.json',
  description: 'CycloneDX 1.6 JSON with components and vulnerabilities',
  write: writeCycloneDxReport,
};
