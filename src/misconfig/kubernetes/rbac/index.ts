/**
 * RBAC checks over the model of every Role, ClusterRole and binding given (aggregated ClusterRoles
 * expanded): wildcards, cluster-admin to non-system subjects, secrets, exec/attach, escalate/bind/
 * impersonate, pod creation, nodes/proxy, default service accounts with bindings.
 */
import type { Severity } from '../../../detect/types.ts';
import type { K8sObject } from '../../../k8s/manifests.ts';
import { type CheckOutcome, outcome, type RulePack, skipped, type Violation } from '../../types.ts';
import type { KubeCheck, KubeInput } from '../input.ts';
import { violationAt } from '../input.ts';
import {
  type BindingNode,
  buildRbacModel,
  isClusterAdminEquivalent,
  isSystemSubject,
  type PolicyRule,
  type RbacModel,
  type RoleNode,
  ruleAllows,
  wellKnownGroup,
} from './model.ts';

export * from './model.ts';
export const id = 'rbac';

const DOC = 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/';
const modelCache = new WeakMap<readonly K8sObject[], RbacModel>();

export function rbacModelOf(all: readonly K8sObject[]): RbacModel {
  let m = modelCache.get(all);
  if (!m) {
    m = buildRbacModel(all);
    modelCache.set(all, m);
  }
  return m;
}

function subjectsOf(model: RbacModel, role: RoleNode): string {
  const names = new Set<string>();
  for (const b of model.bindings) {
    if (b.role !== role && !b.role?.effective.some((r) => r.from === role.name)) continue;
    for (const s of b.subjects) names.add(`${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`);
  }
  return names.size > 0
    ? `bound to ${[...names].slice(0, 5).join(', ')}${names.size > 5 ? ', ...' : ''}`
    : 'not bound in the given manifests';
}

/** A check over the rules of the roles defined in this file. */
function ruleCheck(
  meta: { id: string; severity: Severity; title: string; remediation: string },
  test: (r: PolicyRule, role: RoleNode) => string | undefined,
): KubeCheck {
  return {
    ...meta,
    aliases: [],
    controls: ['NSA-CISA'],
    references: [DOC],
    appliesTo: 'kubernetes',
    run(input: KubeInput): CheckOutcome {
      const model = rbacModelOf(input.allObjects);
      const mine = new Set(input.objects);
      const roles = model.roles.filter((r) => mine.has(r.obj));
      if (roles.length === 0) return skipped('no Roles or ClusterRoles in this file');
      const out: Violation[] = [];
      for (const role of roles) {
        // Kubernetes' own roles (`system:*`) are not the user's to fix.
        if (role.name.startsWith('system:')) continue;
        for (const r of role.effective) {
          // A dump's aggregated role already holds the aggregated rules as its own (the controller
          // wrote them there): report them once, at the role's own rule.
          if (r.from !== undefined && role.rules.some((own) => sameRule(own, r))) continue;
          const what = test(r, role);
          if (!what) continue;
          const path = r.index !== undefined ? ['rules', r.index] : ['aggregationRule'];
          const via = r.from ? ` (aggregated from ${r.from})` : '';
          out.push(violationAt(role.obj, path, `${role.kind} ${role.name} ${what}${via}; ${subjectsOf(model, role)}`));
        }
      }
      return outcome(out);
    },
  };
}

function bindingCheck(
  meta: { id: string; severity: Severity; title: string; remediation: string },
  test: (b: BindingNode) => Violation[],
): KubeCheck {
  return {
    ...meta,
    aliases: [],
    controls: ['NSA-CISA'],
    references: [DOC],
    appliesTo: 'kubernetes',
    run(input: KubeInput): CheckOutcome {
      const model = rbacModelOf(input.allObjects);
      const mine = new Set(input.objects);
      const bindings = model.bindings.filter((b) => mine.has(b.obj));
      if (bindings.length === 0) return skipped('no RoleBindings or ClusterRoleBindings in this file');
      return outcome(bindings.flatMap(test));
    },
  };
}

const WORKLOAD_RESOURCES = [
  'pods',
  'deployments',
  'daemonsets',
  'statefulsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'replicationcontrollers',
];

export const rbacChecks: readonly KubeCheck[] = [
  ruleCheck(
    {
      id: 'BD-RBAC-001',
      severity: 'HIGH',
      title: 'Wildcard in RBAC verbs or resources',
      remediation: 'List the verbs and resources the role needs instead of "*"',
    },
    (r) =>
      r.verbs.includes('*') || r.resources.includes('*') || r.nonResourceURLs.includes('*')
        ? `grants ${r.verbs.join(',')} on ${r.resources.join(',') || r.nonResourceURLs.join(',')}`
        : undefined,
  ),
  bindingCheck(
    {
      id: 'BD-RBAC-002',
      severity: 'CRITICAL',
      title: 'cluster-admin (or an equivalent role) bound to a non-system subject',
      remediation: 'Bind a least-privilege role; keep cluster-admin for break-glass accounts',
    },
    (b) => {
      const admin = b.roleRef.kind === 'ClusterRole' && b.roleRef.name === 'cluster-admin';
      if (!admin && !(b.role && isClusterAdminEquivalent(b.role))) return [];
      return b.subjects
        .map((s, i) => ({ s, i }))
        .filter(({ s }) => !isSystemSubject(s))
        .map(({ s, i }) =>
          violationAt(
            b.obj,
            ['subjects', i],
            `${b.kind} ${b.name} grants ${b.roleRef.name}${admin ? '' : ' (equivalent to cluster-admin)'} to ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}${b.kind === 'RoleBinding' ? ` in namespace ${b.namespace}` : ''}`,
          ),
        );
    },
  ),
  ruleCheck(
    {
      id: 'BD-RBAC-003',
      severity: 'HIGH',
      title: 'Read access to Secrets',
      remediation: 'Grant get/list/watch on secrets only with resourceNames, or not at all',
    },
    (r) =>
      ['get', 'list', 'watch'].some((v) => ruleAllows(r, v, 'secrets')) && r.resourceNames.length === 0 && groupsCore(r)
        ? `can ${r.verbs.join(',')} secrets`
        : undefined,
  ),
  ruleCheck(
    {
      id: 'BD-RBAC-004',
      severity: 'HIGH',
      title: 'pods/exec or pods/attach allowed',
      remediation: 'Remove create/get on pods/exec and pods/attach',
    },
    (r) => {
      const subs = ['pods/exec', 'pods/attach'].filter((s) => ['create', 'get'].some((v) => ruleAllows(r, v, s)));
      return subs.length > 0 && groupsCore(r) && !r.resources.includes('*') ? `can ${subs.join(' and ')}` : undefined;
    },
  ),
  ruleCheck(
    {
      id: 'BD-RBAC-005',
      severity: 'CRITICAL',
      title: 'escalate, bind or impersonate allowed',
      remediation: 'Remove the escalate, bind and impersonate verbs',
    },
    (r) => {
      const verbs = ['escalate', 'bind', 'impersonate'].filter((v) => r.verbs.includes(v));
      return verbs.length > 0 ? `can ${verbs.join(', ')} ${r.resources.join(',')}` : undefined;
    },
  ),
  ruleCheck(
    {
      id: 'BD-RBAC-006',
      severity: 'MEDIUM',
      title:
        'Can create pods or workloads (runs code with any mounted service account or host access the namespace allows)',
      remediation: 'Limit pod and workload creation to deployment pipelines; enforce Pod Security admission',
    },
    (r) => {
      if (r.verbs.includes('*') && r.resources.includes('*')) return undefined; // BD-RBAC-001 reports it
      // A rule of another API group (`apps` pods, `metrics.k8s.io` pods) does not grant them.
      const res = WORKLOAD_RESOURCES.filter((x) => ruleAllows(r, 'create', x, wellKnownGroup(x)));
      return res.length > 0 ? `can create ${res.join(', ')}` : undefined;
    },
  ),
  ruleCheck(
    {
      id: 'BD-RBAC-007',
      severity: 'HIGH',
      title: 'nodes/proxy allowed (kubelet API access)',
      remediation: 'Remove access to nodes/proxy',
    },
    // Nodes are cluster-scoped and in the core group: a namespaced Role, or a rule of another
    // group, grants nothing on them.
    (r, role) =>
      role.kind === 'ClusterRole' &&
      ['get', 'create'].some((v) => ruleAllows(r, v, 'nodes/proxy', '')) &&
      !r.resources.includes('*')
        ? 'can reach nodes/proxy'
        : undefined,
  ),
  bindingCheck(
    {
      id: 'BD-RBAC-008',
      severity: 'MEDIUM',
      title: 'Default service account has a role binding',
      remediation: 'Create a dedicated service account for the workload and bind the role to it',
    },
    (b) =>
      b.subjects
        .map((s, i) => ({ s, i }))
        .filter(({ s }) => s.kind === 'ServiceAccount' && s.name === 'default' && s.namespace !== 'kube-system')
        .map(({ s, i }) =>
          violationAt(
            b.obj,
            ['subjects', i],
            `${b.kind} ${b.name} grants ${b.roleRef.kind} ${b.roleRef.name} to ${s.namespace}/default`,
          ),
        ),
  ),
];

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const same = (x: string[], y: string[]): boolean => x.length === y.length && x.every((v) => y.includes(v));
  return (
    same(a.verbs, b.verbs) &&
    same(a.apiGroups, b.apiGroups) &&
    same(a.resources, b.resources) &&
    same(a.resourceNames, b.resourceNames) &&
    same(a.nonResourceURLs, b.nonResourceURLs)
  );
}

function groupsCore(r: PolicyRule): boolean {
  return r.apiGroups.length === 0 || r.apiGroups.includes('') || r.apiGroups.includes('*');
}

export const rbacPack: RulePack<KubeInput> = { id, kind: 'kubernetes', checks: rbacChecks };
