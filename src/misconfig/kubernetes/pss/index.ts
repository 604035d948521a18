import type { Severity } from '../../../detect/types.ts';
import type { K8sObject } from '../../../k8s/manifests.ts';
import { podTemplateOf } from '../../../k8s/workloads.ts';
import { BollardError } from '../../../util/errors.ts';
import { type CheckOutcome, outcome, type RulePack, skipped } from '../../types.ts';
import type { KubeCheck, KubeInput } from '../input.ts';
import { violationAt } from '../input.ts';
import {
  type PodInput,
  PSS_CHECKS,
  PSS_LATEST_MINOR,
  type PssCheckDef,
  type PssLevel,
  resolveChecks,
} from './checks.ts';

export { type PodInput, PSS_CHECKS, PSS_LATEST_MINOR, type PssLevel, resolveChecks } from './checks.ts';

export const id = 'pss';

const SEVERITY: Record<string, Severity> = {
  privileged: 'HIGH',
  hostNamespaces: 'HIGH',
  hostPathVolumes: 'HIGH',
  capabilities_baseline: 'HIGH',
  windowsHostProcess: 'HIGH',
  procMount: 'HIGH',
  restrictedVolumes: 'MEDIUM',
  allowPrivilegeEscalation: 'MEDIUM',
  runAsNonRoot: 'MEDIUM',
  runAsUser: 'MEDIUM',
  seccompProfile_restricted: 'LOW',
  capabilities_restricted: 'LOW',
  procMount_restricted: 'MEDIUM',
};

const DOC = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';

/** `restricted`, `baseline@v1.25`, `restricted@latest`: level and policy minor version (clamped to the newest, as upstream). */
export function parsePssSpec(spec: string): { level: PssLevel; minor: number } {
  const m = /^(baseline|restricted)(?:@(latest|v?1\.(\d+)))?$/i.exec(spec.trim());
  if (!m) throw new BollardError('USAGE', `--pss ${spec}: expected baseline|restricted[@latest|@v1.N]`);
  const level = m[1]!.toLowerCase() as PssLevel;
  const minor = m[3] === undefined ? PSS_LATEST_MINOR : Math.min(Number(m[3]), PSS_LATEST_MINOR);
  return { level, minor };
}

/** Run every PSS check on one pod at a level and version: the raw evaluation, for tests and the API. */
export function evaluatePod(
  pod: { spec: Record<string, unknown>; annotations?: Record<string, string> },
  level: PssLevel,
  minor: number,
): { id: string; status: 'passed' | 'failed' | 'skipped'; messages: string[]; paths: string[] }[] {
  const input: PodInput = {
    spec: pod.spec,
    annotations: pod.annotations ?? {},
    specPath: ['spec'],
    metadataPath: ['metadata'],
  };
  return resolveChecks(level, minor).map((r) => {
    if (!r.impl) return { id: r.def.id, status: 'skipped' as const, messages: [r.reason ?? ''], paths: [] };
    const v = r.impl.check(input);
    return {
      id: r.def.id,
      status: v.length > 0 ? ('failed' as const) : ('passed' as const),
      messages: v.map((x) => x.message),
      paths: v.map((x) => x.path.join('.')),
    };
  });
}

function toCheck(def: PssCheckDef): KubeCheck {
  return {
    id: `BD-PSS-${def.id}`,
    aliases: [def.id],
    severity: SEVERITY[def.id] ?? (def.level === 'baseline' ? 'MEDIUM' : 'LOW'),
    title: def.title,
    remediation: def.remediation,
    controls: [def.level === 'baseline' ? 'PSS-baseline' : 'PSS-restricted'],
    references: [DOC],
    appliesTo: 'kubernetes',
    run(input: KubeInput): CheckOutcome {
      const resolved = resolveChecks(input.pss.level, input.pss.minor).find((r) => r.def.id === def.id);
      if (!resolved?.impl) return skipped(resolved?.reason ?? 'not applicable');
      const pods = podsOf(input.objects);
      if (pods.length === 0)
        return skipped(
          'no pod templates (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob)',
        );
      const violations = [];
      for (const { obj, pod } of pods)
        for (const v of resolved.impl.check(pod)) violations.push(violationAt(obj, v.path, v.message));
      return outcome(violations);
    },
  };
}

const podCache = new WeakMap<readonly K8sObject[], { obj: K8sObject; pod: PodInput }[]>();

/** Every object with a pod template, as the checks read it (cached per object list). */
export function podsOf(objects: readonly K8sObject[]): { obj: K8sObject; pod: PodInput }[] {
  let out = podCache.get(objects);
  if (out) return out;
  out = [];
  for (const obj of objects) {
    const t = podTemplateOf(obj);
    if (!t) continue;
    out.push({
      obj,
      pod: { spec: t.spec, annotations: t.metadata.annotations, specPath: t.path, metadataPath: t.metadataPath },
    });
  }
  podCache.set(objects, out);
  return out;
}

export const pssChecks: readonly KubeCheck[] = PSS_CHECKS.map(toCheck);
export const pssPack: RulePack<KubeInput> = { id, kind: 'kubernetes', checks: pssChecks };
