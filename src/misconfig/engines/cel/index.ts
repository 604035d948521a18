/**
 * Custom policies in CEL, written like Kubernetes ValidatingAdmissionPolicy validations: each
 * expression sees `object`, `oldObject` (always null: there is no update here), `params` (the
 * policy's own `params:`) and `namespaceObject` (the Namespace object when it is among the given
 * manifests, else null), and must evaluate to true for the object to pass.
 *
 * Policies are YAML documents (one per document, or a `policies:` list):
 *
 *   id: ORG-001
 *   severity: HIGH
 *   title: Deployments have at most 5 replicas
 *   message: too many replicas
 *   match: { kinds: [Deployment], namespaces: [prod], excludeNamespaces: [], labelSelector: { matchLabels: {} } }
 *   params: { max: 5 }
 *   validations:
 *     - expression: object.spec.replicas <= params.max
 *       message: replicas above the limit        # optional, overrides `message`
 */
import { type CelValue, celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { Severity } from '../../../detect/types.ts';
import { SEVERITIES } from '../../../detect/types.ts';
import type { K8sObject } from '../../../k8s/manifests.ts';
import { BollardError } from '../../../util/errors.ts';
import { parseYamlDocuments } from '../../../util/yaml.ts';
import type { KubeCheck, KubeInput } from '../../kubernetes/input.ts';
import { resourceOf } from '../../kubernetes/input.ts';
import { type CheckOutcome, outcome, skipped, type Violation } from '../../types.ts';

export const id = 'cel';

export interface CelValidation {
  expression: string;
  message?: string;
  /** The compiled expression. */
  run: (vars: Record<string, unknown>) => unknown;
}

export interface CelPolicy {
  id: string;
  severity: Severity;
  title: string;
  message: string;
  remediation?: string;
  match: {
    kinds?: string[];
    apiGroups?: string[];
    namespaces?: string[];
    excludeNamespaces?: string[];
    matchLabels?: Record<string, string>;
  };
  params: unknown;
  validations: CelValidation[];
  file: string;
  line: number;
}

const MAX_EXPRESSION = 10_000;
const MAX_POLICIES = 1_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strList(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new BollardError('INPUT_INVALID', `${what} must be a list of strings`);
  return v as string[];
}

/** Load the policies of one YAML file (bounded YAML; every expression is compiled up front). */
export function loadCelPolicies(text: string | Buffer, file: string): CelPolicy[] {
  const docs = parseYamlDocuments(text, { what: file, maxBytes: 4 * 1024 * 1024, maxDocuments: MAX_POLICIES });
  const env = celEnv();
  const out: CelPolicy[] = [];
  for (const d of docs) {
    if (d.value === null) continue;
    const items = isObj(d.value) && Array.isArray(d.value.policies) ? d.value.policies : [d.value];
    for (const raw of items) {
      if (out.length >= MAX_POLICIES)
        throw new BollardError('LIMIT_EXCEEDED', `${file} has more than ${MAX_POLICIES} policies`);
      const where = `${file}:${d.startLine}`;
      if (!isObj(raw)) throw new BollardError('INPUT_INVALID', `${where}: a policy must be a mapping`);
      const pid = raw.id;
      if (typeof pid !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(pid))
        throw new BollardError('INPUT_INVALID', `${where}: policy id must be a short name (letters, digits, . _ -)`);
      const sev = typeof raw.severity === 'string' ? raw.severity.toUpperCase() : 'MEDIUM';
      if (!SEVERITIES.includes(sev as Severity))
        throw new BollardError('INPUT_INVALID', `${where}: policy ${pid}: unknown severity ${String(raw.severity)}`);
      const vals = raw.validations;
      if (!Array.isArray(vals) || vals.length === 0)
        throw new BollardError('INPUT_INVALID', `${where}: policy ${pid} needs a non-empty validations list`);
      const validations: CelValidation[] = vals.map((v, i) => {
        if (!isObj(v) || typeof v.expression !== 'string')
          throw new BollardError(
            'INPUT_INVALID',
            `${where}: policy ${pid} validation ${i}: expression must be a string`,
          );
        if (v.expression.length > MAX_EXPRESSION)
          throw new BollardError(
            'LIMIT_EXCEEDED',
            `${where}: policy ${pid} validation ${i} is longer than ${MAX_EXPRESSION} characters`,
          );
        let run: (vars: Record<string, unknown>) => unknown;
        try {
          const p = plan(env, parse(v.expression));
          run = (vars) => p(vars as never);
        } catch (e) {
          throw new BollardError(
            'INPUT_INVALID',
            `${where}: policy ${pid} validation ${i}: ${(e as Error).message.split('\n')[0]}`,
            {
              cause: e,
            },
          );
        }
        return { expression: v.expression, ...(typeof v.message === 'string' ? { message: v.message } : {}), run };
      });
      const m = isObj(raw.match) ? raw.match : {};
      const ls = isObj(m.labelSelector) && isObj(m.labelSelector.matchLabels) ? m.labelSelector.matchLabels : undefined;
      const kinds = strList(m.kinds, `${where}: match.kinds`);
      const apiGroups = strList(m.apiGroups, `${where}: match.apiGroups`);
      const namespaces = strList(m.namespaces, `${where}: match.namespaces`);
      const excludeNamespaces = strList(m.excludeNamespaces, `${where}: match.excludeNamespaces`);
      out.push({
        id: pid,
        severity: sev as Severity,
        title: typeof raw.title === 'string' ? raw.title : pid,
        message: typeof raw.message === 'string' ? raw.message : `violates policy ${pid}`,
        ...(typeof raw.remediation === 'string' ? { remediation: raw.remediation } : {}),
        match: {
          ...(kinds ? { kinds } : {}),
          ...(apiGroups ? { apiGroups } : {}),
          ...(namespaces ? { namespaces } : {}),
          ...(excludeNamespaces ? { excludeNamespaces } : {}),
          ...(ls ? { matchLabels: Object.fromEntries(Object.entries(ls).map(([k, v]) => [k, String(v)])) } : {}),
        },
        params: raw.params ?? null,
        validations,
        file,
        line: d.startLine,
      });
    }
  }
  return out;
}

/** JSON → CEL values: maps as Map, whole numbers as int (bigint), as Kubernetes' CEL sees them. */
export function toCel(v: unknown, depth = 0): unknown {
  if (depth > 128) throw new BollardError('LIMIT_EXCEEDED', 'object nests too deeply for a CEL policy');
  if (Array.isArray(v)) return v.map((x) => toCel(x, depth + 1));
  if (isObj(v)) return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x, depth + 1)]));
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v ?? null;
}

function matches(p: CelPolicy, o: K8sObject): boolean {
  const m = p.match;
  if (m.kinds && !m.kinds.includes('*') && !m.kinds.includes(o.kind)) return false;
  if (m.apiGroups) {
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
    if (!m.apiGroups.includes('*') && !m.apiGroups.includes(group)) return false;
  }
  const ns = o.metadata.namespace ?? 'default';
  if (m.namespaces && !m.namespaces.includes(ns)) return false;
  if (m.excludeNamespaces?.includes(ns)) return false;
  if (m.matchLabels) for (const [k, v] of Object.entries(m.matchLabels)) if (o.metadata.labels[k] !== v) return false;
  return true;
}

const celCache = new WeakMap<object, unknown>();
function cel(v: Record<string, unknown>): unknown {
  let c = celCache.get(v);
  if (c === undefined) {
    c = toCel(v);
    celCache.set(v, c);
  }
  return c;
}

const nsCache = new WeakMap<readonly K8sObject[], Map<string, K8sObject>>();
function namespacesOf(all: readonly K8sObject[]): Map<string, K8sObject> {
  let m = nsCache.get(all);
  if (!m) {
    m = new Map();
    for (const o of all) if (o.kind === 'Namespace') m.set(o.metadata.name, o);
    nsCache.set(all, m);
  }
  return m;
}

/** One check per policy. */
export function celChecks(policies: readonly CelPolicy[]): KubeCheck[] {
  return policies.map((p) => ({
    id: p.id,
    aliases: [],
    severity: p.severity,
    title: p.title,
    remediation: p.remediation ?? `Change the object so that the policy ${p.id} holds`,
    controls: ['custom'],
    references: [`${p.file}:${p.line}`],
    appliesTo: 'kubernetes' as const,
    run(input: KubeInput): CheckOutcome {
      const targets = input.objects.filter((o) => matches(p, o));
      if (targets.length === 0) return skipped('no object in this file matches the policy');
      const params = p.params === null ? null : toCel(p.params);
      const out: Violation[] = [];
      const errors: string[] = [];
      for (const o of targets) {
        const ns = o.metadata.namespace;
        const nsObj = namespacesOf(input.allObjects).get(ns ?? 'default');
        const vars = { object: cel(o.raw), oldObject: null, params, namespaceObject: nsObj ? cel(nsObj.raw) : null };
        for (const v of p.validations) {
          const r = v.run(vars) as CelValue;
          if (isCelError(r)) {
            errors.push(`${o.kind}/${o.metadata.name}: ${r.message}`);
            continue;
          }
          if (r !== true)
            out.push({
              message:
                typeof r === 'boolean' ? (v.message ?? p.message) : `expression did not return a bool: ${v.expression}`,
              startLine: o.startLine,
              endLine: o.endLine,
              resource: resourceOf(o),
            });
        }
      }
      if (errors.length > 0 && out.length === 0)
        return {
          status: 'error',
          reason: `expression failed: ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? '; ...' : ''}`,
        };
      return outcome(out);
    },
  }));
}
