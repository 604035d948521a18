/** Writers for `bollard netpol`: matrix (table, json, csv, markdown, dot), explanations and lint findings. */
import type { ManifestError } from '../k8s/manifests.ts';
import { formatManifestError } from '../k8s/manifests.ts';
import type { DirectionVerdict, Matrix, PairExplanation } from './engine.ts';
import type { LintFinding } from './lint.ts';
import type { Endpoint } from './model.ts';
import { formatPorts } from './ports.ts';
import { formatSelector } from './selector.ts';

export type MatrixFormat = 'table' | 'json' | 'csv' | 'markdown' | 'dot';
export const MATRIX_FORMATS: readonly MatrixFormat[] = ['table', 'json', 'csv', 'markdown', 'dot'];

function applicable(a: Endpoint, b: Endpoint): boolean {
  return !(a.type === 'external' && b.type === 'external');
}

export function writeMatrix(m: Matrix, format: MatrixFormat, errors: readonly ManifestError[] = []): string {
  const eps = m.endpoints;
  switch (format) {
    case 'json': {
      const rows = eps.map((s) => {
        const groups = new Map<string, string[]>();
        for (const d of eps) {
          if (!applicable(s, d)) continue;
          const l = m.label(s.id, d.id);
          if (l === 'none') continue;
          const g = groups.get(l) ?? [];
          g.push(d.key);
          groups.set(l, g);
        }
        return { from: s.key, allow: [...groups].map(([ports, to]) => ({ ports, to })) };
      });
      return `${JSON.stringify(
        {
          focus: m.focus ?? null,
          endpoints: eps.map((e) =>
            e.type === 'workload'
              ? { key: e.key, type: e.type, namespace: e.namespace, name: e.name, kind: e.kind }
              : { key: e.key, type: e.type, public: e.public },
          ),
          matrix: rows,
          errors: errors.map((e) => ({ file: e.file, line: e.line ?? null, code: e.code, message: e.message })),
        },
        null,
        2,
      )}\n`;
    }
    case 'csv': {
      const lines = ['from,to,allowed'];
      for (const s of eps)
        for (const d of eps)
          if (applicable(s, d)) lines.push([s.key, d.key, m.label(s.id, d.id)].map(csvCell).join(','));
      return `${lines.join('\n')}\n`;
    }
    case 'markdown': {
      const head = `| from \\ to | ${eps.map((e) => mdCell(e.key)).join(' | ')} |`;
      const sep = `|---|${eps.map(() => '---').join('|')}|`;
      const rows = eps.map(
        (s) =>
          `| ${mdCell(s.key)} | ${eps.map((d) => (applicable(s, d) ? mdCell(cell(m.label(s.id, d.id))) : '')).join(' | ')} |`,
      );
      return `${[head, sep, ...rows].join('\n')}\n`;
    }
    case 'dot': {
      const lines = ['digraph netpol {', '  rankdir=LR;', '  node [shape=box];'];
      const byNs = new Map<string, Endpoint[]>();
      for (const e of eps) {
        const k = e.type === 'workload' ? e.namespace : '';
        byNs.set(k, [...(byNs.get(k) ?? []), e]);
      }
      let i = 0;
      for (const [ns, list] of byNs) {
        if (ns === '') {
          for (const e of list) lines.push(`  ${dotId(e.key)} [label=${dotId(e.key)}, shape=ellipse];`);
          continue;
        }
        lines.push(`  subgraph cluster_${i++} {`, `    label=${dotId(ns)};`);
        for (const e of list)
          lines.push(`    ${dotId(e.key)} [label=${dotId(e.type === 'workload' ? e.name : e.key)}];`);
        lines.push('  }');
      }
      for (const s of eps)
        for (const d of eps) {
          if (!applicable(s, d)) continue;
          const l = m.label(s.id, d.id);
          if (l !== 'none') lines.push(`  ${dotId(s.key)} -> ${dotId(d.key)} [label=${dotId(l)}];`);
        }
      lines.push('}');
      return `${lines.join('\n')}\n`;
    }
    default: {
      // Rows are sources, columns destinations, numbered so wide clusters stay readable.
      const idx = eps.map((_, i) => String(i + 1));
      const cells = eps.map((s) => eps.map((d) => (applicable(s, d) ? cell(m.label(s.id, d.id)) : '')));
      const widths = idx.map((h, j) => Math.max(h.length, ...cells.map((r) => (r[j] ?? '').length)));
      const nameW = Math.max(...eps.map((e, i) => `${i + 1} ${e.key}`.length), 'from \\ to'.length);
      const line = (first: string, cols: string[]): string =>
        `${first.padEnd(nameW)}  ${cols.map((c, j) => c.padEnd(widths[j] ?? 0)).join('  ')}`.trimEnd();
      const out = [line('from \\ to', idx), ...eps.map((e, i) => line(`${i + 1} ${e.key}`, cells[i] ?? []))];
      out.push('', 'all = every port of the focus, - = none');
      return `${out.join('\n')}\n`;
    }
  }
}

function cell(label: string): string {
  return label === 'none' ? '-' : label;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function dotId(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function describeDirection(d: DirectionVerdict, dir: 'egress' | 'ingress', self: Endpoint, other: Endpoint): string[] {
  const out: string[] = [];
  const who = dir === 'egress' ? `${self.key} egress` : `${self.key} ingress`;
  if (!d.isolated) {
    out.push(
      self.type === 'external'
        ? `${who}: outside the cluster, not governed by NetworkPolicies: all allowed`
        : `${who}: no policy selects it for ${dir}: all allowed`,
    );
    return out;
  }
  out.push(`${who}: isolated by ${d.policies.map((p) => p.key).join(', ')}`);
  for (const r of d.rules) {
    const o = r.policy.object;
    const where = `${o.file}:${r.rule.line ?? o.startLine}`;
    const peer =
      r.peer === undefined
        ? `no peer matches ${other.key}`
        : r.peer === -1
          ? 'any peer'
          : `peer ${r.peer} (${peerText(r.rule.peers?.[r.peer])}) matches ${other.key}`;
    out.push(
      `  ${r.policy.key} ${r.rule.direction}[${r.rule.index}] (${where}): ${peer}; ports ${formatPorts(r.ports)} → ${r.peer === undefined ? 'allows nothing' : `allows ${formatPorts(r.allows)}`}`,
    );
  }
  if (d.rules.length === 0) out.push('  (no rules: denies everything)');
  out.push(`  ${dir} allows ${formatPorts(d.allowed)}`);
  return out;
}

function peerText(
  p: NonNullable<PairExplanation['egress']['rules'][number]['rule']['peers']>[number] | undefined,
): string {
  if (!p) return '';
  if (p.type === 'ipBlock')
    return `ipBlock ${p.cidr.text}${p.except.length > 0 ? ` except ${p.except.map((e) => e.text).join(',')}` : ''}`;
  const parts: string[] = [];
  if (p.namespaceSelector) parts.push(`namespaceSelector ${formatSelector(p.namespaceSelector)}`);
  if (p.podSelector) parts.push(`podSelector ${formatSelector(p.podSelector)}`);
  return parts.join(' + ');
}

export function writeExplanation(x: PairExplanation, format: 'text' | 'json'): string {
  if (format === 'json') {
    const dir = (d: DirectionVerdict) => ({
      isolated: d.isolated,
      policies: d.policies.map((p) => p.key),
      rules: d.rules.map((r) => ({
        policy: r.policy.key,
        direction: r.rule.direction,
        index: r.rule.index,
        file: r.policy.object.file,
        line: r.rule.line ?? r.policy.object.startLine,
        peer: r.peer === undefined ? null : r.peer,
        ports: formatPorts(r.ports),
        allows: formatPorts(r.allows),
      })),
      allowed: formatPorts(d.allowed),
    });
    return `${JSON.stringify({ from: x.from.key, to: x.to.key, allowed: formatPorts(x.allowed), egress: dir(x.egress), ingress: dir(x.ingress) }, null, 2)}\n`;
  }
  const lines = [
    `${x.from.key} → ${x.to.key}: ${formatPorts(x.allowed) === 'none' ? 'DENIED' : `ALLOWED (${formatPorts(x.allowed)})`}`,
    '',
    ...describeDirection(x.egress, 'egress', x.from, x.to),
    '',
    ...describeDirection(x.ingress, 'ingress', x.to, x.from),
  ];
  return `${lines.join('\n')}\n`;
}

export function writeLint(
  findings: readonly LintFinding[],
  errors: readonly ManifestError[],
  format: 'table' | 'json',
): string {
  if (format === 'json')
    return `${JSON.stringify({ findings, errors: errors.map((e) => ({ file: e.file, line: e.line ?? null, code: e.code, message: e.message })) }, null, 2)}\n`;
  const lines: string[] = [];
  for (const e of errors) lines.push(`ERROR   ${formatManifestError(e)}`);
  for (const f of findings)
    lines.push(
      `${f.severity.toUpperCase().padEnd(7)} ${f.id} ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : ''}${f.message}`,
    );
  lines.push(`${findings.length} finding(s), ${errors.length} error(s)`);
  return `${lines.join('\n')}\n`;
}
