/**
 * Reachability under NetworkPolicy semantics. Two implementations of one definition:
 *
 * - `pairPorts` / `explainPair`: the exact allowed port set of one pair, rule by rule (the reference).
 * - `computeMatrix`: every pair at once. Ports are cut into "atoms" (ranges that every rule treats
 *   alike, split at every port, endPort and resolved named port of the input); per atom the matrix is
 *   built from precomputed per-rule peer bitsets, so the cost is O(atoms x endpoints² / 32) word
 *   operations plus one pass over the rules that select each endpoint, not O(endpoints² x policies).
 *
 * A connection is allowed when the source's egress and the destination's ingress both allow it; a
 * direction is open until some policy selecting the pod covers that direction.
 */
import { containsIp, parseIp } from './cidr.ts';
import type { Endpoint, ExternalEndpoint, Model, Peer, Policy, Rule, WorkloadEndpoint } from './model.ts';
import {
  allPorts,
  emptyPorts,
  formatPorts,
  intersectPorts,
  isEmptyPorts,
  MAX_PORT,
  MIN_PORT,
  type PortSet,
  PROTOCOLS,
  type Protocol,
  portsOf,
  unionPorts,
} from './ports.ts';
import { matchesSelector } from './selector.ts';

export interface Focus {
  port?: number;
  protocol?: Protocol;
}

/** The ports a focus admits (`all` when there is none). */
export function focusPorts(f: Focus | undefined): PortSet {
  if (!f || (f.port === undefined && f.protocol === undefined)) return allPorts();
  const protos = f.protocol ? [f.protocol] : PROTOCOLS;
  let out = emptyPorts();
  for (const p of protos) out = unionPorts(out, portsOf(p, f.port ?? MIN_PORT, f.port ?? MAX_PORT));
  return out;
}

/** Whether `policy` selects workload `w` (same namespace, podSelector matches). */
export function policySelects(policy: Policy, w: Endpoint): boolean {
  return w.type === 'workload' && w.namespace === policy.namespace && matchesSelector(policy.podSelector, w.labels);
}

/** Whether a peer of a rule in `policy` covers endpoint `e`. */
export function peerMatches(model: Model, policy: Policy, peer: Peer, e: Endpoint): boolean {
  if (peer.type === 'ipBlock') {
    const inBlock = (ip: { family: 4 | 6; value: bigint }): boolean =>
      containsIp(peer.cidr, ip) && !peer.except.some((x) => containsIp(x, ip));
    if (e.type === 'external') {
      // Blocks are atoms of the split by every ipBlock boundary: one address decides for all.
      const first = e.intervals[0];
      return first !== undefined && inBlock({ family: e.family, value: first.lo });
    }
    // In-cluster peers by pod IP, as CNI plugins match them (any pod of the workload).
    return e.ips.some(inBlock);
  }
  if (e.type !== 'workload') return false;
  if (peer.namespaceSelector) {
    const nsLabels = model.namespaces.get(e.namespace) ?? {};
    if (!matchesSelector(peer.namespaceSelector, nsLabels)) return false;
  } else if (e.namespace !== policy.namespace) return false;
  return peer.podSelector ? matchesSelector(peer.podSelector, e.labels) : true;
}

/** The index of the first peer of `rule` covering `e` (-1: every peer, undefined: none). */
export function matchingPeer(model: Model, policy: Policy, rule: Rule, e: Endpoint): number | undefined {
  if (!rule.peers) return -1;
  const i = rule.peers.findIndex((p) => peerMatches(model, policy, p, e));
  return i < 0 ? undefined : i;
}

/** The ports a rule opens towards destination `dst` (named ports resolve against `dst`'s containers). */
export function rulePorts(rule: Rule, dst: Endpoint): PortSet {
  if (!rule.ports) return allPorts();
  let out = emptyPorts();
  for (const spec of rule.ports) {
    if (spec.port === undefined) out = unionPorts(out, portsOf(spec.protocol, MIN_PORT, MAX_PORT));
    else if (typeof spec.port === 'number')
      out = unionPorts(out, portsOf(spec.protocol, spec.port, spec.endPort ?? spec.port));
    else if (dst.type === 'workload') {
      for (const cp of dst.ports)
        if (cp.name === spec.port && cp.protocol === spec.protocol)
          out = unionPorts(out, portsOf(spec.protocol, cp.port, cp.port));
    }
  }
  return out;
}

export interface RuleVerdict {
  policy: Policy;
  rule: Rule;
  /** Index of the peer that covers the other side; -1 when the rule has no peers (all); undefined when none does. */
  peer: number | undefined;
  /** Ports the rule opens towards the destination. */
  ports: PortSet;
  /** What this rule contributes for this pair (empty when the peer does not match). */
  allows: PortSet;
}

export interface DirectionVerdict {
  /** Whether any policy selects the endpoint for this direction. */
  isolated: boolean;
  /** Policies selecting the endpoint for this direction. */
  policies: Policy[];
  rules: RuleVerdict[];
  allowed: PortSet;
}

export interface PairExplanation {
  from: Endpoint;
  to: Endpoint;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
  /** Egress ∩ ingress (∩ focus). */
  allowed: PortSet;
}

function direction(model: Model, self: Endpoint, other: Endpoint, dir: 'ingress' | 'egress'): DirectionVerdict {
  const policies = model.policies.filter((p) => p[dir] !== undefined && policySelects(p, self));
  if (policies.length === 0) return { isolated: false, policies, rules: [], allowed: allPorts() };
  const dst = dir === 'ingress' ? self : other;
  const rules: RuleVerdict[] = [];
  let allowed = emptyPorts();
  for (const policy of policies) {
    for (const rule of policy[dir] ?? []) {
      const peer = matchingPeer(model, policy, rule, other);
      const ports = rulePorts(rule, dst);
      const allows = peer === undefined ? emptyPorts() : ports;
      allowed = unionPorts(allowed, allows);
      rules.push({ policy, rule, peer, ports, allows });
    }
  }
  return { isolated: true, policies, rules, allowed };
}

/** Rule by rule: why `from` can or cannot reach `to`. */
export function explainPair(model: Model, from: Endpoint, to: Endpoint, focus?: Focus): PairExplanation {
  const egress = direction(model, from, to, 'egress');
  const ingress = direction(model, to, from, 'ingress');
  const allowed = intersectPorts(intersectPorts(egress.allowed, ingress.allowed), focusPorts(focus));
  return { from, to, egress, ingress, allowed };
}

/** The exact set of ports `from` may open to `to` (reference implementation of the matrix). */
export function pairPorts(model: Model, from: Endpoint, to: Endpoint, focus?: Focus): PortSet {
  if (from.type === 'external' && to.type === 'external') return emptyPorts();
  return explainPair(model, from, to, focus).allowed;
}

export interface Atom {
  protocol: Protocol;
  lo: number;
  hi: number;
}

export interface Matrix {
  endpoints: readonly Endpoint[];
  atoms: readonly Atom[];
  focus: Focus | undefined;
  /** Whether any port of the focus is allowed from `src` to `dst` (endpoint ids). */
  reachable(src: number, dst: number): boolean;
  /** The allowed ports from `src` to `dst`, within the focus. */
  ports(src: number, dst: number): PortSet;
  /** `all`, `none` or `TCP 80; UDP 53` (cached per distinct answer). */
  label(src: number, dst: number): string;
}

/** Cut the port space so every rule (with named ports resolved on every workload) treats an atom alike. */
function portAtoms(model: Model, focus: Focus | undefined): Atom[] {
  const cuts: Record<Protocol, Set<number>> = {
    TCP: new Set([MIN_PORT, MAX_PORT + 1]),
    UDP: new Set([MIN_PORT, MAX_PORT + 1]),
    SCTP: new Set([MIN_PORT, MAX_PORT + 1]),
  };
  const named = new Set<string>();
  for (const p of model.policies)
    for (const r of [...(p.ingress ?? []), ...(p.egress ?? [])])
      for (const s of r.ports ?? []) {
        if (typeof s.port === 'number') cuts[s.protocol].add(s.port).add((s.endPort ?? s.port) + 1);
        else if (typeof s.port === 'string') named.add(`${s.protocol}/${s.port}`);
      }
  if (named.size > 0)
    for (const w of model.workloads)
      for (const cp of w.ports)
        if (cp.name && named.has(`${cp.protocol}/${cp.name}`)) cuts[cp.protocol].add(cp.port).add(cp.port + 1);
  if (focus?.port !== undefined) for (const proto of PROTOCOLS) cuts[proto].add(focus.port).add(focus.port + 1);
  const out: Atom[] = [];
  for (const protocol of PROTOCOLS) {
    if (focus?.protocol && focus.protocol !== protocol) continue;
    const pts = [...cuts[protocol]].sort((a, b) => a - b);
    for (let i = 0; i + 1 < pts.length; i++) {
      const lo = pts[i] as number;
      const hi = (pts[i + 1] as number) - 1;
      if (focus?.port !== undefined && (focus.port < lo || focus.port > hi)) continue;
      out.push({ protocol, lo, hi });
    }
  }
  return out;
}

/** The full matrix for every endpoint pair, with bitsets (see the file comment). */
export function computeMatrix(model: Model, focus?: Focus): Matrix {
  const eps = model.endpoints;
  const n = eps.length;
  const words = (n + 31) >>> 5;
  const atoms = portAtoms(model, focus);

  // Per rule: which endpoints its peers cover.
  const peerBits = new Map<Rule, Uint32Array>();
  const allBits = new Uint32Array(words).fill(0xffffffff);
  if (n % 32 !== 0) allBits[words - 1] = (1 << (n % 32)) - 1 || 0xffffffff;
  for (const p of model.policies) {
    for (const r of [...(p.ingress ?? []), ...(p.egress ?? [])]) {
      if (!r.peers) {
        peerBits.set(r, allBits);
        continue;
      }
      const bits = new Uint32Array(words);
      for (const e of eps) {
        if (r.peers.some((peer) => peerMatches(model, p, peer, e))) bits[e.id >>> 5]! |= 1 << (e.id & 31);
      }
      peerBits.set(r, bits);
    }
  }
  // Per workload: the rules of the policies that select it, per direction.
  const ingressRules: (Rule[] | undefined)[] = Array.from({ length: n }, () => undefined);
  const egressRules: (Rule[] | undefined)[] = Array.from({ length: n }, () => undefined);
  for (const p of model.policies) {
    for (const w of model.workloads) {
      if (!policySelects(p, w)) continue;
      if (p.ingress) {
        const list = ingressRules[w.id] ?? [];
        list.push(...p.ingress);
        ingressRules[w.id] = list;
      }
      if (p.egress) {
        const list = egressRules[w.id] ?? [];
        list.push(...p.egress);
        egressRules[w.id] = list;
      }
    }
  }
  const egressIsolated = model.workloads.filter((w) => egressRules[w.id] !== undefined).map((w) => w.id);

  const atomMatch = (rule: Rule, dst: Endpoint, a: Atom): boolean => {
    if (!rule.ports) return true;
    for (const s of rule.ports) {
      if (s.protocol !== a.protocol) continue;
      if (s.port === undefined) return true;
      if (typeof s.port === 'number') {
        if (a.lo >= s.port && a.lo <= (s.endPort ?? s.port)) return true;
      } else if (dst.type === 'workload') {
        for (const cp of dst.ports)
          if (cp.name === s.port && cp.protocol === s.protocol && cp.port === a.lo) return true;
      }
    }
    return false;
  };
  // Destinations on which a named port resolves into an atom (for egress rules with named ports).
  const namedCache = new Map<string, Uint32Array>();
  const namedBits = (name: string, protocol: Protocol, a: Atom): Uint32Array => {
    const k = `${protocol}/${name}/${a.lo}`;
    let b = namedCache.get(k);
    if (!b) {
      b = new Uint32Array(words);
      for (const w of model.workloads)
        if (w.ports.some((cp) => cp.name === name && cp.protocol === protocol && cp.port === a.lo))
          b[w.id >>> 5]! |= 1 << (w.id & 31);
      namedCache.set(k, b);
    }
    return b;
  };
  const numericMatch = (rule: Rule, a: Atom): 'all' | 'none' | 'named' => {
    if (!rule.ports) return 'all';
    let named = false;
    for (const s of rule.ports) {
      if (s.protocol !== a.protocol) continue;
      if (s.port === undefined) return 'all';
      if (typeof s.port === 'number') {
        if (a.lo >= s.port && a.lo <= (s.endPort ?? s.port)) return 'all';
      } else named = true;
    }
    return named ? 'named' : 'none';
  };

  // cols[a][dst * words + w]: bit src set when src may reach dst on atom a.
  const cols: Uint32Array[] = [];
  const egressTo = new Uint32Array(n * words);
  for (const a of atoms) {
    const col = new Uint32Array(n * words);
    egressTo.fill(0);
    for (const src of egressIsolated) {
      const base = src * words;
      for (const r of egressRules[src] ?? []) {
        const m = numericMatch(r, a);
        if (m === 'none') continue;
        const pb = peerBits.get(r) as Uint32Array;
        if (m === 'all') for (let i = 0; i < words; i++) egressTo[base + i]! |= pb[i]!;
        else {
          // Named ports: a peer counts only where the name resolves to this atom's port.
          let mask = new Uint32Array(words);
          for (const s of r.ports ?? [])
            if (s.protocol === a.protocol && typeof s.port === 'string') {
              const nb = namedBits(s.port, s.protocol, a);
              const next = new Uint32Array(words);
              for (let i = 0; i < words; i++) next[i] = mask[i]! | nb[i]!;
              mask = next;
            }
          for (let i = 0; i < words; i++) egressTo[base + i]! |= pb[i]! & mask[i]!;
        }
      }
    }
    for (let dst = 0; dst < n; dst++) {
      const base = dst * words;
      const d = eps[dst] as Endpoint;
      const rules = ingressRules[dst];
      if (rules === undefined) col.set(allBits, base);
      else
        for (const r of rules) {
          if (!atomMatch(r, d, a)) continue;
          const pb = peerBits.get(r) as Uint32Array;
          for (let i = 0; i < words; i++) col[base + i]! |= pb[i]!;
        }
      // Sources whose egress is restricted and does not reach dst.
      const dw = dst >>> 5;
      const dbit = 1 << (dst & 31);
      for (const src of egressIsolated) {
        if ((egressTo[src * words + dw]! & dbit) === 0) col[base + (src >>> 5)]! &= ~(1 << (src & 31));
      }
      // Traffic between two external blocks is outside the cluster's policies.
      if (d.type === 'external') for (const e of model.externals) col[base + (e.id >>> 5)]! &= ~(1 << (e.id & 31));
    }
    cols.push(col);
  }

  const has = (ai: number, src: number, dst: number): boolean =>
    ((cols[ai] as Uint32Array)[dst * words + (src >>> 5)]! & (1 << (src & 31))) !== 0;
  const labels = new Map<string, string>();
  const signature = (src: number, dst: number): string => {
    let s = '';
    let bits = 0;
    for (let ai = 0; ai < atoms.length; ai++) {
      if (has(ai, src, dst)) bits |= 1 << (ai & 31);
      if ((ai & 31) === 31 || ai === atoms.length - 1) {
        s += `${bits.toString(36)}.`;
        bits = 0;
      }
    }
    return s;
  };
  const ports = (src: number, dst: number): PortSet => {
    const byProto: Record<Protocol, [number, number][]> = { TCP: [], UDP: [], SCTP: [] };
    atoms.forEach((a, ai) => {
      if (!has(ai, src, dst)) return;
      const list = byProto[a.protocol];
      const last = list.at(-1);
      if (last && last[1] + 1 === a.lo) last[1] = a.hi;
      else list.push([a.lo, a.hi]);
    });
    return byProto;
  };
  return {
    endpoints: eps,
    atoms,
    focus,
    reachable(src, dst) {
      for (let ai = 0; ai < atoms.length; ai++) if (has(ai, src, dst)) return true;
      return false;
    },
    ports,
    label(src, dst) {
      const sig = signature(src, dst);
      let l = labels.get(sig);
      if (l === undefined) {
        const p = ports(src, dst);
        // With a focus, "all" means all of the focus.
        l =
          focus && (focus.port !== undefined || focus.protocol !== undefined) && !isEmptyPorts(p)
            ? formatFocus(p, focus)
            : formatPorts(p);
        labels.set(sig, l);
      }
      return l;
    },
  };
}

function formatFocus(p: PortSet, focus: Focus): string {
  const f = focusPorts(focus);
  return formatPorts(intersectPorts(p, f)) === formatPorts(f) ? 'all' : formatPorts(p);
}

/** Find an endpoint by `ns/name` (or `ns/kind/name`), by bare name when unique, or by an IP address. */
export function findEndpoint(model: Model, ref: string): Endpoint | undefined {
  const exact = model.endpoints.find((e) => e.key === ref);
  if (exact) return exact;
  const w = model.workloads.filter(
    (x) =>
      `${x.namespace}/${x.name}` === ref || `${x.namespace}/${x.kind.toLowerCase()}/${x.name}` === ref.toLowerCase(),
  );
  if (w.length === 1) return w[0];
  if (!ref.includes('/')) {
    const byName = model.workloads.filter((x) => x.name === ref);
    if (byName.length === 1) return byName[0];
  }
  return endpointForIp(model, ref);
}

/** The workload owning a pod IP, else the external block holding the address. */
export function endpointForIp(model: Model, text: string): Endpoint | undefined {
  const ip = parseIpLoose(text);
  if (!ip) return undefined;
  const w = model.workloads.find((x) => x.ips.some((i) => i.family === ip.family && i.value === ip.value));
  if (w) return w;
  return model.externals.find(
    (e: ExternalEndpoint) => e.family === ip.family && e.intervals.some((i) => i.lo <= ip.value && ip.value <= i.hi),
  );
}

function parseIpLoose(text: string): { family: 4 | 6; value: bigint } | undefined {
  const t = text.endsWith('/32') || text.endsWith('/128') ? text.slice(0, text.lastIndexOf('/')) : text;
  return parseIp(t);
}

export type { WorkloadEndpoint };
