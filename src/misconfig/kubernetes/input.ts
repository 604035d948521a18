import type { FieldPath, K8sObject } from '../../k8s/manifests.ts';
import type { Check, Violation } from '../types.ts';
import type { PssLevel } from './pss/checks.ts';

/** What Kubernetes checks read: the objects of one file, with every object given for cross-object checks. */
export interface KubeInput {
  objects: readonly K8sObject[];
  /** Every object loaded (all files): NetworkPolicies, RuntimeClasses and RBAC live elsewhere. */
  allObjects: readonly K8sObject[];
  pss: { level: PssLevel; minor: number };
  /** Workloads the user marks untrusted (need a sandboxed RuntimeClass). */
  untrusted: UntrustedSelector[];
}

export type KubeCheck = Check<KubeInput>;

/** `--untrusted ns/name`, `--untrusted ns/*`, `--untrusted label=value` (on the pod template or object). */
export interface UntrustedSelector {
  namespace?: string;
  name?: string;
  label?: { key: string; value?: string };
}

export function parseUntrusted(spec: string): UntrustedSelector {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.includes('/')) return { label: { key: spec.slice(0, eq), value: spec.slice(eq + 1) } };
  const slash = spec.indexOf('/');
  if (slash < 0) return { namespace: spec };
  const ns = spec.slice(0, slash);
  const name = spec.slice(slash + 1);
  return { namespace: ns, ...(name !== '*' && name !== '' ? { name } : {}) };
}

/** `spec.template.spec.containers[0].securityContext.privileged`; keys with dots or slashes are quoted. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (isIdentifier(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** `^[A-Za-z_][A-Za-z0-9_-]*$` without a regular expression (called for every segment of every finding). */
function isIdentifier(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    if (!letter && (i === 0 || !((c >= 0x30 && c <= 0x39) || c === 0x2d))) return false;
  }
  return true;
}

/** The line of a field, or of its nearest present ancestor (a missing field points at its parent). */
export function lineOf(obj: K8sObject, path: FieldPath): number {
  return obj.nearestLine(path);
}

export function resourceOf(obj: K8sObject): { kind: string; namespace?: string; name: string } {
  return {
    kind: obj.kind,
    name: obj.metadata.name,
    ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}),
  };
}

/** A violation at a field of an object: resource, field path and exact line. */
export function violationAt(obj: K8sObject, path: FieldPath, message: string): Violation {
  const line = lineOf(obj, path);
  return { message, startLine: line, endLine: line, fieldPath: formatPath(path), resource: resourceOf(obj) };
}
