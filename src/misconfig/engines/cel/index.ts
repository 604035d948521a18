/**
 * Custom policies in CEL, written like Kubernetes ValidatingAdmissionPolicy validations: each
 * expression sees `object`, `oldObject` (always null: manifests are checked as they would be
 * created), `params` (the policy's own `params:`) and `namespaceObject` (the Namespace object when
 * it is among the given manifests, else null; null for cluster-scoped Namespace objects), and must
 * evaluate to true for the object to pass.
 *
 * Policies are YAML documents (one per document, or a `policies:` list):
 *
 *   id: ORG-001
 *   severity: HIGH
 *   title: Deployments have at most 5 replicas
 *   message: too many replicas
 *   match:
 *     kinds: [Deployment]
 *     apiGroups: [apps]
 *     namespaces: [prod]
 *     excludeNamespaces: []
 *     operations: [CREATE]          # manifests are checked as CREATE; a policy for other operations never applies
 *     labelSelector: { matchLabels: {}, matchExpressions: [{ key: tier, operator: In, values: [web] }] }
 *   params: { max: 5 }
 *   validations:
 *     - expression: object.spec.replicas <= params.max
 *       message: replicas above the limit        # optional, overrides `message`
 *       messageExpression: "'has ' + string(object.spec.replicas) + ' replicas'"   # optional, wins when it gives a one-line string
 *
 * bufbuild/cel has no cost model, so evaluation is metered here: every comprehension (`all`,
 * `exists`, `exists_one`, `map`, `filter`) counts its iterations against a budget and a deadline.
 */
import {
  CelScalar,
  type CelValue,
  celEnv,
  celFunc,
  isCelError,
  isCelList,
  isCelMap,
  isCelUint,
  parse,
  plan,
} from '@bufbuild/cel';
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { Severity } from '../../../detect/types.ts';
import { SEVERITIES } from '../../../detect/types.ts';
import type { K8sObject } from '../../../k8s/manifests.ts';
import { BollardError, isBollardError } from '../../../util/errors.ts';
import { lineRange, parseYamlDocuments, type YamlDocument } from '../../../util/yaml.ts';
import type { KubeCheck, KubeInput } from '../../kubernetes/input.ts';
import { resourceOf } from '../../kubernetes/input.ts';
import { selectorMatches } from '../../kubernetes/rbac/model.ts';
import { type CheckOutcome, outcome, skipped, type Violation } from '../../types.ts';

export const id = 'cel';

/** Bounds on evaluating policies (passed to `celChecks`; the defaults are `defaultCelLimits`). */
export interface CelCostLimits {
  /**
   * Most comprehension iterations in one evaluation of one expression, every nesting level
   * counted (Kubernetes allows a cost of 1,000,000 per expression call).
   */
  maxIterations: number;
  /** Longest one evaluation of one expression may run, in milliseconds. */
  maxEvalMs: number;
  /** Longest one policy may run over the objects of one file; the rest are then not evaluated. */
  maxRunMs: number;
}

export const defaultCelLimits: Readonly<CelCostLimits> = Object.freeze({
  maxIterations: 1_000_000,
  maxEvalMs: 1_000,
  maxRunMs: 5_000,
});

/** What one evaluation may still spend. */
interface Meter {
  limit: number;
  left: number;
  deadline: number;
  /** Why the evaluation was stopped, once it was. */
  exceeded?: string;
}

export interface CelValidation {
  expression: string;
  message?: string;
  messageExpression?: string;
  /** The compiled expression, metered: throws `LIMIT_EXCEEDED` when it outruns `limits`. */
  run: (vars: Record<string, unknown>, limits?: Pick<CelCostLimits, 'maxIterations' | 'maxEvalMs'>) => unknown;
  /** The compiled messageExpression. */
  runMessage?: (vars: Record<string, unknown>, limits?: Pick<CelCostLimits, 'maxIterations' | 'maxEvalMs'>) => unknown;
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
    operations?: string[];
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values: string[] }[];
  };
  params: unknown;
  validations: CelValidation[];
  file: string;
  /** 1-based line where the policy starts. */
  line: number;
}

const MAX_EXPRESSION = 10_000;
const MAX_POLICIES = 1_000;
/** Deepest expression tree accepted (cel-go's parser stops at 250; deeper trees overflow the planner). */
const MAX_EXPRESSION_DEPTH = 200;
const MATCH_KEYS = new Set(['kinds', 'apiGroups', 'namespaces', 'excludeNamespaces', 'operations', 'labelSelector']);
const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);
const OPERATIONS = new Set(['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const TICK = '@bollard_tick';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

type ParsedExpr = ReturnType<typeof parse>;
type Expr = NonNullable<ParsedExpr['expr']>;

/**
 * Wrap every comprehension's loop condition in a call to the meter, and measure the tree's depth
 * (iteratively: the tree is untrusted). The fold stops at the first condition that is an error.
 */
function instrument(root: Expr): number {
  let max = 0;
  const stack: [Expr | undefined, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [e, d] = stack.pop() as [Expr | undefined, number];
    if (!e) continue;
    if (d > max) max = d;
    const k = e.exprKind;
    if (k.case === 'selectExpr') stack.push([k.value.operand, d + 1]);
    else if (k.case === 'callExpr') {
      stack.push([k.value.target, d + 1]);
      for (const a of k.value.args) stack.push([a, d + 1]);
    } else if (k.case === 'listExpr') for (const x of k.value.elements) stack.push([x, d + 1]);
    else if (k.case === 'structExpr')
      for (const en of k.value.entries) {
        stack.push([en.value, d + 1]);
        if (en.keyKind.case === 'mapKey') stack.push([en.keyKind.value, d + 1]);
      }
    else if (k.case === 'comprehensionExpr') {
      const c = k.value;
      const cond = c.loopCondition;
      if (cond)
        c.loopCondition = {
          $typeName: 'cel.expr.Expr',
          id: cond.id,
          exprKind: { case: 'callExpr', value: { $typeName: 'cel.expr.Expr.Call', function: TICK, args: [cond] } },
        };
      for (const x of [c.iterRange, c.accuInit, cond, c.loopStep, c.result]) stack.push([x, d + 1]);
    }
  }
  return max;
}

/** Compile one expression, metered; refusals carry `where` (file:line). */
function compile(
  source: string,
  what: string,
  where: string,
  env: ReturnType<typeof celEnv>,
  meter: { current: Meter | undefined },
): CelValidation['run'] {
  if (source.length > MAX_EXPRESSION)
    throw new BollardError('LIMIT_EXCEEDED', `${where}: ${what} is longer than ${MAX_EXPRESSION} characters`);
  let parsed: ParsedExpr;
  try {
    parsed = parse(source);
  } catch (e) {
    if (e instanceof RangeError)
      throw new BollardError('LIMIT_EXCEEDED', `${where}: ${what} nests too deeply`, { cause: e });
    throw new BollardError('INPUT_INVALID', `${where}: ${what}: ${(e as Error).message.split('\n')[0]}`, {
      cause: e,
    });
  }
  if (parsed.expr && instrument(parsed.expr) > MAX_EXPRESSION_DEPTH)
    throw new BollardError('LIMIT_EXCEEDED', `${where}: ${what} nests deeper than ${MAX_EXPRESSION_DEPTH} levels`);
  let p: (vars: never) => unknown;
  try {
    p = plan(env, parsed) as (vars: never) => unknown;
  } catch (e) {
    throw new BollardError('INPUT_INVALID', `${where}: ${what}: ${(e as Error).message.split('\n')[0]}`, {
      cause: e,
    });
  }
  return (vars, limits = defaultCelLimits) => {
    const m: Meter = {
      limit: limits.maxIterations,
      left: limits.maxIterations,
      deadline: performance.now() + limits.maxEvalMs,
    };
    meter.current = m;
    try {
      const r = p(vars as never);
      // An error can be swallowed by `||`/`&&` on its way up: the meter knows it was stopped.
      if (m.exceeded) throw new BollardError('LIMIT_EXCEEDED', m.exceeded);
      return r;
    } finally {
      meter.current = undefined;
    }
  };
}

/** Load the policies of one YAML file (bounded YAML; every expression is compiled up front). */
export function loadCelPolicies(text: string | Buffer, file: string): CelPolicy[] {
  const docs = parseYamlDocuments(text, { what: file, maxBytes: 4 * 1024 * 1024, maxDocuments: MAX_POLICIES });
  const meter: { current: Meter | undefined } = { current: undefined };
  const tick = celFunc(TICK, [CelScalar.DYN], CelScalar.DYN, (v) => {
    const m = meter.current;
    if (m) {
      if (m.exceeded === undefined && --m.left < 0)
        m.exceeded = `cost limit: more than ${m.limit} comprehension iterations`;
      if (m.exceeded === undefined && performance.now() > m.deadline)
        m.exceeded = 'cost limit: evaluation ran past its time budget';
      if (m.exceeded !== undefined) throw new Error(m.exceeded);
    }
    return v;
  });
  const env = celEnv({ funcs: [tick] });
  const out: CelPolicy[] = [];
  for (const d of docs) {
    if (d.value === null) continue;
    const list = isObj(d.value) && Array.isArray(d.value.policies);
    const items = list ? (d.value as { policies: unknown[] }).policies : [d.value];
    items.forEach((raw, index) => {
      if (out.length >= MAX_POLICIES)
        throw new BollardError('LIMIT_EXCEEDED', `${file} has more than ${MAX_POLICIES} policies`);
      const base: unknown[] = list ? ['policies', index] : [];
      const policyLine = lineAt(d.doc, d.lineCounter, base) ?? d.startLine;
      /** `file:line` of a field of this policy (its nearest written ancestor). */
      const where = (...path: unknown[]): string => {
        for (let n = path.length; n > 0; n--) {
          const l = lineAt(d.doc, d.lineCounter, [...base, ...path.slice(0, n)]);
          if (l !== undefined) return `${file}:${l}`;
        }
        return `${file}:${policyLine}`;
      };
      out.push(readPolicy(raw, file, policyLine, where, env, meter));
    });
  }
  return out;
}

/** 1-based line of a field: the key's line for a mapping entry, the item's first line for a list item. */
function lineAt(doc: YamlDocument['doc'], lc: LineCounter, path: readonly unknown[]): number | undefined {
  let node: unknown = doc.contents;
  let line = lineRange(node as Node, lc)?.startLine;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (!pair) return undefined;
      line = lineRange(pair.key as Node, lc)?.startLine;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return undefined;
      line = lineRange(node as Node, lc)?.startLine;
    } else return undefined;
  }
  return line;
}

function readPolicy(
  raw: unknown,
  file: string,
  line: number,
  where: (...path: unknown[]) => string,
  env: ReturnType<typeof celEnv>,
  meter: { current: Meter | undefined },
): CelPolicy {
  const bad = (w: string, msg: string): never => {
    throw new BollardError('INPUT_INVALID', `${w}: ${msg}`);
  };
  if (!isObj(raw)) return bad(where(), 'a policy must be a mapping');
  const pid = raw.id;
  if (typeof pid !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(pid))
    return bad(where('id'), 'policy id must be a short name (letters, digits, . _ -)');
  const sev = typeof raw.severity === 'string' ? raw.severity.toUpperCase() : 'MEDIUM';
  if (!SEVERITIES.includes(sev as Severity))
    return bad(where('severity'), `policy ${pid}: unknown severity ${String(raw.severity)}`);
  const vals = raw.validations;
  if (!Array.isArray(vals) || vals.length === 0)
    return bad(where('validations'), `policy ${pid} needs a non-empty validations list`);
  const validations: CelValidation[] = vals.map((v, i) => {
    if (!isObj(v) || typeof v.expression !== 'string')
      return bad(where('validations', i, 'expression'), `policy ${pid} validation ${i}: expression must be a string`);
    const run = compile(
      v.expression,
      `policy ${pid} validation ${i}`,
      where('validations', i, 'expression'),
      env,
      meter,
    );
    let runMessage: CelValidation['runMessage'];
    if (v.messageExpression !== undefined) {
      if (typeof v.messageExpression !== 'string')
        return bad(
          where('validations', i, 'messageExpression'),
          `policy ${pid} validation ${i}: messageExpression must be a string`,
        );
      runMessage = compile(
        v.messageExpression,
        `policy ${pid} validation ${i} messageExpression`,
        where('validations', i, 'messageExpression'),
        env,
        meter,
      );
    }
    return {
      expression: v.expression,
      ...(typeof v.message === 'string' ? { message: v.message } : {}),
      ...(runMessage ? { messageExpression: v.messageExpression as string, runMessage } : {}),
      run,
    };
  });
  const m = raw.match ?? {};
  if (!isObj(m)) return bad(where('match'), `policy ${pid}: match must be a mapping`);
  for (const k of Object.keys(m))
    if (!MATCH_KEYS.has(k))
      bad(where('match', k), `policy ${pid}: match.${k} is not supported (supported: ${[...MATCH_KEYS].join(', ')})`);
  const strList = (key: string): string[] | undefined => {
    const v = m[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      return bad(where('match', key), `policy ${pid}: match.${key} must be a list of strings`);
    return v as string[];
  };
  const kinds = strList('kinds');
  const apiGroups = strList('apiGroups');
  const namespaces = strList('namespaces');
  const excludeNamespaces = strList('excludeNamespaces');
  const operations = strList('operations');
  for (const op of operations ?? [])
    if (!OPERATIONS.has(op)) bad(where('match', 'operations'), `policy ${pid}: unknown operation ${op}`);
  const ls = m.labelSelector ?? {};
  if (!isObj(ls)) return bad(where('match', 'labelSelector'), `policy ${pid}: match.labelSelector must be a mapping`);
  for (const k of Object.keys(ls))
    if (k !== 'matchLabels' && k !== 'matchExpressions')
      bad(where('match', 'labelSelector', k), `policy ${pid}: match.labelSelector.${k} is not supported`);
  const ml = ls.matchLabels;
  if (ml !== undefined && !isObj(ml))
    bad(where('match', 'labelSelector', 'matchLabels'), `policy ${pid}: matchLabels must be a mapping`);
  const me = ls.matchExpressions ?? [];
  if (!Array.isArray(me))
    return bad(where('match', 'labelSelector', 'matchExpressions'), `policy ${pid}: matchExpressions must be a list`);
  const matchExpressions = me.map((e, i) => {
    const w = where('match', 'labelSelector', 'matchExpressions', i);
    if (!isObj(e) || typeof e.key !== 'string' || typeof e.operator !== 'string' || !SELECTOR_OPERATORS.has(e.operator))
      return bad(w, `policy ${pid}: a matchExpression needs a key and an operator (In, NotIn, Exists, DoesNotExist)`);
    const values = e.values ?? [];
    if (!Array.isArray(values) || !values.every((x) => typeof x === 'string'))
      return bad(w, `policy ${pid}: matchExpression values must be a list of strings`);
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues !== values.length > 0)
      return bad(w, `policy ${pid}: operator ${e.operator} ${needsValues ? 'needs' : 'takes no'} values`);
    return { key: e.key, operator: e.operator, values: values as string[] };
  });
  return {
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
      ...(operations ? { operations } : {}),
      ...(isObj(ml) ? { matchLabels: Object.fromEntries(Object.entries(ml).map(([k, v]) => [k, String(v)])) } : {}),
      ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
    },
    params: raw.params ?? null,
    validations,
    file,
    line,
  };
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
  if (m.matchLabels || m.matchExpressions)
    return selectorMatches(
      { matchLabels: m.matchLabels ?? {}, matchExpressions: m.matchExpressions ?? [] },
      o.metadata.labels,
    );
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

function celTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (v instanceof Uint8Array) return 'bytes';
  if (isCelMap(v)) return 'map';
  if (isCelList(v)) return 'list';
  if (isCelUint(v)) return 'uint';
  return 'a value of another type';
}

/** One check per policy; `limits` bound each evaluation and each run (default `defaultCelLimits`). */
export function celChecks(policies: readonly CelPolicy[], limits: Partial<CelCostLimits> = {}): KubeCheck[] {
  const lim: CelCostLimits = { ...defaultCelLimits, ...limits };
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
      const ops = p.match.operations;
      if (ops && !ops.includes('*') && !ops.includes('CREATE'))
        return skipped(`the policy matches ${ops.join(', ')}; manifests are checked as CREATE`);
      const targets = input.objects.filter((o) => matches(p, o));
      if (targets.length === 0) return skipped('no object in this file matches the policy');
      const params = p.params === null ? null : toCel(p.params);
      const out: Violation[] = [];
      const errors: Violation[] = [];
      const started = performance.now();
      for (const [i, o] of targets.entries()) {
        const at = { startLine: o.startLine, endLine: o.endLine, resource: resourceOf(o) };
        if (performance.now() - started > lim.maxRunMs) {
          errors.push({
            message: `not evaluated: the policy ran past its time budget of ${lim.maxRunMs} ms on this file (${targets.length - i} objects left)`,
            ...at,
          });
          break;
        }
        // A Namespace is cluster-scoped: it has no namespaceObject, as in admission.
        const nsObj =
          o.kind === 'Namespace' ? undefined : namespacesOf(input.allObjects).get(o.metadata.namespace ?? 'default');
        const vars = { object: cel(o.raw), oldObject: null, params, namespaceObject: nsObj ? cel(nsObj.raw) : null };
        for (const v of p.validations) {
          const r = evaluate(v.run, vars, lim);
          if (typeof r === 'string') {
            errors.push({ message: `${o.kind}/${o.metadata.name}: ${r}`, ...at });
            continue;
          }
          if (r.value === true) continue;
          out.push({ message: messageOf(v, vars, lim) ?? v.message ?? p.message, ...at });
        }
      }
      if (out.length > 0)
        return outcome([
          ...out,
          ...errors.map((e) => ({ ...e, message: `policy could not be evaluated: ${e.message}` })),
        ]);
      if (errors.length > 0)
        return {
          status: 'error',
          reason: `expression failed: ${errors
            .slice(0, 3)
            .map((e) => e.message)
            .join('; ')}${errors.length > 3 ? '; ...' : ''}`,
        };
      return outcome(out);
    },
  }));
}

/** A bool, or why there is none (a runtime error, a cost limit, a result of another type). */
function evaluate(
  run: CelValidation['run'],
  vars: Record<string, unknown>,
  lim: CelCostLimits,
): { value: boolean } | string {
  let r: unknown;
  try {
    r = run(vars, lim);
  } catch (e) {
    if (isBollardError(e, 'LIMIT_EXCEEDED')) return e.message;
    throw e;
  }
  if (isCelError(r as CelValue)) return (r as { message: string }).message;
  if (typeof r !== 'boolean') return `expression returned ${celTypeName(r)}, not a bool`;
  return { value: r };
}

/** As in admission: a messageExpression that fails or gives an empty or multi-line string is ignored. */
function messageOf(v: CelValidation, vars: Record<string, unknown>, lim: CelCostLimits): string | undefined {
  if (!v.runMessage) return undefined;
  let r: unknown;
  try {
    r = v.runMessage(vars, lim);
  } catch (e) {
    if (isBollardError(e, 'LIMIT_EXCEEDED')) return undefined;
    throw e;
  }
  return typeof r === 'string' && r.trim() !== '' && !/[\r\n]/.test(r) ? r : undefined;
}
