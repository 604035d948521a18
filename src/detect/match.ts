import { isOSPackageType, type LangPackageType, type Package } from '../analyzers/types.ts';
import type { ReportResult, SupportNotice } from '../report/types.ts';
import type { Inventory } from '../scan/types.ts';
import { versioningFor } from '../versioning/api.ts';
import { matchAffected } from '../versioning/range.ts';
import type { RangeEvent, Versioning } from '../versioning/types.ts';
import type { Advisory, AffectedEntry, EpssEntry, KevEntry, VulnDbReader } from '../vulndb/types.ts';
import { osDetectorFor } from './api.ts';
import { LANG_ECOSYSTEMS, langMatchName } from './lang/index.ts';
import { riskScore } from './risk.ts';
import { chooseSeverity } from './severity.ts';
import type { FindingPackage, FindingStatus, MatchEvidence, Unmatched, VulnFinding } from './types.ts';

export interface DetectResult {
  results: ReportResult[];
  unmatched: Unmatched[];
  /** Packages that were looked up (valid version, ecosystem with data). */
  packagesEvaluated: number;
}

interface Lookup {
  pkg: Package;
  ecosystems: string[];
  name: string;
  version: string;
}

const MAX_SAMPLES = 5;

/**
 * Match an inventory against the database. OS packages go through their distro's detector (by
 * source package and release); language packages by ecosystem and name. Packages that cannot be
 * evaluated are counted in `unmatched` by reason, never dropped in silence.
 */
export function detectVulnerabilities(inventory: Inventory, db: VulnDbReader): DetectResult {
  const available = db.ecosystems();
  const unmatched = new Map<string, Unmatched>();
  const skip = (reason: Unmatched['reason'], ecosystem: string, sample: string): void => {
    const key = `${reason}\0${ecosystem}`;
    let u = unmatched.get(key);
    if (!u) {
      u = { reason, ecosystem, count: 0, samples: [] };
      unmatched.set(key, u);
    }
    u.count++;
    if (u.samples.length < MAX_SAMPLES) u.samples.push(sample);
  };
  const ctx: MatchContext = {
    db,
    advisories: new Map(),
    notices: [],
    exploits: new Map(),
    pending: [],
    versionings: new Map(),
  };
  const results: ReportResult[] = [];
  let evaluated = 0;

  const osPackages = inventory.packages.filter((p) => isOSPackageType(p.type));
  if (osPackages.length > 0) {
    const os = inventory.os;
    const detector = os ? osDetectorFor(os) : undefined;
    const findings: VulnFinding[] = [];
    if (!os || !detector) {
      for (const p of osPackages) skip('unsupported-os', os?.family ?? 'unknown', `${p.name}@${p.version}`);
    } else {
      const ecosystems = detector.ecosystems(os, available);
      const withData = ecosystems.filter((e) => available.has(e));
      const names = osPackages.filter((p) => p.type === detector.packageType).map((p) => detector.matchKey(p).name);
      for (const e of withData) db.prefetchAffected(e, names);
      for (const p of osPackages) {
        if (p.type !== detector.packageType) {
          skip('unknown-ecosystem', `${p.type} on ${os.family}`, `${p.name}@${p.version}`);
          continue;
        }
        if (withData.length === 0) {
          skip('no-data-for-ecosystem', ecosystems[0] ?? `${os.family}:${os.release}`, `${p.name}@${p.version}`);
          continue;
        }
        const key = detector.matchKey(p);
        if (matchPackage(ctx, { pkg: p, ecosystems: withData, ...key }, findings, skip)) evaluated++;
      }
    }
    results.push({
      target: os ? `${os.family} ${os.version || os.release} (os packages)` : 'os packages',
      class: 'os-pkgs',
      type: os?.family ?? 'unknown',
      packages: osPackages.length,
      vulnerabilities: findings,
      ...(ctx.notices.length > 0 ? { supportNotices: ctx.notices.splice(0) } : {}),
    });
  }

  // Language packages: one result per file that lists them (lockfile, installed metadata).
  const langNames = new Map<string, string[]>();
  for (const p of inventory.packages) {
    const ecosystem = isOSPackageType(p.type) ? undefined : LANG_ECOSYSTEMS[p.type as LangPackageType];
    if (!ecosystem || !available.has(ecosystem)) continue;
    const list = langNames.get(ecosystem);
    if (list) list.push(langMatchName(p));
    else langNames.set(ecosystem, [langMatchName(p)]);
  }
  for (const [ecosystem, names] of langNames) db.prefetchAffected(ecosystem, names);
  const byFile = new Map<string, Package[]>();
  for (const p of inventory.packages) {
    if (isOSPackageType(p.type)) continue;
    const k = `${p.type}\0${resultTargetOf(p.location.path)}`;
    const list = byFile.get(k);
    if (list) list.push(p);
    else byFile.set(k, [p]);
  }
  for (const [k, pkgs] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [type = '', path = ''] = k.split('\0');
    const ecosystem = LANG_ECOSYSTEMS[type as LangPackageType];
    const findings: VulnFinding[] = [];
    for (const p of pkgs) {
      if (!ecosystem) {
        skip('unknown-ecosystem', type, `${p.name}@${p.version}`);
        continue;
      }
      if (!available.has(ecosystem)) {
        skip('no-data-for-ecosystem', ecosystem, `${p.name}@${p.version}`);
        continue;
      }
      const lookup = { pkg: p, ecosystems: [ecosystem], name: langMatchName(p), version: p.version };
      if (matchPackage(ctx, lookup, findings, skip)) evaluated++;
    }
    results.push({
      target: path,
      class: 'lang-pkgs',
      type,
      packages: pkgs.length,
      vulnerabilities: findings,
    });
  }
  buildPending(ctx);
  for (const r of results) if (r.vulnerabilities) sortFindings(r.vulnerabilities);
  return { results, unmatched: [...unmatched.values()], packagesEvaluated: evaluated };
}

interface MatchContext {
  db: VulnDbReader;
  advisories: Map<string, Advisory | null>;
  notices: SupportNotice[];
  exploits: Map<string, { epss?: EpssEntry; kev?: KevEntry }>;
  pending: Pending[];
  /** Versioning module per ecosystem name (null: none), looked up once per scan. */
  versionings: Map<string, Versioning | null>;
}

/** Debian's security-support lists state a package's support, not a vulnerability. */
function isSupportEntry(entry: AffectedEntry): boolean {
  return entry.source.startsWith('debian-security-support');
}

/**
 * The result a language package is reported under: its lockfile or binary; installed packages
 * (one metadata file each) are grouped by the directory that holds them, as a person reads them:
 * `app/node_modules`, `usr/lib/python3/dist-packages`, `usr/share/java`.
 */
export function resultTargetOf(path: string): string {
  const nm = path.indexOf('node_modules/');
  if (nm >= 0 && path.endsWith('/package.json')) return path.slice(0, nm + 'node_modules'.length);
  if (path.includes('-info')) {
    const m = /^(.*?)\/[^/]+\.(?:dist-info|egg-info)(?:\/|$)/.exec(path);
    if (m) return m[1] ?? path;
  }
  if (/\.(?:jar|war|ear|par)$/i.test(path) || /\/specifications\/[^/]+\.gemspec$/.test(path)) {
    const slash = path.lastIndexOf('/');
    return slash > 0 ? path.slice(0, slash) : path;
  }
  return path;
}

/** A package's applicable records, turned into findings once every package's records are fetched. */
interface Pending {
  lookup: Lookup;
  decided: Decision[];
  endOfLife: boolean;
  out: VulnFinding[];
}

/** Look one package up in each of its ecosystems; returns false when its version cannot be compared. */
function matchPackage(
  ctx: MatchContext,
  l: Lookup,
  out: VulnFinding[],
  skip: (reason: Unmatched['reason'], ecosystem: string, sample: string) => void,
): boolean {
  // Most packages have no applicable record: the pending entry is made on the first one.
  let pending: Pending | undefined;
  let comparable = false;
  for (const ecosystem of l.ecosystems) {
    let versioning = ctx.versionings.get(ecosystem);
    if (versioning === undefined) {
      versioning = versioningFor(ecosystem) ?? null;
      ctx.versionings.set(ecosystem, versioning);
    }
    if (!versioning) {
      skip('unknown-ecosystem', ecosystem, `${l.name}@${l.version}`);
      continue;
    }
    if (!versioning.isValid(l.version)) {
      skip('unparsable-version', ecosystem, `${l.name}@${l.version}`);
      continue;
    }
    comparable = true;
    for (const entry of ctx.db.affected(ecosystem, l.name)) {
      if (isSupportEntry(entry)) {
        const ended = entry.status === 'end_of_life';
        // An "ended" entry covers versions up to its last supported one through its range.
        if (ended && entry.ranges.length > 0 && !matchAffected(versioning, l.version, entry, ecosystem)) continue;
        ctx.notices.push({
          package: l.pkg.name,
          version: l.pkg.version,
          status: ended ? 'end_of_life' : 'limited',
          ...(entry.note ? { note: entry.note } : {}),
          source: entry.source,
        });
        if (ended) {
          pending ??= { lookup: l, decided: [], endOfLife: false, out };
          pending.endOfLife = true;
        }
        continue;
      }
      const d = decide(l, ecosystem, versioning, entry);
      if (d) {
        pending ??= { lookup: l, decided: [], endOfLife: false, out };
        pending.decided.push(d);
      }
    }
  }
  if (pending && pending.decided.length > 0) ctx.pending.push(pending);
  return comparable;
}

/** Build the findings of every pending package, after fetching all their records in a few statements. */
function buildPending(ctx: MatchContext): void {
  prefetch(
    ctx,
    ctx.pending.flatMap((p) => p.decided),
  );
  for (const p of ctx.pending.splice(0)) {
    const byId = new Map<string, VulnFinding>();
    for (const d of p.decided) {
      const finding = buildFinding(ctx, p.lookup, d);
      // One finding per vulnerability and package: a CVE published by OSV and by the tracker is
      // reported once, keeping the record that states a fix.
      const key = finding.cve ?? finding.id;
      const prev = byId.get(key);
      if (!prev) byId.set(key, finding);
      else {
        const keep = !prev.fixedVersion && finding.fixedVersion ? finding : prev;
        const other = keep === prev ? finding : prev;
        keep.aliases = [...new Set([...keep.aliases, other.id, ...other.aliases])].filter((a) => a !== keep.id);
        byId.set(key, keep);
      }
    }
    // Without security support, an open vulnerability will not be fixed for this release.
    if (p.endOfLife)
      for (const f of byId.values()) if (!f.fixedVersion && f.status === 'affected') f.status = 'end_of_life';
    p.out.push(...byId.values());
  }
}

/** A record that applies to the installed version, before it becomes a finding. */
interface Decision {
  entry: AffectedEntry;
  ecosystem: string;
  status: FindingStatus;
  fixedVersion: string | undefined;
  evidence: MatchEvidence;
}

function decide(l: Lookup, ecosystem: string, versioning: Versioning, entry: AffectedEntry): Decision | undefined {
  if (entry.status === 'not_affected') return undefined;
  let status: FindingStatus;
  let fixedVersion: string | undefined;
  let evidence: MatchEvidence;
  if (entry.ranges.length > 0 || entry.versions.length > 0) {
    const m = matchAffected(versioning, l.version, entry, ecosystem);
    if (!m) return undefined;
    fixedVersion = m.fixed;
    status = fixedVersion ? 'fixed' : statusOf(entry);
    evidence = {
      source: entry.source,
      via: m.via,
      ...(m.rangeType ? { rangeType: m.rangeType } : {}),
      events: m.events,
      comparator: m.comparator,
      reason: describe(l.version, m.via, m.events, fixedVersion),
    };
  } else {
    // A status without ranges (tracker `open`, `no-dsa`, end of life): every version is affected.
    status = statusOf(entry);
    evidence = {
      source: entry.source,
      via: 'status',
      events: [],
      comparator: versioning.id,
      reason: `${entry.source} marks ${l.name} as ${entry.status ?? 'affected'} in ${ecosystem}${entry.note ? ` (${entry.note})` : ''}`,
    };
  }
  return { entry, ecosystem, status, fixedVersion, evidence };
}

/**
 * Fetch the records, fallback CVE records and EPSS scores a package's decisions need in a few
 * statements instead of one per finding (per-statement cost dominates with node:sqlite).
 */
function prefetch(ctx: MatchContext, decided: readonly Decision[]): void {
  if (decided.length === 0) return;
  const ids = new Set<string>();
  for (const d of decided) if (!ctx.advisories.has(d.entry.advisoryId)) ids.add(d.entry.advisoryId);
  loadAdvisories(ctx, ids);
  const cves = new Set<string>();
  const fallback = new Set<string>();
  for (const d of decided) {
    const a = ctx.advisories.get(d.entry.advisoryId) ?? undefined;
    const cve = cveOf(d.entry.advisoryId, a);
    if (!cve) continue;
    if (!ctx.exploits.has(cve)) cves.add(cve);
    if ((a?.severity.length ?? 0) === 0 && cve !== d.entry.advisoryId && !ctx.advisories.has(cve)) fallback.add(cve);
  }
  loadAdvisories(ctx, fallback);
  if (cves.size > 0) {
    const epss = ctx.db.epssMany([...cves]);
    for (const cve of cves) {
      const e = epss.get(cve);
      const k = ctx.db.kev(cve);
      ctx.exploits.set(cve, { ...(e ? { epss: e } : {}), ...(k ? { kev: k } : {}) });
    }
  }
}

function loadAdvisories(ctx: MatchContext, ids: ReadonlySet<string>): void {
  if (ids.size === 0) return;
  const found = ctx.db.advisoriesById([...ids]);
  for (const id of ids) ctx.advisories.set(id, found.get(id) ?? null);
}

function cveOf(id: string, advisory: Advisory | undefined): string | undefined {
  if (id.startsWith('CVE-')) return id;
  return advisory?.aliases.find((a) => a.startsWith('CVE-'));
}

function buildFinding(ctx: MatchContext, l: Lookup, d: Decision): VulnFinding {
  const { entry, ecosystem, status, fixedVersion, evidence } = d;
  const advisory = advisoryOf(ctx, entry.advisoryId);
  const aliases = advisory ? advisory.aliases.filter((a) => a !== entry.advisoryId) : [];
  const cve = cveOf(entry.advisoryId, advisory);
  let severityEntries = advisory?.severity ?? [];
  if (severityEntries.length === 0 && cve && cve !== entry.advisoryId) {
    // Distro fixture records often carry no vector; the CVE's own record may.
    severityEntries = advisoryOf(ctx, cve)?.severity ?? [];
  }
  const sev = chooseSeverity(severityEntries, entry.severity, isOSPackageType(l.pkg.type) ? 'distro' : 'ghsa');
  const { epss, kev } = cve ? exploitOf(ctx, cve) : {};
  const p = l.pkg;
  // Built key by key in the report's key order: conditional spreads cost a temporary object each,
  // and this runs once per finding.
  const pkg = { name: p.name, version: p.version, type: p.type } as FindingPackage;
  if (p.purl) pkg.purl = p.purl;
  pkg.matchedName = l.name;
  pkg.matchedVersion = l.version;
  pkg.ecosystem = ecosystem;
  pkg.path = p.location.path;
  if (p.location.layer !== undefined) pkg.layer = p.location.layer;
  const finding = { id: entry.advisoryId, aliases } as VulnFinding;
  if (cve) finding.cve = cve;
  finding.package = pkg;
  if (fixedVersion) finding.fixedVersion = fixedVersion;
  finding.status = status;
  finding.severity = sev.severity;
  finding.severitySource = sev.severitySource;
  finding.cvss = sev.cvss;
  if (epss) {
    finding.epss = { score: epss.score, percentile: epss.percentile };
    if (epss.date) finding.epss.date = epss.date;
  }
  if (kev) finding.kev = { dateAdded: kev.dateAdded, dueDate: kev.dueDate, knownRansomware: kev.knownRansomware };
  finding.risk = 0;
  if (advisory?.summary) finding.title = advisory.summary;
  finding.references = advisory?.references ?? [];
  finding.cwes = advisory?.cwes ?? [];
  finding.evidence = evidence;
  finding.risk = riskScore(finding);
  return finding;
}

function exploitOf(ctx: MatchContext, cve: string): { epss?: EpssEntry; kev?: KevEntry } {
  let e = ctx.exploits.get(cve);
  if (!e) {
    const epss = ctx.db.epss(cve);
    const kev = ctx.db.kev(cve);
    e = { ...(epss ? { epss } : {}), ...(kev ? { kev } : {}) };
    ctx.exploits.set(cve, e);
  }
  return e;
}

function statusOf(entry: AffectedEntry): FindingStatus {
  switch (entry.status) {
    case 'will_not_fix':
    case 'end_of_life':
      return entry.status;
    default:
      return 'affected';
  }
}

function advisoryOf(ctx: MatchContext, id: string): Advisory | undefined {
  let a = ctx.advisories.get(id);
  if (a === undefined) {
    a = ctx.db.advisory(id) ?? null;
    ctx.advisories.set(id, a);
  }
  return a ?? undefined;
}

function describe(version: string, via: 'versions' | 'range', events: RangeEvent[], fixed: string | undefined): string {
  if (via === 'versions') return `${version} is listed as affected`;
  const parts = events.map((e) => {
    const [k, v] = Object.entries(e)[0] ?? ['', ''];
    return `${k} ${v}`;
  });
  const interval = parts.length > 0 ? ` in [${parts.join(', ')}]` : '';
  return fixed ? `${version} < ${fixed} (fixed)${interval}` : `${version}${interval}, no fixed version`;
}

/** Highest risk first; ties by severity order, then id, so output is stable. */
export function sortFindings(findings: VulnFinding[]): VulnFinding[] {
  return findings.sort(
    (a, b) =>
      b.risk - a.risk ||
      (a.package.name < b.package.name ? -1 : a.package.name > b.package.name ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
