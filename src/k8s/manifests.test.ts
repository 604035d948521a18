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
