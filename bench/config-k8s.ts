/**
 * Kubernetes configuration checks at scale: 10,000 objects (Deployments, StatefulSets, CronJobs,
 * Pods, Services, Roles and RoleBindings across 50 namespaces, in 20 multi-document files) read
 * with the shared manifest reader and checked with every built-in pack (PSS restricted@latest,
 * hardening, RBAC) in one process, on one core.
 *
 *   node bench/config-k8s.ts            (BENCH_OBJECTS=10000, BENCH_RUNS=3)
 *
 * Ratio = median wall time / 5 s; target <= 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests } from '../src/k8s/manifests.ts';
import { PSS_LATEST_MINOR } from '../src/misconfig/kubernetes/pss/index.ts';
import { checkKubernetesObjects } from '../src/misconfig/service.ts';
import { envInt, main, ms, reportFigure, summarise } from './lib.ts';

const BOUND_MS = 5000;

function objectYaml(i: number): string {
  const ns = `team-${i % 50}`;
  const kind = i % 10;
  if (kind === 7)
    return `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\n  namespace: ${ns}\nspec:\n  type: ${i % 3 === 0 ? 'NodePort' : 'ClusterIP'}\n  ports:\n    - port: 80\n`;
  if (kind === 8)
    return `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: role-${i}\n  namespace: ${ns}\nrules:\n  - apiGroups: [""]\n    resources: ["pods", "secrets"]\n    verbs: ["get", "list", ${i % 4 === 0 ? '"*"' : '"watch"'}]\n`;
  if (kind === 9)
    return `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-${i}\n  namespace: ${ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: role-${i - 1}\nsubjects:\n  - kind: ServiceAccount\n    name: ${i % 2 === 0 ? 'default' : `sa-${i}`}\n`;
  const wk = ['Deployment', 'StatefulSet', 'Pod', 'CronJob', 'Deployment', 'DaemonSet', 'Job'][kind]!;
  const pod = `      containers:
        - name: app
          image: registry.example/app-${i}:${i % 5 === 0 ? 'latest' : '1.0'}
          ports:
            - containerPort: 8080${i % 11 === 0 ? '\n              hostPort: 8080' : ''}
          env:
            - name: API_TOKEN
              value: ${i % 13 === 0 ? 'tok-abcdef123456' : '""'}
          securityContext:
            allowPrivilegeEscalation: ${i % 2 === 0}
            privileged: ${i % 17 === 0}
            capabilities:
              drop: ["ALL"]
          resources:
            limits: { cpu: 100m, memory: 64Mi }
      volumes:
        - name: data
          ${i % 19 === 0 ? 'hostPath: { path: /var/run/docker.sock }' : 'emptyDir: {}'}
`;
  const indent = (s: string, n: number): string =>
    s
      .split('\n')
      .map((l) => (l ? ' '.repeat(n) + l : l))
      .join('\n');
  const md = `metadata:\n  name: ${wk.toLowerCase()}-${i}\n  namespace: ${ns}\n`;
  if (wk === 'Pod') return `apiVersion: v1\nkind: Pod\n${md}spec:\n${indent(pod, -4 + 4).replace(/^ {4}/gm, '')}`;
  const template = `  template:\n    metadata:\n      labels: { app: a${i} }\n    spec:\n${pod}`;
  if (wk === 'CronJob')
    return `apiVersion: batch/v1\nkind: CronJob\n${md}spec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n${indent(template, 4)}`;
  const api = wk === 'Job' ? 'batch/v1' : 'apps/v1';
  return `apiVersion: ${api}\nkind: ${wk}\n${md}spec:\n${template}`;
}

await main(async () => {
  const n = envInt('BENCH_OBJECTS', 10_000);
  const runs = envInt('BENCH_RUNS', 3);
  const dir = mkdtempSync(join(tmpdir(), 'bollard-bench-config-'));
  try {
    const files = 20;
    for (let f = 0; f < files; f++) {
      const docs: string[] = [];
      for (let i = f; i < n; i += files) docs.push(objectYaml(i));
      writeFileSync(join(dir, `m${f}.yaml`), `${docs.join('---\n')}`);
    }
    const samples: number[] = [];
    const readMs: number[] = [];
    const checkMs: number[] = [];
    let objects = 0;
    let findings = 0;
    let errors = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const objs = await loadManifests([dir], { onError: () => errors++ });
      const t1 = performance.now();
      const results = checkKubernetesObjects(objs, { pss: { level: 'restricted', minor: PSS_LATEST_MINOR } });
      const t2 = performance.now();
      samples.push(t2 - t0);
      readMs.push(t1 - t0);
      checkMs.push(t2 - t1);
      objects = objs.length;
      findings = results.reduce(
        (a, x) => a + (x.misconfigurations ?? []).filter((f) => f.status === 'failed').length,
        0,
      );
    }
    if (objects !== n)
      throw new Error(`read ${objects} objects of ${n} (${errors} errors): the generator or reader is broken`);
    const t = summarise(samples);
    const read = summarise(readMs);
    const check = summarise(checkMs);
    const ratio = t.median / BOUND_MS;
    reportFigure({
      name: 'config-k8s',
      summary: `${objects} objects read and checked in ${ms(t.median)} median (read ${ms(read.median)}, checks ${ms(check.median)}; ${findings} failed findings; ratio ${ratio.toFixed(3)} of the 5 s bound)`,
      ratio,
      target: '<= 1',
      pass: ratio <= 1,
      details: {
        objects,
        runs,
        samplesMs: t.samples.map(Math.round),
        readMs: read.samples.map(Math.round),
        checkMs: check.samples.map(Math.round),
        checkRatio: check.median / BOUND_MS,
        findings,
        readErrors: errors,
      },
    });
    if (ratio > 1) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
