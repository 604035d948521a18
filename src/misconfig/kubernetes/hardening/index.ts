/**
 * Kubernetes hardening checks from the NSA/CISA Kubernetes Hardening Guide and common practice:
 * resources, probes, image pinning and pull policy, service account tokens, the default namespace,
 * host mounts, Service exposure, read-only root filesystems, capabilities, plain-text secrets in env,
 * namespaces without NetworkPolicy, and sandboxed runtimes for workloads marked untrusted.
 */
import { posix } from 'node:path';
import type { Severity } from '../../../detect/types.ts';
import type { FieldPath, K8sObject } from '../../../k8s/manifests.ts';
import { podTemplateOf } from '../../../k8s/workloads.ts';
import { parseReference } from '../../../oci/reference.ts';
import { secretKind } from '../../dockerfile/rules-cis.ts';
import { type CheckOutcome, outcome, type RulePack, skipped, type Violation } from '../../types.ts';
import type { KubeCheck, KubeInput, UntrustedSelector } from '../input.ts';
import { violationAt } from '../input.ts';
import { type PodInput, podsOf } from '../pss/index.ts';

export const id = 'hardening';

const NSA =
  'https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface C {
  c: Obj;
  name: string;
  path: FieldPath;
  init: boolean;
}
/**
 * Containers of a pod: init containers, app containers, and (for checks on fields ephemeral
 * containers may set: image, pull policy, securityContext, env) ephemeral debug containers.
 */
function containersOf(pod: PodInput, withInit = true, withEphemeral = false): C[] {
  const out: C[] = [];
  const keys = withInit ? ['initContainers', 'containers'] : ['containers'];
  if (withEphemeral) keys.push('ephemeralContainers');
  for (const key of keys)
    arr(pod.spec[key]).forEach((c, i) => {
      if (isObj(c)) out.push({ c, name: str(c.name), path: [...pod.specPath, key, i], init: key === 'initContainers' });
    });
  return out;
}

function podCheck(
  meta: { id: string; severity: Severity; title: string; remediation: string; controls?: string[]; aliases?: string[] },
  fn: (obj: K8sObject, pod: PodInput, input: KubeInput) => Violation[],
  skip?: (input: KubeInput) => string | undefined,
): KubeCheck {
  return {
    id: meta.id,
    aliases: meta.aliases ?? [],
    severity: meta.severity,
    title: meta.title,
    remediation: meta.remediation,
    controls: meta.controls ?? ['NSA-CISA'],
    references: [NSA],
    appliesTo: 'kubernetes',
    run(input): CheckOutcome {
      const why = skip?.(input);
      if (why) return skipped(why);
      const pods = podsOf(input.objects);
      if (pods.length === 0) return skipped('no pod templates in this file');
      const out: Violation[] = [];
      for (const { obj, pod } of pods) out.push(...fn(obj, pod, input));
      return outcome(out);
    },
  };
}

/**
 * `name:tag@sha256:...` is pinned by digest; `name:tag` by a tag that is not `latest`; an untagged
 * name means `latest`. A reference that does not parse (a bad digest, an unrendered template) pins nothing.
 */
function imagePin(image: string): 'digest' | 'tag' | 'none' {
  let ref: ReturnType<typeof parseReference>;
  try {
    ref = parseReference(image);
  } catch {
    return 'none';
  }
  if (ref.digest !== undefined) return 'digest';
  return ref.tag === undefined || ref.tag === 'latest' ? 'none' : 'tag';
}

/** Windows pods may not set securityContext.readOnlyRootFilesystem or capabilities (API validation refuses them). */
function isWindowsPod(pod: PodInput): boolean {
  return isObj(pod.spec.os) && pod.spec.os.name === 'windows';
}

const SENSITIVE_HOST_PATHS = [
  '/',
  '/proc',
  '/sys',
  '/dev',
  '/etc',
  '/root',
  '/boot',
  '/var/run',
  '/run',
  '/var/run/docker.sock',
  '/run/containerd/containerd.sock',
  '/var/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/var/lib/kubelet',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/etc/kubernetes',
  '/var/log',
];

function sensitiveHostPath(p: string): boolean {
  // `/tmp/../proc` and `//var/run/` are the same host directories as `/proc` and `/var/run`.
  const n = posix.normalize(`/${p}`).replace(/\/+$/, '') || '/';
  return SENSITIVE_HOST_PATHS.some((s) => n === s || (s !== '/' && n.startsWith(`${s}/`))) || n.endsWith('.sock');
}

function matchesUntrusted(
  obj: K8sObject,
  pod: PodInput,
  sels: readonly UntrustedSelector[],
  podLabels: Record<string, string>,
): boolean {
  const ns = obj.metadata.namespace ?? 'default';
  return (
    sels.some((s) => {
      if (s.label) {
        const v = podLabels[s.label.key] ?? obj.metadata.labels[s.label.key];
        return v !== undefined && (s.label.value === undefined || s.label.value === v);
      }
      if (s.namespace !== undefined && s.namespace !== ns && s.namespace !== '*') return false;
      return s.name === undefined || s.name === obj.metadata.name;
    }) && pod !== undefined
  );
}

interface Index {
  serviceAccounts: Map<string, K8sObject>;
  /** Namespaces with a NetworkPolicy; `''` for NetworkPolicies given without a namespace. */
  netpolNamespaces: Set<string>;
  runtimeClasses: Map<string, K8sObject>;
}
const indexCache = new WeakMap<readonly K8sObject[], Index>();

/** Lookups across all objects, built once per run (checks run per file over the same list). */
function indexOf(all: readonly K8sObject[]): Index {
  let ix = indexCache.get(all);
  if (ix) return ix;
  ix = { serviceAccounts: new Map(), netpolNamespaces: new Set(), runtimeClasses: new Map() };
  for (const o of all) {
    const ns = o.metadata.namespace ?? 'default';
    if (o.kind === 'ServiceAccount') ix.serviceAccounts.set(`${ns}/${o.metadata.name}`, o);
    else if (o.kind === 'NetworkPolicy') ix.netpolNamespaces.add(o.metadata.namespace ?? '');
    else if (o.kind === 'RuntimeClass') ix.runtimeClasses.set(o.metadata.name, o);
  }
  indexCache.set(all, ix);
  return ix;
}

const SANDBOX_HANDLER = /(runsc|gvisor|kata)/i;

export const hardeningChecks: readonly KubeCheck[] = [
  podCheck(
    {
      id: 'BD-K8S-001',
      severity: 'MEDIUM',
      title: 'CPU and memory requests and limits are not set',
      remediation: 'Set resources.requests and resources.limits (cpu, memory) on every container',
    },
    (obj, pod) => {
      const out: Violation[] = [];
      // A request left out defaults to the limit; pod-level resources (spec.resources) bound every
      // container that sets none of its own.
      const set = (r: unknown, kind: string, res: string): boolean => {
        const x = isObj(r) ? r : {};
        const m = (k: string): Obj => (isObj(x[k]) ? (x[k] as Obj) : {});
        return m(kind)[res] !== undefined || (kind === 'requests' && m('limits')[res] !== undefined);
      };
      for (const c of containersOf(pod)) {
        const missing: string[] = [];
        for (const kind of ['requests', 'limits'])
          for (const res of ['cpu', 'memory'])
            if (!set(c.c.resources, kind, res) && !set(pod.spec.resources, kind, res)) missing.push(`${kind}.${res}`);
        if (missing.length > 0)
          out.push(violationAt(obj, [...c.path, 'resources'], `container "${c.name}" has no ${missing.join(', ')}`));
      }
      return out;
    },
  ),
  podCheck(
    {
      id: 'BD-K8S-002',
      severity: 'LOW',
      title: 'Liveness or readiness probe missing',
      remediation: 'Add livenessProbe and readinessProbe to long-running containers',
    },
    (obj, pod) => {
      // Jobs and pods that are not restarted run to completion: probes make no sense there.
      if (obj.kind === 'Job' || obj.kind === 'CronJob') return [];
      if (pod.spec.restartPolicy === 'Never' || pod.spec.restartPolicy === 'OnFailure') return [];
      const out: Violation[] = [];
      // Sidecars (init containers with restartPolicy: Always) run alongside the app and take probes.
      const sidecars = containersOf(pod).filter((c) => c.init && c.c.restartPolicy === 'Always');
      for (const c of [...sidecars, ...containersOf(pod, false)]) {
        const missing = ['livenessProbe', 'readinessProbe'].filter((p) => c.c[p] === undefined);
        if (missing.length > 0)
          out.push(violationAt(obj, c.path, `container "${c.name}" has no ${missing.join(' or ')}`));
      }
      return out;
    },
  ),
  podCheck(
    {
      id: 'BD-K8S-003',
      severity: 'MEDIUM',
      title: 'Image not pinned by digest or tag (untagged or :latest)',
      remediation: 'Reference images as name:tag@sha256:digest',
    },
    (obj, pod) =>
      containersOf(pod, true, true)
        .filter((c) => imagePin(str(c.c.image)) === 'none')
        .map((c) =>
          violationAt(obj, [...c.path, 'image'], `container "${c.name}" uses ${str(c.c.image) || 'no image'}`),
        ),
  ),
  podCheck(
    {
      id: 'BD-K8S-004',
      severity: 'LOW',
      title: 'imagePullPolicy is not Always for an image not pinned by digest',
      remediation: 'Pin by digest, or set imagePullPolicy: Always so a moved tag is noticed',
    },
    (obj, pod) => {
      const out: Violation[] = [];
      for (const c of containersOf(pod, true, true)) {
        const pin = imagePin(str(c.c.image));
        if (pin === 'digest') continue;
        // Kubernetes defaults the policy to Always for `:latest` and untagged images, else IfNotPresent.
        const given = str(c.c.imagePullPolicy);
        const policy = given || (pin === 'none' ? 'Always' : 'IfNotPresent');
        if (policy === 'Always') continue;
        out.push(
          violationAt(
            obj,
            [...c.path, given ? 'imagePullPolicy' : 'image'],
            `container "${c.name}" pulls ${str(c.c.image)} with policy ${policy}${given ? '' : ' (default)'}`,
          ),
        );
      }
      return out;
    },
  ),
  podCheck(
    {
      id: 'BD-K8S-005',
      severity: 'MEDIUM',
      title: 'Service account token automatically mounted',
      remediation:
        'Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it talks to the API',
    },
    (obj, pod, input) => {
      if (pod.spec.automountServiceAccountToken === false) return [];
      // `serviceAccount` is the deprecated spelling Kubernetes still reads.
      const saName = str(pod.spec.serviceAccountName) || str(pod.spec.serviceAccount) || 'default';
      const ns = obj.metadata.namespace ?? 'default';
      const sa = indexOf(input.allObjects).serviceAccounts.get(`${ns}/${saName}`);
      if (pod.spec.automountServiceAccountToken === undefined && sa?.raw.automountServiceAccountToken === false)
        return [];
      return [
        violationAt(
          obj,
          [...pod.specPath, 'automountServiceAccountToken'],
          `pods mount the token of service account ${saName}`,
        ),
      ];
    },
  ),
  podCheck(
    {
      id: 'BD-K8S-006',
      severity: 'LOW',
      title: 'Workload in the default namespace',
      remediation: 'Deploy workloads in a dedicated namespace',
    },
    (obj) =>
      obj.metadata.namespace === 'default'
        ? [violationAt(obj, ['metadata', 'namespace'], `${obj.kind} ${obj.metadata.name} is in the default namespace`)]
        : [],
  ),
  podCheck(
    {
      id: 'BD-K8S-007',
      severity: 'HIGH',
      title: 'hostPath volume (sensitive host paths: container runtime sockets, /proc, /var/run, /)',
      remediation: 'Do not mount host paths; use persistent volumes, and never the container runtime socket',
    },
    (obj, pod) => {
      const out: Violation[] = [];
      arr(pod.spec.volumes).forEach((v, i) => {
        if (!isObj(v) || !isObj(v.hostPath)) return;
        const p = str(v.hostPath.path);
        out.push(
          violationAt(
            obj,
            [...pod.specPath, 'volumes', i, 'hostPath', 'path'],
            sensitiveHostPath(p)
              ? `volume "${str(v.name)}" mounts sensitive host path ${p}`
              : `volume "${str(v.name)}" mounts host path ${p}`,
          ),
        );
      });
      return out;
    },
  ),
  {
    id: 'BD-K8S-008',
    aliases: [],
    severity: 'MEDIUM',
    title: 'Service exposed with NodePort or LoadBalancer',
    remediation: 'Use ClusterIP behind an ingress or gateway; restrict loadBalancerSourceRanges',
    controls: ['NSA-CISA'],
    references: [NSA],
    appliesTo: 'kubernetes',
    run(input) {
      const svcs = input.objects.filter((o) => o.kind === 'Service');
      if (svcs.length === 0) return skipped('no Services in this file');
      const out: Violation[] = [];
      for (const s of svcs) {
        const spec = isObj(s.raw.spec) ? s.raw.spec : {};
        const t = str(spec.type);
        if (t === 'NodePort')
          out.push(violationAt(s, ['spec', 'type'], `Service ${s.metadata.name} opens a port on every node`));
        if (t === 'LoadBalancer' && arr(spec.loadBalancerSourceRanges).length === 0)
          out.push(
            violationAt(
              s,
              ['spec', 'type'],
              `Service ${s.metadata.name} is a LoadBalancer without loadBalancerSourceRanges`,
            ),
          );
      }
      return outcome(out);
    },
  },
  podCheck(
    {
      id: 'BD-K8S-009',
      severity: 'LOW',
      title: 'Root filesystem is writable',
      remediation: 'Set securityContext.readOnlyRootFilesystem: true and mount emptyDir where writes are needed',
    },
    (obj, pod) =>
      (isWindowsPod(pod) ? [] : containersOf(pod, true, true))
        .filter((c) => !isObj(c.c.securityContext) || c.c.securityContext.readOnlyRootFilesystem !== true)
        .map((c) =>
          violationAt(
            obj,
            [...c.path, 'securityContext', 'readOnlyRootFilesystem'],
            `container "${c.name}" has a writable root filesystem`,
          ),
        ),
  ),
  podCheck(
    {
      id: 'BD-K8S-010',
      severity: 'LOW',
      title: 'Capabilities not dropped',
      remediation: 'Set securityContext.capabilities.drop: ["ALL"] and add back only what is needed',
    },
    (obj, pod) =>
      (isWindowsPod(pod) ? [] : containersOf(pod, true, true))
        .filter((c) => {
          const sc = isObj(c.c.securityContext) ? c.c.securityContext : {};
          const caps = isObj(sc.capabilities) ? sc.capabilities : {};
          return !arr(caps.drop).some((d) => d === 'ALL' || d === 'all');
        })
        .map((c) =>
          violationAt(
            obj,
            [...c.path, 'securityContext', 'capabilities', 'drop'],
            `container "${c.name}" keeps the default capabilities`,
          ),
        ),
  ),
  podCheck(
    {
      id: 'BD-K8S-011',
      severity: 'HIGH',
      title: 'Secret in a plain environment value',
      remediation: 'Take secrets from a Secret with valueFrom.secretKeyRef (or a mounted file)',
    },
    (obj, pod) => {
      const out: Violation[] = [];
      for (const c of containersOf(pod, true, true)) {
        arr(c.c.env).forEach((e, i) => {
          if (!isObj(e) || typeof e.value !== 'string') return;
          // `$(OTHER_VAR)` is Kubernetes' reference to another variable (which may come from a Secret).
          if (/^\$\([A-Za-z_][A-Za-z0-9_.-]*\)$/.test(e.value.trim())) return;
          const kind = secretKind(str(e.name), e.value);
          if (kind)
            out.push(
              violationAt(
                obj,
                [...c.path, 'env', i, 'value'],
                `container "${c.name}" env ${str(e.name)} holds a ${kind}`,
              ),
            );
        });
      }
      return out;
    },
  ),
  {
    id: 'BD-K8S-012',
    aliases: [],
    severity: 'MEDIUM',
    title: 'Namespace without any NetworkPolicy',
    remediation: 'Add a default-deny NetworkPolicy to the namespace and allow only needed traffic',
    controls: ['NSA-CISA'],
    references: [NSA],
    appliesTo: 'kubernetes',
    run(input): CheckOutcome {
      const pods = podsOf(input.objects);
      if (pods.length === 0) return skipped('no pod templates in this file');
      const covered = indexOf(input.allObjects).netpolNamespaces;
      const out: Violation[] = [];
      const unknown: string[] = [];
      for (const { obj } of pods) {
        // Objects without a namespace land wherever they are applied: only NetworkPolicies given
        // without a namespace are known to land there too.
        const ns = obj.metadata.namespace;
        if (covered.has(ns ?? '')) continue;
        if (ns === undefined) unknown.push(`${obj.kind} ${obj.metadata.name}`);
        else out.push(violationAt(obj, ['metadata'], `no NetworkPolicy in namespace ${ns} among the given manifests`));
      }
      if (out.length === 0 && unknown.length > 0)
        return skipped(
          `${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''} set no metadata.namespace, so the NetworkPolicies of the namespace they are applied to are unknown; set the namespace or give its NetworkPolicies`,
        );
      return outcome(out);
    },
  },
  podCheck(
    {
      id: 'BD-K8S-013',
      severity: 'HIGH',
      title: 'Untrusted workload without a sandboxed RuntimeClass (gVisor, Kata)',
      remediation: 'Set runtimeClassName to a RuntimeClass whose handler is runsc (gVisor) or kata',
    },
    (obj, pod, input) => {
      const t = podsLabels(obj, pod);
      if (!matchesUntrusted(obj, pod, input.untrusted, t)) return [];
      const rc = str(pod.spec.runtimeClassName);
      if (rc !== '') {
        const def = indexOf(input.allObjects).runtimeClasses.get(rc);
        const handler = def ? str(def.raw.handler) : rc;
        if (SANDBOX_HANDLER.test(handler)) return [];
        return [
          violationAt(
            obj,
            [...pod.specPath, 'runtimeClassName'],
            `untrusted workload runs with RuntimeClass ${rc} (handler ${handler})`,
          ),
        ];
      }
      return [
        violationAt(
          obj,
          [...pod.specPath, 'runtimeClassName'],
          'untrusted workload runs without a sandboxed RuntimeClass',
        ),
      ];
    },
    (input) => (input.untrusted.length === 0 ? 'no workloads marked untrusted (--untrusted)' : undefined),
  ),
];

/** The pod template's labels (CronJobs keep theirs under spec.jobTemplate.spec.template). */
function podsLabels(obj: K8sObject, _pod: PodInput): Record<string, string> {
  return podTemplateOf(obj)?.metadata.labels ?? {};
}

export const hardeningPack: RulePack<KubeInput> = { id, kind: 'kubernetes', checks: hardeningChecks };
