/**
 * `bollard netpol matrix` at scale: 1,000 workloads in 20 namespaces and 500 NetworkPolicies (pod and
 * namespace selectors, match expressions, numeric, ranged and named ports, ipBlocks), written as YAML
 * files; time reading them, building the model, computing the full matrix (every port and protocol)
 * and writing it as JSON, in-process.
 *
 *   node bench/netpol-matrix.ts
 *
 * Ratio = median wall time / 5 s; target <= 1. BENCH_RUNS runs (default 3), BENCH_WORKLOADS and
 * BENCH_POLICIES change the size.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeMatrix, loadModel, writeMatrix } from '../src/netpol/index.ts';
import { envInt, main, ms, reportFigure, summarise } from './lib.ts';

const BOUND_MS = 5000;

function world(nW: number, nP: number): { workloads: string; policies: string } {
  let seed = 42;
  const r = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const nss = Array.from({ length: 20 }, (_, i) => `team-${i}`);
  const apps = Array.from({ length: 60 }, (_, i) => `app-${i}`);
  const docs: string[] = nss.map(
    (n, i) =>
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n  labels:\n    env: ${i % 3 === 0 ? 'prod' : 'dev'}\n`,
  );
  for (let i = 0; i < nW; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: w${i}
  namespace: ${pick(nss)}
spec:
  template:
    metadata:
      labels:
        app: ${pick(apps)}
        tier: ${pick(['web', 'api', 'db'])}
    spec:
      containers:
        - name: main
          image: img:${i}
          ports:
            - {name: http, containerPort: ${pick([80, 8080, 9000])}}
            - {name: metrics, containerPort: 9100}
`);
  }
  const pols: string[] = [];
  const peer = (): string =>
    pick([
      `        - podSelector:\n            matchLabels: {app: ${pick(apps)}}\n`,
      `        - namespaceSelector:\n            matchLabels: {env: prod}\n`,
      `        - namespaceSelector:\n            matchLabels: {kubernetes.io/metadata.name: ${pick(nss)}}\n          podSelector:\n            matchExpressions:\n              - {key: tier, operator: In, values: [web, api]}\n`,
      `        - ipBlock:\n            cidr: 0.0.0.0/0\n            except: [10.0.0.0/8, 192.168.0.0/16]\n`,
    ]);
  const ports = (): string =>
    pick([
      `      ports:\n        - {port: ${pick([80, 443, 5432, 6379, 8080])}}\n`,
      `      ports:\n        - {port: http}\n        - {port: metrics}\n`,
      `      ports:\n        - {port: 8000, endPort: 8999}\n        - {port: 53, protocol: UDP}\n`,
      '',
    ]);
  for (let i = 0; i < nP; i++) {
    const ingress = `    - from:\n${peer()}${peer()}${ports()}`;
    const egress = `    - to:\n${peer()}${ports()}`;
    pols.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: p${i}
  namespace: ${pick(nss)}
spec:
  podSelector:
${i % 25 === 0 ? '    {}\n' : `    matchLabels: {app: ${pick(apps)}}\n`}  policyTypes: [Ingress${i % 2 === 0 ? ', Egress' : ''}]
  ingress:
${ingress}${i % 2 === 0 ? `  egress:\n${egress}` : ''}`);
  }
  return { workloads: docs.join('---\n'), policies: pols.join('---\n') };
}

await main(async () => {
  const nW = envInt('BENCH_WORKLOADS', 1000);
  const nP = envInt('BENCH_POLICIES', 500);
  const runs = envInt('BENCH_RUNS', 3);
  const dir = mkdtempSync(join(tmpdir(), 'bollard-bench-netpol-'));
  try {
    const w = world(nW, nP);
    writeFileSync(join(dir, 'workloads.yaml'), w.workloads);
    writeFileSync(join(dir, 'policies.yaml'), w.policies);
    const total: number[] = [];
    const phases: Record<string, number>[] = [];
    let shape = {};
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const { model, errors } = await loadModel([dir]);
      const t1 = performance.now();
      const m = computeMatrix(model);
      const t2 = performance.now();
      const json = writeMatrix(m, 'json');
      const t3 = performance.now();
      if (errors.length > 0) throw new Error(`generated input has errors: ${errors[0]?.message}`);
      if (model.workloads.length !== nW || model.policies.length !== nP)
        throw new Error('model does not hold the generated input');
      total.push(t3 - t0);
      phases.push({ loadMs: t1 - t0, matrixMs: t2 - t1, jsonMs: t3 - t2 });
      shape = {
        endpoints: model.endpoints.length,
        externals: model.externals.length,
        atoms: m.atoms.length,
        jsonBytes: json.length,
      };
      console.log(
        `run ${i + 1}: load ${ms(t1 - t0)}, matrix ${ms(t2 - t1)}, json ${ms(t3 - t2)}, total ${ms(t3 - t0)}`,
      );
    }
    const t = summarise(total);
    const ratio = t.median / BOUND_MS;
    reportFigure({
      name: 'netpol-matrix',
      summary: `${nW} workloads, ${nP} policies: full matrix (load + compute + JSON) median ${ms(t.median)}, ${ratio.toFixed(3)} of the 5 s bound`,
      ratio,
      target: '<= 1 (5 s)',
      pass: ratio <= 1,
      details: { runs, timing: t, phases, shape },
    });
    if (ratio > 1) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
