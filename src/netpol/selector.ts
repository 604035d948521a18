/** Kubernetes label selectors (`matchLabels` + `matchExpressions`), compiled once and matched often. */

export interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: readonly string[];
}

export interface Selector {
  matchLabels: Readonly<Record<string, string>>;
  expressions: readonly Requirement[];
}

/** Whether the selector is `{}` (selects everything). */
export function isEmptySelector(s: Selector): boolean {
  return Object.keys(s.matchLabels).length === 0 && s.expressions.length === 0;
}

/** Parse a LabelSelector; returns an error message (without location) for malformed ones. */
export function parseSelector(v: unknown): Selector | string {
  if (v === null || v === undefined) return { matchLabels: {}, expressions: [] };
  if (typeof v !== 'object' || Array.isArray(v)) return 'label selector is not an object';
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== 'matchLabels' && k !== 'matchExpressions') return `unknown label selector field "${k}"`;
  const matchLabels: Record<string, string> = {};
  if (o.matchLabels !== undefined && o.matchLabels !== null) {
    if (typeof o.matchLabels !== 'object' || Array.isArray(o.matchLabels)) return 'matchLabels is not a map';
    for (const [k, val] of Object.entries(o.matchLabels)) {
      if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean')
        return `matchLabels.${k} is not a string`;
      matchLabels[k] = String(val);
    }
  }
  const expressions: Requirement[] = [];
  if (o.matchExpressions !== undefined && o.matchExpressions !== null) {
    if (!Array.isArray(o.matchExpressions)) return 'matchExpressions is not a list';
    for (const [i, e] of o.matchExpressions.entries()) {
      if (typeof e !== 'object' || e === null) return `matchExpressions[${i}] is not an object`;
      const r = e as Record<string, unknown>;
      if (typeof r.key !== 'string' || r.key === '') return `matchExpressions[${i}] has no key`;
      const op = r.operator;
      if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist')
        return `matchExpressions[${i}]: unknown operator "${String(op)}"`;
      const values = Array.isArray(r.values) ? r.values.map(String) : [];
      if ((op === 'In' || op === 'NotIn') && values.length === 0)
        return `matchExpressions[${i}]: operator ${op} needs values`;
      if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0)
        return `matchExpressions[${i}]: operator ${op} takes no values`;
      expressions.push({ key: r.key, operator: op, values });
    }
  }
  return { matchLabels, expressions };
}

export function matchesSelector(s: Selector, labels: Readonly<Record<string, string>>): boolean {
  for (const k in s.matchLabels) if (labels[k] !== s.matchLabels[k]) return false;
  for (const r of s.expressions) {
    const has = Object.hasOwn(labels, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !r.values.includes(labels[r.key] as string)) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(labels[r.key] as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** `app=web,tier in (a,b)` for explanations. */
export function formatSelector(s: Selector): string {
  const parts = Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of s.expressions) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${r.values.join(',')})`);
  }
  return parts.length === 0 ? '{}' : parts.join(',');
}
