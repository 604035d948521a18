import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type K8sObject, loadManifests, type ManifestError, parseManifests } from './manifests.ts';
import { podTemplateOf, workloadsOf } from './workloads.ts';

const fx = (name: string): string => join(fileURLToPath(new URL('.', import.meta.url)), '__fixtures__', name);

async function load(paths: string[]): Promise<{ objs: K8sObject[]; errors: ManifestError[] }> {
  const errors: ManifestError[] = [];
  const objs = await loadManifests(paths, { onError: (e) => errors.push(e) });
  return { objs, errors };
}

describe('loadManifests', () => {
  test('a kubectl get -A -o yaml List: every item with its own lines and field lines', async () => {
    const { objs, errors } = await load([fx('cluster-dump.yaml')]);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      objs.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name} ${o.startLine}-${o.endLine}`),
      [
        'Pod shop/web-7d9f8c6b5-x2x9q 3-30',
        'Service shop/web 31-41',
        'Deployment shop/web 42-61',
        'ReplicaSet shop/web-7d9f8c6b5 62-84',
        'CronJob shop/report 85-102',
        'Pod shop/report-29000000-abcde 103-120',
      ],
    );
    const pod = objs[0]!;
    assert.equal(pod.itemIndex, 0);
    assert.equal(pod.pathLine(['spec', 'containers', 0, 'ports', 0, 'name']), 24);
    assert.equal(pod.pathLine(['status', 'podIP']), 28);
    assert.equal(pod.pathLine(['spec', 'nothing']), undefined);
    assert.deepEqual(pod.metadata.labels, { app: 'web', 'pod-template-hash': '7d9f8c6b5' });
    const cron = objs[4]!;
    assert.equal(cron.pathLine([...podTemplateOf(cron)!.path, 'containers', 0, 'image']), 101);
  });

  test('Helm output: # Source comments, empty documents, exact lines', async () => {
    const { objs, errors } = await load([fx('helm-output.yaml')]);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      objs.map((o) => [o.kind, o.source, o.startLine, o.endLine, o.docIndex]),
      [
        ['ServiceAccount', 'shop/templates/serviceaccount.yaml', 3, 8, 0],
        ['Service', 'shop/templates/service.yaml', 11, 23, 1],
        ['Deployment', 'shop/templates/deployment.yaml', 26, 42, 2],
      ],
    );
    assert.equal(objs[1]!.pathLine(['spec', 'ports', 0, 'targetPort']), 19);
    assert.equal(objs[2]!.pathLine(['spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort']), 41);
    assert.equal(objs[0]!.metadata.namespace, undefined);
  });

  test('a malformed document is reported with its line and the others are still read', async () => {
    const { objs, errors } = await load([fx('broken-multi.yaml')]);
    assert.deepEqual(
      objs.map((o) => [o.metadata.name, o.startLine]),
      [
        ['one', 1],
        ['three', 12],
      ],
    );
    assert.equal(errors.length, 3);
    assert.equal(errors[0]?.line, 10);
    assert.match(errors[0]!.message, /unique|duplicate/i);
    assert.deepEqual(
      errors.slice(1).map((e) => [e.line, e.code, e.message]),
      [
        [17, 'INPUT_INVALID', 'document is not a Kubernetes object'],
        [20, 'INPUT_INVALID', 'Secret has no apiVersion'],
      ],
    );
    for (const e of errors) assert.equal(e.file, fx('broken-multi.yaml'));
  });

  test('JSON typed lists: items get the list kind, lines come from the JSON text', async () => {
    const { objs, errors } = await load([fx('pods.json')]);
    assert.deepEqual(errors, []);
    assert.equal(objs.length, 1);
    const [pod] = objs;
    assert.equal(pod?.kind, 'Pod');
    assert.equal(pod?.apiVersion, 'v1');
    assert.equal(pod?.startLine, 5);
    assert.equal(pod?.pathLine(['spec', 'containers', 0, 'ports', 0, 'containerPort']), 13);
    assert.equal(pod?.pathLine(['metadata', 'labels', 'pod']), 9);
  });

  test('directories: recursion, extensions, symlinks kept inside the root, missing paths reported', async () => {
    const { objs, errors } = await load([fx('tree'), fx('nope.yaml')]);
    assert.deepEqual(
      objs.map((o) => o.metadata.name),
      ['tree-a', 'tree-b'],
    );
    assert.deepEqual(
      errors.map((e) => [relative(fx('.'), e.file), e.code]),
      [
        ['tree/escape.yaml', 'PATH_ESCAPE'],
        ['nope.yaml', 'TARGET_NOT_FOUND'],
      ],
    );
  });

  test('size and file-count bounds are reported, not thrown', async () => {
    const errors: ManifestError[] = [];
    const objs = await loadManifests([fx('tree'), fx('helm-output.yaml')], {
      limits: { maxFiles: 1 },
      onError: (e) => errors.push(e),
    });
    assert.equal(objs.length, 1);
    assert.equal(errors.at(-1)?.code, 'LIMIT_EXCEEDED');
    const e2: ManifestError[] = [];
    assert.deepEqual(
      await loadManifests([fx('helm-output.yaml')], { limits: { maxBytes: 100 }, onError: (e) => e2.push(e) }),
      [],
    );
    assert.equal(e2[0]?.code, 'LIMIT_EXCEEDED');
  });

  test('hostile YAML (alias bombs) stays an error of that file', () => {
    const errors: ManifestError[] = [];
    const bomb = `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [${'*a,'.repeat(9)}*a]\nc: &c [${'*b,'.repeat(9)}*b]\nd: [${'*c,'.repeat(9)}*c]\n`;
    const objs = parseManifests(`${bomb}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n`, 'bomb.yaml', {
      limits: { maxAliasCount: 50 },
      onError: (e) => errors.push(e),
    });
    assert.deepEqual(
      objs.map((o) => o.metadata.name),
      ['ok'],
    );
    assert.deepEqual(
      errors.map((e) => [e.code, e.line]),
      [['LIMIT_EXCEEDED', 1]],
    );
  });
});

describe('parseManifests: exact lines on the fast reader', () => {
  const collect = (text: string, file = 'x.yaml'): { objs: K8sObject[]; errors: ManifestError[] } => {
    const errors: ManifestError[] = [];
    const objs = parseManifests(text, file, { onError: (e) => errors.push(e) });
    return { objs, errors };
  };

  test('flow collections, block lists and nested keys point at their own lines', () => {
    const { objs, errors } = collect(
      [
        'apiVersion: v1', // 1
        'kind: Pod', // 2
        'metadata: {name: flow, namespace: n, labels: {app: web}}', // 3
        'spec:', // 4
        '  containers: [{name: a, image: "x:1",', // 5
        '      ports: [{containerPort: 80}]},', // 6
        '    {name: b, image: y,', // 7
        '      securityContext: {privileged: true}}]', // 8
        '  volumes:', // 9
        '    - name: data', // 10
        '      hostPath:', // 11
        '        path: /var/run/docker.sock', // 12
        '', // 13
      ].join('\n'),
    );
    assert.deepEqual(errors, []);
    const [pod] = objs;
    assert.deepEqual([pod?.startLine, pod?.endLine, pod?.metadata.labels], [1, 12, { app: 'web' }]);
    assert.equal(pod?.pathLine(['metadata', 'labels', 'app']), 3);
    assert.equal(pod?.pathLine(['spec', 'containers', 0, 'ports', 0, 'containerPort']), 6);
    assert.equal(pod?.pathLine(['spec', 'containers', 1]), 7);
    assert.equal(pod?.pathLine(['spec', 'containers', 1, 'securityContext', 'privileged']), 8);
    assert.equal(pod?.pathLine(['spec', 'volumes', 0, 'hostPath', 'path']), 12);
    assert.equal(pod?.pathLine(['spec', 'containers', 2]), undefined);
    // A missing field points at its nearest written parent.
    assert.equal(pod?.nearestLine(['spec', 'containers', 1, 'securityContext', 'runAsNonRoot']), 8);
    assert.equal(pod?.nearestLine(['spec', 'hostNetwork']), 4);
    assert.equal(pod?.nearestLine([]), 1);
  });

  test('a syntax error in one document: the others are read with their exact lines and Helm sources', () => {
    const { objs, errors } = collect(
      [
        'apiVersion: v1', // 1
        'kind: Namespace',
        'metadata:',
        '  name: one', // 4
        '---',
        'apiVersion: v1', // 6
        'kind: ConfigMap',
        'metadata:',
        '  name: [unclosed', // 9
        '---',
        '# Source: chart/templates/ns.yaml', // 11
        'apiVersion: v1', // 12
        'kind: Namespace',
        'metadata:',
        '  name: three', // 15
      ].join('\n'),
    );
    assert.deepEqual(
      objs.map((o) => [o.metadata.name, o.startLine, o.endLine, o.docIndex, o.source]),
      [
        ['one', 1, 4, 0, undefined],
        ['three', 12, 15, 2, 'chart/templates/ns.yaml'],
      ],
    );
    assert.equal(objs[1]?.pathLine(['metadata', 'name']), 15);
    assert.deepEqual(
      errors.map((e) => [e.file, e.line, e.code]),
      [['x.yaml', 9, 'INPUT_INVALID']],
    );
  });

  test('a flow list closed at its key indentation (kubectl reads it) is read with exact lines', () => {
    const { objs, errors } = collect(
      [
        'apiVersion: apps/v1', // 1
        'kind: Deployment',
        'metadata: {name: d}',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: app', // 8
        '          args: [',
        '            "--port=80",', // 10
        '          ]',
        '          image: app:1', // 12
      ].join('\n'),
    );
    assert.deepEqual(errors, []);
    const d = objs[0];
    assert.ok(d);
    assert.deepEqual((d.raw.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers, [
      { name: 'app', args: ['--port=80'], image: 'app:1' },
    ]);
    assert.equal(d?.pathLine(['spec', 'template', 'spec', 'containers', 0, 'args', 0]), 10);
    assert.equal(d?.pathLine(['spec', 'template', 'spec', 'containers', 0, 'image']), 12);
    assert.deepEqual([d?.startLine, d?.endLine], [1, 12]);
  });

  test('hostile documents in a stream are refused with their codes and lines; the rest is read', () => {
    const laughs = [`a: &a [${Array(9).fill('"lol"').join(',')}]`];
    for (let i = 1; i < 9; i++)
      laughs.push(
        `${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9)
          .fill(`*${'abcdefghi'[i - 1]}`)
          .join(',')}]`,
      );
    const { objs, errors } = collect(
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: !!python/object:os.system {name: x}', // 1-3
        laughs.join('\n'), // 5-13
        `spec: ${'['.repeat(100_000)}`, // 15
        'apiVersion: v1\nkind: Namespace\nmetadata: &m {name: m, again: *m}', // 17-19
        'apiVersion: v1\nkind: Pod\nmetadata: {name: x, annotations: !!js/function "f(){}"}', // 21-23
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}', // 25-27
      ].join('\n---\n'),
    );
    assert.deepEqual(
      objs.map((o) => [o.metadata.name, o.startLine, o.docIndex]),
      [['ok', 25, 5]],
    );
    assert.deepEqual(
      errors.map((e) => [e.line, e.code]),
      [
        [3, 'INPUT_INVALID'],
        [5, 'LIMIT_EXCEEDED'],
        [15, 'LIMIT_EXCEEDED'],
        [19, 'INPUT_INVALID'],
        [23, 'INPUT_INVALID'],
      ],
    );
    assert.match(errors[0]!.message, /unsupported YAML tag/);
    assert.match(errors[3]!.message, /recursive alias/);
  });
});

describe('workloads', () => {
  test('pods and replica sets of a dump fold into their deployment and cron job, with pod IPs', async () => {
    const { objs } = await load([fx('cluster-dump.yaml')]);
    const w = workloadsOf(objs);
    assert.deepEqual(
      w.map((x) => [x.key, x.kind, x.members.map((m) => m.kind), x.podIPs]),
      [
        ['shop/report', 'CronJob', ['Pod'], ['10.244.2.9']],
        ['shop/web', 'Deployment', ['Pod', 'ReplicaSet'], ['10.244.1.17']],
      ],
    );
    assert.deepEqual(w[0]?.template.metadata.labels, { app: 'report' });
    assert.deepEqual(w[0]?.template.path, ['spec', 'jobTemplate', 'spec', 'template', 'spec']);
  });

  test('a pod whose replica set is not in the dump still folds by pod-template-hash', () => {
    const objs = parseManifests(
      [
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: n}\nspec: {template: {metadata: {labels: {app: api}}, spec: {containers: []}}}',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: api-5c4b-abc\n  namespace: n\n  labels: {app: api, pod-template-hash: 5c4b}\n  ownerReferences: [{kind: ReplicaSet, name: api-5c4b, controller: true}]\nspec: {containers: []}',
        'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: api, namespace: n}\nspec: {template: {spec: {}}}',
      ].join('\n---\n'),
      'x.yaml',
      { onError: (e) => assert.fail(e.message) },
    );
    const w = workloadsOf(objs);
    assert.deepEqual(
      w.map((x) => [x.key, x.members.length]),
      [
        ['n/deployment/api', 1],
        ['n/statefulset/api', 0],
      ],
    );
    assert.equal(podTemplateOf({ kind: 'Service', raw: {} }), undefined);
  });
});
