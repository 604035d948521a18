/**
 * Pod templates of every workload kind, and the grouping of a cluster dump's objects into workloads:
 * a Pod owned by a ReplicaSet owned by a Deployment reads as the Deployment, so results say
 * `ns/deployment` rather than `ns/web-7d9f8-x2x9q`.
 */
import { type FieldPath, isRecord, type K8sObject } from './manifests.ts';

export type WorkloadKind =
  | 'Pod'
  | 'Deployment'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'ReplicaSet'
  | 'ReplicationController'
  | 'Job'
  | 'CronJob';

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
];

export interface PodTemplate {
  /** The pod spec (`containers`, `initContainers`, `hostNetwork`...), as plain JS; `{}` when absent. */
  spec: Record<string, unknown>;
  /** The pod template's metadata (for a Pod: the Pod's own). */
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  /** Field path of `spec` inside the object, for `obj.pathLine([...path, 'containers', 0, 'image'])`. */
  path: FieldPath;
  /** Field path of the template's metadata (labels live at `[...metadataPath, 'labels']`). */
  metadataPath: FieldPath;
}

const TEMPLATE_PATHS: Record<WorkloadKind, { spec: FieldPath; metadata: FieldPath }> = {
  Pod: { spec: ['spec'], metadata: ['metadata'] },
  Deployment: { spec: ['spec', 'template', 'spec'], metadata: ['spec', 'template', 'metadata'] },
  StatefulSet: { spec: ['spec', 'template', 'spec'], metadata: ['spec', 'template', 'metadata'] },
  DaemonSet: { spec: ['spec', 'template', 'spec'], metadata: ['spec', 'template', 'metadata'] },
  ReplicaSet: { spec: ['spec', 'template', 'spec'], metadata: ['spec', 'template', 'metadata'] },
  ReplicationController: { spec: ['spec', 'template', 'spec'], metadata: ['spec', 'template', 'metadata'] },
  Job: { spec: ['spec', 'template', 'spec'], metadata: ['spec', 'template', 'metadata'] },
  CronJob: {
    spec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    metadata: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
  },
};

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return Object.hasOwn(TEMPLATE_PATHS, kind);
}

/** The pod template of a workload object, or `undefined` for other kinds. */
export function podTemplateOf(obj: Pick<K8sObject, 'kind' | 'raw'>): PodTemplate | undefined {
  if (!isWorkloadKind(obj.kind)) return undefined;
  const paths = TEMPLATE_PATHS[obj.kind];
  const spec = at(obj.raw, paths.spec);
  const md = at(obj.raw, paths.metadata);
  return {
    spec: isRecord(spec) ? spec : {},
    metadata: {
      labels: strings(isRecord(md) ? md.labels : undefined),
      annotations: strings(isRecord(md) ? md.annotations : undefined),
    },
    path: paths.spec,
    metadataPath: paths.metadata,
  };
}

/** `ns/name` (the namespace defaults to `default`, as kubectl applies it). */
export function workloadKey(obj: Pick<K8sObject, 'metadata'>, defaultNamespace = 'default'): string {
  return `${obj.metadata.namespace ?? defaultNamespace}/${obj.metadata.name}`;
}

export interface Workload {
  /** `ns/name`; `ns/kind/name` when two workloads of different kinds share a name in one namespace. */
  key: string;
  namespace: string;
  name: string;
  kind: WorkloadKind;
  /** The top-level object (the Deployment for its ReplicaSets and Pods). */
  object: K8sObject;
  template: PodTemplate;
  /** Objects folded into this workload (owned ReplicaSets, Jobs and Pods of a dump). */
  members: K8sObject[];
  /** `status.podIP(s)` of the workload's Pods, when the dump carries them. */
  podIPs: string[];
}

/**
 * Group workload objects: Pods, ReplicaSets and Jobs whose owner (by `ownerReferences`, or by the
 * `<deployment>-<pod-template-hash>` naming when the ReplicaSet is absent) is in the input fold into it.
 */
export function workloadsOf(objects: readonly K8sObject[], defaultNamespace = 'default'): Workload[] {
  const byId = new Map<string, K8sObject>();
  const wl = objects.filter((o) => isWorkloadKind(o.kind));
  const id = (ns: string, kind: string, name: string): string => `${ns}\u0000${kind}\u0000${name}`;
  for (const o of wl) byId.set(id(o.metadata.namespace ?? defaultNamespace, o.kind, o.metadata.name), o);
  const rootOf = (o: K8sObject): K8sObject => {
    let cur = o;
    for (let hops = 0; hops < 4; hops++) {
      const ns = cur.metadata.namespace ?? defaultNamespace;
      const owner = controllerOf(cur);
      let next: K8sObject | undefined;
      if (owner) next = byId.get(id(ns, owner.kind, owner.name));
      if (!next && owner?.kind === 'ReplicaSet') {
        // The ReplicaSet may be missing from the dump: `web-7d9f8c` belongs to Deployment `web`.
        const hash = cur.metadata.labels['pod-template-hash'];
        const dep = hash && owner.name.endsWith(`-${hash}`) ? owner.name.slice(0, -hash.length - 1) : undefined;
        if (dep) next = byId.get(id(ns, 'Deployment', dep));
      }
      if (!next && owner?.kind === 'Job') {
        // CronJob-made Jobs are `<cronjob>-<scheduled minute>`.
        const m = /^(.*)-\d+$/.exec(owner.name);
        if (m?.[1]) next = byId.get(id(ns, 'CronJob', m[1]));
      }
      if (!next || !isWorkloadKind(next.kind)) return cur;
      cur = next;
    }
    return cur;
  };
  const groups = new Map<K8sObject, K8sObject[]>();
  for (const o of wl) {
    const root = rootOf(o);
    const g = groups.get(root) ?? [];
    if (root !== o) g.push(o);
    groups.set(root, g);
  }
  const out: Workload[] = [];
  const nameCount = new Map<string, number>();
  for (const root of groups.keys()) {
    const k = workloadKey(root, defaultNamespace);
    nameCount.set(k, (nameCount.get(k) ?? 0) + 1);
  }
  for (const [root, members] of groups) {
    const ns = root.metadata.namespace ?? defaultNamespace;
    const k = workloadKey(root, defaultNamespace);
    const podIPs = new Set<string>();
    for (const m of [root, ...members]) for (const ip of podIPsOf(m)) podIPs.add(ip);
    out.push({
      key: (nameCount.get(k) ?? 0) > 1 ? `${ns}/${root.kind.toLowerCase()}/${root.metadata.name}` : k,
      namespace: ns,
      name: root.metadata.name,
      kind: root.kind as WorkloadKind,
      object: root,
      template: podTemplateOf(root) as PodTemplate,
      members,
      podIPs: [...podIPs],
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function controllerOf(o: K8sObject): { kind: string; name: string } | undefined {
  const refs = isRecord(o.raw.metadata) ? o.raw.metadata.ownerReferences : undefined;
  if (!Array.isArray(refs)) return undefined;
  const all = refs.filter(
    (r): r is { kind: string; name: string; controller?: unknown } =>
      isRecord(r) && typeof r.kind === 'string' && typeof r.name === 'string',
  );
  return all.find((r) => r.controller === true) ?? all[0];
}

function podIPsOf(o: K8sObject): string[] {
  if (o.kind !== 'Pod' || !isRecord(o.raw.status)) return [];
  const st = o.raw.status;
  const ips = new Set<string>();
  if (typeof st.podIP === 'string' && st.podIP !== '') ips.add(st.podIP);
  if (Array.isArray(st.podIPs))
    for (const p of st.podIPs) if (isRecord(p) && typeof p.ip === 'string' && p.ip !== '') ips.add(p.ip);
  return [...ips];
}

function at(v: unknown, path: FieldPath): unknown {
  let cur = v;
  for (const seg of path) {
    if (typeof seg === 'number') cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isRecord(cur) ? cur[seg] : undefined;
  }
  return cur;
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, val] of Object.entries(v))
    if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  return out;
}
