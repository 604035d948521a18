import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type K8sObject, parseManifests } from '../../../k8s/manifests.ts';
import { WORKLOAD_KINDS, type WorkloadKind } from '../../../k8s/workloads.ts';
import type { MisconfigFinding } from '../../../report/types.ts';
import { checkKubernetesObjects } from '../../service.ts';
import { parseUntrusted } from '../input.ts';
import { PSS_LATEST_MINOR } from '../pss/index.ts';
import { hardeningChecks } from './index.ts';

/**
 * Every BD-K8S hardening check: manifests on which it must fail (check id, severity, resource,
 * field path and exact line) and close variants on which it must pass, over every workload kind's
 * pod template, init and ephemeral containers, List kinds, and the skipped-with-reason cases.
 *
 * Expected lines are found by searching the manifest text for the line that holds the field (or,
 * for a missing field, its nearest written parent), independently of the YAML reader.
 */

const SEVERITY: Record<string, string> = {
  'BD-K8S-001': 'MEDIUM',
  'BD-K8S-002': 'LOW',
  'BD-K8S-003': 'MEDIUM',
  'BD-K8S-004': 'LOW',
  'BD-K8S-005': 'MEDIUM',
  'BD-K8S-006': 'LOW',
  'BD-K8S-007': 'HIGH',
  'BD-K8S-008': 'MEDIUM',
  'BD-K8S-009': 'LOW',
  'BD-K8S-010': 'LOW',
  'BD-K8S-011': 'HIGH',
  'BD-K8S-012': 'MEDIUM',
  'BD-K8S-013': 'HIGH',
};

const DIGEST = `sha256:${'ab'.repeat(32)}`;

interface Source {
  file: string;
  text: string;
}

function parse(sources: Source[]): K8sObject[] {
  return sources.flatMap((s) =>
    parseManifests(s.text, s.file, {
      onError(e) {
        throw new Error(`${e.file}:${e.line}: ${e.message}`);
      },
    }),
  );
}

/** Findings of every check for the first file, with the others given as context (NetworkPolicies, ServiceAccounts...). */
function run(text: string, opts: { untrusted?: string[]; others?: Source[] } = {}): MisconfigFinding[] {
  const objects = parse([{ file: 'm.yaml', text }, ...(opts.others ?? [])]);
  const results = checkKubernetesObjects(objects, {
    pss: { level: 'restricted', minor: PSS_LATEST_MINOR },
    untrusted: (opts.untrusted ?? []).map(parseUntrusted),
  });
  const r = results.find((x) => x.target === 'm.yaml');
  assert.ok(r, 'no result for m.yaml');
  return r.misconfigurations ?? [];
}

interface Got {
  resource: string;
  fieldPath: string | undefined;
  line: number | undefined;
  message: string;
}

/** The failed findings of one check, after asserting the check's status, severity and file. */
function failures(fs: readonly MisconfigFinding[], id: string): Got[] {
  const mine = fs.filter((f) => f.checkId === id);
  assert.ok(mine.length > 0, `${id} reported nothing`);
  const failed = mine.filter((f) => f.status === 'failed');
  assert.equal(failed.length, mine.length, `${id}: ${JSON.stringify(mine.map((f) => f.status))}`);
  return failed.map((f) => {
    assert.equal(f.severity, SEVERITY[id], `${id} severity`);
    assert.equal(f.file, 'm.yaml');
    assert.equal(f.endLine, f.startLine);
    const r = f.resource;
    return {
      resource: r ? `${r.kind}/${r.namespace ?? '-'}/${r.name}` : '',
      fieldPath: f.fieldPath,
      line: f.startLine,
      message: f.message,
    };
  });
}

function statusOf(fs: readonly MisconfigFinding[], id: string): string {
  const s = [...new Set(fs.filter((f) => f.checkId === id).map((f) => f.status))];
  assert.equal(s.length, 1, `${id}: ${s.join(',')}`);
  return s[0]!;
}

function reasonOf(fs: readonly MisconfigFinding[], id: string): string {
  const f = fs.find((x) => x.checkId === id);
  assert.equal(f?.status, 'skipped', `${id} should be skipped`);
  return f.reason ?? '';
}

/** 1-based line of the `n`th line (0-based) containing `marker` (or, `exact`, that is `marker` once trimmed). */
function lineOf(text: string, marker: string, n = 0, exact = false): number {
  const hits: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (exact ? l.trim() === marker : l.includes(marker)) hits.push(i + 1);
  });
  const h = hits[n];
  assert.ok(h !== undefined, `marker ${JSON.stringify(marker)} #${n} not in the manifest`);
  return h;
}

const indent = (text: string, n: number): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : `${' '.repeat(n)}${l}`))
    .join('\n');

const API: Record<WorkloadKind, string> = {
  Pod: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  ReplicationController: 'v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/** Field path of the pod spec inside each kind. */
const PREFIX: Record<WorkloadKind, string> = {
  Pod: 'spec',
  Deployment: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  ReplicationController: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
};

/** A workload of `kind` around a pod spec (YAML at indent 0); the pod template carries `labels`. */
function workload(
  kind: WorkloadKind,
  podSpec: string,
  opts: { name?: string; namespace?: string; labels?: Record<string, string> } = {},
): { text: string; specLine: number } {
  const name = opts.name ?? 'app';
  const labels = opts.labels ?? { app: name };
  const labelLines = Object.entries(labels)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const head = `apiVersion: ${API[kind]}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${opts.namespace !== undefined ? `  namespace: ${opts.namespace}\n` : ''}`;
  let text: string;
  if (kind === 'Pod') {
    text = `${head}${indent(`labels:\n${indent(labelLines, 2)}`, 2)}\nspec:\n${indent(podSpec, 2)}\n`;
  } else if (kind === 'CronJob') {
    text = `${head}spec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels:\n${indent(labelLines, 12)}\n        spec:\n${indent(podSpec, 10)}\n`;
  } else {
    const selector = kind === 'Job' ? '' : `  selector:\n    matchLabels:\n${indent(labelLines, 6)}\n`;
    text = `${head}spec:\n${selector}  template:\n    metadata:\n      labels:\n${indent(labelLines, 8)}\n    spec:\n${indent(podSpec, 6)}\n`;
  }
  // The pod spec's own `spec:` key is the last `spec:` line before the pod spec's first line.
  const first = podSpec.split('\n')[0]!.trim();
  const firstLine = lineOf(text, first);
  const lines = text.split('\n');
  let specLine = firstLine - 1;
  while (specLine > 0 && lines[specLine - 1]!.trim() !== 'spec:') specLine--;
  return { text, specLine };
}

const NETPOL = (ns: string | undefined): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n${ns !== undefined ? `  namespace: ${ns}\n` : ''}spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n`;

/** A pod spec that every hardening check accepts. */
const GOOD_POD = `automountServiceAccountToken: false
containers:
  - name: app
    image: registry.example/app:1.2.3@${DIGEST}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 200m, memory: 128Mi}
    livenessProbe: {httpGet: {path: /healthz, port: 8080}}
    readinessProbe: {httpGet: {path: /ready, port: 8080}}
    securityContext:
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}`;

/** A pod spec that fails every container check through init, app and ephemeral containers. */
const BAD_POD = `initContainers:
  - name: init
    image: busybox
containers:
  - name: app
    image: nginx:1.27
    env:
      - name: API_TOKEN
        value: s3cr3t-t0ken-value
ephemeralContainers:
  - name: debug
    image: busybox:latest
    imagePullPolicy: IfNotPresent
    securityContext: {capabilities: {add: [SYS_PTRACE]}}
volumes:
  - name: sock
    hostPath: {path: /var/run/docker.sock}`;

const POD_CHECKS = Object.keys(SEVERITY).filter((id) => id !== 'BD-K8S-008');

describe('hardening checks: metadata', () => {
  test('thirteen checks, ids in order, severities, NSA/CISA control and a remediation each', () => {
    assert.deepEqual(
      hardeningChecks.map((c) => [c.id, c.severity]),
      Object.entries(SEVERITY),
    );
    for (const c of hardeningChecks) {
      assert.deepEqual(c.controls, ['NSA-CISA'], c.id);
      assert.ok(c.remediation.length > 10 && c.title.length > 10, c.id);
      assert.equal(c.appliesTo, 'kubernetes');
    }
  });
});

describe('every workload kind: the pod template is found and findings point into it', () => {
  for (const kind of WORKLOAD_KINDS) {
    test(`${kind}: a hardened pod template passes every check`, () => {
      const w = workload(kind, GOOD_POD, { namespace: 'shop' });
      const fs = run(`${w.text}---\n${NETPOL('shop')}`);
      for (const id of POD_CHECKS.filter((x) => x !== 'BD-K8S-013')) assert.equal(statusOf(fs, id), 'passed', id);
      assert.match(reasonOf(fs, 'BD-K8S-013'), /--untrusted/);
      assert.match(reasonOf(fs, 'BD-K8S-008'), /no Services/);
      // and with the workload marked untrusted but running under gVisor
      const sandboxed = workload(kind, `runtimeClassName: gvisor\n${GOOD_POD}`, { namespace: 'shop' });
      const rc = 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: gvisor\nhandler: runsc\n';
      assert.equal(
        statusOf(run(`${sandboxed.text}---\n${NETPOL('shop')}---\n${rc}`, { untrusted: ['shop/*'] }), 'BD-K8S-013'),
        'passed',
      );
    });

    test(`${kind}: init, app and ephemeral containers, volumes and the pod spec are checked at the right field and line`, () => {
      const { text, specLine } = workload(kind, BAD_POD, { namespace: 'shop' });
      const fs = run(text, { untrusted: ['shop/*'] });
      const P = PREFIX[kind];
      const res = `${kind}/shop/app`;
      const init = lineOf(text, '- name: init');
      const app = lineOf(text, '- name: app');
      const sc = lineOf(text, 'securityContext: {capabilities: {add: [SYS_PTRACE]}}');
      const at = (id: string) => failures(fs, id).map((g) => [g.resource, g.fieldPath, g.line]);

      // ephemeral containers may not set resources or probes: only init and app containers
      assert.deepEqual(at('BD-K8S-001'), [
        [res, `${P}.initContainers[0].resources`, init],
        [res, `${P}.containers[0].resources`, app],
      ]);
      if (kind === 'Job' || kind === 'CronJob') assert.equal(statusOf(fs, 'BD-K8S-002'), 'passed');
      else assert.deepEqual(at('BD-K8S-002'), [[res, `${P}.containers[0]`, app]]);
      assert.deepEqual(at('BD-K8S-003'), [
        [res, `${P}.initContainers[0].image`, lineOf(text, 'image: busybox')],
        [res, `${P}.ephemeralContainers[0].image`, lineOf(text, 'image: busybox:latest')],
      ]);
      // untagged busybox defaults to Always; nginx:1.27 defaults to IfNotPresent
      assert.deepEqual(at('BD-K8S-004'), [
        [res, `${P}.containers[0].image`, lineOf(text, 'image: nginx:1.27')],
        [res, `${P}.ephemeralContainers[0].imagePullPolicy`, lineOf(text, 'imagePullPolicy: IfNotPresent')],
      ]);
      assert.deepEqual(at('BD-K8S-005'), [[res, `${P}.automountServiceAccountToken`, specLine]]);
      assert.equal(statusOf(fs, 'BD-K8S-006'), 'passed');
      assert.deepEqual(at('BD-K8S-007'), [
        [res, `${P}.volumes[0].hostPath.path`, lineOf(text, 'hostPath: {path: /var/run/docker.sock}')],
      ]);
      assert.deepEqual(at('BD-K8S-009'), [
        [res, `${P}.initContainers[0].securityContext.readOnlyRootFilesystem`, init],
        [res, `${P}.containers[0].securityContext.readOnlyRootFilesystem`, app],
        [res, `${P}.ephemeralContainers[0].securityContext.readOnlyRootFilesystem`, sc],
      ]);
      assert.deepEqual(at('BD-K8S-010'), [
        [res, `${P}.initContainers[0].securityContext.capabilities.drop`, init],
        [res, `${P}.containers[0].securityContext.capabilities.drop`, app],
        [res, `${P}.ephemeralContainers[0].securityContext.capabilities.drop`, sc],
      ]);
      assert.deepEqual(at('BD-K8S-011'), [
        [res, `${P}.containers[0].env[0].value`, lineOf(text, 'value: s3cr3t-t0ken-value')],
      ]);
      assert.deepEqual(at('BD-K8S-012'), [[res, 'metadata', 3]]);
      assert.deepEqual(at('BD-K8S-013'), [[res, `${P}.runtimeClassName`, specLine]]);
    });
  }
});

describe('BD-K8S-001 resource requests and limits', () => {
  const one = (resources: string, podExtra = ''): MisconfigFinding[] =>
    run(
      workload('Deployment', `${podExtra}containers:\n  - name: app\n    image: a:1\n${indent(resources, 4)}`, {
        namespace: 'shop',
      }).text,
    );

  test('fails with the missing entries named, at the container resources line', () => {
    const fs = one('resources:\n  requests: {cpu: 100m, memory: 64Mi}');
    assert.deepEqual(failures(fs, 'BD-K8S-001'), [
      {
        resource: 'Deployment/shop/app',
        fieldPath: 'spec.template.spec.containers[0].resources',
        line: 18,
        message: 'container "app" has no limits.cpu, limits.memory',
      },
    ]);
    assert.match(
      failures(one('resources:\n  limits: {memory: 64Mi}'), 'BD-K8S-001')[0]!.message,
      /requests\.cpu, limits\.cpu$/,
    );
  });

  test('passes when limits are set (requests default to them) and when pod-level resources cover the containers', () => {
    assert.equal(statusOf(one('resources:\n  limits: {cpu: 1, memory: 1Gi}'), 'BD-K8S-001'), 'passed');
    assert.equal(
      statusOf(one('resources:\n  requests: {cpu: 1}', 'resources:\n  limits: {cpu: 2, memory: 1Gi}\n'), 'BD-K8S-001'),
      'passed',
    );
    assert.equal(
      statusOf(one('resources: {}', 'resources:\n  limits: {cpu: 2, memory: 1Gi}\n'), 'BD-K8S-001'),
      'passed',
    );
  });
});

describe('BD-K8S-002 probes', () => {
  const c = (probes: string, extra = ''): string =>
    `${extra}containers:\n  - name: app\n    image: a:1\n${probes ? indent(probes, 4) : ''}`;

  test('fails naming the missing probes, at the container', () => {
    const text = workload('StatefulSet', c('livenessProbe: {tcpSocket: {port: 80}}'), { namespace: 'db' }).text;
    assert.deepEqual(failures(run(text), 'BD-K8S-002'), [
      {
        resource: 'StatefulSet/db/app',
        fieldPath: 'spec.template.spec.containers[0]',
        line: lineOf(text, '- name: app'),
        message: 'container "app" has no readinessProbe',
      },
    ]);
  });

  test('sidecars (init containers with restartPolicy: Always) need probes; plain init containers do not', () => {
    const pod = `initContainers:\n  - name: setup\n    image: a:1\n  - name: proxy\n    image: p:1\n    restartPolicy: Always\n${c('livenessProbe: {tcpSocket: {port: 80}}\nreadinessProbe: {tcpSocket: {port: 80}}')}`;
    const text = workload('Deployment', pod, { namespace: 'x' }).text;
    assert.deepEqual(
      failures(run(text), 'BD-K8S-002').map((g) => [g.fieldPath, g.line, g.message]),
      [
        [
          'spec.template.spec.initContainers[1]',
          lineOf(text, '- name: proxy'),
          'container "proxy" has no livenessProbe or readinessProbe',
        ],
      ],
    );
  });

  test('passes with both probes, for Jobs and CronJobs, and for pods that are not restarted', () => {
    const both = c('livenessProbe: {tcpSocket: {port: 80}}\nreadinessProbe: {tcpSocket: {port: 80}}');
    assert.equal(statusOf(run(workload('Deployment', both, { namespace: 'x' }).text), 'BD-K8S-002'), 'passed');
    for (const kind of ['Job', 'CronJob'] as const)
      assert.equal(statusOf(run(workload(kind, c(''), { namespace: 'x' }).text), 'BD-K8S-002'), 'passed', kind);
    for (const rp of ['Never', 'OnFailure'])
      assert.equal(
        statusOf(run(workload('Pod', c('', `restartPolicy: ${rp}\n`), { namespace: 'x' }).text), 'BD-K8S-002'),
        'passed',
        rp,
      );
    assert.equal(
      statusOf(run(workload('Pod', c('', 'restartPolicy: Always\n'), { namespace: 'x' }).text), 'BD-K8S-002'),
      'failed',
    );
  });
});

describe('BD-K8S-003 image pinning and BD-K8S-004 imagePullPolicy', () => {
  const images = (lines: string[]): string =>
    workload('Pod', `containers:\n${lines.map((l, i) => `  - name: c${i}\n${indent(l, 4)}`).join('\n')}`, {
      namespace: 'x',
    }).text;

  test('untagged, :latest, a registry port without a tag, a broken digest and no image are not pinned', () => {
    const text = images([
      'image: nginx',
      'image: nginx:latest',
      'image: registry.example:5000/team/app',
      'image: app@sha256:abc',
      'imagePullPolicy: Always',
    ]);
    assert.deepEqual(
      failures(run(text), 'BD-K8S-003').map((g) => [g.fieldPath, g.line, g.message]),
      [
        ['spec.containers[0].image', lineOf(text, 'image: nginx'), 'container "c0" uses nginx'],
        ['spec.containers[1].image', lineOf(text, 'image: nginx:latest'), 'container "c1" uses nginx:latest'],
        [
          'spec.containers[2].image',
          lineOf(text, 'image: registry.example:5000/team/app'),
          'container "c2" uses registry.example:5000/team/app',
        ],
        ['spec.containers[3].image', lineOf(text, 'image: app@sha256:abc'), 'container "c3" uses app@sha256:abc'],
        // no image at all: the container's own line
        ['spec.containers[4].image', lineOf(text, '- name: c4'), 'container "c4" uses no image'],
      ],
    );
  });

  test('a tag (also after a registry port) or a digest (also with :latest) pins the image', () => {
    const text = images([
      'image: nginx:1.27.2',
      'image: registry.example:5000/team/app:v3',
      `image: nginx:latest@${DIGEST}`,
      `image: ghcr.io/org/app@${DIGEST}`,
      `image: ghcr.io/org/app@sha512:${'cd'.repeat(64)}`,
    ]);
    assert.equal(statusOf(run(text), 'BD-K8S-003'), 'passed');
  });

  test('004 fails for a tag pulled IfNotPresent (explicit, or Kubernetes default) or Never', () => {
    const text = images([
      'image: nginx:1.27',
      'image: nginx:1.27\nimagePullPolicy: IfNotPresent',
      'image: nginx:1.27\nimagePullPolicy: Never',
    ]);
    assert.deepEqual(
      failures(run(text), 'BD-K8S-004').map((g) => [g.fieldPath, g.line, g.message]),
      [
        [
          'spec.containers[0].image',
          lineOf(text, 'image: nginx:1.27'),
          'container "c0" pulls nginx:1.27 with policy IfNotPresent (default)',
        ],
        [
          'spec.containers[1].imagePullPolicy',
          lineOf(text, 'imagePullPolicy: IfNotPresent'),
          'container "c1" pulls nginx:1.27 with policy IfNotPresent',
        ],
        [
          'spec.containers[2].imagePullPolicy',
          lineOf(text, 'imagePullPolicy: Never'),
          'container "c2" pulls nginx:1.27 with policy Never',
        ],
      ],
    );
  });

  test('004 passes for Always, for digests, and for :latest or untagged images (Kubernetes defaults them to Always)', () => {
    const text = images([
      'image: nginx:1.27\nimagePullPolicy: Always',
      `image: nginx@${DIGEST}\nimagePullPolicy: IfNotPresent`,
      `image: nginx:1.27@${DIGEST}`,
      'image: nginx:latest',
      'image: nginx',
    ]);
    const fs = run(text);
    assert.equal(statusOf(fs, 'BD-K8S-004'), 'passed');
    assert.equal(failures(fs, 'BD-K8S-003').length, 2); // the last two are still unpinned
  });
});

describe('BD-K8S-005 service account token automount', () => {
  const SA = (ns: string, name: string, automount: boolean): Source => ({
    file: 'sa.yaml',
    text: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nautomountServiceAccountToken: ${automount}\n`,
  });
  const pod = (extra: string): string =>
    workload('Deployment', `${extra}containers:\n  - name: app\n    image: a:1`, { namespace: 'shop' }).text;

  test('fails when neither the pod nor its ServiceAccount turns the token off, at the pod spec', () => {
    const text = pod('serviceAccountName: builder\n');
    assert.deepEqual(failures(run(text), 'BD-K8S-005'), [
      {
        resource: 'Deployment/shop/app',
        fieldPath: 'spec.template.spec.automountServiceAccountToken',
        line: lineOf(text, 'serviceAccountName: builder') - 1,
        message: 'pods mount the token of service account builder',
      },
    ]);
    // the ServiceAccount of the same name in another namespace does not count
    assert.equal(statusOf(run(text, { others: [SA('other', 'builder', false)] }), 'BD-K8S-005'), 'failed');
  });

  test('the pod setting wins over its ServiceAccount: true fails at its own line even when the account says false', () => {
    const text = pod('automountServiceAccountToken: true\n');
    assert.deepEqual(
      failures(run(text, { others: [SA('shop', 'default', false)] }), 'BD-K8S-005').map((g) => [g.line, g.message]),
      [[lineOf(text, 'automountServiceAccountToken: true'), 'pods mount the token of service account default']],
    );
  });

  test('passes when the pod says false, or when its ServiceAccount (also by the deprecated serviceAccount field) says false', () => {
    assert.equal(statusOf(run(pod('automountServiceAccountToken: false\n')), 'BD-K8S-005'), 'passed');
    assert.equal(
      statusOf(run(pod('serviceAccountName: builder\n'), { others: [SA('shop', 'builder', false)] }), 'BD-K8S-005'),
      'passed',
    );
    assert.equal(
      statusOf(run(pod('serviceAccount: builder\n'), { others: [SA('shop', 'builder', false)] }), 'BD-K8S-005'),
      'passed',
    );
    assert.equal(statusOf(run(pod(''), { others: [SA('shop', 'default', false)] }), 'BD-K8S-005'), 'passed');
    assert.equal(statusOf(run(pod(''), { others: [SA('shop', 'default', true)] }), 'BD-K8S-005'), 'failed');
  });
});

describe('BD-K8S-006 workloads in the default namespace', () => {
  const c = 'containers:\n  - name: app\n    image: a:1';
  test('fails for a workload explicitly in default, at metadata.namespace', () => {
    assert.deepEqual(failures(run(workload('DaemonSet', c, { namespace: 'default' }).text), 'BD-K8S-006'), [
      {
        resource: 'DaemonSet/default/app',
        fieldPath: 'metadata.namespace',
        line: 5,
        message: 'DaemonSet app is in the default namespace',
      },
    ]);
  });
  test('passes in another namespace, without a namespace (set at apply time), and for non-workloads in default', () => {
    assert.equal(statusOf(run(workload('DaemonSet', c, { namespace: 'kube-ops' }).text), 'BD-K8S-006'), 'passed');
    assert.equal(statusOf(run(workload('DaemonSet', c).text), 'BD-K8S-006'), 'passed');
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\n';
    assert.match(reasonOf(run(cm), 'BD-K8S-006'), /no pod templates/);
  });
});

describe('BD-K8S-007 hostPath and sensitive host mounts', () => {
  const vols = (paths: string[]): string =>
    workload(
      'Pod',
      `containers:\n  - name: app\n    image: a:1\nvolumes:\n${paths.map((p, i) => `  - name: v${i}\n    hostPath:\n      path: ${p}`).join('\n')}`,
      { namespace: 'x' },
    ).text;

  test('every hostPath fails at its path line; runtime sockets, /proc, /var/run and / are named sensitive', () => {
    const paths = [
      '/var/run/docker.sock',
      '/run/containerd/containerd.sock',
      '/proc',
      '/var/run/',
      '/',
      '/tmp/../proc/1',
      '/srv/app.sock',
      '/data/cache',
    ];
    const text = vols(paths);
    const got = failures(run(text), 'BD-K8S-007');
    assert.deepEqual(
      got.map((g) => [g.fieldPath, g.line]),
      paths.map((p, i) => [`spec.volumes[${i}].hostPath.path`, lineOf(text, `path: ${p}`, 0, true)]),
    );
    assert.deepEqual(
      got.map((g) => g.message.includes('sensitive')),
      [true, true, true, true, true, true, true, false],
    );
    assert.equal(got[0]?.message, 'volume "v0" mounts sensitive host path /var/run/docker.sock');
    assert.equal(got[7]?.message, 'volume "v7" mounts host path /data/cache');
  });

  test('passes with emptyDir, configMap and persistent volumes only', () => {
    const text = workload(
      'Pod',
      'containers:\n  - name: app\n    image: a:1\nvolumes:\n  - name: tmp\n    emptyDir: {}\n  - name: cfg\n    configMap: {name: c}\n  - name: data\n    persistentVolumeClaim: {claimName: d}',
      { namespace: 'x' },
    ).text;
    assert.equal(statusOf(run(text), 'BD-K8S-007'), 'passed');
  });
});

describe('BD-K8S-008 NodePort and LoadBalancer Services', () => {
  const svc = (name: string, spec: string): string =>
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: web\nspec:\n${indent(spec, 2)}\n  ports:\n    - port: 80\n`;

  test('NodePort, and LoadBalancer without loadBalancerSourceRanges, fail at spec.type', () => {
    const text = `${svc('np', 'type: NodePort')}---\n${svc('lb', 'type: LoadBalancer')}`;
    assert.deepEqual(failures(run(text), 'BD-K8S-008'), [
      {
        resource: 'Service/web/np',
        fieldPath: 'spec.type',
        line: 7,
        message: 'Service np opens a port on every node',
      },
      {
        resource: 'Service/web/lb',
        fieldPath: 'spec.type',
        line: lineOf(text, 'type: LoadBalancer'),
        message: 'Service lb is a LoadBalancer without loadBalancerSourceRanges',
      },
    ]);
  });

  test('ClusterIP, headless, ExternalName and a LoadBalancer limited to source ranges pass; no Services is skipped', () => {
    const text = [
      svc('a', 'type: ClusterIP'),
      svc('b', 'clusterIP: None'),
      svc('c', 'type: ExternalName\nexternalName: db.example.com'),
      svc('d', 'type: LoadBalancer\nloadBalancerSourceRanges: [10.0.0.0/8]'),
    ].join('---\n');
    assert.equal(statusOf(run(text), 'BD-K8S-008'), 'passed');
    assert.match(reasonOf(run(workload('Pod', 'containers: []', { namespace: 'x' }).text), 'BD-K8S-008'), /Services/);
  });

  test('Services inside a List are found, with their lines', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n${indent(`- ${indent(svc('np', 'type: NodePort'), 2).trimStart()}`, 2)}`;
    assert.deepEqual(
      failures(run(text), 'BD-K8S-008').map((g) => [g.resource, g.line]),
      [['Service/web/np', lineOf(text, 'type: NodePort')]],
    );
  });
});

describe('BD-K8S-009 readOnlyRootFilesystem and BD-K8S-010 capabilities', () => {
  const c = (sc: string, extra = ''): string =>
    workload('Deployment', `${extra}containers:\n  - name: app\n    image: a:1\n${indent(sc, 4)}`, { namespace: 'x' })
      .text;

  test('an explicit false and a drop list without ALL fail at their own lines', () => {
    const text = c('securityContext:\n  readOnlyRootFilesystem: false\n  capabilities:\n    drop: [NET_RAW]');
    const fs = run(text);
    assert.deepEqual(failures(fs, 'BD-K8S-009'), [
      {
        resource: 'Deployment/x/app',
        fieldPath: 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
        line: lineOf(text, 'readOnlyRootFilesystem: false'),
        message: 'container "app" has a writable root filesystem',
      },
    ]);
    assert.deepEqual(failures(fs, 'BD-K8S-010'), [
      {
        resource: 'Deployment/x/app',
        fieldPath: 'spec.template.spec.containers[0].securityContext.capabilities.drop',
        line: lineOf(text, 'drop: [NET_RAW]'),
        message: 'container "app" keeps the default capabilities',
      },
    ]);
  });

  test('a missing securityContext fails at the container; adding capabilities does not help', () => {
    const text = c('securityContext:\n  capabilities:\n    add: [NET_ADMIN]');
    const fs = run(text);
    assert.deepEqual(
      failures(fs, 'BD-K8S-009').map((g) => g.line),
      [lineOf(text, 'securityContext:')],
    );
    assert.deepEqual(
      failures(fs, 'BD-K8S-010').map((g) => g.line),
      [lineOf(text, 'capabilities:')],
    );
  });

  test('pass with readOnlyRootFilesystem: true and drop [ALL]; Windows pods (where both are refused by the API) pass', () => {
    const fs = run(
      c('securityContext:\n  readOnlyRootFilesystem: true\n  capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}'),
    );
    assert.equal(statusOf(fs, 'BD-K8S-009'), 'passed');
    assert.equal(statusOf(fs, 'BD-K8S-010'), 'passed');
    const win = run(c('', 'os: {name: windows}\n'));
    assert.equal(statusOf(win, 'BD-K8S-009'), 'passed');
    assert.equal(statusOf(win, 'BD-K8S-010'), 'passed');
  });
});

describe('BD-K8S-011 secrets in plain environment values', () => {
  const env = (pairs: string[]): string =>
    workload(
      'Deployment',
      `containers:\n  - name: app\n    image: a:1\n    env:\n${pairs.map((p) => indent(p, 6)).join('\n')}`,
      { namespace: 'x' },
    ).text;

  test('secret-named variables and secret-looking values fail at the value line', () => {
    const text = env([
      '- name: DB_PASSWORD\n  value: hunter2hunter2',
      '- name: CONFIG\n  value: AKIAIOSFODNN7EXAMPLE',
      '- name: GH\n  value: ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    ]);
    assert.deepEqual(
      failures(run(text), 'BD-K8S-011').map((g) => [g.fieldPath, g.line, g.message]),
      [
        [
          'spec.template.spec.containers[0].env[0].value',
          lineOf(text, 'value: hunter2hunter2'),
          'container "app" env DB_PASSWORD holds a secret-named variable',
        ],
        [
          'spec.template.spec.containers[0].env[1].value',
          lineOf(text, 'value: AKIAIOSFODNN7EXAMPLE'),
          'container "app" env CONFIG holds a AWS access key id',
        ],
        [
          'spec.template.spec.containers[0].env[2].value',
          lineOf(text, 'value: ghp_'),
          'container "app" env GH holds a GitHub token',
        ],
      ],
    );
  });

  test('secretKeyRef, $(VAR) references, file paths, empty values and ordinary settings pass', () => {
    const text = env([
      '- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: password}',
      '- name: DSN_PASSWORD\n  value: $(DB_PASSWORD)',
      '- name: API_TOKEN_FILE\n  value: /var/run/secrets/token',
      '- name: SECRET_KEY\n  value: ""',
      '- name: LOG_LEVEL\n  value: debug',
    ]);
    assert.equal(statusOf(run(text), 'BD-K8S-011'), 'passed');
  });
});

describe('BD-K8S-012 namespaces without a NetworkPolicy', () => {
  const c = 'containers:\n  - name: app\n    image: a:1';

  test('fails for a namespace that has none among all given files, at metadata', () => {
    const text = workload('Deployment', c, { namespace: 'shop' }).text;
    assert.deepEqual(failures(run(text, { others: [{ file: 'np.yaml', text: NETPOL('other') }] }), 'BD-K8S-012'), [
      {
        resource: 'Deployment/shop/app',
        fieldPath: 'metadata',
        line: 3,
        message: 'no NetworkPolicy in namespace shop among the given manifests',
      },
    ]);
  });

  test('passes when a NetworkPolicy of the namespace is in another file', () => {
    const text = workload('Deployment', c, { namespace: 'shop' }).text;
    assert.equal(statusOf(run(text, { others: [{ file: 'np.yaml', text: NETPOL('shop') }] }), 'BD-K8S-012'), 'passed');
  });

  test('without metadata.namespace the namespace is unknown: skipped with a reason, unless a NetworkPolicy without namespace goes along', () => {
    const text = workload('Deployment', c).text;
    assert.match(
      reasonOf(run(text), 'BD-K8S-012'),
      /Deployment app set no metadata\.namespace.*NetworkPolicies of the namespace they are applied to are unknown/,
    );
    assert.match(
      reasonOf(run(text, { others: [{ file: 'np.yaml', text: NETPOL('default') }] }), 'BD-K8S-012'),
      /unknown/,
    );
    assert.equal(
      statusOf(run(text, { others: [{ file: 'np.yaml', text: NETPOL(undefined) }] }), 'BD-K8S-012'),
      'passed',
    );
    // a workload whose namespace is known still fails beside one whose namespace is not
    const mixed = `${text}---\n${workload('Deployment', c, { name: 'api', namespace: 'shop' }).text}`;
    assert.deepEqual(
      failures(run(mixed), 'BD-K8S-012').map((g) => g.resource),
      ['Deployment/shop/api'],
    );
  });
});

describe('BD-K8S-013 untrusted workloads need a sandboxed RuntimeClass', () => {
  const RC = (name: string, handler: string): Source => ({
    file: 'rc.yaml',
    text: `apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: ${name}\nhandler: ${handler}\n`,
  });
  const c = 'containers:\n  - name: app\n    image: a:1';

  test('skipped with a reason when nothing is marked untrusted', () => {
    assert.match(reasonOf(run(workload('Pod', c, { namespace: 'x' }).text), 'BD-K8S-013'), /--untrusted/);
  });

  test('selected by pod template label (also a CronJob template), by ns/name and by ns/*', () => {
    const text = [
      workload('CronJob', c, { name: 'report', namespace: 'batch', labels: { trust: 'low' } }).text,
      workload('Deployment', c, { name: 'web', namespace: 'shop' }).text,
      workload('Deployment', c, { name: 'api', namespace: 'shop' }).text,
      workload('Pod', c, { name: 'tool', namespace: 'ci' }).text,
    ].join('---\n');
    const names = (sel: string[]) =>
      failures(run(text, { untrusted: sel }), 'BD-K8S-013').map((g) => [g.resource, g.fieldPath]);
    assert.deepEqual(names(['trust=low']), [
      ['CronJob/batch/report', 'spec.jobTemplate.spec.template.spec.runtimeClassName'],
    ]);
    assert.deepEqual(names(['shop/api']), [['Deployment/shop/api', 'spec.template.spec.runtimeClassName']]);
    assert.deepEqual(names(['shop/*', 'ci']), [
      ['Deployment/shop/web', 'spec.template.spec.runtimeClassName'],
      ['Deployment/shop/api', 'spec.template.spec.runtimeClassName'],
      ['Pod/ci/tool', 'spec.runtimeClassName'],
    ]);
    assert.equal(statusOf(run(text, { untrusted: ['nobody/*'] }), 'BD-K8S-013'), 'passed');
  });

  test('a RuntimeClass whose handler is not a sandbox fails at runtimeClassName, naming the handler', () => {
    const text = workload('Pod', `runtimeClassName: fast\n${c}`, { namespace: 'ci' }).text;
    assert.deepEqual(
      failures(run(text, { untrusted: ['ci/*'], others: [RC('fast', 'runc')] }), 'BD-K8S-013').map((g) => [
        g.line,
        g.message,
      ]),
      [[lineOf(text, 'runtimeClassName: fast'), 'untrusted workload runs with RuntimeClass fast (handler runc)']],
    );
  });

  test('gVisor (runsc) and Kata handlers pass, by RuntimeClass or, when it is not given, by name', () => {
    for (const [rc, others] of [
      ['sandboxed', [RC('sandboxed', 'runsc')]],
      ['secure', [RC('secure', 'kata-qemu')]],
      ['gvisor', []],
      ['kata-fc', []],
    ] as const) {
      const text = workload('Pod', `runtimeClassName: ${rc}\n${c}`, { namespace: 'ci' }).text;
      assert.equal(statusOf(run(text, { untrusted: ['ci/*'], others: [...others] }), 'BD-K8S-013'), 'passed', rc);
    }
    // a RuntimeClass named like a sandbox whose handler is runc is not one
    const text = workload('Pod', `runtimeClassName: gvisor\n${c}`, { namespace: 'ci' }).text;
    assert.equal(statusOf(run(text, { untrusted: ['ci/*'], others: [RC('gvisor', 'runc')] }), 'BD-K8S-013'), 'failed');
  });
});

describe('List kinds, JSON dumps and files without pod templates', () => {
  test('a kind: List and a typed PodList (items without kind) are read item by item, lines inside the items', () => {
    const text = `apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: a, namespace: shop}
    spec:
      template:
        spec:
          containers:
            - name: app
              image: nginx:latest
---
apiVersion: v1
kind: PodList
items:
  - metadata: {name: b, namespace: shop}
    spec:
      containers:
        - name: app
          image: redis
`;
    assert.deepEqual(
      failures(run(text), 'BD-K8S-003').map((g) => [g.resource, g.fieldPath, g.line]),
      [
        ['Deployment/shop/a', 'spec.template.spec.containers[0].image', 12],
        ['Pod/shop/b', 'spec.containers[0].image', 21],
      ],
    );
  });

  test('a `kubectl get -o json` dump gives the same findings with JSON lines', () => {
    const dump = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'p', namespace: 'default' },
            spec: {
              containers: [{ name: 'c', image: 'nginx:latest', env: [{ name: 'TOKEN', value: 'abcdef123456' }] }],
            },
          },
        ],
      },
      null,
      2,
    );
    const fs = run(dump);
    assert.deepEqual(
      failures(fs, 'BD-K8S-003').map((g) => [g.resource, g.line]),
      [['Pod/default/p', lineOf(dump, '"image": "nginx:latest"')]],
    );
    assert.deepEqual(
      failures(fs, 'BD-K8S-011').map((g) => g.line),
      [lineOf(dump, '"value": "abcdef123456"')],
    );
    assert.deepEqual(
      failures(fs, 'BD-K8S-006').map((g) => g.line),
      [lineOf(dump, '"namespace": "default"')],
    );
  });

  test('a file without pod templates skips every pod check with a reason', () => {
    const fs = run('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\ndata: {a: b}\n');
    for (const id of POD_CHECKS.filter((x) => x !== 'BD-K8S-013'))
      assert.match(reasonOf(fs, id), /no pod templates/, id);
  });
});
