import type { Severity } from '../detect/types.ts';
import type { MisconfigFinding } from '../report/types.ts';
import type { CheckMeta, CheckOutcome } from './types.ts';

export interface FindingBase {
  file?: string;
  resource?: { kind: string; namespace?: string; name: string };
  /** Lines of the whole input, used for passed/skipped results and violations without a line. */
  startLine?: number;
  endLine?: number;
}

/** Turn one check's outcome into findings: one per violation, or one passed/skipped entry. */
export function toFindings(check: CheckMeta, out: CheckOutcome, base: FindingBase): MisconfigFinding[] {
  const common = {
    checkId: check.id,
    aliases: [...check.aliases],
    severity: check.severity,
    title: check.title,
    remediation: check.remediation,
    controls: [...check.controls],
    references: [...check.references],
  };
  const where = (startLine?: number, endLine?: number, file = base.file) => ({
    ...(file !== undefined ? { file } : {}),
    ...(startLine !== undefined ? { startLine, endLine: endLine ?? startLine } : {}),
  });
  if (out.status === 'passed')
    return [
      {
        ...common,
        status: 'passed',
        message: check.title,
        ...(base.resource ? { resource: base.resource } : {}),
        ...where(base.startLine, base.endLine),
      },
    ];
  if (out.status === 'skipped' || out.status === 'error')
    return [
      {
        ...common,
        status: out.status,
        message: check.title,
        reason: out.reason,
        ...(base.resource ? { resource: base.resource } : {}),
        ...where(base.startLine, base.endLine),
      },
    ];
  return out.violations.map((v) => {
    const resource = v.resource ?? base.resource;
    return {
      ...common,
      status: 'failed' as const,
      message: v.message,
      ...(resource ? { resource } : {}),
      ...where(v.startLine ?? base.startLine, v.endLine ?? v.startLine ?? base.endLine, v.file ?? base.file),
      ...(v.fieldPath !== undefined ? { fieldPath: v.fieldPath } : {}),
    };
  });
}

const ORDER: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4 };

/** Failed first, by severity, then file order. */
export function sortFindings(f: MisconfigFinding[]): MisconfigFinding[] {
  const st = { failed: 0, error: 1, skipped: 2, passed: 3 } as const;
  return f.sort(
    (a, b) =>
      st[a.status] - st[b.status] ||
      ORDER[a.severity] - ORDER[b.severity] ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.startLine ?? 0) - (b.startLine ?? 0) ||
      a.checkId.localeCompare(b.checkId),
  );
}

/** Counts of failed, unsuppressed findings by severity. */
export function summarise(findings: readonly MisconfigFinding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
  for (const f of findings) if (f.status === 'failed' && !f.suppressed) out[f.severity]++;
  return out;
}
