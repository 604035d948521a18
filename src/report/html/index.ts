import { createHash } from 'node:crypto';
import type { Severity, VulnFinding } from '../../detect/types.ts';
import { SEVERITIES } from '../../detect/types.ts';
import {
  compareChecks,
  compareFindings,
  countBySeverity,
  dbAgeText,
  failedChecks,
  formatEpss,
  formatKev,
  formatRisk,
  groupByPackage,
  isVulnResult,
  misconfigCounts,
  NOT_EVALUATED,
  oneLine,
  safeHttpUrl,
  suppressedVulns,
  suppressionText,
  visibleVulns,
} from '../common.ts';
import type { MisconfigFinding, Report, ReportResult } from '../types.ts';
import type { ReportWriter } from '../writer.ts';

export const id = 'html';

/*
 * One self-contained HTML page: inline CSS, no external assets, and a small inline script (allowed by
 * its hash in the Content-Security-Policy, nothing else may run) that sorts a table by a clicked column.
 * The page works without the script. Every string from the report is escaped.
 */

/** Escape text for HTML element content and quoted attribute values. */
export function htmlEscape(s: string | number | undefined): string {
  if (s === undefined) return '';
  return oneLine(String(s))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const CSS = `
:root{--crit:#8b0000;--high:#d9480f;--med:#b08900;--low:#1c6dd0;--unk:#6c757d;--bg:#fff;--fg:#1d2125;--mut:#5c6670;--line:#dde1e5}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.muted{color:var(--mut)}.banner{padding:10px 14px;border-radius:6px;background:#fff3cd;border:1px solid #e0c36c;margin:12px 0}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{min-width:120px;padding:10px 14px;border-radius:8px;color:#fff}
.card b{display:block;font-size:26px}.CRITICAL{background:var(--crit)}.HIGH{background:var(--high)}.MEDIUM{background:var(--med)}.LOW{background:var(--low)}.UNKNOWN{background:var(--unk)}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f4f6f8;cursor:pointer;user-select:none;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-size:12px;font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:8px 0}dt{color:var(--mut)}dd{margin:0}
`;

// Sort a table by the clicked header: numbers by data-v when present, text otherwise; click again to reverse.
const SCRIPT = `document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];var rows=Array.from(tb.rows);var d=th.dataset.dir==='asc'?-1:1;th.dataset.dir=d===1?'asc':'desc';rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i];var p=x.dataset.v,q=y.dataset.v;var r=(p!==undefined&&q!==undefined)?(Number(p)-Number(q)):x.textContent.localeCompare(y.textContent);return r*d;});rows.forEach(function(r){tb.appendChild(r);});});});`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

const SEV_RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 };

function sev(s: Severity): string {
  return `<span class="sev ${s}">${s}</span>`;
}

function link(url: string | undefined, text: string): string {
  const safe = safeHttpUrl(url);
  return safe ? `<a href="${htmlEscape(safe)}" rel="noopener noreferrer">${htmlEscape(text)}</a>` : htmlEscape(text);
}

function table(headers: string[], rows: string[][], sortable = true): string {
  const head = headers.map((h) => `<th>${htmlEscape(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n');
  return `<table${sortable ? ' class="sortable"' : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function td(text: string | number | undefined, opts: { v?: number; num?: boolean; raw?: boolean } = {}): string {
  const a = `${opts.num ? ' class="num"' : ''}${opts.v === undefined ? '' : ` data-v="${opts.v}"`}`;
  return `<td${a}>${opts.raw ? String(text ?? '') : htmlEscape(text)}</td>`;
}

function vulnRows(findings: readonly VulnFinding[]): string[][] {
  return groupByPackage(findings).flatMap((g) =>
    g.findings.map((f) => [
      td(g.name),
      td(
        link(
          f.references.find((r) => safeHttpUrl(r)),
          f.id,
        ),
        { raw: true },
      ),
      td(sev(f.severity), { raw: true, v: SEV_RANK[f.severity] }),
      td(f.status),
      td(g.version),
      td(f.fixedVersion),
      td(formatRisk(f.risk), { num: true, v: f.risk }),
      td(formatKev(f)),
      td(formatEpss(f.epss?.score), { num: true, v: f.epss?.score ?? -1 }),
      td(f.title),
    ]),
  );
}

function vulnSection(report: Report, r: ReportResult): string {
  const title = `<h3>${htmlEscape(r.target)}${r.packages === undefined ? '' : ` <span class="muted">(${r.packages} packages)</span>`}</h3>`;
  if (!report.db) return `${title}\n<p class="banner">Vulnerabilities ${htmlEscape(NOT_EVALUATED)}</p>`;
  const visible = visibleVulns(r);
  const counts = countBySeverity(visible);
  const line = `<p>Total: ${visible.length} (${SEVERITIES.map((s) => `${s}: ${counts[s]}`).join(', ')})</p>`;
  if (visible.length === 0) return `${title}\n${line}`;
  return `${title}\n${line}\n${table(
    ['Package', 'Vulnerability', 'Severity', 'Status', 'Installed', 'Fixed', 'Risk', 'KEV', 'EPSS', 'Title'],
    vulnRows(visible),
  )}`;
}

function where(m: MisconfigFinding): string {
  if (!m.file) return '';
  if (m.startLine === undefined) return m.file;
  return `${m.file}:${m.startLine}${m.endLine !== undefined && m.endLine !== m.startLine ? `-${m.endLine}` : ''}`;
}

function checkSection(r: ReportResult): string {
  const list = (r.misconfigurations ?? []).toSorted(compareChecks);
  const c = misconfigCounts(list);
  const rows = list
    .filter((m) => !(m.status === 'failed' && m.suppressed))
    .map((m) => [
      td(m.checkId),
      td(sev(m.severity), { raw: true, v: SEV_RANK[m.severity] }),
      td(m.status),
      td(m.title),
      td(
        m.resource
          ? `${m.resource.kind} ${m.resource.namespace ? `${m.resource.namespace}/` : ''}${m.resource.name}`
          : '',
      ),
      td(where(m)),
      td(m.status === 'failed' ? m.remediation : m.reason),
    ]);
  return `<h3>${htmlEscape(r.target)}</h3>\n<p>Checks: ${c.total} (failed: ${c.failed}, passed: ${c.passed}, skipped: ${c.skipped}, errors: ${c.errors}, suppressed: ${c.suppressed})</p>\n${table(
    ['Check', 'Severity', 'Status', 'Title', 'Resource', 'Location', 'Remediation / reason'],
    rows,
  )}`;
}

function secretSection(r: ReportResult): string {
  const list = r.secrets ?? [];
  const rows = list.map((f) => [
    td(f.ruleId),
    td(sev(f.severity), { raw: true, v: SEV_RANK[f.severity] }),
    td(f.title),
    td(
      `${f.file}:${f.startLine}${f.endLine !== f.startLine ? `-${f.endLine}` : ''}${f.resource ? ` ${f.resource.name}/${f.resource.key}` : ''}`,
    ),
    td(f.layer ? `${f.layer.index} ${f.layer.diffId.slice(7, 19)}` : ''),
    td(`<code>${htmlEscape(f.match)} ${htmlEscape(f.hash)}</code>`, { raw: true }),
  ]);
  return `<h3>${htmlEscape(r.target)} <span class="muted">(secrets)</span></h3>\n<p>Total: ${list.length}</p>\n${table(
    ['Rule', 'Severity', 'Title', 'Location', 'Layer', 'Match (redacted)'],
    rows,
  )}`;
}

function licenseSection(r: ReportResult): string {
  const list = r.licenses ?? [];
  const rows = list.map((l) => [
    td(l.source === 'header' ? `${l.file ?? ''}:${l.line ?? ''}` : `${l.package ?? ''} ${l.version ?? ''}`),
    td(l.declared || '(none stated)'),
    td(l.spdx ?? '-'),
    td(l.category),
    td(l.policy ?? ''),
    td(sev(l.severity), { raw: true, v: SEV_RANK[l.severity] }),
  ]);
  const unknown = list.filter((l) => l.unknown).length;
  return `<h3>${htmlEscape(r.target)} <span class="muted">(licences)</span></h3>\n<p>Total: ${list.length}; not normalised to SPDX: ${unknown}</p>\n${table(
    [r.class === 'license-file' ? 'File' : 'Package', 'Licence', 'SPDX', 'Category', 'Policy', 'Severity'],
    rows,
  )}`;
}

function suppressedSection(report: Report): string {
  const vulns = report.results.flatMap(suppressedVulns).sort(compareFindings);
  const checks = report.results
    .flatMap((r) => (r.misconfigurations ?? []).filter((m) => m.status === 'failed' && m.suppressed))
    .sort(compareChecks);
  const rows = [
    ...vulns.map((f) => [
      td(f.id),
      td(sev(f.severity), { raw: true, v: SEV_RANK[f.severity] }),
      td(`${f.package.name} ${f.package.version}`),
      td(f.suppressed ? suppressionText(f.suppressed) : ''),
    ]),
    ...checks.map((m) => [
      td(m.checkId),
      td(sev(m.severity), { raw: true, v: SEV_RANK[m.severity] }),
      td(where(m)),
      td(`${m.suppressed?.by ?? ''} ${m.suppressed?.file ?? ''}: ${m.suppressed?.reason ?? ''}`),
    ]),
  ];
  if (rows.length === 0) return '<h2>Suppressed</h2>\n<p class="muted">None.</p>';
  return `<h2>Suppressed (${rows.length})</h2>\n${table(['Id', 'Severity', 'Where', 'Why'], rows)}`;
}

function dbSection(report: Report): string {
  const db = report.db;
  if (!db) return `<h2>Database</h2>\n<p class="banner">Vulnerabilities ${htmlEscape(NOT_EVALUATED)}</p>`;
  const rows = db.sources.map((s) => [
    td(s.id),
    td(s.records, { num: true, v: s.records }),
    td(s.fetchedAt),
    td(`<code>${htmlEscape(s.digest)}</code>`, { raw: true }),
    td(s.license),
    td(s.origin),
  ]);
  return `<h2>Database</h2>\n<p>${htmlEscape(dbAgeText(db))} <span class="muted">(${htmlEscape(db.path)}, schema ${db.schemaVersion})</span></p>\n${table(
    ['Source', 'Records', 'Fetched', 'Digest', 'Licence', 'Origin'],
    rows,
  )}`;
}

function coverageSection(report: Report): string {
  const parts: string[] = ['<h2>Coverage</h2>'];
  parts.push(
    table(
      ['Analyzer', 'Status', 'Files', 'Items', 'Note'],
      report.coverage.map((c) => [
        td(c.id),
        td(c.status === 'no-files' ? 'no files: not evaluated' : c.status),
        td(c.files, { num: true, v: c.files }),
        td(c.items, { num: true, v: c.items }),
        td(c.note),
      ]),
    ),
  );
  if (report.unmatched.length > 0) {
    parts.push('<h3>Packages not matched (not evaluated)</h3>');
    parts.push(
      table(
        ['Reason', 'Ecosystem', 'Count', 'Examples'],
        report.unmatched.map((u) => [
          td(u.reason),
          td(u.ecosystem),
          td(u.count, { num: true, v: u.count }),
          td(u.samples.join(', ')),
        ]),
      ),
    );
  }
  if (report.expiredIgnores.length > 0) {
    parts.push('<h3>Expired ignore entries (no longer suppress anything)</h3>');
    parts.push(
      table(
        ['Id', 'Package pattern', 'Expired', 'File'],
        report.expiredIgnores.map((e) => [td(e.id), td(e.purl), td(e.expires), td(e.file)]),
      ),
    );
  }
  if (report.warnings.length > 0) {
    parts.push('<h3>Warnings</h3>');
    parts.push(
      table(
        ['Code', 'Message', 'Count', 'Example'],
        report.warnings.map((w) => [td(w.code), td(w.message), td(w.count, { num: true, v: w.count }), td(w.sample)]),
      ),
    );
  }
  return parts.join('\n');
}

/** The HTML report. */
export function writeHtml(report: Report): string {
  const t = report.target;
  const failed = report.results.flatMap((r) => failedChecks(r.misconfigurations ?? []));
  const cards = SEVERITIES.map((s) => `<div class="card ${s}"><b>${report.summary[s] ?? 0}</b>${s}</div>`).join('');
  const facts: [string, string | undefined][] = [
    ['Target', `${t.name} (${t.kind})`],
    ['Digest', t.image?.manifestDigest ?? t.image?.configDigest],
    ['OS', report.os ? `${report.os.name || report.os.family} (${report.os.version})` : undefined],
    ['Scanned', report.createdAt],
    ['Tool', `${report.tool.name} ${report.tool.version}`],
    [
      'Filters',
      [
        `severity ${report.filters.severities.join(', ')}`,
        report.filters.ignoreUnfixed ? 'unfixed hidden' : '',
        report.filters.ignoreFile ? `ignore file ${report.filters.ignoreFile}` : '',
        report.filters.vex.length > 0 ? `VEX ${report.filters.vex.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    ],
  ];
  const dl = facts
    .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
    .map(([k, v]) => `<dt>${htmlEscape(k)}</dt><dd>${htmlEscape(v)}</dd>`)
    .join('');
  const results = report.results
    .map((r) =>
      r.class === 'secret'
        ? secretSection(r)
        : r.class === 'license' || r.class === 'license-file'
          ? licenseSection(r)
          : isVulnResult(r) || r.vulnerabilities
            ? vulnSection(report, r)
            : checkSection(r),
    )
    .join('\n');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const body = [
    `<h1>Bollard report: ${htmlEscape(t.name)}</h1>`,
    `<dl>${dl}</dl>`,
    report.db ? '' : `<p class="banner">Vulnerabilities ${htmlEscape(NOT_EVALUATED)}</p>`,
    `<div class="cards">${cards}</div>`,
    `<p class="muted">Unsuppressed findings after filters${failed.length > 0 ? `, including ${failed.length} failed configuration checks` : ''}.</p>`,
    '<h2>Findings</h2>',
    results,
    suppressedSection(report),
    dbSection(report),
    coverageSection(report),
  ].filter(Boolean);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${htmlEscape(`${report.tool.name} ${report.tool.version}`)}">
<title>Bollard report: ${htmlEscape(t.name)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

export const htmlReportWriter: ReportWriter = {
  id,
  mediaType: 'text/html; charset=utf-8',
  fileExtension: '.html',
  description: 'one self-contained HTML page',
  write: writeHtml,
};
