import { createHash } from 'node:crypto';
import type { Severity, VulnFinding } from '../detect/types.ts';
import { SEVERITIES } from '../detect/types.ts';
import type { MisconfigFinding, Report, ReportResult } from './types.ts';

/*
 * Helpers shared by the report writers: ordering, counting, the text of common phrases, and
 * sanitising of strings that come from image content or vulnerability records (hostile input).
 */

/** Where Bollard is documented; the SARIF `tool.driver.informationUri`. */
export const BOLLARD_INFORMATION_URI = 'https://github.com/bollard-security/bollard';

/** The phrase every format uses when there was no database: never "no vulnerabilities". */
export const NOT_EVALUATED = 'not evaluated: no vulnerability database (run `bollard db update` or pass --db FILE)';

const RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 };

export function severityRank(s: Severity): number {
  return RANK[s] ?? 0;
}

/** Code-unit order: locale-independent, so output does not depend on the machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Highest risk first, then severity, then id, then package: a total order, so output is stable. */
export function compareFindings(a: VulnFinding, b: VulnFinding): number {
  return (
    b.risk - a.risk ||
    severityRank(b.severity) - severityRank(a.severity) ||
    compareStrings(a.id, b.id) ||
    compareStrings(a.package.name, b.package.name) ||
    compareStrings(a.package.version, b.package.version) ||
    compareStrings(a.package.path ?? '', b.package.path ?? '')
  );
}

export interface PackageGroup {
  name: string;
  version: string;
  path?: string;
  purl?: string;
  /** Findings of this package, highest risk first. */
  findings: VulnFinding[];
  maxRisk: number;
}

/** Findings grouped by installed package, packages ordered by their highest risk. */
export function groupByPackage(findings: readonly VulnFinding[]): PackageGroup[] {
  const groups = new Map<string, PackageGroup>();
  for (const f of findings) {
    const key = `${f.package.name}\0${f.package.version}\0${f.package.path ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { name: f.package.name, version: f.package.version, findings: [], maxRisk: Number.NEGATIVE_INFINITY };
      if (f.package.path !== undefined) g.path = f.package.path;
      if (f.package.purl !== undefined) g.purl = f.package.purl;
      groups.set(key, g);
    }
    g.findings.push(f);
    g.maxRisk = Math.max(g.maxRisk, f.risk);
  }
  const list = [...groups.values()];
  for (const g of list) g.findings.sort(compareFindings);
  return list.sort((a, b) => {
    const fa = a.findings[0];
    const fb = b.findings[0];
    return (
      b.maxRisk - a.maxRisk ||
      (fa && fb ? compareFindings(fa, fb) : 0) ||
      compareStrings(a.name, b.name) ||
      compareStrings(a.version, b.version) ||
      compareStrings(a.path ?? '', b.path ?? '')
    );
  });
}

export function emptyCounts(): Record<Severity, number> {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
}

export function countBySeverity(items: readonly { severity: Severity }[]): Record<Severity, number> {
  const c = emptyCounts();
  for (const i of items) c[i.severity] = (c[i.severity] ?? 0) + 1;
  return c;
}

/** `Total: 12 (CRITICAL: 1, HIGH: 3, MEDIUM: 5, LOW: 2, UNKNOWN: 1)` */
export function totalLine(counts: Record<Severity, number>, label = 'Total'): string {
  const total = SEVERITIES.reduce((n, s) => n + counts[s], 0);
  return `${label}: ${total} (${SEVERITIES.map((s) => `${s}: ${counts[s]}`).join(', ')})`;
}

export function visibleVulns(r: ReportResult): VulnFinding[] {
  return (r.vulnerabilities ?? []).filter((f) => !f.suppressed);
}

export function suppressedVulns(r: ReportResult): VulnFinding[] {
  return (r.vulnerabilities ?? []).filter((f) => f.suppressed);
}

export function isVulnResult(r: ReportResult): boolean {
  return r.class === 'os-pkgs' || r.class === 'lang-pkgs';
}

export interface MisconfigCounts {
  total: number;
  failed: number;
  passed: number;
  skipped: number;
  errors: number;
  suppressed: number;
}

export function misconfigCounts(list: readonly MisconfigFinding[]): MisconfigCounts {
  const c: MisconfigCounts = { total: list.length, failed: 0, passed: 0, skipped: 0, errors: 0, suppressed: 0 };
  for (const m of list) {
    if (m.suppressed && m.status === 'failed') c.suppressed++;
    else if (m.status === 'failed') c.failed++;
    else if (m.status === 'passed') c.passed++;
    else if (m.status === 'skipped') c.skipped++;
    else c.errors++;
  }
  return c;
}

/** Failed, unsuppressed checks: what counts as a finding. */
export function failedChecks(list: readonly MisconfigFinding[]): MisconfigFinding[] {
  return list.filter((m) => m.status === 'failed' && !m.suppressed);
}

/** Misconfigurations in a stable order: severity, then file and line, then check id. */
export function compareChecks(a: MisconfigFinding, b: MisconfigFinding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    compareStrings(a.file ?? '', b.file ?? '') ||
    (a.startLine ?? 0) - (b.startLine ?? 0) ||
    compareStrings(a.checkId, b.checkId) ||
    compareStrings(a.resource?.name ?? '', b.resource?.name ?? '')
  );
}

// C0 controls but tab and newline, DEL, C1 controls; ANSI escape sequences are removed whole first.
// oxlint-disable-next-line no-control-regex -- matching terminal escapes is the point
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// Unicode bidi overrides and isolates can make a terminal show text in a misleading order.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/** Remove terminal escapes and control characters (keeps tab and newline). */
export function stripControl(s: string): string {
  return s.replace(ANSI, '').replace(CONTROL, '').replace(BIDI, '');
}

/** One line of plain text: control characters removed, whitespace runs collapsed. */
export function oneLine(s: string | undefined): string {
  if (!s) return '';
  return stripControl(s).replace(/\s+/g, ' ').trim();
}

/** Cut to at most `max` code points, marking the cut with an ellipsis. */
export function truncate(s: string, max: number): string {
  const cps = [...s];
  if (cps.length <= max) return s;
  if (max <= 1) return cps.slice(0, Math.max(0, max)).join('');
  return `${cps.slice(0, max - 1).join('')}…`;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** `94.3%` from an EPSS probability in [0, 1]. */
export function formatEpss(score: number | undefined): string {
  if (score === undefined || !Number.isFinite(score)) return '';
  return `${(Math.round(score * 1000) / 10).toFixed(1)}%`;
}

/** `yes (due 2023-12-12)` for a KEV entry. */
export function formatKev(f: VulnFinding): string {
  if (!f.kev) return '';
  return f.kev.dueDate ? `yes (due ${oneLine(f.kev.dueDate)})` : 'yes';
}

export function formatRisk(risk: number): string {
  return Number.isFinite(risk) ? String(Math.round(risk)) : '';
}

/** `DB built 2026-11-20, 14 h old` (with the sources in a second phrase). */
export function dbAgeText(db: NonNullable<Report['db']>): string {
  const day = db.builtAt.slice(0, 10);
  const h = Math.max(0, Math.round(db.ageHours));
  const age = h < 48 ? `${h} h old` : `${Math.floor(h / 24)} days old`;
  return `DB built ${oneLine(day)}, ${age}${db.stale ? ' (stale: run `bollard db update`)' : ''}`;
}

export function dbSourcesText(db: NonNullable<Report['db']>): string {
  return db.sources.map((s) => `${oneLine(s.id)} (${s.records} records)`).join(', ');
}

/** Human words for a suppression. */
export function suppressionText(s: NonNullable<VulnFinding['suppressed']>): string {
  const parts = [s.by === 'vex' ? `VEX ${oneLine(s.file)}` : `ignore file ${oneLine(s.file)}`];
  if (s.vexStatus) parts.push(oneLine(s.vexStatus));
  if (s.justification) parts.push(oneLine(s.justification));
  if (s.reason) parts.push(oneLine(s.reason));
  if (s.expires) parts.push(`until ${oneLine(s.expires)}`);
  return parts.join(': ');
}

/** The name of the thing a finding is in: `libc6@2.36-9+deb12u1`. */
export function packageLabel(f: VulnFinding): string {
  return `${oneLine(f.package.name)}@${oneLine(f.package.version)}`;
}

/** An http(s) URL without whitespace, else undefined: references come from records and are untrusted. */
export function safeHttpUrl(s: string | undefined): string | undefined {
  if (!s || /[\s<>"'`\\^{}|]/.test(s) || !URL.canParse(s)) return undefined;
  const u = new URL(s);
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
}

/** Where to read about a vulnerability id: OSV knows CVE, GHSA, DSA, DLA and ecosystem ids. */
export function advisoryUrl(id: string): string {
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

export function allVulns(report: Report): VulnFinding[] {
  return report.results.flatMap((r) => r.vulnerabilities ?? []);
}

/**
 * Serialise as JSON with the characters JSON.stringify leaves raw but that mislead terminals and
 * viewers (DEL, C1 controls, line/paragraph separators, bidi overrides) written as `\uXXXX`: same data.
 */
export function escapeJsonText(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The report with findings and checks in the writers' order (risk, then ids), so input order never shows. */
export function normalizeReport(report: Report): Report {
  return {
    ...report,
    results: report.results.map((r) => {
      const out: ReportResult = { ...r };
      if (r.vulnerabilities) out.vulnerabilities = r.vulnerabilities.toSorted(compareFindings);
      if (r.misconfigurations) out.misconfigurations = r.misconfigurations.toSorted(compareChecks);
      return out;
    }),
  };
}
