import { styleText } from 'node:util';
import type { Severity, VulnFinding } from '../../detect/types.ts';
import {
  compareChecks,
  compareFindings,
  countBySeverity,
  dbAgeText,
  dbSourcesText,
  failedChecks,
  formatEpss,
  formatKev,
  formatRisk,
  groupByPackage,
  isVulnResult,
  misconfigCounts,
  NOT_EVALUATED,
  oneLine,
  suppressedVulns,
  suppressionText,
  totalLine,
  visibleVulns,
} from '../common.ts';
import type { MisconfigFinding, Report, ReportResult } from '../types.ts';
import type { ReportWriter, WriteContext } from '../writer.ts';
import { renderTable } from './format.ts';

export const id = 'table';

type Style = Parameters<typeof styleText>[0];

const SEVERITY_STYLE: Record<Severity, Style> = {
  CRITICAL: ['bold', 'red'],
  HIGH: 'red',
  MEDIUM: 'yellow',
  LOW: 'blue',
  UNKNOWN: 'gray',
};

/** A colouring function that is the identity without colour; stream validation is the CLI's job. */
function painter(color: boolean): (style: Style, text: string) => string {
  return color ? (style, text) => styleText(style, text, { validateStream: false }) : (_style, text) => text;
}

const VULN_HEADERS = [
  'Package',
  'Vulnerability',
  'Severity',
  'Status',
  'Installed',
  'Fixed',
  'Risk',
  'KEV',
  'EPSS',
  'Title',
] as const;
const CHECK_HEADERS = ['Check', 'Severity', 'Status', 'Title', 'Resource', 'Location'] as const;
const SECRET_HEADERS = ['Rule', 'Severity', 'Title', 'Location', 'Layer', 'Match'] as const;
const LICENSE_HEADERS = ['Package', 'Version', 'Licence', 'SPDX', 'Category', 'Policy', 'Severity'] as const;
const HEADER_LICENSE_HEADERS = ['File', 'Licence', 'SPDX', 'Category', 'Policy', 'Severity'] as const;

function underline(text: string): string {
  return `${text}\n${'='.repeat([...text].length)}`;
}

function header(report: Report, paint: ReturnType<typeof painter>): string[] {
  const t = report.target;
  const lines = [paint('bold', `Target: ${oneLine(t.name)} (${oneLine(t.kind)})`)];
  const digest = t.image?.manifestDigest ?? t.image?.configDigest;
  if (digest) lines.push(`Digest: ${oneLine(digest)}`);
  if (report.os) lines.push(`OS: ${oneLine(report.os.name || report.os.family)} (${oneLine(report.os.version)})`);
  if (report.db) {
    lines.push(`${dbAgeText(report.db)}; sources: ${dbSourcesText(report.db)}`);
  } else if (scansPackages(report)) {
    lines.push(paint('yellow', `Vulnerabilities: ${NOT_EVALUATED}`));
  }
  const f = report.filters;
  const parts: string[] = [];
  if (f.severities.length < 5) parts.push(`severity ${f.severities.join(',')}`);
  if (f.ignoreUnfixed) parts.push('unfixed hidden');
  if (f.ignoreFile) parts.push(`ignore file ${oneLine(f.ignoreFile)}`);
  if (f.vex.length > 0) parts.push(`VEX ${f.vex.map(oneLine).join(', ')}`);
  if (parts.length > 0) lines.push(`Filters: ${parts.join('; ')}`);
  return lines;
}

function vulnRows(findings: readonly VulnFinding[]): { rows: string[][]; severities: Severity[] } {
  const rows: string[][] = [];
  const severities: Severity[] = [];
  for (const g of groupByPackage(findings)) {
    g.findings.forEach((f, i) => {
      rows.push([
        i === 0 ? oneLine(g.name) : '',
        oneLine(f.id),
        f.severity,
        f.status,
        i === 0 ? oneLine(g.version) : '',
        oneLine(f.fixedVersion),
        formatRisk(f.risk),
        formatKev(f),
        formatEpss(f.epss?.score),
        oneLine(f.title),
      ]);
      severities.push(f.severity);
    });
  }
  return { rows, severities };
}

function vulnSection(report: Report, r: ReportResult, ctx: WriteContext, paint: ReturnType<typeof painter>): string {
  const title = underline(`${oneLine(r.target)}${r.packages === undefined ? '' : `, ${r.packages} packages`}`);
  if (!report.db) return `${title}\nTotal: ${NOT_EVALUATED}\n`;
  const visible = visibleVulns(r);
  const out = [title, totalLine(countBySeverity(visible))];
  if (visible.length === 0) return `${out.join('\n')}\n`;
  const { rows, severities } = vulnRows(visible);
  const table = renderTable(VULN_HEADERS, rows, {
    style: (row, col, text) => (col === 2 ? paint(SEVERITY_STYLE[severities[row] ?? 'UNKNOWN'], text) : text),
    shrinkColumn: VULN_HEADERS.length - 1,
    ...(ctx.width === undefined ? {} : { maxWidth: ctx.width }),
    minShrinkWidth: 16,
  });
  return `${out.join('\n')}\n\n${table}`;
}

function location(m: MisconfigFinding): string {
  if (!m.file) return '';
  if (m.startLine === undefined) return oneLine(m.file);
  const end = m.endLine !== undefined && m.endLine !== m.startLine ? `-${m.endLine}` : '';
  return `${oneLine(m.file)}:${m.startLine}${end}`;
}

function resource(m: MisconfigFinding): string {
  if (!m.resource) return '';
  if (m.resource.kind === m.resource.name && !m.resource.namespace) return oneLine(m.resource.name);
  const ns = m.resource.namespace ? `${oneLine(m.resource.namespace)}/` : '';
  return `${oneLine(m.resource.kind)} ${ns}${oneLine(m.resource.name)}`;
}

function checkSection(r: ReportResult, ctx: WriteContext, paint: ReturnType<typeof painter>): string {
  const list = r.misconfigurations ?? [];
  const c = misconfigCounts(list);
  const failed = failedChecks(list);
  const out = [
    underline(oneLine(r.target)),
    `Checks: ${c.total} (failed: ${c.failed}, passed: ${c.passed}, skipped: ${c.skipped}, errors: ${c.errors}, suppressed: ${c.suppressed})`,
    totalLine(countBySeverity(failed), 'Failures'),
  ];
  // Errored checks stay in the table: they were not evaluated, which must not read as passed.
  const shown = [...failed.sort(compareChecks), ...list.filter((m) => m.status === 'error').sort(compareChecks)];
  if (shown.length === 0) return `${out.join('\n')}\n`;
  const rows = shown.map((m) => [oneLine(m.checkId), m.severity, m.status, oneLine(m.title), resource(m), location(m)]);
  const table = renderTable(CHECK_HEADERS, rows, {
    style: (row, col, text) => (col === 1 ? paint(SEVERITY_STYLE[shown[row]?.severity ?? 'UNKNOWN'], text) : text),
    shrinkColumn: 3,
    ...(ctx.width === undefined ? {} : { maxWidth: ctx.width }),
    minShrinkWidth: 16,
  });
  const notes = list
    .filter((m) => m.status === 'skipped' || m.status === 'error')
    .sort(compareChecks)
    .map((m) => `  ${m.status} ${oneLine(m.checkId)}: ${oneLine(m.reason) || 'no reason given'}`);
  return `${out.join('\n')}\n\n${table}${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`;
}

function secretSection(r: ReportResult, ctx: WriteContext, paint: ReturnType<typeof painter>): string {
  const list = r.secrets ?? [];
  const out = [underline(`${oneLine(r.target)} (secrets)`), totalLine(countBySeverity(list))];
  if (list.length === 0) return `${out.join('\n')}\n`;
  const rows = list.map((f) => {
    const where = f.resource ? ` ${oneLine(f.resource.name)}/${oneLine(f.resource.key)}` : '';
    const lines = f.endLine !== f.startLine ? `${f.startLine}-${f.endLine}` : `${f.startLine}`;
    return [
      oneLine(f.ruleId),
      f.severity,
      oneLine(f.title),
      `${oneLine(f.file)}:${lines}${where}`,
      f.layer ? `${f.layer.index} ${oneLine(f.layer.diffId).slice(7, 19)}` : '',
      `${oneLine(f.match)} ${oneLine(f.hash)}`,
    ];
  });
  const table = renderTable(SECRET_HEADERS, rows, {
    style: (row, col, text) => (col === 1 ? paint(SEVERITY_STYLE[list[row]?.severity ?? 'UNKNOWN'], text) : text),
    shrinkColumn: 2,
    ...(ctx.width === undefined ? {} : { maxWidth: ctx.width }),
    minShrinkWidth: 16,
  });
  return `${out.join('\n')}\n\n${table}`;
}

function licenseSection(r: ReportResult, ctx: WriteContext, paint: ReturnType<typeof painter>): string {
  const list = r.licenses ?? [];
  const unknown = list.filter((l) => l.unknown).length;
  const out = [
    underline(`${oneLine(r.target)} (licences)`),
    `${totalLine(countBySeverity(list))}; not normalised to SPDX: ${unknown}`,
  ];
  if (list.length === 0) return `${out.join('\n')}\n`;
  const headers = r.class === 'license-file' ? HEADER_LICENSE_HEADERS : LICENSE_HEADERS;
  const rows = list.map((l) => {
    const tail = [
      oneLine(l.declared) || '(none stated)',
      l.spdx ? oneLine(l.spdx) : '-',
      l.category,
      l.policy ?? '',
      l.severity,
    ];
    return r.class === 'license-file'
      ? [`${oneLine(l.file)}:${l.line ?? ''}`, ...tail]
      : [oneLine(l.package), oneLine(l.version), ...tail];
  });
  const sevCol = headers.length - 1;
  const table = renderTable(headers, rows, {
    style: (row, col, text) => (col === sevCol ? paint(SEVERITY_STYLE[list[row]?.severity ?? 'UNKNOWN'], text) : text),
    shrinkColumn: r.class === 'license-file' ? 1 : 2,
    ...(ctx.width === undefined ? {} : { maxWidth: ctx.width }),
    minShrinkWidth: 16,
  });
  return `${out.join('\n')}\n\n${table}`;
}

function footer(report: Report): string[] {
  const lines: string[] = [];
  const suppressed = report.results.flatMap(suppressedVulns).sort(compareFindings);
  const suppressedChecks = report.results
    .flatMap((r) => (r.misconfigurations ?? []).filter((m) => m.suppressed && m.status === 'failed'))
    .sort(compareChecks);
  if (suppressed.length + suppressedChecks.length > 0) {
    const byIgnore = suppressed.filter((f) => f.suppressed?.by === 'ignorefile').length;
    const byVex = suppressed.filter((f) => f.suppressed?.by === 'vex').length;
    lines.push(
      `Suppressed: ${suppressed.length + suppressedChecks.length} (ignore file: ${byIgnore}, VEX: ${byVex}, inline or ignored checks: ${suppressedChecks.length})`,
    );
    for (const f of suppressed) {
      if (f.suppressed)
        lines.push(`  ${oneLine(f.id)} in ${oneLine(f.package.name)}: ${suppressionText(f.suppressed)}`);
    }
    for (const m of suppressedChecks) {
      lines.push(
        `  ${oneLine(m.checkId)} at ${location(m)}: ${oneLine(m.suppressed?.reason) || oneLine(m.suppressed?.by)}`,
      );
    }
  }
  if (report.expiredIgnores.length > 0) {
    lines.push(`Expired ignore entries (no longer suppress anything): ${report.expiredIgnores.length}`);
    for (const e of report.expiredIgnores) {
      lines.push(
        `  ${oneLine(e.id)}${e.purl ? ` ${oneLine(e.purl)}` : ''}: expired ${oneLine(e.expires)} (${oneLine(e.file)})`,
      );
    }
  }
  const notices = report.results.flatMap((r) => r.supportNotices ?? []);
  if (notices.length > 0) {
    lines.push(`Security support limited or ended: ${notices.length} packages`);
    for (const n of notices) {
      const what = n.status === 'end_of_life' ? 'support ended' : 'limited support';
      lines.push(`  ${oneLine(n.package)} ${oneLine(n.version)}: ${what}${n.note ? ` (${oneLine(n.note)})` : ''}`);
    }
  }
  if (report.unmatched.length > 0) {
    const total = report.unmatched.reduce((n, u) => n + u.count, 0);
    lines.push(`Not matched (not evaluated): ${total} packages`);
    for (const u of report.unmatched) {
      const eg = u.samples.length > 0 ? `, e.g. ${u.samples.slice(0, 3).map(oneLine).join(', ')}` : '';
      lines.push(`  ${u.reason} (${oneLine(u.ecosystem)}): ${u.count}${eg}`);
    }
  }
  const gaps = report.coverage.filter((c) => c.status !== 'ok');
  if (gaps.length > 0) {
    lines.push('Coverage:');
    for (const c of gaps) {
      const what =
        c.status === 'no-files' ? 'no files it reads: not evaluated' : c.status === 'partial' ? 'partial' : 'failed';
      lines.push(`  ${oneLine(c.id)}: ${what}${c.note ? ` (${oneLine(c.note)})` : ''}`);
    }
  }
  if (report.warnings.length > 0) {
    lines.push('Warnings:');
    for (const w of report.warnings) {
      lines.push(
        `  ${oneLine(w.code)}: ${oneLine(w.message)} (${w.count}${w.sample ? `, e.g. ${oneLine(w.sample)}` : ''})`,
      );
    }
  }
  if (!report.db && scansPackages(report)) lines.push(`Vulnerabilities: ${NOT_EVALUATED}`);
  return lines;
}

/** A report about packages (not only configuration files), where a missing database matters. */
function scansPackages(report: Report): boolean {
  if (report.results.some((r) => r.class === 'os-pkgs' || r.class === 'lang-pkgs')) return true;
  // A secret- or licence-only scan asked nothing of a vulnerability database.
  return report.results.length === 0;
}

/** Trivy-like text report: a header, one section per result, a footer with what is not shown and why. */
export function writeTable(report: Report, ctx: WriteContext): string {
  const paint = painter(ctx.color);
  const sections = report.results.map((r) =>
    r.class === 'secret'
      ? secretSection(r, ctx, paint)
      : r.class === 'license' || r.class === 'license-file'
        ? licenseSection(r, ctx, paint)
        : isVulnResult(r) || r.vulnerabilities
          ? vulnSection(report, r, ctx, paint)
          : checkSection(r, ctx, paint),
  );
  const foot = footer(report);
  return `${[`${header(report, paint).join('\n')}\n`, ...sections, ...(foot.length > 0 ? [foot.join('\n')] : [])].join('\n')}\n`.replace(
    /\n{3,}/g,
    '\n\n',
  );
}

export const tableReportWriter: ReportWriter = {
  id,
  mediaType: 'text/plain; charset=utf-8',
  fileExtension: '.txt',
  description: 'text table grouped by target and package, with severity summaries (default)',
  write: writeTable,
};
