import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { expectCode } from '../../../test/helpers/errors.ts';
import { type K8sObject, parseManifests } from '../../k8s/manifests.ts';
import type { MisconfigFinding } from '../../report/types.ts';
import { loadCelPolicies } from '../engines/cel/index.ts';
import { checkConfigPaths, checkKubernetesObjects } from '../service.ts';
import { parseUntrusted } from './input.ts';
import { PSS_LATEST_MINOR } from './pss/index.ts';
import { buildRbacModel, whoCan } from './rbac/index.ts';

const fx = (n: string): string => fileURLToPath(new URL(`__fixtures__/${n}`, import.meta.url));
const load = (n: string): K8sObject[] =>
  parseManifests(readFileSync(fx(n), 'utf8'), n, {
    onError(e) {
      throw new Error(`${e.file}:${e.line}: ${e.message}`);
    },
  });
const latest = { level: 'restricted' as const, minor: PSS_LATEST_MINOR };
const failed = (fs: readonly MisconfigFinding[], id: string) =>
  fs.filter((f) => f.checkId === id && f.status === 'failed');

describe('Kubernetes checks on manifests', () => {
  const objects = load('multi.yaml');
  const [result] = checkKubernetesObjects(objects, { pss: latest });
  const f = result?.misconfigurations ?? [];

  test('PSS findings name the upstream check, the resource, the field path and the exact line (multi-document + List)', () => {
    const priv = failed(f, 'BD-PSS-privileged');
    assert.deepEqual(
      priv.map((x) => [x.aliases[0], x.resource, x.fieldPath, x.startLine]),
      [
        [
          'privileged',
          { kind: 'Deployment', name: 'web', namespace: 'shop' },
          'spec.template.spec.containers[0].securityContext.privileged',
          28,
        ],
      ],
    );
    assert.deepEqual(
      failed(f, 'BD-PSS-hostNamespaces').map((x) => [x.fieldPath, x.startLine]),
      [['spec.template.spec.hostNetwork', 20]],
    );
    // hostPathVolumes is replaced by restrictedVolumes at the restricted level
    assert.deepEqual(
      failed(f, 'BD-PSS-restrictedVolumes').map((x) => [x.fieldPath, x.startLine]),
      [['spec.template.spec.volumes[0].hostPath', 31]],
    );
    assert.equal(f.find((x) => x.checkId === 'BD-PSS-hostPathVolumes')?.status, 'skipped');
    // A missing field points at its nearest present parent
    const nonRoot = failed(f, 'BD-PSS-runAsNonRoot');
    assert.deepEqual(
      nonRoot.map((x) => [x.resource?.name, x.fieldPath, x.startLine]),
      [['web', 'spec.template.spec.containers[0].securityContext.runAsNonRoot', 27]],
    );
    // the compliant Pod inside the List fails nothing at restricted
    assert.ok(
      f
        .filter((x) => x.status === 'failed' && x.checkId.startsWith('BD-PSS-'))
        .every((x) => x.resource?.name === 'web'),
    );
  });

  test('baseline level: restricted checks are skipped, hostPathVolumes applies', () => {
    const [r] = checkKubernetesObjects(objects, { pss: { level: 'baseline', minor: PSS_LATEST_MINOR } });
    const b = r?.misconfigurations ?? [];
    assert.equal(b.find((x) => x.checkId === 'BD-PSS-runAsNonRoot')?.status, 'skipped');
    assert.deepEqual(
      failed(b, 'BD-PSS-hostPathVolumes').map((x) => x.startLine),
      [31],
    );
  });

  test('hardening checks: image pinning, secrets in env, sensitive hostPath, NodePort, missing NetworkPolicy', () => {
    assert.deepEqual(
      failed(f, 'BD-K8S-003').map((x) => [x.fieldPath, x.startLine]),
      [['spec.template.spec.containers[0].image', 23]],
    );
    assert.deepEqual(
      failed(f, 'BD-K8S-011').map((x) => [x.fieldPath, x.startLine]),
      [['spec.template.spec.containers[0].env[0].value', 26]],
    );
    assert.match(failed(f, 'BD-K8S-007')[0]?.message ?? '', /sensitive host path \/var\/run\/docker\.sock/);
    assert.deepEqual(
      failed(f, 'BD-K8S-008').map((x) => [x.resource?.kind, x.startLine]),
      [['Service', 60]],
    );
    assert.deepEqual(
      failed(f, 'BD-K8S-012').map((x) => x.resource?.name),
      ['web', 'ok'],
    );
    assert.equal(f.find((x) => x.checkId === 'BD-K8S-013')?.status, 'skipped');
    // the Pod pinned by digest passes image pinning and pull policy
    assert.ok(failed(f, 'BD-K8S-004').every((x) => x.resource?.name === 'web'));
  });

  test('untrusted workloads need a sandboxed RuntimeClass', () => {
    const [r] = checkKubernetesObjects(objects, { pss: latest, untrusted: [parseUntrusted('app=web')] });
    assert.deepEqual(
      failed(r?.misconfigurations ?? [], 'BD-K8S-013').map((x) => x.resource?.name),
      ['web'],
    );
    const sandboxed = parseManifests(
      'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: secure\nhandler: runsc\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: x\nspec:\n  runtimeClassName: secure\n  containers:\n    - name: c\n      image: a:1\n',
      'rc.yaml',
      { onError: () => assert.fail('parse') },
    );
    const [r2] = checkKubernetesObjects(sandboxed, { pss: latest, untrusted: [parseUntrusted('x/*')] });
    assert.equal(r2?.misconfigurations?.find((x) => x.checkId === 'BD-K8S-013')?.status, 'passed');
  });

  test('every check reports passed, failed or skipped with a reason', () => {
    for (const x of f) {
      assert.ok(['passed', 'failed', 'skipped'].includes(x.status), x.checkId);
      if (x.status === 'skipped') assert.ok((x.reason ?? '').length > 5, x.checkId);
    }
  });
});

describe('RBAC model', () => {
  const objects = load('rbac.yaml');
  const model = buildRbacModel(objects);
  const [result] = checkKubernetesObjects(objects, { pss: latest });
  const f = result?.misconfigurations ?? [];

  test('aggregated ClusterRoles are expanded and who-can answers from the model', () => {
    const mon = model.roles.find((r) => r.name === 'monitoring');
    assert.equal(mon?.aggregated, true);
    assert.deepEqual(
      mon?.effective.map((r) => [r.from, r.resources]),
      [['secret-reader', ['secrets']]],
    );
    const who = whoCan(model, 'list', 'secrets', 'shop').map(
      (g) => `${g.subject.kind}:${g.subject.name}@${g.scope} via ${g.role.name}`,
    );
    // cluster-admin is not among the given objects: the binding grants the bootstrap role's powers.
    assert.deepEqual(who, [
      'ServiceAccount:prometheus@* via monitoring',
      'Group:system:masters@* via cluster-admin',
      'User:bob@* via cluster-admin',
    ]);
    assert.deepEqual(
      whoCan(model, 'create', 'pods/exec', 'shop').map(
        (g) => `${g.subject.kind}:${g.subject.namespace ?? ''}/${g.subject.name}@${g.scope}`,
      ),
      ['ServiceAccount:shop/default@shop', 'User:/alice@shop', 'Group:/system:masters@*', 'User:/bob@*'],
    );
    assert.deepEqual(
      whoCan(model, 'create', 'pods/exec', 'other').map((g) => g.subject.name),
      ['system:masters', 'bob'],
    );
    // The built-in role answers for non-resource URLs too, and is never reported as a role of the input.
    assert.deepEqual(
      whoCan(model, 'get', '/metrics').map((g) => `${g.subject.name} ${g.role.builtin === true}`),
      ['system:masters true', 'bob true'],
    );
    assert.equal(
      model.roles.some((r) => r.name === 'cluster-admin'),
      false,
    );
  });

  test('checks: wildcards, cluster-admin to non-system subjects, secrets (via aggregation), exec, impersonate, pods, nodes/proxy, default SA', () => {
    assert.deepEqual(
      failed(f, 'BD-RBAC-001').map((x) => x.resource?.name),
      ['debugger'],
    );
    assert.deepEqual(
      failed(f, 'BD-RBAC-002').map((x) => [x.message.includes('User bob'), x.fieldPath, x.startLine]),
      [[true, 'subjects[1]', 74]],
    );
    const sec = failed(f, 'BD-RBAC-003').map((x) => x.resource?.name);
    assert.deepEqual(sec.sort(), ['monitoring', 'secret-reader']);
    assert.match(
      failed(f, 'BD-RBAC-003').find((x) => x.resource?.name === 'monitoring')?.message ?? '',
      /secrets \(aggregated from secret-reader\); bound to ServiceAccount monitoring\/prometheus/,
    );
    assert.deepEqual(
      failed(f, 'BD-RBAC-004').map((x) => [x.resource?.name, x.fieldPath, x.startLine]),
      [['debugger', 'rules[0]', 41]],
    );
    assert.deepEqual(
      failed(f, 'BD-RBAC-005').map((x) => x.fieldPath),
      ['rules[1]'],
    );
    assert.deepEqual(
      failed(f, 'BD-RBAC-006').map((x) => x.resource?.name),
      ['debugger'],
    );
    assert.deepEqual(
      failed(f, 'BD-RBAC-007').map((x) => x.resource?.name),
      ['node-proxy'],
    );
    assert.deepEqual(
      failed(f, 'BD-RBAC-008').map((x) => [x.resource?.name, x.startLine]),
      [['debugger', 58]],
    );
  });
});

describe('CEL policies', () => {
  test('ValidatingAdmissionPolicy-style expressions over object, params and namespaceObject', () => {
    const policies = loadCelPolicies(readFileSync(fx('policy.yaml')), 'policy.yaml');
    assert.deepEqual(
      policies.map((p) => [p.id, p.severity]),
      [
        ['ORG-001', 'HIGH'],
        ['ORG-002', 'LOW'],
        ['ORG-003', 'MEDIUM'],
      ],
    );
    const [r] = checkKubernetesObjects(load('multi.yaml'), { pss: latest, policies });
    const f = r?.misconfigurations ?? [];
    assert.deepEqual(
      failed(f, 'ORG-001').map((x) => [x.message, x.resource?.name, x.startLine]),
      [['too many replicas', 'web', 8]],
    );
    assert.equal(failed(f, 'ORG-002').length, 4);
    assert.equal(f.find((x) => x.checkId === 'ORG-003')?.status, 'error');
    assert.match(f.find((x) => x.checkId === 'ORG-003')?.reason ?? '', /nothere/);
  });

  test('bad policies are refused with file and line', () => {
    assert.throws(
      () => loadCelPolicies('id: X\nvalidations:\n  - expression: "object.(("\n', 'p.yaml'),
      expectCode('INPUT_INVALID', /p\.yaml:3: policy X validation 0/),
    );
    assert.throws(
      () => loadCelPolicies('id: X\nvalidations: []\n', 'p.yaml'),
      expectCode('INPUT_INVALID', /non-empty/),
    );
    assert.throws(
      () => loadCelPolicies('id: X\nseverity: urgent\nvalidations: [{expression: "true"}]\n', 'p.yaml'),
      expectCode('INPUT_INVALID', /severity/),
    );
  });
});

describe('hostile YAML is refused within bounds with a clear error', () => {
  const write = async (name: string, text: string): Promise<string> => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'bollard-cfg-'));
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  test('billion laughs', async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 0; i < 9; i++) {
      const prev = String.fromCharCode(97 + i);
      const cur = String.fromCharCode(98 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const p = await write(
      'bomb.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
    );
    await assert.rejects(checkConfigPaths([p]), expectCode('LIMIT_EXCEEDED', /bomb\.yaml.*alias/i));
  });

  test('deep nesting', async () => {
    const p = await write(
      'deep.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    );
    await assert.rejects(checkConfigPaths([p]), expectCode('LIMIT_EXCEEDED', /deep\.yaml.*deeper/));
  });

  test('enormous documents', async () => {
    const p = await write(
      'big.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: "${'x'.repeat(2 * 1024 * 1024)}"\n`,
    );
    await assert.rejects(
      checkConfigPaths([p], { limits: { maxBytes: 1024 * 1024 } }),
      expectCode('LIMIT_EXCEEDED', /big\.yaml/),
    );
  });

  test('tags that construct objects', async () => {
    const p = await write(
      'tag.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: !!python/object/apply:os.system ["id"]\n',
    );
    await assert.rejects(checkConfigPaths([p]), expectCode('INPUT_INVALID', /tag\.yaml.*tag/i));
    const q = await write(
      'js.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: !!js/function "function(){}"\n',
    );
    await assert.rejects(checkConfigPaths([q]), expectCode('INPUT_INVALID', /tag/i));
  });
});
