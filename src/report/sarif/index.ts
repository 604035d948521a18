import type { Severity, VulnFinding } from '../../detect/types.ts';
import type { LicenseFinding } from '../../licenses/types.ts';
import type { SecretFinding } from '../../secrets/types.ts';
import {
  advisoryUrl,
  BOLLARD_INFORMATION_URI,
  compareChecks,
  compareFindings,
  compareStrings,
  dbAgeText,
  escapeJsonText,
  failedChecks,
  formatEpss,
  isVulnResult,
  NOT_EVALUATED,
  oneLine,
  safeHttpUrl,
  severityRank,
  sha256Hex,
  suppressionText,
} from '../common.ts';
import type { MisconfigFinding, Report } from '../types.ts';
import type { ReportWriter } from '../writer.ts';

export const id = 'sarif';

/*
 * SARIF 2.1.0 for GitHub code scanning: one rule per vulnerability or check id, one result per
 * finding, the package database (or config file) as the location, suppressed findings kept with
 * `suppressions[]`, and coverage gaps as tool execution notifications.
 */

const SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** GitHub maps security-severity to its levels: > 9 critical, 7-8.9 high, 4-6.9 medium, 0.1-3.9 low. */
const SEVERITY_SCORE: Record<Severity, number | undefined> = {
  CRITICAL: 9.5,
  HIGH: 8.0,
  MEDIUM: 5.5,
  LOW: 2.0,
  UNKNOWN: undefined,
};

type Level = 'error' | 'warning' | 'note';

function level(s: Severity): Level {
  return s === 'CRITICAL' || s === 'HIGH' ? 'error' : s === 'MEDIUM' ? 'warning' : 'note';
}

interface Message {
  text: string;
  markdown?: string;
}

interface Rule {
  id: string;
  name: string;
  shortDescription: Message;
  fullDescription: Message;
  defaultConfiguration: { level: Level };
  helpUri?: string;
  help: Message;
  properties: { 'security-severity'?: string; tags: string[]; precision: string; problem?: { severity: string } };
}

interface Location {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId?: string };
    region: { startLine: number; startColumn?: number; endLine?: number; endColumn?: number };
  };
  message?: { text: string };
}

interface Result {
  ruleId: string;
  ruleIndex: number;
  level: Level;
  kind: 'fail';
  message: { text: string };
  locations: Location[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: 'external' | 'inSource'; status: 'accepted'; justification?: string }[];
  properties?: Record<string, unknown>;
}

/** Markdown-escape text from records (GitHub renders it): entities for HTML, backslashes for emphasis and tables. */
function md(s: string | undefined): string {
  return oneLine(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

/** A relative URI from a path in the image: each segment percent-encoded, no `..`, no leading `/`. */
function pathUri(path: string): string {
  const segments = oneLine(path)
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..');
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

/** Image name as Trivy places it in front of paths: the repository (`library/alpine`), else the name. */
function imagePrefix(report: Report): string {
  const image = report.target.image;
  if (!image) return '';
  const name = image.reference?.repository ?? image.name.split('/').pop() ?? image.name;
  return pathUri(name.replace(/[:@].*$/, ''));
}

function joinUri(prefix: string, path: string): string {
  const p = pathUri(path);
  if (!prefix) return p || 'unknown';
  return p ? `${prefix}/${p}` : prefix;
}

function vulnScore(findings: readonly VulnFinding[]): number | undefined {
  // The highest CVSS base score of the records, else the mapped rating of the highest severity.
  const scores = findings.flatMap((f) => f.cvss.map((c) => c.score)).filter((n) => Number.isFinite(n));
  if (scores.length > 0) return Math.max(...scores);
  const worst = findings.reduce<Severity>(
    (s, f) => (severityRank(f.severity) > severityRank(s) ? f.severity : s),
    'UNKNOWN',
  );
  return SEVERITY_SCORE[worst];
}

function worstSeverity(list: readonly { severity: Severity }[]): Severity {
  return list.reduce<Severity>((s, f) => (severityRank(f.severity) > severityRank(s) ? f.severity : s), 'UNKNOWN');
}

function vulnRule(ruleId: string, findings: VulnFinding[]): Rule {
  const f = findings[0] as VulnFinding;
  const sev = worstSeverity(findings);
  const title = oneLine(findings.find((x) => x.title)?.title) || ruleId;
  const packages = [...new Set(findings.map((x) => oneLine(x.package.name)))].sort(compareStrings);
  const refs = [...new Set(findings.flatMap((x) => x.references))].map(safeHttpUrl).filter((u) => u !== undefined);
  const score = vulnScore(findings);
  const helpUri = advisoryUrl(ruleId);
  const textLines = [
    `Vulnerability ${oneLine(ruleId)}`,
    `Severity: ${sev}`,
    `Packages: ${packages.join(', ')}`,
    ...(f.aliases.length > 0 ? [`Aliases: ${f.aliases.map(oneLine).join(', ')}`] : []),
    `Link: ${helpUri}`,
  ];
  const mdRows = findings
    .toSorted(compareFindings)
    .map(
      (x) =>
        `| ${md(x.package.name)} | ${md(x.package.version)} | ${md(x.fixedVersion) || '\\-'} | ${x.severity} | ${x.status} |`,
    );
  const markdown = [
    `**Vulnerability ${md(ruleId)}**`,
    '| Package | Installed | Fixed | Severity | Status |',
    '| --- | --- | --- | --- | --- |',
    ...mdRows,
    '',
    ...[helpUri, ...refs].map((u) => `- <${u}>`),
  ].join('\n');
  const props: Rule['properties'] = {
    tags: ['vulnerability', 'security', sev],
    precision: 'very-high',
  };
  if (score !== undefined) props['security-severity'] = score.toFixed(1);
  return {
    id: ruleId,
    name: 'PackageVulnerability',
    shortDescription: { text: title },
    fullDescription: { text: title },
    defaultConfiguration: { level: level(sev) },
    helpUri,
    help: { text: textLines.join('\n'), markdown },
    properties: props,
  };
}

function checkRule(ruleId: string, checks: MisconfigFinding[]): Rule {
  const m = checks[0] as MisconfigFinding;
  const sev = worstSeverity(checks);
  const refs = [...new Set(checks.flatMap((x) => x.references))].map(safeHttpUrl).filter((u) => u !== undefined);
  const title = oneLine(m.title) || ruleId;
  const text = [
    `Check ${oneLine(ruleId)}: ${title}`,
    `Severity: ${sev}`,
    ...(m.aliases.length > 0 ? [`Aliases: ${m.aliases.map(oneLine).join(', ')}`] : []),
    ...(m.controls.length > 0 ? [`Controls: ${m.controls.map(oneLine).join(', ')}`] : []),
    ...(m.remediation ? [`Remediation: ${oneLine(m.remediation)}`] : []),
  ];
  const markdown = [
    `**${md(ruleId)}**: ${md(title)}`,
    '',
    ...(m.remediation ? [`Remediation: ${md(m.remediation)}`, ''] : []),
    ...refs.map((u) => `- <${u}>`),
  ].join('\n');
  const rule: Rule = {
    id: ruleId,
    name: 'Misconfiguration',
    shortDescription: { text: title },
    fullDescription: { text: oneLine(m.message) || title },
    defaultConfiguration: { level: level(sev) },
    help: { text: text.join('\n'), markdown },
    properties: {
      tags: ['misconfiguration', 'security', sev, ...m.controls.map(oneLine)].filter((t, i, a) => a.indexOf(t) === i),
      precision: 'very-high',
    },
  };
  const score = SEVERITY_SCORE[sev];
  if (score !== undefined) rule.properties['security-severity'] = score.toFixed(1);
  if (refs[0]) rule.helpUri = refs[0];
  return rule;
}

function simpleRule(ruleId: string, name: string, title: string, sev: Severity, tags: string[], text: string): Rule {
  const rule: Rule = {
    id: ruleId,
    name,
    shortDescription: { text: title },
    fullDescription: { text: title },
    defaultConfiguration: { level: level(sev) },
    help: { text, markdown: md(text) },
    properties: { tags: [...new Set([...tags, sev])], precision: 'high' },
  };
  const score = SEVERITY_SCORE[sev];
  if (score !== undefined) rule.properties['security-severity'] = score.toFixed(1);
  return rule;
}

/** A secret: its rule, file, lines and layer; the message carries only the redacted match. */
function secretResult(prefix: string, f: SecretFinding, ruleIndex: number): Result {
  const inFile = f.source === 'file' || f.source === 'kubernetes-secret';
  const where = f.layer ? ` (layer ${f.layer.index}, ${oneLine(f.layer.diffId)})` : '';
  return {
    ruleId: `secret/${oneLine(f.ruleId)}`,
    ruleIndex,
    level: level(f.severity),
    kind: 'fail',
    message: { text: `${oneLine(f.title)}: ${oneLine(f.match)} ${oneLine(f.hash)} in ${oneLine(f.file)}${where}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: {
            uri: inFile ? joinUri(prefix, f.file) : joinUri(prefix, `.image-config/${f.file}`),
            uriBaseId: 'ROOTPATH',
          },
          region: { startLine: Math.max(1, f.startLine), endLine: Math.max(1, f.endLine) },
        },
      },
    ],
    partialFingerprints: {
      'bollard/v1': sha256Hex([f.ruleId, f.file, f.hash, String(f.layer?.index ?? '')].join('\0')),
    },
    properties: {
      source: f.source,
      hash: f.hash,
      ...(f.layer ? { layer: f.layer.index, diffId: f.layer.diffId } : {}),
    },
  };
}

/** A licence a policy forbids or restricts (others are inventory, not results). */
function licenseResult(prefix: string, l: LicenseFinding, ruleIndex: number): Result {
  const what = l.source === 'header' ? oneLine(l.file) : `${oneLine(l.package)}@${oneLine(l.version)}`;
  return {
    ruleId: `license/${l.policy}`,
    ruleIndex,
    level: level(l.severity),
    kind: 'fail',
    message: {
      text: `${what}: ${oneLine(l.spdx ?? l.declared) || 'no licence stated'} (${l.category}) is ${l.policy} by the licence policy`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: joinUri(prefix, l.file ?? ''), uriBaseId: 'ROOTPATH' },
          region: { startLine: Math.max(1, l.line ?? 1) },
        },
      },
    ],
    partialFingerprints: { 'bollard/v1': sha256Hex([l.policy, what, l.declared].join('\0')) },
    properties: { category: l.category, declared: oneLine(l.declared), ...(l.spdx ? { spdx: l.spdx } : {}) },
  };
}

function vulnMessage(f: VulnFinding): string {
  const lines = [
    `Package: ${oneLine(f.package.name)}`,
    `Installed Version: ${oneLine(f.package.version)}`,
    `Vulnerability: ${oneLine(f.id)}`,
    `Severity: ${f.severity}`,
    `Status: ${f.status}`,
    `Fixed Version: ${oneLine(f.fixedVersion) || 'none'}`,
  ];
  if (f.kev) lines.push(`Known exploited (CISA KEV): yes, due ${oneLine(f.kev.dueDate)}`);
  if (f.epss) lines.push(`EPSS: ${formatEpss(f.epss.score)}`);
  lines.push(`Evidence: ${oneLine(f.evidence.reason)} (${oneLine(f.evidence.source)})`);
  return lines.join('\n');
}

/** Write SARIF 2.1.0 (one run). */
export function writeSarif(report: Report): string {
  const prefix = imagePrefix(report);
  const rules: Rule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Result[] = [];

  const vulns = report.results.filter(isVulnResult).flatMap((r) => r.vulnerabilities ?? []);
  const vulnById = new Map<string, VulnFinding[]>();
  for (const f of vulns) {
    const key = oneLine(f.id) || 'unknown';
    const list = vulnById.get(key);
    if (list) list.push(f);
    else vulnById.set(key, [f]);
  }
  const checks = report.results.flatMap((r) => (r.misconfigurations ?? []).filter((m) => m.status === 'failed'));
  const checkById = new Map<string, MisconfigFinding[]>();
  for (const m of checks) {
    const key = oneLine(m.checkId) || 'unknown';
    const list = checkById.get(key);
    if (list) list.push(m);
    else checkById.set(key, [m]);
  }
  for (const [ruleId, list] of [...vulnById].sort((a, b) => compareStrings(a[0], b[0]))) {
    ruleIndex.set(`v:${ruleId}`, rules.length);
    rules.push(vulnRule(ruleId, list));
  }
  for (const [ruleId, list] of [...checkById].sort((a, b) => compareStrings(a[0], b[0]))) {
    ruleIndex.set(`c:${ruleId}`, rules.length);
    rules.push(checkRule(ruleId, list));
  }

  for (const f of vulns.toSorted(compareFindings)) {
    const ruleId = oneLine(f.id) || 'unknown';
    const uri = joinUri(prefix, f.package.path ?? '');
    const result: Result = {
      ruleId,
      ruleIndex: ruleIndex.get(`v:${ruleId}`) ?? 0,
      level: level(f.severity),
      kind: 'fail',
      message: { text: vulnMessage(f) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri, uriBaseId: 'ROOTPATH' },
            region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
          },
          message: { text: `${oneLine(report.target.name)}: ${oneLine(f.package.name)}@${oneLine(f.package.version)}` },
        },
      ],
      partialFingerprints: {
        'bollard/v1': sha256Hex(
          [
            ruleId,
            f.package.purl ?? `${f.package.type}/${f.package.name}`,
            f.package.version,
            f.package.path ?? '',
          ].join('\0'),
        ),
      },
      properties: {
        purl: oneLine(f.package.purl),
        risk: f.risk,
        ...(f.epss ? { epss: f.epss.score, epssPercentile: f.epss.percentile } : {}),
        ...(f.kev ? { kev: true, kevDueDate: oneLine(f.kev.dueDate) } : {}),
      },
    };
    if (f.suppressed) {
      const justification = suppressionText(f.suppressed);
      result.suppressions = [{ kind: 'external', status: 'accepted', justification }];
    }
    results.push(result);
  }

  for (const m of checks.toSorted(compareChecks)) {
    const ruleId = oneLine(m.checkId) || 'unknown';
    const startLine = m.startLine !== undefined && m.startLine >= 1 ? Math.floor(m.startLine) : 1;
    const endLine = m.endLine !== undefined && m.endLine >= startLine ? Math.floor(m.endLine) : startLine;
    const uri = m.file ? pathUri(m.file) || 'unknown' : joinUri(prefix, '');
    const result: Result = {
      ruleId,
      ruleIndex: ruleIndex.get(`c:${ruleId}`) ?? 0,
      level: level(m.severity),
      kind: 'fail',
      message: { text: [oneLine(m.title), oneLine(m.message)].filter((x, i, a) => x && a.indexOf(x) === i).join(': ') },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri, uriBaseId: 'ROOTPATH' },
            region: { startLine, endLine },
          },
        },
      ],
      partialFingerprints: {
        'bollard/v1': sha256Hex(
          [
            ruleId,
            m.file ?? '',
            String(startLine),
            m.resource?.kind ?? '',
            m.resource?.name ?? '',
            m.fieldPath ?? '',
          ].join('\0'),
        ),
      },
    };
    if (m.suppressed) {
      result.suppressions = [
        {
          kind: m.suppressed.by === 'inline' ? 'inSource' : 'external',
          status: 'accepted',
          justification:
            oneLine(m.suppressed.reason) || `suppressed by ${m.suppressed.by} (${oneLine(m.suppressed.file)})`,
        },
      ];
    }
    results.push(result);
  }

  const secrets = report.results.flatMap((r) => r.secrets ?? []);
  const secretRules = new Map<string, SecretFinding>();
  for (const f of secrets) if (!secretRules.has(f.ruleId)) secretRules.set(f.ruleId, f);
  for (const [secretId, f] of [...secretRules].sort((a, b) => compareStrings(a[0], b[0]))) {
    ruleIndex.set(`s:${secretId}`, rules.length);
    rules.push(
      simpleRule(
        `secret/${oneLine(secretId)}`,
        'Secret',
        oneLine(f.title),
        f.severity,
        ['secret', 'security', oneLine(f.category)],
        `${oneLine(f.title)}: remove it from the image and revoke it.`,
      ),
    );
  }
  for (const f of secrets) results.push(secretResult(prefix, f, ruleIndex.get(`s:${f.ruleId}`) ?? 0));
  const judged = report.results
    .flatMap((r) => r.licenses ?? [])
    .filter((l) => l.policy === 'forbidden' || l.policy === 'restricted');
  for (const p of ['forbidden', 'restricted'] as const) {
    const first = judged.find((l) => l.policy === p);
    if (!first) continue;
    ruleIndex.set(`l:${p}`, rules.length);
    rules.push(
      simpleRule(
        `license/${p}`,
        'License',
        `Licence ${p} by policy`,
        p === 'forbidden' ? 'CRITICAL' : 'HIGH',
        ['license'],
        `A licence the policy marks ${p}.`,
      ),
    );
  }
  for (const l of judged) results.push(licenseResult(prefix, l, ruleIndex.get(`l:${l.policy}`) ?? 0));

  // What was not evaluated travels with the results, so an empty result list is never read as "clean".
  const notifications: { level: Level; message: { text: string } }[] = [];
  if (!report.db && report.results.some(isVulnResult)) {
    notifications.push({ level: 'error', message: { text: `Vulnerabilities ${NOT_EVALUATED}` } });
  }
  for (const c of report.coverage.filter((x) => x.status !== 'ok')) {
    notifications.push({
      level: c.status === 'no-files' ? 'note' : 'warning',
      message: { text: `analyzer ${oneLine(c.id)}: ${c.status}${c.note ? ` (${oneLine(c.note)})` : ''}` },
    });
  }
  for (const u of report.unmatched) {
    notifications.push({
      level: 'warning',
      message: { text: `${u.count} packages not matched: ${u.reason} (${oneLine(u.ecosystem)})` },
    });
  }
  for (const r of report.results) {
    for (const m of (r.misconfigurations ?? []).filter((x) => x.status === 'error')) {
      notifications.push({
        level: 'warning',
        message: { text: `check ${oneLine(m.checkId)} not evaluated: ${oneLine(m.reason)}` },
      });
    }
  }
  for (const e of report.expiredIgnores) {
    notifications.push({
      level: 'note',
      message: { text: `ignore entry ${oneLine(e.id)} expired ${oneLine(e.expires)} (${oneLine(e.file)})` },
    });
  }

  const runProps: Record<string, unknown> = {
    target: oneLine(report.target.name),
    targetKind: report.target.kind,
    failedChecks: report.results.reduce((n, r) => n + failedChecks(r.misconfigurations ?? []).length, 0),
  };
  if (report.target.image) {
    runProps.imageName = oneLine(report.target.image.name);
    runProps.repoDigests = report.target.image.repoDigests.map(oneLine);
    runProps.configDigest = report.target.image.configDigest;
  }
  if (report.db) {
    runProps.db = `${dbAgeText(report.db)}`;
    runProps.dbSources = report.db.sources.map((s) => ({
      id: oneLine(s.id),
      records: s.records,
      digest: oneLine(s.digest),
    }));
  }

  const doc = {
    version: '2.1.0',
    $schema: SCHEMA_URI,
    runs: [
      {
        tool: {
          driver: {
            name: 'Bollard',
            fullName: `Bollard ${oneLine(report.tool.version)}`,
            version: oneLine(report.tool.version),
            informationUri: BOLLARD_INFORMATION_URI,
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            endTimeUtc: report.createdAt,
            ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        results,
        columnKind: 'utf16CodeUnits',
        originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
        properties: runProps,
      },
    ],
  };
  return `${escapeJsonText(JSON.stringify(doc, null, 2))}\n`;
}

export const sarifReportWriter: ReportWriter = {
  id,
  mediaType: 'application/sarif+json',
  fileExtension: '.sarif',
  description: 'SARIF 2.1.0 for GitHub code scanning',
  write: writeSarif,
};
