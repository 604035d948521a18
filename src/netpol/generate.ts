/**
 * Least-privilege NetworkPolicies from observed connections, and the difference between what the
 * existing policies allow and what was observed.
 *
 * Every workload that appears in a flow gets one policy that isolates it in both directions and
 * allows exactly its observed inbound and outbound connections (peer by the smallest label set that
 * tells it apart from its neighbours; external peers as /32 or /128 ipBlocks; ports by number).
 */
import { parseIp } from './cidr.ts';
import { endpointForIp, findEndpoint, pairPorts } from './engine.ts';
import { type Model, NAMESPACE_NAME_LABEL, type WorkloadEndpoint } from './model.ts';
import {
  emptyPorts,
  formatPorts,
  isEmptyPorts,
  isProtocol,
  type PortSet,
  type Protocol,
  portsOf,
  subtractPorts,
  unionPorts,
} from './ports.ts';
import { matchesSelector } from './selector.ts';

export interface Flow {
  src: string;
  dst: string;
  port: number;
  protocol: Protocol;
  /** 1-based line in the flows file. */
  line?: number;
}

export interface FlowError {
  line: number;
  message: string;
}

export interface FlowLimits {
  maxFlows?: number;
  maxLineBytes?: number;
}

/**
 * JSON lines: `{"src": "ns/name" | IP | {namespace, name|workload|pod} | {ip}, "dst": ..., "port": 80,
 * "protocol": "TCP"}` (`source`/`destination` accepted too; protocol defaults to TCP). Malformed lines
 * are reported and skipped.
 */
export function parseFlows(text: string, onError: (e: FlowError) => void, limits: FlowLimits = {}): Flow[] {
  const maxFlows = limits.maxFlows ?? 1_000_000;
  const maxLine = limits.maxLineBytes ?? 64 * 1024;
  const out: Flow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const line = i + 1;
    if (raw.length > maxLine) {
      onError({ line, message: `line longer than ${maxLine} bytes` });
      continue;
    }
    if (out.length >= maxFlows) {
      onError({ line, message: `more than ${maxFlows} flows; the rest were not read` });
      break;
    }
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      onError({ line, message: 'not a JSON object' });
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      onError({ line, message: 'not a JSON object' });
      continue;
    }
    const o = v as Record<string, unknown>;
    const src = endpointRef(o.src ?? o.source);
    const dst = endpointRef(o.dst ?? o.destination);
    const port = typeof o.port === 'string' && /^\d+$/.test(o.port) ? Number(o.port) : o.port;
    const protocol =
      o.protocol === undefined ? 'TCP' : typeof o.protocol === 'string' ? o.protocol.toUpperCase() : o.protocol;
    if (!src || !dst) {
      onError({ line, message: 'needs src and dst (ns/name, an IP, or {namespace, name} / {ip})' });
      continue;
    }
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      onError({ line, message: 'port must be a number between 1 and 65535' });
      continue;
    }
    if (!isProtocol(protocol)) {
      onError({ line, message: `unknown protocol "${String(o.protocol)}"` });
      continue;
    }
    out.push({ src, dst, port, protocol, line });
  }
  return out;
}

function endpointRef(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.ip === 'string') return o.ip;
  const name = o.workload ?? o.name ?? o.pod;
  if (typeof name === 'string' && name !== '')
    return `${typeof o.namespace === 'string' ? o.namespace : 'default'}/${name}`;
  return undefined;
}

export interface GenerateResult {
  /** NetworkPolicy manifests, one per workload seen in the flows. */
  policies: Record<string, unknown>[];
  /** Workloads the policies were written for. */
  workloads: WorkloadEndpoint[];
  /** Flows whose endpoints could not be resolved, with the reason. */
  unresolved: { flow: Flow; reason: string }[];
  warnings: string[];
  /** Observed port sets per `srcKey>dstKey` (resolved). */
  observed: Map<string, { src: string; dst: string; ports: PortSet }>;
}

type Side = { kind: 'workload'; w: WorkloadEndpoint } | { kind: 'ip'; cidr: string; family: 4 | 6 };

function resolve(model: Model, ref: string): Side | string {
  const byIp = parseIp(ref);
  if (byIp) {
    const e = endpointForIp(model, ref);
    if (e?.type === 'workload') return { kind: 'workload', w: e };
    return { kind: 'ip', cidr: `${ref}/${byIp.family === 4 ? 32 : 128}`, family: byIp.family };
  }
  const e = findEndpoint(model, ref);
  if (e?.type === 'workload') return { kind: 'workload', w: e };
  return `no workload "${ref}" in the input`;
}

/** The fewest labels of `w` that no other workload of its namespace has (all of them when none suffice). */
export function distinguishingLabels(
  model: Model,
  w: WorkloadEndpoint,
): { labels: Record<string, string>; unique: boolean } {
  const others = model.workloads.filter((o) => o !== w && o.namespace === w.namespace);
  const entries = Object.entries(w.labels).sort(([a], [b]) => labelRank(a) - labelRank(b) || (a < b ? -1 : 1));
  const selects = (labels: Record<string, string>): boolean =>
    others.some((o) => matchesSelector({ matchLabels: labels, expressions: [] }, o.labels));
  for (let size = 1; size <= Math.min(3, entries.length); size++) {
    for (const combo of combinations(entries, size)) {
      const labels = Object.fromEntries(combo);
      if (!selects(labels)) return { labels, unique: true };
    }
  }
  const all = Object.fromEntries(entries);
  return { labels: all, unique: entries.length > 0 && !selects(all) };
}

/** Prefer the labels people select by. */
function labelRank(k: string): number {
  if (k === 'app.kubernetes.io/name' || k === 'app') return 0;
  if (k === 'app.kubernetes.io/component' || k === 'component' || k === 'tier') return 1;
  if (k === 'pod-template-hash' || k === 'controller-revision-hash' || k.startsWith('statefulset.kubernetes.io/'))
    return 9;
  return 5;
}

function* combinations<T>(xs: readonly T[], k: number, start = 0): Generator<T[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = start; i <= xs.length - k; i++)
    for (const rest of combinations(xs, k - 1, i + 1)) yield [xs[i] as T, ...rest];
}

export function generatePolicies(
  model: Model,
  flows: readonly Flow[],
  opts: { namePrefix?: string } = {},
): GenerateResult {
  const prefix = opts.namePrefix ?? 'bollard-';
  const warnings: string[] = [];
  const unresolved: GenerateResult['unresolved'] = [];
  // Per workload: inbound and outbound peers with their observed ports.
  const inbound = new Map<WorkloadEndpoint, Map<string, { side: Side; ports: PortSet }>>();
  const outbound = new Map<WorkloadEndpoint, Map<string, { side: Side; ports: PortSet }>>();
  const observed: GenerateResult['observed'] = new Map();
  const involved = new Set<WorkloadEndpoint>();
  const keyOf = (s: Side): string => (s.kind === 'workload' ? s.w.key : s.cidr);
  const add = (m: typeof inbound, w: WorkloadEndpoint, side: Side, ports: PortSet): void => {
    const peers = m.get(w) ?? new Map<string, { side: Side; ports: PortSet }>();
    const k = keyOf(side);
    const cur = peers.get(k);
    peers.set(k, { side, ports: cur ? unionPorts(cur.ports, ports) : ports });
    m.set(w, peers);
  };
  for (const f of flows) {
    const s = resolve(model, f.src);
    const d = resolve(model, f.dst);
    if (typeof s === 'string' || typeof d === 'string') {
      unresolved.push({ flow: f, reason: typeof s === 'string' ? s : (d as string) });
      continue;
    }
    if (s.kind === 'ip' && d.kind === 'ip') {
      unresolved.push({ flow: f, reason: 'neither end is a workload of the input' });
      continue;
    }
    const ports = portsOf(f.protocol, f.port, f.port);
    if (s.kind === 'workload') {
      involved.add(s.w);
      add(outbound, s.w, d, ports);
    }
    if (d.kind === 'workload') {
      involved.add(d.w);
      add(inbound, d.w, s, ports);
    }
    const ok = `${keyOf(s)}>${keyOf(d)}`;
    const cur = observed.get(ok);
    observed.set(ok, { src: keyOf(s), dst: keyOf(d), ports: cur ? unionPorts(cur.ports, ports) : ports });
  }
  const selectorCache = new Map<WorkloadEndpoint, Record<string, string>>();
  const selectorOf = (w: WorkloadEndpoint): Record<string, string> => {
    let s = selectorCache.get(w);
    if (!s) {
      const d = distinguishingLabels(model, w);
      if (!d.unique)
        warnings.push(
          `${w.key}: its pod labels do not tell it apart from other workloads of namespace ${w.namespace}; its policy also applies to them`,
        );
      s = d.labels;
      selectorCache.set(w, s);
    }
    return s;
  };
  const peerOf = (self: WorkloadEndpoint, side: Side): Record<string, unknown> => {
    if (side.kind === 'ip') return { ipBlock: { cidr: side.cidr } };
    const podSelector = { matchLabels: selectorOf(side.w) };
    if (side.w.namespace === self.namespace) return { podSelector };
    return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: side.w.namespace } }, podSelector };
  };
  const rulesOf = (
    self: WorkloadEndpoint,
    peers: Map<string, { side: Side; ports: PortSet }> | undefined,
    field: 'from' | 'to',
  ) => {
    // Peers with the same observed ports share a rule.
    const byPorts = new Map<string, { ports: PortSet; peers: Record<string, unknown>[] }>();
    for (const k of [...(peers?.keys() ?? [])].sort()) {
      const p = peers?.get(k) as { side: Side; ports: PortSet };
      const pk = formatPorts(p.ports);
      const g = byPorts.get(pk) ?? { ports: p.ports, peers: [] };
      g.peers.push(peerOf(self, p.side));
      byPorts.set(pk, g);
    }
    return [...byPorts.values()].map((g) => ({ [field]: g.peers, ports: portList(g.ports) }));
  };
  const workloads = [...involved].sort((a, b) => (a.key < b.key ? -1 : 1));
  const policies = workloads.map((w) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: policyName(prefix, w),
      namespace: w.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'bollard' },
    },
    spec: {
      podSelector: { matchLabels: selectorOf(w) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: rulesOf(w, inbound.get(w), 'from'),
      egress: rulesOf(w, outbound.get(w), 'to'),
    },
  }));
  return { policies, workloads, unresolved, warnings, observed };
}

function policyName(prefix: string, w: WorkloadEndpoint): string {
  const kind = w.key.split('/').length > 2 ? `${w.kind.toLowerCase()}-` : '';
  return `${prefix}${kind}${w.name}`.slice(0, 253);
}

function portList(p: PortSet): { protocol: Protocol; port: number; endPort?: number }[] {
  const out: { protocol: Protocol; port: number; endPort?: number }[] = [];
  for (const protocol of ['TCP', 'UDP', 'SCTP'] as const)
    for (const [lo, hi] of p[protocol])
      out.push(lo === hi ? { protocol, port: lo } : { protocol, port: lo, endPort: hi });
  return out;
}

export interface FlowDiff {
  from: string;
  to: string;
  /** Allowed by the existing policies but never observed: room to tighten. */
  unused: PortSet;
  /** Observed but denied by the existing policies: would break (or is being blocked today). */
  blocked: PortSet;
  observed: PortSet;
  existing: PortSet;
}

/**
 * Compare the existing policies of `model` with the observed flows, for every ordered pair of the
 * workloads involved (and the external peers seen).
 */
export function diffAgainstExisting(model: Model, gen: GenerateResult): FlowDiff[] {
  const out: FlowDiff[] = [];
  const ends = gen.workloads;
  for (const a of ends)
    for (const b of ends) {
      const observed = gen.observed.get(`${a.key}>${b.key}`)?.ports ?? emptyPorts();
      const existing = pairPorts(model, a, b);
      const unused = subtractPorts(existing, observed);
      const blocked = subtractPorts(observed, existing);
      if (!isEmptyPorts(unused) || !isEmptyPorts(blocked))
        out.push({ from: a.key, to: b.key, unused, blocked, observed, existing });
    }
  for (const o of gen.observed.values()) {
    const a = findEndpoint(model, o.src) ?? endpointForIp(model, o.src.replace(/\/\d+$/, ''));
    const b = findEndpoint(model, o.dst) ?? endpointForIp(model, o.dst.replace(/\/\d+$/, ''));
    if (!a || !b || (a.type === 'workload' && b.type === 'workload')) continue;
    const existing = pairPorts(model, a, b);
    const blocked = subtractPorts(o.ports, existing);
    if (!isEmptyPorts(blocked))
      out.push({ from: o.src, to: o.dst, unused: emptyPorts(), blocked, observed: o.ports, existing });
  }
  return out;
}
