import type { Severity } from '../detect/types.ts';

/** What a check reads: a Dockerfile, an image's config + files, Kubernetes objects, or an RBAC model. */
export type CheckInputKind = 'dockerfile' | 'image-config' | 'kubernetes' | 'rbac';

/** One problem a failed check found: where it is and what it is. */
export interface Violation {
  message: string;
  /** 1-based lines in the source file, when the input has a source. */
  startLine?: number;
  endLine?: number;
  /** Field path inside a resource (`spec.containers[0].securityContext.privileged`). */
  fieldPath?: string;
  /** The file the violation is about when the input is not one file (an image path for image checks). */
  file?: string;
  /** The resource the violation is in (Kubernetes objects). */
  resource?: { kind: string; namespace?: string; name: string };
}

/** Every run ends in one of these: "not evaluated" is never shown as "passed". */
export type CheckOutcome =
  | { status: 'passed' }
  | { status: 'failed'; violations: Violation[] }
  | { status: 'skipped'; reason: string }
  /** The check could not be evaluated (a policy expression failed at run time). */
  | { status: 'error'; reason: string };

/** The metadata a finding carries, shared by every kind of check. */
export interface CheckMeta {
  /** Bollard id (`BD-DF-008`, `BD-K8S-PSS-privileged`). */
  id: string;
  /** Other names accepted wherever ids are: DL codes, CIS ids (`CIS-DI-4.1`), PSS ids (`privileged`). */
  aliases: string[];
  severity: Severity;
  title: string;
  remediation: string;
  /** Framework controls (`CIS-Docker-4.1`, `PSS-baseline`, `NSA-CISA`) for compliance reports. */
  controls: string[];
  references: string[];
}

export interface Check<I> extends CheckMeta {
  appliesTo: CheckInputKind;
  /** Opt-in checks (hadolint's ignored-by-default rules) are reported as skipped unless enabled. */
  optIn?: boolean;
  run(input: I): CheckOutcome;
}

/** A rule pack: the checks for one kind of input, listed explicitly in `api.ts`. */
export interface RulePack<I> {
  id: string;
  kind: CheckInputKind;
  checks: readonly Check<I>[];
}

export const passed: CheckOutcome = { status: 'passed' };

export function skipped(reason: string): CheckOutcome {
  return { status: 'skipped', reason };
}

/** `failed` when there are violations, else `passed`. */
export function outcome(violations: Violation[]): CheckOutcome {
  return violations.length > 0 ? { status: 'failed', violations } : passed;
}

/** Does `name` (an id or any alias, case-insensitive) name this check? */
export function checkMatches(check: CheckMeta, name: string): boolean {
  const n = name.trim().toUpperCase();
  if (check.id.toUpperCase() === n) return true;
  for (const a of check.aliases) if (a.toUpperCase() === n) return true;
  return false;
}
