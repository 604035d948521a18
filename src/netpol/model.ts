/**
 * The network-policy model: namespaces with labels, workloads (grouped by pod template) with labels,
 * container ports and pod IPs, external address blocks, Services, and validated NetworkPolicies.
 * A malformed policy is reported with file and line and left out, as the API server would refuse it.
 */
import type { FieldPath, K8sObject, ManifestError } from '../k8s/manifests.ts';
import { isRecord } from '../k8s/manifests.ts';
import { type WorkloadKind, workloadsOf } from '../k8s/workloads.ts';
import {
  type Cidr,
  contains,
  containsIp,
  type Family,
  hasPublicAddress,
  parseCidr,
  parseIp,
  rangeToCidrs,
  universe,
} from './cidr.ts';
import { isProtocol, MAX_PORT, MIN_PORT, type Protocol } from './ports.ts';
import { parseSelector, type Selector } from './selector.ts';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface ContainerPort {
  name?: string;
  port: number;
  protocol: Protocol;
}

interface EndpointBase {
  /** Index in `Model.endpoints`. */
  id: number;
  /** `ns/name` for workloads, the block (`0.0.0.0/0 except 10.0.0.0/8`) for external endpoints. */
  key: string;
}

export interface WorkloadEndpoint extends EndpointBase {
  type: 'workload';
  namespace: string;
  name: string;
  kind: WorkloadKind;
  labels: Readonly<Record<string, string>>;
  ports: readonly ContainerPort[];
  ips: readonly { family: Family; value: bigint }[];
  object: K8sObject;
}

export interface ExternalEndpoint extends EndpointBase {
  type: 'external';
  family: Family;
  /** The address intervals of this block (all treated alike by every ipBlock). */
  intervals: readonly { lo: bigint; hi: bigint }[];
  /** Holds internet-routable addresses (not only private, loopback, link-local space). */
  public: boolean;
}

export type Endpoint = WorkloadEndpoint | ExternalEndpoint;

export interface PortSpec {
  protocol: Protocol;
  /** A number, a container port name, or undefined for every port of the protocol. */
  port: number | string | undefined;
  endPort: number | undefined;
  line: number | undefined;
}

export type Peer =
  | {
      type: 'pods';
      podSelector: Selector | undefined;
      namespaceSelector: Selector | undefined;
      line: number | undefined;
    }
  | { type: 'ipBlock'; cidr: Cidr; except: readonly Cidr[]; line: number | undefined };

export interface Rule {
  direction: 'ingress' | 'egress';
  index: number;
  /** `undefined`: every peer (no `from`/`to`, or an empty list). */
  peers: readonly Peer[] | undefined;
  /** `undefined`: every port and protocol. */
  ports: readonly PortSpec[] | undefined;
  line: number | undefined;
}

export interface Policy {
  namespace: string;
  name: string;
  /** `ns/name`. */
  key: string;
  podSelector: Selector;
  /** Rules per direction, or `undefined` when the policy does not cover that direction. */
  ingress: readonly Rule[] | undefined;
  egress: readonly Rule[] | undefined;
  object: K8sObject;
}

export interface Service {
  namespace: string;
  name: string;
  type: string;
  selector: Readonly<Record<string, string>> | undefined;
  object: K8sObject;
}

export interface Model {
  namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  endpoints: readonly Endpoint[];
  workloads: readonly WorkloadEndpoint[];
  externals: readonly ExternalEndpoint[];
  policies: readonly Policy[];
  services: readonly Service[];
}

export interface ModelOptions {
  /** Namespace of objects that name none (default `default`). */
  defaultNamespace?: string;
  onError(e: ManifestError): void;
}

export function buildModel(objects: readonly K8sObject[], opts: ModelOptions): Model {
  const defNs = opts.defaultNamespace ?? 'default';
  const namespaces = new Map<string, Record<string, string>>();
  const ensureNs = (ns: string): void => {
    if (!namespaces.has(ns)) namespaces.set(ns, { [NAMESPACE_NAME_LABEL]: ns });
  };
  for (const o of objects) {
    if (o.kind === 'Namespace' && o.apiVersion === 'v1') {
      // The API server sets the name label on every namespace; it cannot be overridden.
      namespaces.set(o.metadata.name, { ...o.metadata.labels, [NAMESPACE_NAME_LABEL]: o.metadata.name });
    }
  }
  const policies: Policy[] = [];
  const services: Service[] = [];
  for (const o of objects) {
    if (o.kind === 'NetworkPolicy' && o.apiVersion.startsWith('networking.k8s.io/')) {
      const p = parsePolicy(o, defNs, opts.onError);
      if (p) {
        policies.push(p);
        ensureNs(p.namespace);
      }
    } else if (o.kind === 'Service' && o.apiVersion === 'v1') {
      const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
      const sel = isRecord(spec.selector) ? (spec.selector as Record<string, string>) : undefined;
      services.push({
        namespace: o.metadata.namespace ?? defNs,
        name: o.metadata.name,
        type: typeof spec.type === 'string' ? spec.type : 'ClusterIP',
        selector: sel && Object.keys(sel).length > 0 ? sel : undefined,
        object: o,
      });
    }
  }
  const workloads: WorkloadEndpoint[] = [];
  for (const w of workloadsOf(objects, defNs)) {
    ensureNs(w.namespace);
    const ips = w.podIPs.map((s) => parseIp(s)).filter((x) => x !== undefined);
    workloads.push({
      id: workloads.length,
      key: w.key,
      type: 'workload',
      namespace: w.namespace,
      name: w.name,
      kind: w.kind,
      labels: w.template.metadata.labels,
      ports: containerPorts(w.template.spec),
      ips,
      object: w.object,
    });
  }
  const externals = externalBlocks(policies, workloads.length);
  return {
    namespaces,
    endpoints: [...workloads, ...externals],
    workloads,
    externals,
    policies,
    services,
  };
}

function containerPorts(spec: Record<string, unknown>): ContainerPort[] {
  const out: ContainerPort[] = [];
  const lists = [spec.containers];
  // Native sidecars (init containers that keep running) serve traffic too.
  if (Array.isArray(spec.initContainers))
    lists.push(spec.initContainers.filter((c) => isRecord(c) && c.restartPolicy === 'Always'));
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isRecord(c) || !Array.isArray(c.ports)) continue;
      for (const p of c.ports) {
        if (!isRecord(p)) continue;
        const port = Number(p.containerPort);
        if (!Number.isInteger(port) || port < MIN_PORT || port > MAX_PORT) continue;
        const protocol = p.protocol === undefined ? 'TCP' : p.protocol;
        if (!isProtocol(protocol)) continue;
        const cp: ContainerPort = { port, protocol };
        if (typeof p.name === 'string' && p.name !== '') cp.name = p.name;
        out.push(cp);
      }
    }
  }
  return out;
}

const SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$/;

class PolicyError extends Error {
  readonly path: FieldPath;
  constructor(path: FieldPath, message: string) {
    super(message);
    this.path = path;
  }
}

/** Validate one NetworkPolicy as the API server would; `undefined` (and an error) when it would refuse it. */
export function parsePolicy(
  o: K8sObject,
  defaultNamespace: string,
  onError: (e: ManifestError) => void,
): Policy | undefined {
  const namespace = o.metadata.namespace ?? defaultNamespace;
  const key = `${namespace}/${o.metadata.name}`;
  try {
    const spec = o.raw.spec;
    if (!isRecord(spec)) throw new PolicyError(['spec'], 'has no spec');
    if (!('podSelector' in spec) || spec.podSelector === null)
      throw new PolicyError(['spec'], 'spec.podSelector is missing (use {} to select every pod)');
    const podSelector = selectorAt(spec.podSelector, ['spec', 'podSelector']);
    let types: string[];
    if (spec.policyTypes === undefined || spec.policyTypes === null) {
      // The API default: Ingress always, Egress when there are egress rules.
      types = ['Ingress'];
      if (Array.isArray(spec.egress) && spec.egress.length > 0) types.push('Egress');
    } else {
      if (!Array.isArray(spec.policyTypes)) throw new PolicyError(['spec', 'policyTypes'], 'policyTypes is not a list');
      types = [];
      for (const [i, t] of spec.policyTypes.entries()) {
        if (t !== 'Ingress' && t !== 'Egress')
          throw new PolicyError(['spec', 'policyTypes', i], `unknown policy type "${String(t)}"`);
        types.push(t);
      }
    }
    const rules = (dir: 'ingress' | 'egress'): Rule[] => {
      const v = spec[dir];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) throw new PolicyError(['spec', dir], `${dir} is not a list`);
      return v.map((r, i) => parseRule(o, dir, r, i));
    };
    const ingress = rules('ingress');
    const egress = rules('egress');
    return {
      namespace,
      name: o.metadata.name,
      key,
      podSelector,
      ingress: types.includes('Ingress') ? ingress : undefined,
      egress: types.includes('Egress') ? egress : undefined,
      object: o,
    };
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    onError({
      file: o.file,
      line: o.pathLine(e.path) ?? o.startLine,
      code: 'INPUT_INVALID',
      message: `NetworkPolicy ${key}: ${e.message}; policy ignored`,
    });
    return undefined;
  }
}

function selectorAt(v: unknown, path: FieldPath): Selector {
  const s = parseSelector(v);
  if (typeof s === 'string') throw new PolicyError(path, `${path.join('.')}: ${s}`);
  return s;
}

function parseRule(o: K8sObject, dir: 'ingress' | 'egress', r: unknown, index: number): Rule {
  const base: FieldPath = ['spec', dir, index];
  if (r === null || r === undefined)
    return { direction: dir, index, peers: undefined, ports: undefined, line: o.pathLine(base) };
  if (!isRecord(r)) throw new PolicyError(base, `${dir}[${index}] is not an object`);
  const peerField = dir === 'ingress' ? 'from' : 'to';
  let peers: Peer[] | undefined;
  const pv = r[peerField];
  if (pv !== undefined && pv !== null) {
    if (!Array.isArray(pv)) throw new PolicyError([...base, peerField], `${dir}[${index}].${peerField} is not a list`);
    if (pv.length > 0) peers = pv.map((p, j) => parsePeer(o, p, [...base, peerField, j]));
  }
  let ports: PortSpec[] | undefined;
  if (r.ports !== undefined && r.ports !== null) {
    if (!Array.isArray(r.ports)) throw new PolicyError([...base, 'ports'], `${dir}[${index}].ports is not a list`);
    if (r.ports.length > 0) ports = r.ports.map((p, j) => parsePort(o, p, [...base, 'ports', j]));
  }
  return { direction: dir, index, peers, ports, line: o.pathLine(base) };
}

function parsePeer(o: K8sObject, p: unknown, path: FieldPath): Peer {
  const where = path
    .slice(1)
    .join('.')
    .replace(/\.(\d+)/g, '[$1]');
  if (!isRecord(p)) throw new PolicyError(path, `${where} is not an object`);
  const hasPod = p.podSelector !== undefined && p.podSelector !== null;
  const hasNs = p.namespaceSelector !== undefined && p.namespaceSelector !== null;
  const hasIp = p.ipBlock !== undefined && p.ipBlock !== null;
  const line = o.pathLine(path);
  if (hasIp) {
    if (hasPod || hasNs) throw new PolicyError(path, `${where}: ipBlock cannot be combined with selectors`);
    const b = p.ipBlock;
    if (!isRecord(b) || typeof b.cidr !== 'string')
      throw new PolicyError([...path, 'ipBlock'], `${where}.ipBlock has no cidr`);
    const cidr = parseCidr(b.cidr);
    if (typeof cidr === 'string') throw new PolicyError([...path, 'ipBlock', 'cidr'], `${where}.ipBlock.cidr: ${cidr}`);
    const except: Cidr[] = [];
    if (b.except !== undefined && b.except !== null) {
      if (!Array.isArray(b.except))
        throw new PolicyError([...path, 'ipBlock', 'except'], `${where}.ipBlock.except is not a list`);
      for (const [k, e] of b.except.entries()) {
        const at = [...path, 'ipBlock', 'except', k];
        const c = typeof e === 'string' ? parseCidr(e) : `"${String(e)}" is not a CIDR`;
        if (typeof c === 'string') throw new PolicyError(at, `${where}.ipBlock.except[${k}]: ${c}`);
        if (!contains(cidr, c) || (c.lo === cidr.lo && c.hi === cidr.hi))
          throw new PolicyError(at, `${where}.ipBlock.except[${k}]: ${c.text} is not strictly inside ${cidr.text}`);
        except.push(c);
      }
    }
    return { type: 'ipBlock', cidr, except, line };
  }
  if (!hasPod && !hasNs)
    throw new PolicyError(path, `${where}: a peer needs podSelector, namespaceSelector or ipBlock`);
  return {
    type: 'pods',
    podSelector: hasPod ? selectorAt(p.podSelector, [...path, 'podSelector']) : undefined,
    namespaceSelector: hasNs ? selectorAt(p.namespaceSelector, [...path, 'namespaceSelector']) : undefined,
    line,
  };
}

function parsePort(o: K8sObject, p: unknown, path: FieldPath): PortSpec {
  const where = path
    .slice(1)
    .join('.')
    .replace(/\.(\d+)/g, '[$1]');
  if (!isRecord(p)) throw new PolicyError(path, `${where} is not an object`);
  const protocol = p.protocol === undefined || p.protocol === null ? 'TCP' : p.protocol;
  if (!isProtocol(protocol))
    throw new PolicyError([...path, 'protocol'], `${where}: unknown protocol "${String(protocol)}" (TCP, UDP or SCTP)`);
  let port: number | string | undefined;
  if (p.port !== undefined && p.port !== null) {
    if (typeof p.port === 'number') {
      if (!Number.isInteger(p.port) || p.port < MIN_PORT || p.port > MAX_PORT)
        throw new PolicyError([...path, 'port'], `${where}: port ${p.port} is not between 1 and 65535`);
      port = p.port;
    } else if (typeof p.port === 'string') {
      if (/^\d+$/.test(p.port))
        throw new PolicyError([...path, 'port'], `${where}: port "${p.port}" is a number in quotes`);
      if (!SVC_NAME.test(p.port))
        throw new PolicyError([...path, 'port'], `${where}: "${p.port}" is not a valid port name`);
      port = p.port;
    } else throw new PolicyError([...path, 'port'], `${where}: port is neither a number nor a name`);
  }
  let endPort: number | undefined;
  if (p.endPort !== undefined && p.endPort !== null) {
    if (typeof port !== 'number') throw new PolicyError([...path, 'endPort'], `${where}: endPort needs a numeric port`);
    if (typeof p.endPort !== 'number' || !Number.isInteger(p.endPort) || p.endPort < port || p.endPort > MAX_PORT)
      throw new PolicyError([...path, 'endPort'], `${where}: endPort must be between port (${port}) and 65535`);
    endPort = p.endPort;
  }
  return { protocol, port, endPort, line: o.pathLine(path) };
}

/**
 * Split the address space by every ipBlock boundary, then merge the pieces that every ipBlock peer
 * treats alike: `0.0.0.0/0` becomes e.g. `10.0.0.0/8` and `0.0.0.0/0 except 10.0.0.0/8`.
 */
function externalBlocks(policies: readonly Policy[], firstId: number): ExternalEndpoint[] {
  const blocks: { cidr: Cidr; except: readonly Cidr[] }[] = [];
  for (const p of policies)
    for (const r of [...(p.ingress ?? []), ...(p.egress ?? [])])
      for (const peer of r.peers ?? []) if (peer.type === 'ipBlock') blocks.push(peer);
  const families: Family[] = [4];
  if (blocks.some((b) => b.cidr.family === 6)) families.push(6);
  const out: ExternalEndpoint[] = [];
  for (const family of families) {
    const all = universe(family);
    const known: Cidr[] = [all];
    for (const b of blocks) if (b.cidr.family === family) known.push(b.cidr, ...b.except);
    const cuts = new Set<bigint>([0n, all.hi + 1n]);
    for (const c of known) cuts.add(c.lo).add(c.hi + 1n);
    const points = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const fam = blocks.filter((b) => b.cidr.family === family);
    const groups = new Map<string, { lo: bigint; hi: bigint }[]>();
    for (let i = 0; i + 1 < points.length; i++) {
      const lo = points[i] as bigint;
      const hi = (points[i + 1] as bigint) - 1n;
      const rep = { family, value: lo };
      const sig = fam
        .map((b) => (containsIp(b.cidr, rep) && !b.except.some((e) => containsIp(e, rep)) ? '1' : '0'))
        .join('');
      const g = groups.get(sig) ?? [];
      g.push({ lo, hi });
      groups.set(sig, g);
    }
    for (const intervals of groups.values()) {
      out.push({
        id: firstId + out.length,
        key: describeBlock(family, intervals, known),
        type: 'external',
        family,
        intervals,
        public: intervals.some((i) => hasPublicAddress({ family, ...i })),
      });
    }
  }
  return out
    .sort((a, b) => a.family - b.family || (a.intervals[0]!.lo < b.intervals[0]!.lo ? -1 : 1))
    .map((e, i) => ({ ...e, id: firstId + i }));
}

function describeBlock(
  family: Family,
  intervals: readonly { lo: bigint; hi: bigint }[],
  known: readonly Cidr[],
): string {
  const merged: { lo: bigint; hi: bigint }[] = [];
  for (const i of [...intervals].sort((a, b) => (a.lo < b.lo ? -1 : 1))) {
    const last = merged.at(-1);
    if (last && last.hi + 1n === i.lo) last.hi = i.hi;
    else merged.push({ ...i });
  }
  if (merged.length === 1) {
    const cidrs = rangeToCidrs(family, merged[0]!.lo, merged[0]!.hi);
    if (cidrs.length === 1) return cidrs[0]!.text;
  }
  const lo = merged[0]!.lo;
  const hi = merged.at(-1)!.hi;
  const container = known
    .filter((c) => c.family === family && c.lo <= lo && c.hi >= hi)
    .sort((a, b) => (a.hi - a.lo < b.hi - b.lo ? -1 : 1))[0] as Cidr;
  const inClass = (c: Cidr): boolean => merged.some((m) => !(c.hi < m.lo || c.lo > m.hi));
  const excepts = known.filter(
    (c) => c.family === family && contains(container, c) && c.text !== container.text && !inClass(c),
  );
  const maximal = excepts.filter((c) => !excepts.some((d) => d !== c && d.text !== c.text && contains(d, c)));
  const uniq = [...new Set(maximal.map((c) => c.text))];
  return uniq.length === 0 ? container.text : `${container.text} except ${uniq.join(',')}`;
}
