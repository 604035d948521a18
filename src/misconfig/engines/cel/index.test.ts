import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../../test/helpers/errors.ts';
import { type K8sObject, parseManifests } from '../../../k8s/manifests.ts';
import type { KubeInput } from '../../kubernetes/input.ts';
import { PSS_LATEST_MINOR } from '../../kubernetes/pss/index.ts';
import type { CheckOutcome, Violation } from '../../types.ts';
import { type CelCostLimits, celChecks, loadCelPolicies } from './index.ts';

/**
 * CEL policies as ValidatingAdmissionPolicy validations: the variables (`object`, `oldObject`,
 * `params`, `namespaceObject`), match rules, messages and messageExpression, evaluation errors and
 * non-bool results, cost limits on hostile expressions, and malformed policy files refused with
 * `file:line`.
 */

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels: {env: production}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels: {tier: web, team: shop}
spec:
  replicas: 8
  template:
    spec:
      containers:
        - {name: web, image: "nginx:1.27"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: dev
  labels: {tier: api}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - {name: api, image: "api:1"}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: prod
spec:
  type: ClusterIP
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data: {mode: fast}
`;

function objects(text = MANIFESTS): K8sObject[] {
  return parseManifests(text, 'm.yaml', {
    onError(e) {
      throw new Error(`${e.file}:${e.line}: ${e.message}`);
    },
  });
}

/** Run the one policy of `yaml` over the manifests. */
function check(yaml: string, objs = objects(), limits: Partial<CelCostLimits> = {}): CheckOutcome {
  const [p] = loadCelPolicies(yaml, 'policy.yaml');
  assert.ok(p);
  const [c] = celChecks([p], limits);
  const input: KubeInput = {
    objects: objs,
    allObjects: objs,
    pss: { level: 'restricted', minor: PSS_LATEST_MINOR },
    untrusted: [],
  };
  return c!.run(input);
}

function violations(o: CheckOutcome): Violation[] {
  assert.equal(o.status, 'failed', JSON.stringify(o));
  return o.status === 'failed' ? o.violations : [];
}

const names = (o: CheckOutcome): string[] =>
  violations(o).map((v) => `${v.resource?.kind}/${v.resource?.namespace ?? '-'}/${v.resource?.name}`);

const policy = (expression: string, match = '{}', extra = ''): string =>
  `id: T-1\nseverity: high\nmessage: policy says no\nmatch: ${match}\n${extra}validations:\n  - expression: ${JSON.stringify(expression)}\n`;

describe('CEL policies: variables', () => {
  test('object: a failing object is reported with its resource and its lines; the passing one is not', () => {
    const o = check(policy('object.spec.replicas <= 5', '{kinds: [Deployment]}'));
    assert.deepEqual(violations(o), [
      {
        message: 'policy says no',
        startLine: 7,
        endLine: 18,
        resource: { kind: 'Deployment', namespace: 'prod', name: 'web' },
      },
    ]);
  });

  test('params: the policy’s own params, with whole numbers as CEL ints', () => {
    const p = (max: number) =>
      check(policy('object.spec.replicas <= params.max', '{kinds: [Deployment]}', `params: {max: ${max}}\n`));
    assert.deepEqual(names(p(5)), ['Deployment/prod/web']);
    assert.deepEqual(names(p(1)), ['Deployment/prod/web', 'Deployment/dev/api']);
    assert.equal(p(10).status, 'passed');
    // without params, `params` is null
    assert.equal(check(policy('params == null', '{kinds: [Deployment]}')).status, 'passed');
  });

  test('namespaceObject: the Namespace among the manifests, or null; null for a Namespace itself (cluster-scoped)', () => {
    const o = check(
      policy(
        "namespaceObject != null && namespaceObject.metadata.labels.env == 'production'",
        '{kinds: [Deployment, Namespace]}',
      ),
    );
    assert.deepEqual(names(o), ['Namespace/-/prod', 'Deployment/dev/api']);
    // an object without a namespace reads the `default` Namespace; a Namespace never does
    const withDefault = objects(
      `${MANIFESTS}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: {env: production}\n`,
    );
    const d = check(
      policy(
        "namespaceObject != null && namespaceObject.metadata.labels.env == 'production'",
        '{kinds: [Namespace, ConfigMap]}',
      ),
      withDefault,
    );
    assert.deepEqual(names(d), ['Namespace/-/prod', 'Namespace/-/default']);
  });

  test('oldObject is null: manifests are checked as they would be created', () => {
    assert.equal(check(policy('oldObject == null')).status, 'passed');
    assert.deepEqual(names(check(policy('oldObject != null && oldObject.spec == object.spec', '{kinds: [Service]}'))), [
      'Service/prod/web',
    ]);
  });
});

describe('CEL policies: match rules', () => {
  const all = 'true == false';
  test('kinds, apiGroups, namespaces and excludeNamespaces', () => {
    assert.deepEqual(names(check(policy(all, '{kinds: [Service, ConfigMap]}'))), [
      'Service/prod/web',
      'ConfigMap/-/settings',
    ]);
    assert.deepEqual(names(check(policy(all, '{apiGroups: [apps]}'))), ['Deployment/prod/web', 'Deployment/dev/api']);
    // the core group is ""
    assert.deepEqual(names(check(policy(all, '{apiGroups: [""], kinds: ["*"]}'))), [
      'Namespace/-/prod',
      'Service/prod/web',
      'ConfigMap/-/settings',
    ]);
    assert.deepEqual(names(check(policy(all, '{namespaces: [dev]}'))), ['Deployment/dev/api']);
    assert.deepEqual(names(check(policy(all, '{kinds: [Deployment], excludeNamespaces: [prod]}'))), [
      'Deployment/dev/api',
    ]);
  });

  test('labelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist)', () => {
    const sel = (s: string) => names(check(policy(all, `{kinds: [Deployment], labelSelector: ${s}}`)));
    assert.deepEqual(sel('{matchLabels: {tier: web}}'), ['Deployment/prod/web']);
    assert.deepEqual(sel('{matchExpressions: [{key: tier, operator: In, values: [api, db]}]}'), ['Deployment/dev/api']);
    assert.deepEqual(sel('{matchExpressions: [{key: tier, operator: NotIn, values: [api]}]}'), ['Deployment/prod/web']);
    assert.deepEqual(sel('{matchExpressions: [{key: team, operator: Exists}]}'), ['Deployment/prod/web']);
    assert.deepEqual(sel('{matchExpressions: [{key: team, operator: DoesNotExist}]}'), ['Deployment/dev/api']);
    // every requirement must hold
    assert.equal(
      check(
        policy(
          all,
          '{labelSelector: {matchLabels: {tier: web}, matchExpressions: [{key: team, operator: DoesNotExist}]}}',
        ),
      ).status,
      'skipped',
    );
  });

  test('nothing matched: skipped with a reason', () => {
    const o = check(policy(all, '{kinds: [Ingress]}'));
    assert.equal(o.status, 'skipped');
    assert.match(o.status === 'skipped' ? o.reason : '', /no object in this file matches/);
    const sel = check(policy(all, '{labelSelector: {matchLabels: {tier: db}}}'));
    assert.equal(sel.status, 'skipped');
  });

  test('operations: manifests are checked as CREATE; a policy only for UPDATE or DELETE never applies', () => {
    assert.equal(check(policy(all, '{kinds: [Service], operations: [CREATE, UPDATE]}')).status, 'failed');
    assert.equal(check(policy(all, '{kinds: [Service], operations: ["*"]}')).status, 'failed');
    const o = check(policy(all, '{kinds: [Service], operations: [UPDATE, DELETE]}'));
    assert.deepEqual(o, {
      status: 'skipped',
      reason: 'the policy matches UPDATE, DELETE; manifests are checked as CREATE',
    });
  });
});

describe('CEL policies: messages', () => {
  const v = (lines: string) =>
    `id: T-2\nmessage: from the policy\nmatch: {kinds: [Deployment], namespaces: [prod]}\nvalidations:\n${lines}`;
  const msg = (o: CheckOutcome) => violations(o).map((x) => x.message);

  test('message of the validation over the policy’s', () => {
    assert.deepEqual(msg(check(v('  - expression: "false"\n'))), ['from the policy']);
    assert.deepEqual(msg(check(v('  - expression: "false"\n    message: from the validation\n'))), [
      'from the validation',
    ]);
  });

  test('messageExpression wins when it gives a one-line string', () => {
    assert.deepEqual(
      msg(
        check(
          v(
            `  - expression: "object.spec.replicas <= 5"\n    message: too many\n    messageExpression: "'has ' + string(object.spec.replicas) + ' replicas, at most 5'"\n`,
          ),
        ),
      ),
      ['has 8 replicas, at most 5'],
    );
  });

  test('as in admission, a messageExpression that fails, is empty or spans lines falls back to the message', () => {
    for (const me of ['object.nothere', "''", "'   '", "'two\\nlines'", '42'])
      assert.deepEqual(
        msg(check(v(`  - expression: "false"\n    message: fallback\n    messageExpression: ${JSON.stringify(me)}\n`))),
        ['fallback'],
        me,
      );
  });
});

describe('CEL policies: evaluation errors and non-bool results', () => {
  test('an expression that errors on every object makes the check an error, not a crash', () => {
    const o = check(policy('object.spec.nothere.x == 1', '{kinds: [Service]}'));
    assert.equal(o.status, 'error');
    assert.match(o.status === 'error' ? o.reason : '', /^expression failed: Service\/web: .*nothere/);
  });

  test('errors on some objects are kept beside the failures of others', () => {
    const o = check(policy('object.spec.replicas <= 5', '{kinds: [Deployment, Service]}'));
    assert.deepEqual(
      violations(o).map((x) => [x.resource?.kind, x.message.replace(/:.*$/, '')]),
      [
        ['Deployment', 'policy says no'],
        ['Service', 'policy could not be evaluated'],
      ],
    );
  });

  test('a result that is not a bool is an error naming its type', () => {
    for (const [expr, type] of [
      ['object.metadata.name', 'string'],
      ['object.spec.replicas', 'int'],
      ['object.metadata.labels', 'map'],
      ['[true]', 'list'],
      ['null', 'null'],
    ] as const) {
      const o = check(policy(expr, '{kinds: [Deployment], namespaces: [prod]}'));
      assert.equal(o.status, 'error', expr);
      assert.equal(
        o.status === 'error' ? o.reason : '',
        `expression failed: Deployment/web: expression returned ${type}, not a bool`,
      );
    }
  });
});

describe('CEL policies: cost limits', () => {
  const L = '[0,1,2,3,4,5,6,7,8,9]';
  /** 10^depth iterations of nested comprehensions. */
  const nested = (depth: number, macro = 'all'): string => {
    // the innermost value never ends the fold early (all stops at false, exists at true)
    let e = macro === 'exists' ? 'false' : 'true';
    for (let i = depth; i > 0; i--) e = `${L}.${macro}(v${i}, ${e})`;
    return e;
  };

  test('a huge nested comprehension (10^20 iterations) stops at the iteration budget and is reported', () => {
    // Time budgets out of the way: under load the 1 s budget could trip first (it has its own test).
    const o = check(policy(nested(20), '{kinds: [Service]}'), objects(), { maxEvalMs: 600_000, maxRunMs: 600_000 });
    assert.equal(o.status, 'error');
    assert.match(
      o.status === 'error' ? o.reason : '',
      /^expression failed: Service\/web: cost limit: more than 1000000 comprehension iterations$/,
    );
  });

  test('the budget is configurable and counts every nesting level; within it the result stands', () => {
    // 10 + 100 + 1000 iterations
    assert.equal(check(policy(nested(3), '{kinds: [Service]}'), objects(), { maxIterations: 1110 }).status, 'passed');
    assert.equal(check(policy(nested(3), '{kinds: [Service]}'), objects(), { maxIterations: 1109 }).status, 'error');
  });

  test('a stopped comprehension cannot be hidden by || or &&', () => {
    // CEL's && and || absorb errors (`error || true` is true): the meter still knows it stopped
    for (const e of [`${nested(8, 'exists')} || true`, `${nested(8)} && false || true`, `true || ${nested(8)}`]) {
      const o = check(policy(e, '{kinds: [Service]}'), objects(), { maxIterations: 1000 });
      if (e.startsWith('true ||')) assert.equal(o.status, 'passed', 'short-circuit never evaluates it');
      else assert.match(o.status === 'error' ? o.reason : JSON.stringify(o), /cost limit/, e);
    }
  });

  test('map and filter are metered like all and exists', () => {
    const e = `${L}.map(a, ${L}.map(b, ${L}.filter(c, ${L}.map(d, ${L}.map(e, ${L}.map(f, ${L}.map(g, d)))).size() > 0))).size() > 0`;
    const o = check(policy(e, '{kinds: [Service]}'), objects(), { maxIterations: 50_000 });
    assert.match(o.status === 'error' ? o.reason : JSON.stringify(o), /cost limit: more than 50000/);
  });

  test('the time budget stops an evaluation, and the run of a policy over a file', () => {
    const e = policy(nested(20), '{kinds: [Service]}');
    const o = check(e, objects(), { maxIterations: Number.MAX_SAFE_INTEGER, maxEvalMs: 20 });
    assert.match(
      o.status === 'error' ? o.reason : JSON.stringify(o),
      /cost limit: evaluation ran past its time budget/,
    );
    // with no time left for the run, no object is evaluated and the check says so
    const r = check(policy('false', '{kinds: [Deployment]}'), objects(), { maxRunMs: -1 });
    assert.equal(r.status, 'error');
    assert.match(
      r.status === 'error' ? r.reason : '',
      /not evaluated: the policy ran past its time budget of -1 ms on this file \(2 objects left\)/,
    );
  });

  test('expressions nested too deeply are refused when the policy is loaded', () => {
    assert.throws(
      () => loadCelPolicies(policy(`${'('.repeat(3000)}true${')'.repeat(3000)}`), 'deep.yaml'),
      expectCode(
        'LIMIT_EXCEEDED',
        /^deep\.yaml:6: policy T-1 validation 0 (nests too deeply|nests deeper than 200 levels)$/,
      ),
    );
    assert.throws(
      () => loadCelPolicies(policy(`${Array(1000).fill('1').join(' + ')} > 0`), 'deep.yaml'),
      expectCode('LIMIT_EXCEEDED', /^deep\.yaml:6: policy T-1 validation 0 nests deeper than 200 levels$/),
    );
    assert.throws(
      () => loadCelPolicies(policy(`${'x'.repeat(10_001)}`), 'long.yaml'),
      expectCode('LIMIT_EXCEEDED', /^long\.yaml:6: .*longer than 10000 characters/),
    );
  });
});

describe('CEL policies: malformed policy files are refused with file:line', () => {
  const refuse = (yaml: string, code: string, re: RegExp): void => {
    assert.throws(() => loadCelPolicies(yaml, 'p.yaml'), expectCode(code, re));
  };

  test('the line of the offending field, in a single policy and inside a policies: list', () => {
    refuse(
      'id: X\nvalidations:\n  - expression: "object.(("\n',
      'INPUT_INVALID',
      /^p\.yaml:3: policy X validation 0: /,
    );
    refuse(
      'id: X\nseverity: urgent\nvalidations: [{expression: "true"}]\n',
      'INPUT_INVALID',
      /^p\.yaml:2: policy X: unknown severity urgent$/,
    );
    refuse('id: X\nvalidations: []\n', 'INPUT_INVALID', /^p\.yaml:2: policy X needs a non-empty validations list$/);
    refuse('validations: [{expression: "true"}]\n', 'INPUT_INVALID', /^p\.yaml:1: policy id must be a short name/);
    refuse('id: "has spaces"\nvalidations: [{expression: "true"}]\n', 'INPUT_INVALID', /^p\.yaml:1: policy id/);
    refuse(
      'policies:\n  - id: A\n    validations: [{expression: "true"}]\n  - id: B\n    validations:\n      - expression: "true"\n      - expression: 42\n',
      'INPUT_INVALID',
      /^p\.yaml:7: policy B validation 1: expression must be a string$/,
    );
    refuse(
      'policies:\n  - id: A\n    validations: [{expression: "true"}]\n  - just a string\n',
      'INPUT_INVALID',
      /^p\.yaml:4: a policy must be a mapping$/,
    );
    refuse(
      '---\nid: A\nvalidations: [{expression: "true"}]\n---\nid: B\nvalidations:\n  - expression: "true"\n    messageExpression: "\'a\' +"\n',
      'INPUT_INVALID',
      /^p\.yaml:8: policy B validation 0 messageExpression: /,
    );
  });

  test('match: unknown keys, bad lists and bad selectors are refused, not ignored', () => {
    const m = (match: string) => `id: X\nmatch:\n${match}\nvalidations: [{expression: "true"}]\n`;
    refuse(
      m('  kinds: [Pod]\n  namespaceSelector: {matchLabels: {a: b}}'),
      'INPUT_INVALID',
      /^p\.yaml:4: policy X: match\.namespaceSelector is not supported \(supported: kinds, apiGroups, namespaces, excludeNamespaces, operations, labelSelector\)$/,
    );
    // a block value: the key's line, not the value's
    refuse(
      m('  objectSelector:\n    matchLabels: {a: b}'),
      'INPUT_INVALID',
      /^p\.yaml:3: policy X: match\.objectSelector is not supported/,
    );
    refuse(m('  kinds: Pod'), 'INPUT_INVALID', /^p\.yaml:3: policy X: match\.kinds must be a list of strings$/);
    refuse(m('  operations: [PATCH]'), 'INPUT_INVALID', /^p\.yaml:3: policy X: unknown operation PATCH$/);
    refuse(
      m('  labelSelector:\n    matchExpressions:\n      - {key: a, operator: Equals, values: [b]}'),
      'INPUT_INVALID',
      /^p\.yaml:5: policy X: a matchExpression needs a key and an operator/,
    );
    refuse(
      m('  labelSelector:\n    matchExpressions:\n      - {key: a, operator: In}'),
      'INPUT_INVALID',
      /^p\.yaml:5: policy X: operator In needs values$/,
    );
    refuse(
      m('  labelSelector:\n    matchExpressions:\n      - {key: a, operator: Exists, values: [b]}'),
      'INPUT_INVALID',
      /^p\.yaml:5: policy X: operator Exists takes no values$/,
    );
    refuse(
      m('  labelSelector: {matchFields: {}}'),
      'INPUT_INVALID',
      /^p\.yaml:3: policy X: match\.labelSelector\.matchFields is not supported$/,
    );
  });

  test('not YAML, hostile YAML and too many policies', () => {
    refuse('id: X\nvalidations: [\n', 'INPUT_INVALID', /^p\.yaml \(line \d+, column \d+\): /);
    refuse('id: !!js/function "function(){}"\nvalidations: [{expression: "true"}]\n', 'INPUT_INVALID', /^p\.yaml.*tag/);
    const many = Array.from({ length: 1001 }, (_, i) => `  - {id: P${i}, validations: [{expression: "true"}]}`).join(
      '\n',
    );
    refuse(`policies:\n${many}\n`, 'LIMIT_EXCEEDED', /^p\.yaml has more than 1000 policies$/);
  });

  test('a sound file loads every policy with its own line', () => {
    const ps = loadCelPolicies(
      'policies:\n  - id: A\n    validations: [{expression: "true"}]\n  - id: B\n    severity: low\n    validations: [{expression: "true"}]\n---\nid: C\nvalidations: [{expression: "true"}]\n',
      'p.yaml',
    );
    assert.deepEqual(
      ps.map((p) => [p.id, p.severity, p.line]),
      [
        ['A', 'MEDIUM', 2],
        ['B', 'LOW', 4],
        ['C', 'MEDIUM', 8],
      ],
    );
    assert.deepEqual(
      celChecks(ps).map((c) => c.references),
      [['p.yaml:2'], ['p.yaml:4'], ['p.yaml:8']],
    );
  });
});
