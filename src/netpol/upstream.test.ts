import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Expectation, type PeerRef, upstreamCases } from './__fixtures__/upstream-cases.ts';
import { computeMatrix, pairPorts } from './engine.ts';
import { hasPort } from './ports.ts';
import { deployment, modelOf, netpol, ns } from './testing/index.ts';

const NAMESPACES = ['x', 'y', 'z'];
const PODS = ['a', 'b', 'c'];
const CONTAINER_PORTS = [80, 81].flatMap((port) =>
  ['TCP', 'UDP', 'SCTP'].map((protocol) => ({
    name: `serve-${port}-${protocol.toLowerCase()}`,
    containerPort: port,
    protocol,
  })),
);

function matches(ref: PeerRef, pod: string): boolean {
  const [n, p] = pod.split('/');
  return (ref.ns === undefined || ref.ns === n) && (ref.pod === undefined || ref.pod === p);
}

/** The upstream Reachability: all true, then each expectation in order. */
function expected(all: string[], exps: Expectation[]): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const f of all) for (const t of all) m.set(`${f}>${t}`, true);
  for (const e of exps) {
    for (const f of all)
      for (const t of all) {
        if ('peer' in e && matches(e.peer[0], f) && matches(e.peer[1], t)) m.set(`${f}>${t}`, e.peer[2]);
        if ('allIngress' in e && t === e.allIngress[0]) m.set(`${f}>${t}`, e.allIngress[1]);
        if ('allEgress' in e && f === e.allEgress[0]) m.set(`${f}>${t}`, e.allEgress[1]);
        if ('pair' in e && f === e.pair[0] && t === e.pair[1]) m.set(`${f}>${t}`, e.pair[2]);
      }
  }
  return m;
}

describe('upstream Kubernetes NetworkPolicy e2e truth tables (x, y, z × a, b, c; TCP, UDP, SCTP)', () => {
  for (const c of upstreamCases) {
    test(c.name, () => {
      const items: object[] = [];
      NAMESPACES.forEach((n) => {
        items.push(ns(n, { ns: n, ...c.nsLabels?.[n] }));
        PODS.forEach((p, j) => {
          const labels = { pod: p, ...c.podLabels?.[`${n}/${p}`] };
          items.push(...deployment(n, p, labels, CONTAINER_PORTS, `10.0.${NAMESPACES.indexOf(n)}.${j + 1}`));
        });
      });
      for (const p of c.policies) items.push(netpol(p.namespace, p.name, p.spec));
      const errors: unknown[] = [];
      const model = modelOf(items, errors as never[]);
      assert.deepEqual(errors, []);
      assert.equal(model.policies.length, c.policies.length);
      const pods = model.workloads.map((w) => w.key);
      assert.deepEqual(
        pods,
        NAMESPACES.flatMap((n) => PODS.map((p) => `${n}/${p}`)),
      );
      for (const probe of c.probes) {
        const want = expected(pods, probe.expect);
        const matrix = computeMatrix(model, { port: probe.port, protocol: probe.protocol });
        const full = computeMatrix(model);
        const wrong: string[] = [];
        for (const f of model.workloads)
          for (const t of model.workloads) {
            if (f === t) continue; // loopback is not judged upstream
            const w = want.get(`${f.key}>${t.key}`);
            const got = matrix.reachable(f.id, t.id);
            const ref = hasPort(pairPorts(model, f, t), probe.protocol, probe.port);
            const viaFull = hasPort(full.ports(f.id, t.id), probe.protocol, probe.port);
            if (got !== w || ref !== w || viaFull !== w)
              wrong.push(`${f.key} -> ${t.key}: want ${w}, matrix ${got}, reference ${ref}, full matrix ${viaFull}`);
          }
        assert.deepEqual(wrong, [], `${probe.protocol}/${probe.port}`);
      }
    });
  }
});
