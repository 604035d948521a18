import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type K8sObject, parseManifests } from '../../../k8s/manifests.ts';
import type { MisconfigFinding } from '../../../report/types.ts';
import { checkKubernetesObjects } from '../../service.ts';
import { PSS_LATEST_MINOR } from '../pss/index.ts';
import { buildRbacModel, isSystemSubject, rbacChecks, whoCan } from './index.ts';

/**
 * Every BD-RBAC check on Roles, ClusterRoles and bindings where it must fail (resource, field path,
 * exact line) and close variants where it must pass; and `who-can` answers compared with what the
 * Kubernetes RBAC authorizer (and so `kubectl auth can-i`) decides, written by hand from
 * https://kubernetes.io/docs/reference/access-authn-authz/rbac/.
 */

const SEVERITY: Record<string, string> = {
  'BD-RBAC-001': 'HIGH',
  'BD-RBAC-002': 'CRITICAL',
  'BD-RBAC-003': 'HIGH',
  'BD-RBAC-004': 'HIGH',
  'BD-RBAC-005': 'CRITICAL',
  'BD-RBAC-006': 'MEDIUM',
  'BD-RBAC-007': 'HIGH',
  'BD-RBAC-008': 'MEDIUM',
};

function parse(text: string, file = 'rbac.yaml'): K8sObject[] {
  return parseManifests(text, file, {
    onError(e) {
      throw new Error(`${e.file}:${e.line}: ${e.message}`);
    },
  });
}

function run(text: string, others = ''): MisconfigFinding[] {
  const objects = [...parse(text), ...(others ? parse(others, 'others.yaml') : [])];
  const r = checkKubernetesObjects(objects, { pss: { level: 'restricted', minor: PSS_LATEST_MINOR } }).find(
    (x) => x.target === 'rbac.yaml',
  );
  assert.ok(r);
  return r.misconfigurations ?? [];
}

/** [resource, fieldPath, line, message] of a check's failures, after checking its severity. */
function failures(fs: readonly MisconfigFinding[], id: string): [string, string, number, string][] {
  const mine = fs.filter((f) => f.checkId === id);
  assert.ok(mine.length > 0, `${id} reported nothing`);
  assert.ok(
    mine.every((f) => f.status === 'failed'),
    `${id}: ${mine.map((f) => f.status).join(',')}`,
  );
  return mine.map((f) => {
    assert.equal(f.severity, SEVERITY[id]);
    const r = f.resource;
    return [`${r?.kind}/${r?.namespace ?? '-'}/${r?.name}`, f.fieldPath ?? '', f.startLine ?? 0, f.message];
  });
}

function statusOf(fs: readonly MisconfigFinding[], id: string): string {
  const s = [...new Set(fs.filter((f) => f.checkId === id).map((f) => f.status))];
  assert.equal(s.length, 1, `${id}: ${s.join(',')}`);
  return s[0]!;
}

function lineOf(text: string, marker: string, n = 0): number {
  const hits: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.includes(marker)) hits.push(i + 1);
  });
  assert.ok(hits[n] !== undefined, `marker ${marker} #${n}`);
  return hits[n];
}

const role = (kind: 'Role' | 'ClusterRole', name: string, rules: string, extra = ''): string =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${kind === 'Role' ? '  namespace: shop\n' : ''}${extra}rules:\n${rules}\n`;

const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  roleRef: string,
  subjects: string[],
  ns = 'shop',
): string =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${kind === 'RoleBinding' ? `  namespace: ${ns}\n` : ''}roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ${roleRef.split('/')[0]}\n  name: ${roleRef.split('/')[1]}\nsubjects:\n${subjects.map((s) => `  - ${s}`).join('\n')}\n`;

const rule = (groups: string, resources: string, verbs: string, extra = ''): string =>
  `  - apiGroups: ${groups}\n    resources: ${resources}\n    verbs: ${verbs}\n${extra}`;

describe('RBAC checks: metadata', () => {
  test('eight checks with their severities and a remediation each', () => {
    assert.deepEqual(
      rbacChecks.map((c) => [c.id, c.severity]),
      Object.entries(SEVERITY),
    );
    for (const c of rbacChecks) assert.ok(c.remediation.length > 10, c.id);
  });

  test('files without roles or bindings skip the checks with a reason', () => {
    const fs = run('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    for (const id of Object.keys(SEVERITY)) {
      const f = fs.find((x) => x.checkId === id);
      assert.equal(f?.status, 'skipped', id);
      assert.match(f.reason ?? '', /no (Roles or ClusterRoles|RoleBindings or ClusterRoleBindings) in this file/);
    }
  });
});

describe('BD-RBAC-001 wildcards in verbs or resources', () => {
  test('"*" verbs, "*" resources and "*" non-resource URLs fail at their rule', () => {
    const text = role(
      'ClusterRole',
      'wild',
      [
        rule('[""]', '[pods]', '["*"]'),
        rule('["apps"]', '["*"]', '[get]'),
        '  - nonResourceURLs: ["*"]\n    verbs: [get]\n',
        rule('[""]', '[configmaps]', '[get, list]'),
      ].join(''),
    );
    assert.deepEqual(failures(run(text), 'BD-RBAC-001'), [
      ['ClusterRole/-/wild', 'rules[0]', 6, 'ClusterRole wild grants * on pods; not bound in the given manifests'],
      ['ClusterRole/-/wild', 'rules[1]', 9, 'ClusterRole wild grants get on *; not bound in the given manifests'],
      ['ClusterRole/-/wild', 'rules[2]', 12, 'ClusterRole wild grants get on *; not bound in the given manifests'],
    ]);
  });

  test('explicit lists pass, and Kubernetes’ own system: roles are not reported', () => {
    assert.equal(
      statusOf(run(role('Role', 'ok', rule('[""]', '[pods, services]', '[get, list]'))), 'BD-RBAC-001'),
      'passed',
    );
    assert.equal(
      statusOf(run(role('ClusterRole', 'system:controller:x', rule('["*"]', '["*"]', '["*"]'))), 'BD-RBAC-001'),
      'passed',
    );
  });

  test('the message names who the role is bound to', () => {
    const text = `${role('Role', 'wild', rule('[""]', '["*"]', '[get]'))}---\n${binding('RoleBinding', 'wild', 'Role/wild', ['kind: User\n    name: alice', 'kind: ServiceAccount\n    name: ci'])}`;
    assert.match(failures(run(text), 'BD-RBAC-001')[0]![3], /; bound to User alice, ServiceAccount shop\/ci$/);
  });
});

describe('BD-RBAC-002 cluster-admin or an equivalent bound to non-system subjects', () => {
  const subjects = [
    'kind: User\n    name: alice',
    'kind: Group\n    name: system:masters',
    'kind: ServiceAccount\n    name: operator\n    namespace: kube-system',
    'kind: Group\n    name: system:authenticated',
    'kind: ServiceAccount\n    name: ci\n    namespace: build',
    'kind: User\n    name: system:kube-controller-manager',
    'kind: User\n    name: system:serviceaccount:build:deployer',
  ];

  test('cluster-admin by ClusterRoleBinding: users, everyone-groups and service accounts outside kube-system fail at their subject', () => {
    const text = binding('ClusterRoleBinding', 'admins', 'ClusterRole/cluster-admin', subjects);
    const got = failures(run(text), 'BD-RBAC-002');
    assert.deepEqual(
      got.map(([r, p, l]) => [r, p, l]),
      [
        ['ClusterRoleBinding/-/admins', 'subjects[0]', lineOf(text, 'name: alice') - 1],
        ['ClusterRoleBinding/-/admins', 'subjects[3]', lineOf(text, 'name: system:authenticated') - 1],
        ['ClusterRoleBinding/-/admins', 'subjects[4]', lineOf(text, 'name: ci') - 1],
        ['ClusterRoleBinding/-/admins', 'subjects[6]', lineOf(text, 'name: system:serviceaccount:build:deployer') - 1],
      ],
    );
    assert.equal(got[0]![3], 'ClusterRoleBinding admins grants cluster-admin to User alice');
    assert.equal(got[2]![3], 'ClusterRoleBinding admins grants cluster-admin to ServiceAccount build/ci');
  });

  test('a ClusterRole granting * on * in every group is equivalent; by RoleBinding it is reported in its namespace', () => {
    const text = `${role('ClusterRole', 'superuser', rule('["*"]', '["*"]', '["*"]'))}---\n${binding('RoleBinding', 'su', 'ClusterRole/superuser', ['kind: User\n    name: bob'], 'prod')}`;
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-002').map(([r, p, , m]) => [r, p, m]),
      [
        [
          'RoleBinding/prod/su',
          'subjects[0]',
          'RoleBinding su grants superuser (equivalent to cluster-admin) to User bob in namespace prod',
        ],
      ],
    );
  });

  test('system: subjects and kube-system service accounts pass; so do lesser roles and a role limited to one group', () => {
    const sys = binding('ClusterRoleBinding', 'sys', 'ClusterRole/cluster-admin', [
      subjects[1]!,
      subjects[2]!,
      subjects[5]!,
    ]);
    assert.equal(statusOf(run(sys), 'BD-RBAC-002'), 'passed');
    assert.equal(
      statusOf(run(binding('ClusterRoleBinding', 'v', 'ClusterRole/view', [subjects[0]!])), 'BD-RBAC-002'),
      'passed',
    );
    const appsOnly = `${role('ClusterRole', 'apps-admin', rule('["apps"]', '["*"]', '["*"]'))}---\n${binding('ClusterRoleBinding', 'a', 'ClusterRole/apps-admin', [subjects[0]!])}`;
    assert.equal(statusOf(run(appsOnly), 'BD-RBAC-002'), 'passed');
  });

  test('isSystemSubject: who is Kubernetes itself', () => {
    const cases: [Parameters<typeof isSystemSubject>[0], boolean][] = [
      [{ kind: 'Group', name: 'system:masters' }, true],
      [{ kind: 'Group', name: 'system:nodes' }, true],
      [{ kind: 'User', name: 'system:kube-scheduler' }, true],
      [{ kind: 'ServiceAccount', name: 'x', namespace: 'kube-system' }, true],
      [{ kind: 'Group', name: 'system:serviceaccounts:kube-system' }, true],
      [{ kind: 'User', name: 'system:serviceaccount:kube-system:x' }, true],
      [{ kind: 'Group', name: 'system:authenticated' }, false],
      [{ kind: 'Group', name: 'system:unauthenticated' }, false],
      [{ kind: 'Group', name: 'system:serviceaccounts' }, false],
      [{ kind: 'Group', name: 'system:serviceaccounts:dev' }, false],
      [{ kind: 'User', name: 'system:anonymous' }, false],
      [{ kind: 'User', name: 'system:serviceaccount:dev:x' }, false],
      [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }, false],
      [{ kind: 'User', name: 'admin@example.com' }, false],
    ];
    for (const [s, want] of cases) assert.equal(isSystemSubject(s), want, JSON.stringify(s));
  });
});

describe('BD-RBAC-003 read access to Secrets', () => {
  test('get, list or watch on secrets (directly or through "*") fail at the rule', () => {
    const text = role(
      'Role',
      'reader',
      [
        rule('[""]', '[secrets]', '[get]'),
        rule('[""]', '[configmaps, secrets]', '[watch]'),
        rule('[""]', '[secrets]', '["*"]'),
      ].join(''),
    );
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-003').map(([r, p, l, m]) => [r, p, l, m]),
      [
        ['Role/shop/reader', 'rules[0]', 7, 'Role reader can get secrets; not bound in the given manifests'],
        ['Role/shop/reader', 'rules[1]', 10, 'Role reader can watch secrets; not bound in the given manifests'],
        ['Role/shop/reader', 'rules[2]', 13, 'Role reader can * secrets; not bound in the given manifests'],
      ],
    );
  });

  test('through an aggregated ClusterRole: reported on the aggregating role at aggregationRule, and on its source', () => {
    const text = `${role(
      'ClusterRole',
      'monitoring',
      '',
      'aggregationRule:\n  clusterRoleSelectors:\n    - matchExpressions:\n        - {key: rbac.example.com/aggregate-to-monitoring, operator: Exists}\n',
    ).replace('rules:\n\n', 'rules: []\n')}---\n${role(
      'ClusterRole',
      'secret-reader',
      rule('[""]', '[secrets]', '[list]'),
      '  labels:\n    rbac.example.com/aggregate-to-monitoring: "yes"\n',
    )}---\n${binding('ClusterRoleBinding', 'mon', 'ClusterRole/monitoring', ['kind: ServiceAccount\n    name: prometheus\n    namespace: monitoring'])}`;
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-003').map(([r, p, l, m]) => [r, p, l, m]),
      [
        [
          'ClusterRole/-/monitoring',
          'aggregationRule',
          lineOf(text, 'aggregationRule:'),
          'ClusterRole monitoring can list secrets (aggregated from secret-reader); bound to ServiceAccount monitoring/prometheus',
        ],
        [
          'ClusterRole/-/secret-reader',
          'rules[0]',
          lineOf(text, '- apiGroups: [""]'),
          'ClusterRole secret-reader can list secrets; bound to ServiceAccount monitoring/prometheus',
        ],
      ],
    );
  });

  test('a dump’s aggregated role, whose rules the controller already filled in, is reported once per rule', () => {
    const text = `${role(
      'ClusterRole',
      'monitoring',
      rule('[""]', '[secrets]', '[list]'),
      'aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: {agg: "true"}\n',
    )}---\n${role('ClusterRole', 'secret-reader', rule('[""]', '[secrets]', '[list]'), '  labels: {agg: "true"}\n')}`;
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-003').map(([r, p]) => [r, p]),
      [
        ['ClusterRole/-/monitoring', 'rules[0]'],
        ['ClusterRole/-/secret-reader', 'rules[0]'],
      ],
    );
  });

  test('resourceNames, other verbs and other API groups pass', () => {
    const text = role(
      'Role',
      'ok',
      [
        rule('[""]', '[secrets]', '[get]', '    resourceNames: [tls-cert]\n'),
        rule('[""]', '[secrets]', '[create, delete]'),
        rule('["external-secrets.io"]', '[secrets]', '[get]'),
      ].join(''),
    );
    assert.equal(statusOf(run(text), 'BD-RBAC-003'), 'passed');
  });
});

describe('BD-RBAC-004 pods/exec and pods/attach', () => {
  test('create or get on pods/exec, pods/attach or pods/* fail', () => {
    const text = role(
      'Role',
      'debug',
      [
        rule('[""]', '[pods/exec]', '[create]'),
        rule('[""]', '[pods/attach]', '[get]'),
        rule('[""]', '["pods/*"]', '[create]'),
      ].join(''),
    );
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-004').map(([, p, l, m]) => [p, l, m.split(';')[0]]),
      [
        ['rules[0]', 7, 'Role debug can pods/exec'],
        ['rules[1]', 10, 'Role debug can pods/attach'],
        ['rules[2]', 13, 'Role debug can pods/exec and pods/attach'],
      ],
    );
  });

  test('pods, pods/log and pods/portforward pass', () => {
    const text = role('Role', 'ok', rule('[""]', '[pods, pods/log]', '[get, list, create]'));
    assert.equal(statusOf(run(text), 'BD-RBAC-004'), 'passed');
  });
});

describe('BD-RBAC-005 escalate, bind and impersonate', () => {
  test('each verb fails at its rule, naming the resources', () => {
    const text = role(
      'ClusterRole',
      'power',
      [
        rule('[rbac.authorization.k8s.io]', '[clusterroles]', '[escalate, bind]'),
        rule('[""]', '[users, groups, serviceaccounts]', '[impersonate]'),
      ].join(''),
    );
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-005').map(([, p, l, m]) => [p, l, m.split(';')[0]]),
      [
        ['rules[0]', 6, 'ClusterRole power can escalate, bind clusterroles'],
        ['rules[1]', 9, 'ClusterRole power can impersonate users,groups,serviceaccounts'],
      ],
    );
  });

  test('ordinary role management passes', () => {
    const text = role(
      'ClusterRole',
      'rbac-viewer',
      rule('[rbac.authorization.k8s.io]', '[roles, rolebindings]', '[get, list, watch]'),
    );
    assert.equal(statusOf(run(text), 'BD-RBAC-005'), 'passed');
  });
});

describe('BD-RBAC-006 pod and workload creation', () => {
  test('create on pods or on any workload resource fails', () => {
    const text = role(
      'Role',
      'deployer',
      [rule('[""]', '[pods]', '[create]'), rule('[apps, batch]', '[deployments, cronjobs]', '[create, update]')].join(
        '',
      ),
    );
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-006').map(([, p, , m]) => [p, m.split(';')[0]]),
      [
        ['rules[0]', 'Role deployer can create pods'],
        ['rules[1]', 'Role deployer can create deployments, cronjobs'],
      ],
    );
  });

  test('create on a workload name in another API group grants nothing and passes', () => {
    const text = role('ClusterRole', 'odd', rule('[apps, metrics.k8s.io]', '[pods]', '[create]'));
    assert.equal(statusOf(run(text), 'BD-RBAC-006'), 'passed');
  });

  test('reading or deleting pods passes; * on * is left to BD-RBAC-001', () => {
    const text = role(
      'Role',
      'ops',
      [rule('[""]', '[pods]', '[get, list, delete]'), rule('["*"]', '["*"]', '["*"]')].join(''),
    );
    const fs = run(text);
    assert.equal(statusOf(fs, 'BD-RBAC-006'), 'passed');
    assert.equal(statusOf(fs, 'BD-RBAC-001'), 'failed');
  });
});

describe('BD-RBAC-007 nodes/proxy', () => {
  test('get or create on nodes/proxy or nodes/* fails', () => {
    const text = role(
      'ClusterRole',
      'kubelet-api',
      [rule('[""]', '[nodes/proxy]', '[get]'), rule('[""]', '["nodes/*"]', '[create]')].join(''),
    );
    assert.deepEqual(
      failures(run(text), 'BD-RBAC-007').map(([, p, l]) => [p, l]),
      [
        ['rules[0]', 6],
        ['rules[1]', 9],
      ],
    );
  });

  test('nodes and nodes/status pass', () => {
    const text = role('ClusterRole', 'node-reader', rule('[""]', '[nodes, nodes/status]', '[get, list]'));
    assert.equal(statusOf(run(text), 'BD-RBAC-007'), 'passed');
  });

  test('a namespaced Role or another API group cannot grant nodes/proxy', () => {
    assert.equal(
      statusOf(run(role('Role', 'ns-proxy', rule('[""]', '[nodes/proxy]', '[get]'))), 'BD-RBAC-007'),
      'passed',
    );
    const other = role('ClusterRole', 'metrics-proxy', rule('[metrics.k8s.io]', '[nodes/proxy]', '[get]'));
    assert.equal(statusOf(run(other), 'BD-RBAC-007'), 'passed');
  });
});

describe('BD-RBAC-008 default service accounts with bindings', () => {
  test('a default service account (namespace from the binding when left out) fails at its subject', () => {
    const text = binding('RoleBinding', 'app', 'Role/app', [
      'kind: ServiceAccount\n    name: default',
      'kind: ServiceAccount\n    name: default\n    namespace: web',
      'kind: ServiceAccount\n    name: api',
    ]);
    assert.deepEqual(failures(run(text), 'BD-RBAC-008'), [
      ['RoleBinding/shop/app', 'subjects[0]', 11, 'RoleBinding app grants Role app to shop/default'],
      ['RoleBinding/shop/app', 'subjects[1]', 13, 'RoleBinding app grants Role app to web/default'],
    ]);
  });

  test('dedicated service accounts, users and kube-system’s default pass', () => {
    const text = binding('ClusterRoleBinding', 'ok', 'ClusterRole/view', [
      'kind: ServiceAccount\n    name: api\n    namespace: shop',
      'kind: User\n    name: default',
      'kind: ServiceAccount\n    name: default\n    namespace: kube-system',
    ]);
    assert.equal(statusOf(run(text), 'BD-RBAC-008'), 'passed');
  });
});

describe('who-can, as the RBAC authorizer decides', () => {
  const text = [
    role('ClusterRole', 'pod-reader', rule('[""]', '[pods]', '[get, list, watch]')),
    role('ClusterRole', 'metrics-pods', rule('[metrics.k8s.io]', '[pods]', '[get, list]')),
    role(
      'Role',
      'deployer',
      [rule('[apps]', '[deployments]', '[create, update]'), rule('[""]', '[pods]', '[create]')].join(''),
    ),
    role('ClusterRole', 'node-reader', rule('[""]', '[nodes]', '[get]')),
    role(
      'ClusterRole',
      'tls-reader',
      [
        rule('[""]', '[secrets]', '[get]', '    resourceNames: [tls]\n'),
        rule('[""]', '[configmaps]', '[get]', '    resourceNames: [app-config]\n'),
        rule('[""]', '[configmaps]', '[get]'),
      ].join(''),
    ),
    role('ClusterRole', 'scraper', '  - nonResourceURLs: [/metrics, "/debug/*"]\n    verbs: [get]\n'),
    role(
      'ClusterRole',
      'aggregate-edit',
      '',
      'aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: {team: edit}\n',
    ).replace('rules:\n\n', ''),
    role('ClusterRole', 'exec', rule('[""]', '[pods/exec]', '[create]'), '  labels: {team: edit}\n'),
    role('ClusterRole', 'everything', rule('["*"]', '["*"]', '["*"]')),
    binding('RoleBinding', 'read-pods', 'ClusterRole/pod-reader', ['kind: User\n    name: alice']),
    binding('ClusterRoleBinding', 'auditors', 'ClusterRole/pod-reader', ['kind: Group\n    name: auditors']),
    binding('ClusterRoleBinding', 'metrics', 'ClusterRole/metrics-pods', [
      'kind: ServiceAccount\n    name: metrics\n    namespace: monitoring',
    ]),
    binding('RoleBinding', 'deploy', 'Role/deployer', ['kind: ServiceAccount\n    name: ci']),
    // a RoleBinding's Role is looked up in the binding's own namespace: there is no deployer in dev
    binding('RoleBinding', 'deploy', 'Role/deployer', ['kind: ServiceAccount\n    name: ci'], 'dev'),
    binding('RoleBinding', 'nodes-in-shop', 'ClusterRole/node-reader', ['kind: User\n    name: bob']),
    binding('ClusterRoleBinding', 'nodes', 'ClusterRole/node-reader', ['kind: Group\n    name: ops']),
    binding('ClusterRoleBinding', 'tls', 'ClusterRole/tls-reader', ['kind: User\n    name: carol']),
    binding('ClusterRoleBinding', 'scrape', 'ClusterRole/scraper', [
      'kind: ServiceAccount\n    name: prom\n    namespace: monitoring',
    ]),
    binding('RoleBinding', 'scrape', 'ClusterRole/scraper', ['kind: User\n    name: dave']),
    binding('RoleBinding', 'editors', 'ClusterRole/aggregate-edit', ['kind: Group\n    name: devs'], 'dev'),
    binding('RoleBinding', 'root', 'ClusterRole/everything', ['kind: User\n    name: erin'], 'sandbox'),
  ].join('---\n');
  const model = buildRbacModel(parse(text));
  const who = (verb: string, resource: string, ns?: string): string[] =>
    whoCan(model, verb, resource, ns)
      .map((g) => {
        const s = `${g.subject.kind}:${g.subject.namespace ? `${g.subject.namespace}/` : ''}${g.subject.name}`;
        const names = g.rule.resourceNames.length > 0 ? ` names=${g.rule.resourceNames.join(',')}` : '';
        const via = g.rule.from ? ` via ${g.rule.from}` : '';
        return `${s}@${g.scope === '*' ? 'cluster' : g.scope}${names}${via}`;
      })
      .sort();

  test('get pods: a RoleBinding grants its namespace, a ClusterRoleBinding every namespace; the metrics.k8s.io pods are another resource', () => {
    assert.deepEqual(who('get', 'pods', 'shop'), ['Group:auditors@cluster', 'User:alice@shop']);
    assert.deepEqual(who('get', 'pods', 'dev'), ['Group:auditors@cluster']);
    assert.deepEqual(who('list', 'pods'), ['Group:auditors@cluster', 'User:alice@shop', 'User:erin@sandbox']);
    assert.deepEqual(who('get', 'pods.metrics.k8s.io'), [
      'ServiceAccount:monitoring/metrics@cluster',
      'User:erin@sandbox',
    ]);
    assert.deepEqual(who('delete', 'pods', 'shop'), []);
    // subresources are separate resources: pod-reader does not grant pods/log
    assert.deepEqual(who('get', 'pods/log', 'shop'), []);
  });

  test('create deployments and pods: by bare name or resource.group; a RoleBinding to a Role of another namespace grants nothing', () => {
    assert.deepEqual(who('create', 'deployments', 'shop'), ['ServiceAccount:shop/ci@shop']);
    assert.deepEqual(who('create', 'deployments.apps', 'shop'), ['ServiceAccount:shop/ci@shop']);
    assert.deepEqual(who('create', 'deployments.extensions', 'shop'), []);
    assert.deepEqual(who('update', 'deployments', 'dev'), []);
    assert.deepEqual(who('create', 'pods', 'shop'), ['ServiceAccount:shop/ci@shop']);
    assert.deepEqual(who('create', 'pods', 'sandbox'), ['User:erin@sandbox']);
  });

  test('cluster-scoped resources: a RoleBinding grants nothing, with or without -n', () => {
    assert.deepEqual(who('get', 'nodes'), ['Group:ops@cluster']);
    assert.deepEqual(who('get', 'nodes', 'shop'), ['Group:ops@cluster']);
    assert.deepEqual(who('get', 'nodes', 'sandbox'), ['Group:ops@cluster']);
  });

  test('resourceNames: the grant names the objects it is limited to; an unrestricted rule wins', () => {
    assert.deepEqual(who('get', 'secrets', 'shop'), ['User:carol@cluster names=tls']);
    assert.deepEqual(who('get', 'secrets'), ['User:carol@cluster names=tls', 'User:erin@sandbox']);
    assert.deepEqual(who('get', 'configmaps', 'shop'), ['User:carol@cluster']);
  });

  test('non-resource URLs: only through ClusterRoleBindings, with path prefixes', () => {
    assert.deepEqual(who('get', '/metrics'), ['ServiceAccount:monitoring/prom@cluster']);
    assert.deepEqual(who('get', '/debug/pprof/heap'), ['ServiceAccount:monitoring/prom@cluster']);
    assert.deepEqual(who('post', '/metrics'), []);
    assert.deepEqual(who('get', '/healthz'), []);
  });

  test('aggregated ClusterRoles grant what they select, in the binding’s namespace', () => {
    assert.deepEqual(who('create', 'pods/exec', 'dev'), ['Group:devs@dev via exec']);
    assert.deepEqual(who('create', 'pods/exec'), ['Group:devs@dev via exec', 'User:erin@sandbox']);
  });
});
