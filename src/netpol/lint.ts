/**
 * Policy hygiene: namespaces without default-deny, policies and peers that select nothing, named
 * ports no container exposes, allow-all rules, egress open to the internet and workloads reachable
 * from outside the cluster.
 */

import { type Matrix, matchingPeer, policySelects } from './engine.ts';
import type { Model, Peer, Policy, Rule } from './model.ts';
import { isEmptySelector, matchesSelector } from './selector.ts';

export type Severity = 'high' | 'medium' | 'low' | 'info';

export interface LintFinding {
  id: string;
  check: string;
  severity: Severity;
  /** `ns/name` of the namespace, policy or workload the finding is about. */
  subject: string;
  message: string;
  file?: string;
  line?: number;
}

export const LINT_CHECKS: Readonly<Record<string, { check: string; severity: Severity; title: string }>> = {
  NP001: {
    check: 'no-default-deny-ingress',
    severity: 'medium',
    title: 'namespace without a default-deny ingress policy',
  },
  NP002: { check: 'no-default-deny-egress', severity: 'low', title: 'namespace without a default-deny egress policy' },
  NP003: { check: 'policy-selects-nothing', severity: 'low', title: 'policy whose podSelector matches no workload' },
  NP004: { check: 'unresolvable-named-port', severity: 'medium', title: 'rule port named after no container port' },
  NP005: { check: 'peer-selects-nothing', severity: 'low', title: 'rule peer that matches no workload' },
  NP006: { check: 'allow-all-rule', severity: 'medium', title: 'rule that allows every peer and port' },
  NP007: { check: 'egress-to-internet', severity: 'medium', title: 'workload whose egress reaches internet addresses' },
  NP008: { check: 'reachable-from-outside', severity: 'high', title: 'workload reachable from internet addresses' },
};

function finding(
  id: keyof typeof LINT_CHECKS,
  subject: string,
  message: string,
  file?: string,
  line?: number,
): LintFinding {
  const c = LINT_CHECKS[id] as { check: string; severity: Severity };
  const f: LintFinding = { id, check: c.check, severity: c.severity, subject, message };
  if (file !== undefined) f.file = file;
  if (line !== undefined) f.line = line;
  return f;
}

function allowsEverything(rule: Rule): boolean {
  if (rule.ports) return false;
  if (!rule.peers) return true;
  return rule.peers.some(
    (p) =>
      (p.type === 'ipBlock' && p.except.length === 0 && p.cidr.lo === 0n && p.cidr.text.endsWith('/0')) ||
      (p.type === 'pods' &&
        p.namespaceSelector !== undefined &&
        isEmptySelector(p.namespaceSelector) &&
        (p.podSelector === undefined || isEmptySelector(p.podSelector))),
  );
}

export function lintModel(model: Model, matrix: Matrix): LintFinding[] {
  const out: LintFinding[] = [];
  const nsWithWorkloads = [...new Set(model.workloads.map((w) => w.namespace))].sort();
  for (const ns of nsWithWorkloads) {
    for (const [id, dir] of [
      ['NP001', 'ingress'],
      ['NP002', 'egress'],
    ] as const) {
      const has = model.policies.some(
        (p) =>
          p.namespace === ns &&
          isEmptySelector(p.podSelector) &&
          p[dir] !== undefined &&
          !(p[dir] ?? []).some(allowsEverything),
      );
      if (!has)
        out.push(
          finding(id, ns, `namespace ${ns} has no policy selecting every pod for ${dir} without allowing everything`),
        );
    }
  }
  for (const p of model.policies) {
    const selected = model.workloads.filter((w) => policySelects(p, w));
    const o = p.object;
    if (selected.length === 0)
      out.push(
        finding(
          'NP003',
          p.key,
          `policy ${p.key} selects no workload of the input`,
          o.file,
          o.pathLine(['spec', 'podSelector']) ?? o.startLine,
        ),
      );
    for (const rule of [...(p.ingress ?? []), ...(p.egress ?? [])]) {
      const where = `${rule.direction}[${rule.index}]`;
      // Named ports resolve against the destination: the selected pods for ingress, any peer for egress.
      const dsts =
        rule.direction === 'ingress'
          ? selected
          : model.workloads.filter((w) => !rule.peers || matchingPeer(model, p, rule, w) !== undefined);
      for (const s of rule.ports ?? []) {
        if (typeof s.port !== 'string') continue;
        if (!dsts.some((w) => w.ports.some((cp) => cp.name === s.port && cp.protocol === s.protocol)))
          out.push(
            finding(
              'NP004',
              p.key,
              `policy ${p.key} ${where}: no ${rule.direction === 'ingress' ? 'selected' : 'destination'} container exposes a ${s.protocol} port named "${s.port}", so it never matches`,
              o.file,
              s.line ?? rule.line,
            ),
          );
      }
      for (const [i, peer] of (rule.peers ?? []).entries()) {
        if (peer.type !== 'pods' || peerHasMatch(model, p, peer)) continue;
        out.push(
          finding(
            'NP005',
            p.key,
            `policy ${p.key} ${where} peer ${i} matches no workload of the input`,
            o.file,
            peer.line ?? rule.line,
          ),
        );
      }
      if (allowsEverything(rule))
        out.push(
          finding(
            'NP006',
            p.key,
            `policy ${p.key} ${where} allows every ${rule.direction === 'ingress' ? 'source' : 'destination'} on every port`,
            o.file,
            rule.line,
          ),
        );
    }
  }
  const publics = model.externals.filter((e) => e.public);
  for (const w of model.workloads) {
    const out1 = publics.filter((e) => matrix.reachable(w.id, e.id));
    if (out1.length > 0)
      out.push(
        finding(
          'NP007',
          w.key,
          `${w.key} can open connections to internet addresses (${out1.map((e) => `${e.key}: ${matrix.label(w.id, e.id)}`).join('; ')})`,
          w.object.file,
          w.object.startLine,
        ),
      );
    const in1 = publics.filter((e) => matrix.reachable(e.id, w.id));
    if (in1.length > 0) {
      const exposed = model.services.filter(
        (s) =>
          s.namespace === w.namespace &&
          s.selector &&
          (s.type === 'LoadBalancer' || s.type === 'NodePort') &&
          matchesSelector({ matchLabels: s.selector, expressions: [] }, w.labels),
      );
      const f = finding(
        'NP008',
        w.key,
        `${w.key} accepts connections from internet addresses (${in1.map((e) => `${e.key}: ${matrix.label(e.id, w.id)}`).join('; ')})${exposed.length > 0 ? `, and is exposed by ${exposed.map((s) => `${s.type} Service ${s.namespace}/${s.name}`).join(', ')}` : ''}`,
        w.object.file,
        w.object.startLine,
      );
      if (exposed.length === 0) f.severity = 'medium';
      out.push(f);
    }
  }
  return out;
}

function peerHasMatch(model: Model, policy: Policy, peer: Extract<Peer, { type: 'pods' }>): boolean {
  return model.workloads.some(
    (w) =>
      matchingPeer(
        model,
        policy,
        { direction: 'ingress', index: 0, peers: [peer], ports: undefined, line: undefined },
        w,
      ) !== undefined,
  );
}
