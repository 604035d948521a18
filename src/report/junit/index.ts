import type { VulnFinding } from '../../detect/types.ts';
import type { LicenseFinding } from '../../licenses/types.ts';
import type { SecretFinding } from '../../secrets/types.ts';
import {
  compareChecks,
  compareFindings,
  formatEpss,
  isVulnResult,
  misconfigCounts,
  NOT_EVALUATED,
  oneLine,
  stripControl,
  suppressionText,
} from '../common.ts';
import type { MisconfigFinding, Report, ReportResult } from '../types.ts';
import type { ReportWriter } from '../writer.ts';

export const id = 'junit';

/*
 * JUnit XML for CI systems: one <testsuite> per result, one <testcase> per finding (a <failure> when it
 * stands, <skipped> when suppressed), checks as passing/failed/skipped/errored test cases, and a
 * "coverage" suite so analyzers that read nothing show up as skipped rather than as silence.
 */

// Characters XML 1.0 does not allow at all (lone surrogates included, as the `u` flag sees them).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escape for text and attribute values; control characters and terminal escapes are removed. */
export function xmlEscape(s: string | undefined): string {
  if (!s) return '';
  return stripControl(s)
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}

/** Escape for element text, where line breaks stay line breaks. */
function xmlText(s: string): string {
  return xmlEscape(s).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

function attrs(list: [string, string | number | undefined][]): string {
  return list
    .filter((a): a is [string, string | number] => a[1] !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

interface Case {
  classname: string;
  name: string;
  file?: string;
  line?: number;
  outcome:
    | { kind: 'pass' }
    | { kind: 'failure' | 'error'; message: string; type: string; text: string }
    | { kind: 'skipped'; message: string };
}

function renderCase(c: Case): string {
  const open = `    <testcase${attrs([
    ['classname', c.classname],
    ['name', c.name],
    ['file', c.file],
    ['line', c.line],
    ['time', '0'],
  ])}`;
  const o = c.outcome;
  if (o.kind === 'pass') return `${open}/>`;
  if (o.kind === 'skipped') return `${open}>\n      <skipped${attrs([['message', o.message]])}/>\n    </testcase>`;
  return `${open}>\n      <${o.kind}${attrs([
    ['message', o.message],
    ['type', o.type],
  ])}>${xmlText(o.text)}</${o.kind}>\n    </testcase>`;
}

function vulnText(f: VulnFinding): string {
  return [
    `${oneLine(f.id)} (${f.severity}) in ${oneLine(f.package.name)} ${oneLine(f.package.version)}`,
    `Status: ${f.status}; fixed version: ${oneLine(f.fixedVersion) || 'none'}`,
    ...(f.title ? [`Title: ${oneLine(f.title)}`] : []),
    `Risk: ${Math.round(f.risk)}${f.kev ? `; known exploited (KEV), due ${oneLine(f.kev.dueDate)}` : ''}${f.epss ? `; EPSS ${formatEpss(f.epss.score)}` : ''}`,
    `Evidence: ${oneLine(f.evidence.reason)} (${oneLine(f.evidence.source)})`,
  ].join('\n');
}

function vulnCases(report: Report, r: ReportResult): Case[] {
  const classname = oneLine(r.target);
  if (!report.db) {
    return [{ classname, name: 'vulnerabilities', outcome: { kind: 'skipped', message: NOT_EVALUATED } }];
  }
  return (r.vulnerabilities ?? []).toSorted(compareFindings).map((f) => {
    const c: Case = {
      classname: `${classname}: ${oneLine(f.package.name)}`,
      name: `${oneLine(f.id)} ${oneLine(f.package.name)}@${oneLine(f.package.version)}`,
      outcome: f.suppressed
        ? { kind: 'skipped', message: `suppressed by ${suppressionText(f.suppressed)}` }
        : {
            kind: 'failure',
            message: `${oneLine(f.id)} ${f.severity} ${oneLine(f.package.name)}`,
            type: f.severity,
            text: vulnText(f),
          },
    };
    if (f.package.path) c.file = oneLine(f.package.path);
    return c;
  });
}

function checkCase(classname: string, m: MisconfigFinding): Case {
  const name = `${oneLine(m.checkId)} ${oneLine(m.title)}`.trim();
  const c: Case = { classname, name, outcome: { kind: 'pass' } };
  if (m.file) c.file = oneLine(m.file);
  if (m.startLine !== undefined) c.line = m.startLine;
  if (m.status === 'failed' && m.suppressed) {
    c.outcome = { kind: 'skipped', message: `suppressed (${m.suppressed.by}): ${oneLine(m.suppressed.reason)}` };
  } else if (m.status === 'failed') {
    const where = m.file ? `${oneLine(m.file)}${m.startLine === undefined ? '' : `:${m.startLine}`}` : '';
    c.outcome = {
      kind: 'failure',
      message: `${oneLine(m.checkId)} ${m.severity}${where ? ` ${where}` : ''}`,
      type: m.severity,
      text: [oneLine(m.message), ...(m.remediation ? [`Remediation: ${oneLine(m.remediation)}`] : [])].join('\n'),
    };
  } else if (m.status === 'skipped') {
    c.outcome = { kind: 'skipped', message: oneLine(m.reason) || 'skipped' };
  } else if (m.status === 'error') {
    c.outcome = { kind: 'error', message: oneLine(m.reason) || 'error', type: 'error', text: oneLine(m.reason) };
  }
  return c;
}

function secretCase(classname: string, f: SecretFinding): Case {
  const where = `${oneLine(f.file)}:${f.startLine}${f.layer ? ` (layer ${f.layer.index})` : ''}`;
  const c: Case = {
    classname,
    name: `${oneLine(f.ruleId)} ${where}`,
    outcome: {
      kind: 'failure',
      message: `${oneLine(f.ruleId)} ${f.severity} ${where}`,
      type: f.severity,
      text: `${oneLine(f.title)}: ${oneLine(f.match)} ${oneLine(f.hash)}`,
    },
  };
  if (f.source === 'file' || f.source === 'kubernetes-secret') {
    c.file = oneLine(f.file);
    c.line = f.startLine;
  }
  return c;
}

/** A licence passes unless the policy forbids it (failure) or restricts it (failure too: it needs review). */
function licenseCase(classname: string, l: LicenseFinding): Case {
  const what =
    l.source === 'header' ? `${oneLine(l.file)}:${l.line ?? ''}` : `${oneLine(l.package)}@${oneLine(l.version)}`;
  const lic = oneLine(l.spdx ?? l.declared) || 'no licence stated';
  const c: Case = { classname, name: `${what} ${lic}`, outcome: { kind: 'pass' } };
  if (l.policy === 'forbidden' || l.policy === 'restricted') {
    c.outcome = {
      kind: 'failure',
      message: `${lic} is ${l.policy}`,
      type: l.severity,
      text: `${what}: ${lic} (${l.category})`,
    };
  }
  return c;
}

function suite(name: string, timestamp: string, cases: Case[], props: [string, string][] = []): string {
  const count = (k: Case['outcome']['kind']): number => cases.filter((c) => c.outcome.kind === k).length;
  const head = `  <testsuite${attrs([
    ['name', name],
    ['tests', cases.length],
    ['failures', count('failure')],
    ['errors', count('error')],
    ['skipped', count('skipped')],
    ['time', '0'],
    ['timestamp', timestamp],
  ])}>`;
  const properties =
    props.length > 0
      ? [
          '    <properties>',
          ...props.map(
            ([k, v]) =>
              `      <property${attrs([
                ['name', k],
                ['value', v],
              ])}/>`,
          ),
          '    </properties>',
        ]
      : [];
  return [head, ...properties, ...cases.map(renderCase), '  </testsuite>'].join('\n');
}

/** JUnit XML: a <testsuites> document. */
export function writeJunit(report: Report): string {
  const ts = report.createdAt.replace(/\.\d+Z$/, 'Z').replace(/Z$/, '');
  const suites: { name: string; cases: Case[]; props: [string, string][] }[] = [];
  for (const r of report.results) {
    const props: [string, string][] = [
      ['class', r.class],
      ['type', oneLine(r.type)],
    ];
    if (r.class === 'secret') {
      suites.push({
        name: `${oneLine(r.target)} (secrets)`,
        cases: (r.secrets ?? []).map((f) => secretCase(oneLine(r.target), f)),
        props,
      });
    } else if (r.class === 'license' || r.class === 'license-file') {
      suites.push({
        name: `${oneLine(r.target)} (licences)`,
        cases: (r.licenses ?? []).map((l) => licenseCase(oneLine(r.target), l)),
        props,
      });
    } else if (isVulnResult(r) || r.vulnerabilities) {
      if (report.db) props.push(['db.builtAt', report.db.builtAt], ['db.ageHours', String(report.db.ageHours)]);
      suites.push({ name: oneLine(r.target), cases: vulnCases(report, r), props });
    } else {
      const list = (r.misconfigurations ?? []).toSorted(compareChecks);
      const c = misconfigCounts(list);
      props.push(['checks.passed', String(c.passed)]);
      suites.push({ name: oneLine(r.target), cases: list.map((m) => checkCase(oneLine(r.target), m)), props });
    }
  }
  const coverage: Case[] = report.coverage.map((c) => {
    const name = `analyzer ${oneLine(c.id)}`;
    const note = c.note ? ` (${oneLine(c.note)})` : '';
    if (c.status === 'ok') return { classname: 'coverage', name, outcome: { kind: 'pass' } };
    if (c.status === 'no-files') {
      return {
        classname: 'coverage',
        name,
        outcome: { kind: 'skipped', message: `no files it reads: not evaluated${note}` },
      };
    }
    return {
      classname: 'coverage',
      name,
      outcome: { kind: 'error', message: `${c.status}${note}`, type: c.status, text: `${c.status}${note}` },
    };
  });
  for (const u of report.unmatched) {
    coverage.push({
      classname: 'coverage',
      name: `unmatched ${u.reason} ${oneLine(u.ecosystem)}`,
      outcome: { kind: 'skipped', message: `${u.count} packages not evaluated (${u.reason})` },
    });
  }
  for (const e of report.expiredIgnores) {
    coverage.push({
      classname: 'ignore file',
      name: `expired ${oneLine(e.id)}`,
      outcome: {
        kind: 'skipped',
        message: `expired ${oneLine(e.expires)} in ${oneLine(e.file)}: no longer suppresses`,
      },
    });
  }
  if (coverage.length > 0) suites.push({ name: 'coverage', cases: coverage, props: [] });

  const all = suites.flatMap((s) => s.cases);
  const n = (k: Case['outcome']['kind']): number => all.filter((c) => c.outcome.kind === k).length;
  const root = `<testsuites${attrs([
    ['name', `bollard ${oneLine(report.target.name)}`],
    ['tests', all.length],
    ['failures', n('failure')],
    ['errors', n('error')],
    ['skipped', n('skipped')],
    ['time', '0'],
  ])}>`;
  return `${[
    '<?xml version="1.0" encoding="UTF-8"?>',
    root,
    ...suites.map((s) => suite(s.name, ts, s.cases, s.props)),
    '</testsuites>',
  ].join('\n')}\n`;
}

export const junitReportWriter: ReportWriter = {
  id,
  mediaType: 'application/xml',
  fileExtension: '.xml',
  description: 'JUnit XML for CI systems',
  write: writeJunit,
};
