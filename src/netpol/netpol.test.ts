import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ManifestError } from '../k8s/manifests.ts';
import { parseCidr, parseIp } from './cidr.ts';
import { computeMatrix, explainPair, findEndpoint, pairPorts } from './engine.ts';
import { writeMatrix } from './format.ts';
import { diffAgainstExisting, generatePolicies, parseFlows } from './generate.ts';
import { loadModel } from './index.ts';
import { lintModel } from './lint.ts';
import { buildModel } from './model.ts';
import { formatPorts, type Protocol } from './ports.ts';
import { deployment, modelOf, netpol, ns, objectsOf } from './testing/index.ts';

const fx = (name: string): string => join(fileURLToPath(new URL('.', import.meta.url)), '__fixtures__', name);

/** A small deterministic PRNG (mulberry32), so property tests replay. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('malformed input', () => {
  test('bad CIDRs, bad ports and missing selectors are reported with file and line; the rest is analysed', async () => {
    const { model, errors } = await loadModel([fx('shop')]);
    const file = join(fx('shop'), 'policies.yaml');
    assert.deepEqual(
      errors.map((e) => [e.file, e.line, e.code]),
      [
        [file, 74, 'INPUT_INVALID'],
        [file, 85, 'INPUT_INVALID'],
        [file, 92, 'INPUT_INVALID'],
      ],
    );
    assert.match(errors[0]!.message, /broken-cidr.*10\.0\.0\.0\/33/);
    assert.match(errors[1]!.message, /broken-port.*70000/);
    assert.match(errors[2]!.message, /no-selector.*podSelector is missing/);
    assert.deepEqual(
      model.policies.map((p) => p.name),
      ['default-deny', 'web-from-internet', 'api-from-web', 'db-from-api', 'ghost'],
    );
    const web = findEndpoint(model, 'shop/web')!;
    const api = findEndpoint(model, 'shop/api')!;
    assert.equal(formatPorts(pairPorts(model, web, api)), 'TCP 9000');
  });

  test('every kind of refused policy field names its line', () => {
    const errors: ManifestError[] = [];
    const bad = [
      { podSelector: {}, ingress: [{ from: [{}] }] },
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }] },
      { podSelector: {}, ingress: [{ ports: [{ port: 'not_a_name!' }] }] },
      { podSelector: {}, ingress: [{ ports: [{ port: 80, endPort: 70 }] }] },
      { podSelector: {}, ingress: [{ ports: [{ protocol: 'ICMP' }] }] },
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } },
      { podSelector: {}, policyTypes: ['Sideways'] },
    ];
    const model = modelOf(
      bad.map((spec, i) => netpol('n', `bad-${i}`, spec)).concat([netpol('n', 'good', { podSelector: {} })]),
      errors,
    );
    assert.deepEqual(
      model.policies.map((p) => p.name),
      ['good'],
    );
    assert.equal(errors.length, bad.length);
    for (const e of errors) {
      assert.equal(e.file, 'test.yaml');
      assert.equal(typeof e.line, 'number');
    }
  });
});

describe('model details', () => {
  test('external blocks are split by the ipBlocks present and named by their CIDRs', () => {
    const m = modelOf([
      netpol('n', 'p', {
        podSelector: {},
        egress: [
          { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }, { ipBlock: { cidr: '2001:db8::/32' } }] },
        ],
      }),
    ]);
    assert.deepEqual(
      m.externals.map((e) => [e.key, e.public]),
      [
        ['0.0.0.0/0 except 10.0.0.0/8', true],
        ['10.0.0.0/8', false],
        ['::/0 except 2001:db8::/32', true],
        ['2001:db8::/32', true],
      ],
    );
    assert.equal(parseCidr('10.1.2.3/8') && (parseCidr('10.1.2.3/8') as { text: string }).text, '10.0.0.0/8');
    assert.equal(parseIp('::ffff:1.2.3.4')?.value, 0xffff01020304n);
  });

  test('explain names the rules and lines that decide', async () => {
    const { model } = await loadModel([fx('shop')]);
    const x = explainPair(model, findEndpoint(model, 'shop/api')!, findEndpoint(model, 'shop/db')!);
    assert.equal(formatPorts(x.allowed), 'TCP 5432');
    assert.equal(x.egress.isolated, false);
    assert.deepEqual(
      x.ingress.policies.map((p) => p.key),
      ['shop/default-deny', 'shop/db-from-api'],
    );
    assert.deepEqual(
      x.ingress.rules.map((r) => [r.policy.key, r.rule.line, r.peer, formatPorts(r.allows)]),
      [['shop/db-from-api', 57, 0, 'TCP 5432']],
    );
    const back = explainPair(model, findEndpoint(model, 'shop/db')!, findEndpoint(model, 'shop/api')!);
    assert.equal(formatPorts(back.allowed), 'none');
    assert.equal(back.egress.isolated, true);
  });

  test('lint finds each kind of problem in the shop fixture', async () => {
    const { model } = await loadModel([fx('shop')]);
    const f = lintModel(model, computeMatrix(model));
    const ids = f.map((x) => `${x.id} ${x.subject}`);
    for (const want of [
      'NP001 monitoring',
      'NP002 shop',
      'NP003 shop/ghost',
      'NP004 shop/api-from-web',
      'NP006 shop/ghost',
      'NP007 shop/web',
      'NP008 shop/web',
    ])
      assert.ok(ids.includes(want), `missing ${want} in ${ids.join(', ')}`);
    assert.ok(!ids.includes('NP001 shop'), 'shop has a default-deny ingress policy');
    assert.ok(!ids.includes('NP008 shop/api'), 'api is not reachable from outside');
    const exposed = f.find((x) => x.id === 'NP008' && x.subject === 'shop/web');
    assert.equal(exposed?.severity, 'high');
    assert.match(exposed!.message, /TCP 8080.*LoadBalancer Service shop\/web/);
    assert.equal(f.find((x) => x.id === 'NP004')?.line, 45);
  });

  test('matrix writers: json, csv, markdown, dot, table', async () => {
    const { model } = await loadModel([fx('shop')]);
    const m = computeMatrix(model);
    const json = JSON.parse(writeMatrix(m, 'json')) as {
      matrix: { from: string; allow: { ports: string; to: string[] }[] }[];
    };
    const web = json.matrix.find((r) => r.from === 'shop/web');
    assert.deepEqual(web?.allow.find((a) => a.to.includes('shop/api'))?.ports, 'TCP 9000');
    const csv = writeMatrix(m, 'csv').split('\n');
    assert.equal(csv[0], 'from,to,allowed');
    assert.ok(csv.includes('shop/api,shop/db,TCP 5432'));
    assert.ok(csv.includes('0.0.0.0/0 except 10.0.0.0/8,shop/web,TCP 8080'));
    assert.match(writeMatrix(m, 'markdown'), /^\| from \\ to \| monitoring\/prometheus/);
    assert.match(writeMatrix(m, 'dot'), /"shop\/web" -> "shop\/api" \[label="TCP 9000"\];/);
    assert.match(writeMatrix(computeMatrix(model, { port: 5432 }), 'table'), /3 shop\/db +- +- +- +-/);
  });
});

interface RandomWorld {
  items: object[];
}

function randomWorld(r: () => number, nWorkloads: number, nPolicies: number): RandomWorld {
  const nss = ['a', 'b', 'c'];
  const items: object[] = nss.map((n, i) => ns(n, { tier: i % 2 === 0 ? 'even' : 'odd' }));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const apps = ['web', 'api', 'db', 'cache', 'job'];
  for (let i = 0; i < nWorkloads; i++) {
    const n = pick(nss);
    const ports = [
      { name: 'http', containerPort: pick([80, 8080, 9000]) },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
    ].filter(() => r() < 0.7);
    items.push(
      ...deployment(n, `w${i}`, { app: pick(apps), role: pick(['x', 'y']) }, ports, `10.1.${i >> 8}.${i & 255}`),
    );
  }
  const sel = (): object =>
    r() < 0.3
      ? {}
      : r() < 0.6
        ? { matchLabels: { app: pick(apps) } }
        : { matchExpressions: [{ key: 'role', operator: pick(['In', 'NotIn']), values: [pick(['x', 'y'])] }] };
  const peer = (): object => {
    const k = r();
    if (k < 0.3) return { podSelector: sel() };
    if (k < 0.5) return { namespaceSelector: { matchLabels: { tier: pick(['even', 'odd']) } } };
    if (k < 0.75) return { namespaceSelector: sel(), podSelector: sel() };
    return r() < 0.5
      ? { ipBlock: { cidr: '10.1.0.0/16', except: [`10.1.0.${Math.floor(r() * 8)}/30`] } }
      : { ipBlock: { cidr: pick(['0.0.0.0/0', '192.0.2.0/24', '10.0.0.0/8']) } };
  };
  const port = (): object => {
    const k = r();
    if (k < 0.3) return { port: pick([80, 443, 8080, 53]), protocol: pick(['TCP', 'UDP', 'SCTP']) };
    if (k < 0.5) return { port: 8000, endPort: 9000 };
    if (k < 0.8) return { port: pick(['http', 'dns', 'nope']), protocol: pick(['TCP', 'UDP']) };
    return { protocol: pick(['UDP', 'SCTP']) };
  };
  const rule = (field: string): object => {
    const o: Record<string, unknown> = {};
    if (r() < 0.8) o[field] = Array.from({ length: 1 + Math.floor(r() * 2) }, peer);
    if (r() < 0.7) o.ports = Array.from({ length: 1 + Math.floor(r() * 2) }, port);
    return o;
  };
  for (let i = 0; i < nPolicies; i++) {
    const types = pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    const spec: Record<string, unknown> = { podSelector: sel(), policyTypes: types };
    if (types.includes('Ingress')) spec.ingress = Array.from({ length: Math.floor(r() * 3) }, () => rule('from'));
    if (types.includes('Egress')) spec.egress = Array.from({ length: Math.floor(r() * 3) }, () => rule('to'));
    items.push(netpol(pick(nss), `p${i}`, spec));
  }
  return { items };
}

describe('properties', () => {
  test('the bitset matrix equals the rule-by-rule reference on random models', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed);
      const { items } = randomWorld(r, 14, 10);
      const errors: ManifestError[] = [];
      const model = modelOf(items, errors);
      assert.deepEqual(errors, [], `seed ${seed}`);
      const m = computeMatrix(model);
      for (const a of model.endpoints)
        for (const b of model.endpoints) {
          if (a.type === 'external' && b.type === 'external') continue;
          assert.equal(
            formatPorts(m.ports(a.id, b.id)),
            formatPorts(pairPorts(model, a, b)),
            `seed ${seed}: ${a.key} -> ${b.key}`,
          );
        }
      const focus = { port: 8080, protocol: 'TCP' as Protocol };
      const mf = computeMatrix(model, focus);
      for (const a of model.endpoints)
        for (const b of model.endpoints)
          if (!(a.type === 'external' && b.type === 'external'))
            assert.equal(formatPorts(mf.ports(a.id, b.id)), formatPorts(pairPorts(model, a, b, focus)));
    }
  });

  test('generated policies, applied back, allow exactly the observed flows between the workloads involved', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const r = rng(1000 + seed);
      const items: object[] = [ns('a'), ns('b')];
      // Overlapping labels on purpose: selectors must find the labels that tell workloads apart.
      const n = 8;
      for (let i = 0; i < n; i++)
        items.push(
          ...deployment(
            i % 2 === 0 ? 'a' : 'b',
            `w${i}`,
            { app: `w${i}`, tier: i < 4 ? 'front' : 'back', team: 't' },
            [],
            `10.2.0.${i + 1}`,
          ),
        );
      const base = modelOf(items);
      const lines: string[] = [];
      const want = new Map<string, Set<string>>();
      for (let k = 0; k < 12; k++) {
        const s = Math.floor(r() * (n + 1));
        const d = Math.floor(r() * n);
        const src = s === n ? '198.51.100.9' : `${s % 2 === 0 ? 'a' : 'b'}/w${s}`;
        const dst = `${d % 2 === 0 ? 'a' : 'b'}/w${d}`;
        const port = [53, 80, 443, 5432][Math.floor(r() * 4)] as number;
        const protocol = (['TCP', 'UDP', 'SCTP'] as const)[Math.floor(r() * 3)] as Protocol;
        lines.push(JSON.stringify({ src, dst, port, protocol }));
        const key = `${src === '198.51.100.9' ? src : src}>${dst}`;
        want.set(key, (want.get(key) ?? new Set()).add(`${protocol}/${port}`));
      }
      const flows = parseFlows(lines.join('\n'), (e) => assert.fail(e.message));
      const gen = generatePolicies(base, flows);
      assert.deepEqual(gen.warnings, []);
      assert.deepEqual(gen.unresolved, []);
      // Round trip through YAML and the real manifest reader.
      const text = gen.policies.map((p) => `---\n${stringify(p)}`).join('');
      const errors: ManifestError[] = [];
      const applied = buildModel([...objectsOf(items), ...objectsOf([], errors), ...parseYaml(text, errors)], {
        onError: (e) => errors.push(e),
      });
      assert.deepEqual(errors, []);
      const involved = gen.workloads.map((w) => w.key);
      for (const a of involved)
        for (const b of involved) {
          const got = pairPorts(applied, findEndpoint(applied, a)!, findEndpoint(applied, b)!);
          const expected = [...(want.get(`${a}>${b}`) ?? [])].sort();
          assert.deepEqual(portList(got), expected, `seed ${seed}: ${a} -> ${b}`);
        }
      // The external client reaches exactly what it was seen reaching.
      const ext = findEndpoint(applied, '198.51.100.9')!;
      for (const b of involved) {
        const got = pairPorts(applied, ext, findEndpoint(applied, b)!);
        assert.deepEqual(portList(got), [...(want.get(`198.51.100.9>${b}`) ?? [])].sort(), `seed ${seed}: ext -> ${b}`);
      }
      // Against a model without policies, every unobserved port is "unused" and nothing is blocked.
      const diff = diffAgainstExisting(base, gen);
      assert.ok(diff.every((d) => formatPorts(d.blocked) === 'none'));
      assert.ok(diff.length > 0);
    }
  });

  test('flows: bad lines are reported with their line numbers and skipped', () => {
    const errs: number[] = [];
    const flows = parseFlows(
      '{"src":"a/x","dst":"a/y","port":80}\nnope\n{"src":"a/x","port":80}\n{"source":{"namespace":"a","name":"x"},"destination":{"ip":"1.2.3.4"},"port":"443","protocol":"udp"}\n{"src":"a/x","dst":"a/y","port":99999}\n',
      (e) => errs.push(e.line),
    );
    assert.deepEqual(errs, [2, 3, 5]);
    assert.deepEqual(
      flows.map((f) => [f.src, f.dst, f.port, f.protocol]),
      [
        ['a/x', 'a/y', 80, 'TCP'],
        ['a/x', '1.2.3.4', 443, 'UDP'],
      ],
    );
  });
});

function parseYaml(text: string, errors: ManifestError[]) {
  return objectsOfText(text, errors);
}

import { parseManifests } from '../k8s/manifests.ts';

function objectsOfText(text: string, errors: ManifestError[]) {
  return parseManifests(text, 'generated.yaml', { onError: (e) => errors.push(e) });
}

function portList(p: ReturnType<typeof pairPorts>): string[] {
  const out: string[] = [];
  for (const proto of ['TCP', 'UDP', 'SCTP'] as const)
    for (const [lo, hi] of p[proto]) for (let x = lo; x <= hi && out.length < 100; x++) out.push(`${proto}/${x}`);
  return out.sort();
}
