/**
 * An RBAC model built from the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings given,
 * with aggregated ClusterRoles expanded (transitively, as the aggregation controller converges to).
 * The checks and `bollard rbac who-can` answer from the same model.
 */
import type { K8sObject } from '../../../k8s/manifests.ts';

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
  /** Index in the role's own `rules` (for field paths); undefined for rules aggregated in. */
  index?: number;
  /** The ClusterRole an aggregated rule came from. */
  from?: string;
}

export interface RoleNode {
  kind: 'Role' | 'ClusterRole';
  namespace?: string;
  name: string;
  obj: K8sObject;
  /** Own rules. */
  rules: PolicyRule[];
  /** Own rules plus the rules of every ClusterRole its aggregationRule selects. */
  effective: PolicyRule[];
  aggregated: boolean;
  /** A bootstrap role Kubernetes creates itself (cluster-admin), used when the input lacks it. */
  builtin?: true;
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

export interface BindingNode {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace?: string;
  name: string;
  obj: K8sObject;
  roleRef: { kind: string; name: string };
  subjects: Subject[];
  /** The role it grants, when it was among the given objects. */
  role?: RoleNode;
}

export interface RbacModel {
  roles: RoleNode[];
  bindings: BindingNode[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function rulesOf(raw: Obj): PolicyRule[] {
  const out: PolicyRule[] = [];
  (Array.isArray(raw.rules) ? raw.rules : []).forEach((r, index) => {
    if (!isObj(r)) return;
    out.push({
      verbs: strs(r.verbs),
      apiGroups: strs(r.apiGroups),
      resources: strs(r.resources),
      resourceNames: strs(r.resourceNames),
      nonResourceURLs: strs(r.nonResourceURLs),
      index,
    });
  });
  return out;
}

interface Selector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: string; values: string[] }[];
}

function selectorsOf(raw: Obj): Selector[] {
  const ar = raw.aggregationRule;
  if (!isObj(ar)) return [];
  return (Array.isArray(ar.clusterRoleSelectors) ? ar.clusterRoleSelectors : []).filter(isObj).map((s) => ({
    matchLabels: Object.fromEntries(
      Object.entries(isObj(s.matchLabels) ? s.matchLabels : {}).map(([k, v]) => [k, str(v)]),
    ),
    matchExpressions: (Array.isArray(s.matchExpressions) ? s.matchExpressions : [])
      .filter(isObj)
      .map((e) => ({ key: str(e.key), operator: str(e.operator), values: strs(e.values) })),
  }));
}

/** Kubernetes label selector semantics (an empty selector matches everything). */
export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && e.values.includes(v!))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function buildRbacModel(objects: readonly K8sObject[]): RbacModel {
  const roles: RoleNode[] = [];
  const selectors = new Map<RoleNode, Selector[]>();
  for (const o of objects) {
    if (!o.apiVersion.startsWith('rbac.authorization.k8s.io/')) continue;
    if (o.kind !== 'Role' && o.kind !== 'ClusterRole') continue;
    const rules = rulesOf(o.raw);
    const node: RoleNode = {
      kind: o.kind,
      name: o.metadata.name,
      obj: o,
      rules,
      effective: rules,
      aggregated: false,
      ...(o.kind === 'Role' ? { namespace: o.metadata.namespace ?? 'default' } : {}),
    };
    roles.push(node);
    if (o.kind === 'ClusterRole') {
      const s = selectorsOf(o.raw);
      if (s.length > 0) selectors.set(node, s);
    }
  }
  // Expand aggregation to a fixed point; a cycle of aggregating roles just stops growing.
  const clusterRoles = roles.filter((r) => r.kind === 'ClusterRole');
  for (const [node] of selectors) node.aggregated = true;
  const resolve = (node: RoleNode, seen: Set<RoleNode>): PolicyRule[] => {
    const sels = selectors.get(node);
    if (!sels || seen.has(node)) return node.rules;
    seen.add(node);
    const out = [...node.rules];
    for (const cr of clusterRoles) {
      if (cr === node) continue;
      if (!sels.some((s) => selectorMatches(s, cr.obj.metadata.labels))) continue;
      for (const r of resolve(cr, seen)) out.push({ ...r, index: undefined, from: r.from ?? cr.name });
    }
    seen.delete(node);
    return out;
  };
  for (const [node] of selectors) node.effective = resolve(node, new Set());

  const bindings: BindingNode[] = [];
  for (const o of objects) {
    if (!o.apiVersion.startsWith('rbac.authorization.k8s.io/')) continue;
    if (o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') continue;
    const ref = isObj(o.raw.roleRef) ? o.raw.roleRef : {};
    const roleRef = { kind: str(ref.kind), name: str(ref.name) };
    const ns = o.kind === 'RoleBinding' ? (o.metadata.namespace ?? 'default') : undefined;
    const subjects: Subject[] = [];
    for (const s of Array.isArray(o.raw.subjects) ? o.raw.subjects : []) {
      if (!isObj(s)) continue;
      const kind = str(s.kind);
      if (kind !== 'User' && kind !== 'Group' && kind !== 'ServiceAccount') continue;
      subjects.push({
        kind,
        name: str(s.name),
        // A ServiceAccount subject without a namespace means the binding's namespace.
        ...(kind === 'ServiceAccount' ? { namespace: str(s.namespace) || ns || 'default' } : {}),
      });
    }
    const role =
      roleRef.kind === 'ClusterRole'
        ? (roles.find((r) => r.kind === 'ClusterRole' && r.name === roleRef.name) ??
          builtinClusterRole(roleRef.name, o))
        : roles.find((r) => r.kind === 'Role' && r.name === roleRef.name && r.namespace === ns);
    bindings.push({
      kind: o.kind,
      name: o.metadata.name,
      obj: o,
      roleRef,
      subjects,
      ...(ns !== undefined ? { namespace: ns } : {}),
      ...(role ? { role } : {}),
    });
  }
  return { roles, bindings };
}

/**
 * `cluster-admin` as the API server bootstraps it (every verb on every resource and URL), for
 * bindings whose input does not include the role: manifests in a repository never do. Other
 * bootstrap roles (admin, edit, view) aggregate many rules and are not modelled. The node is not
 * in `model.roles`, so role checks never report the built-in role itself.
 */
function builtinClusterRole(name: string, binding: K8sObject): RoleNode | undefined {
  if (name !== 'cluster-admin') return undefined;
  const rules: PolicyRule[] = [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'], resourceNames: [], nonResourceURLs: [] },
    { verbs: ['*'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['*'] },
  ];
  return { kind: 'ClusterRole', name, obj: binding, rules, effective: rules, aggregated: false, builtin: true };
}

/** `deployments.apps` → group `apps`, resource `deployments`; `pods/exec` keeps its subresource. */
export function parseResource(spec: string): { group?: string; resource: string } {
  const slash = spec.indexOf('/');
  const main = slash >= 0 ? spec.slice(0, slash) : spec;
  const sub = slash >= 0 ? spec.slice(slash) : '';
  const dot = main.indexOf('.');
  if (dot < 0) return { resource: spec };
  return { resource: main.slice(0, dot) + sub, group: main.slice(dot + 1) };
}

function resourceMatches(ruleRes: string, res: string): boolean {
  if (ruleRes === '*' || ruleRes === res) return true;
  const [rMain, rSub] = ruleRes.split('/');
  const [main, sub] = res.split('/');
  if (rSub === '*' && rMain === main && sub !== undefined) return true;
  if (rMain === '*' && rSub !== undefined && rSub === sub) return true;
  return false;
}

/** Does a rule allow `verb` on `resource` (in `group`, when given)? */
export function ruleAllows(r: PolicyRule, verb: string, resource: string, group?: string): boolean {
  if (!r.verbs.includes('*') && !r.verbs.includes(verb)) return false;
  if (group !== undefined && !r.apiGroups.includes('*') && !r.apiGroups.includes(group)) return false;
  return r.resources.some((x) => resourceMatches(x, resource));
}

export interface Grant {
  subject: Subject;
  binding: BindingNode;
  role: RoleNode;
  /** Namespace the permission applies in; `*` for a ClusterRoleBinding. */
  scope: string;
  rule: PolicyRule;
}

/**
 * The API group of well-known resources, as kubectl resolves a bare name through discovery
 * (`pods` is core, `deployments` is apps); other names match rules of any group.
 */
/** The API group of a well-known resource (`pods/exec` → core `''`, `deployments` → `apps`); undefined for others. */
export function wellKnownGroup(resource: string): string | undefined {
  return WELL_KNOWN_GROUPS[resource.split('/')[0] ?? resource];
}

const WELL_KNOWN_GROUPS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    [
      'pods',
      'services',
      'secrets',
      'configmaps',
      'serviceaccounts',
      'nodes',
      'namespaces',
      'persistentvolumes',
      'persistentvolumeclaims',
      'endpoints',
      'events',
      'replicationcontrollers',
      'limitranges',
      'resourcequotas',
      'podtemplates',
    ].map((r) => [r, '']),
  ),
  ...Object.fromEntries(
    ['deployments', 'daemonsets', 'statefulsets', 'replicasets', 'controllerrevisions'].map((r) => [r, 'apps']),
  ),
  jobs: 'batch',
  cronjobs: 'batch',
  ...Object.fromEntries(
    ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'].map((r) => [r, 'rbac.authorization.k8s.io']),
  ),
  networkpolicies: 'networking.k8s.io',
  ingresses: 'networking.k8s.io',
  poddisruptionbudgets: 'policy',
  horizontalpodautoscalers: 'autoscaling',
  customresourcedefinitions: 'apiextensions.k8s.io',
  validatingwebhookconfigurations: 'admissionregistration.k8s.io',
  mutatingwebhookconfigurations: 'admissionregistration.k8s.io',
  certificatesigningrequests: 'certificates.k8s.io',
  storageclasses: 'storage.k8s.io',
  priorityclasses: 'scheduling.k8s.io',
  runtimeclasses: 'node.k8s.io',
};

/** Cluster-scoped resources: a RoleBinding never grants them, whatever its role says. */
const CLUSTER_SCOPED = new Set([
  'nodes',
  'persistentvolumes',
  'clusterroles',
  'clusterrolebindings',
  'customresourcedefinitions',
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'certificatesigningrequests',
  'storageclasses',
  'priorityclasses',
  'runtimeclasses',
]);

/** Does a rule allow `verb` on a non-resource URL (`/healthz`, `/metrics`; `/api/*` prefixes)? */
function nonResourceAllows(r: PolicyRule, verb: string, url: string): boolean {
  if (!r.verbs.includes('*') && !r.verbs.includes(verb)) return false;
  return r.nonResourceURLs.some((u) => u === url || u === '*' || (u.endsWith('*') && url.startsWith(u.slice(0, -1))));
}

/**
 * Who can `verb` `resource` (in namespace `ns`, or anywhere when omitted)? As the RBAC authorizer
 * decides a request without a resource name: a rule limited by `resourceNames` is reported only
 * when no unrestricted rule of the role matches (the grant then names them); RoleBindings grant
 * nothing on cluster-scoped resources or non-resource URLs (`/metrics`).
 */
export function whoCan(model: RbacModel, verb: string, resourceSpec: string, ns?: string): Grant[] {
  const url = resourceSpec.startsWith('/');
  const { resource, group: given } = url ? { resource: resourceSpec, group: undefined } : parseResource(resourceSpec);
  const base = resource.split('/')[0] ?? resource;
  const group = given ?? (base === '*' ? '*' : WELL_KNOWN_GROUPS[base]);
  const clusterOnly = url || (given === undefined && CLUSTER_SCOPED.has(base));
  const allows = (r: PolicyRule): boolean =>
    url ? nonResourceAllows(r, verb, resource) : ruleAllows(r, verb, resource, group);
  const out: Grant[] = [];
  for (const b of model.bindings) {
    if (!b.role) continue;
    if (clusterOnly && b.kind !== 'ClusterRoleBinding') continue;
    const scope = b.kind === 'ClusterRoleBinding' ? '*' : (b.namespace ?? 'default');
    if (ns !== undefined && scope !== '*' && scope !== ns) continue;
    const rules = b.role.effective.filter(allows);
    const rule = rules.find((r) => r.resourceNames.length === 0) ?? rules[0];
    if (!rule) continue;
    for (const subject of b.subjects) out.push({ subject, binding: b, role: b.role, scope, rule });
  }
  return out;
}

/**
 * Subjects Kubernetes itself uses (`system:` users and groups, kube-system service accounts). The
 * groups every caller or every service account is in (`system:authenticated`,
 * `system:unauthenticated`, `system:serviceaccounts[:NS]`) and `system:anonymous` are not: a grant
 * to them is a grant to everyone. A user `system:serviceaccount:NS:NAME` is that service account.
 */
export function isSystemSubject(s: Subject): boolean {
  if (s.kind === 'ServiceAccount') return s.namespace === 'kube-system';
  if (s.kind === 'Group') {
    if (s.name === 'system:authenticated' || s.name === 'system:unauthenticated') return false;
    if (s.name === 'system:serviceaccounts') return false;
    if (s.name.startsWith('system:serviceaccounts:')) return s.name === 'system:serviceaccounts:kube-system';
  }
  if (s.kind === 'User') {
    if (s.name === 'system:anonymous') return false;
    const sa = /^system:serviceaccount:([^:]*):/.exec(s.name);
    if (sa) return sa[1] === 'kube-system';
  }
  return s.name.startsWith('system:');
}

/** Is a role as strong as cluster-admin (`*` verbs on `*` resources in `*` groups)? */
export function isClusterAdminEquivalent(role: RoleNode): boolean {
  return role.effective.some((r) => r.verbs.includes('*') && r.resources.includes('*') && r.apiGroups.includes('*'));
}
