import { type FieldRef, type FieldValue, resolveField } from '../events/fields.ts';
import type { AnyEvent, EventSourceName } from '../events/types.ts';

/**
 * Rule outputs: `%field` (with an optional `[arg]`) is replaced by the field's value, `<NA>` when
 * the event has none. Parsed once per rule; rendering walks the parts.
 */

export type OutputPart = string | FieldRef;

export interface CompiledOutput {
  parts: OutputPart[];
  /** Fields in order of first appearance (the keys of output_fields). */
  fields: FieldRef[];
  /** `%names` Bollard does not provide (rendered `<NA>`, reported by `bollard runtime rules`). */
  missing: string[];
}

const FIELD_AT = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?:\[[^\]\s]*\])?/;

export function compileOutput(template: string, source: EventSourceName): CompiledOutput {
  const parts: OutputPart[] = [];
  const fields: FieldRef[] = [];
  const seen = new Set<string>();
  const missing: string[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i] as string;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (template[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    const m = FIELD_AT.exec(template.slice(i + 1));
    if (!m) {
      lit += c;
      i++;
      continue;
    }
    const text = m[0];
    const br = text.indexOf('[');
    const name = br < 0 ? text : text.slice(0, br);
    const arg = br < 0 ? undefined : text.slice(br + 1, -1);
    const ref = resolveField(source, name, arg);
    if (lit) parts.push(lit);
    lit = '';
    if (ref === undefined || typeof ref === 'string') {
      if (!missing.includes(text)) missing.push(text);
      parts.push('<NA>');
    } else {
      parts.push(ref);
      if (!seen.has(ref.text)) {
        seen.add(ref.text);
        fields.push(ref);
      }
    }
    i += 1 + text.length;
  }
  if (lit) parts.push(lit);
  return { parts, fields, missing };
}

export function renderValue(v: FieldValue): string {
  if (v === undefined) return '<NA>';
  if (Array.isArray(v)) return `(${v.join(',')})`;
  return String(v);
}

export function renderOutput(out: CompiledOutput, e: AnyEvent): string {
  let s = '';
  for (const p of out.parts) s += typeof p === 'string' ? p : renderValue(p.get(e));
  return s;
}

/** JSON values of output_fields: numbers and booleans as such, lists as arrays, missing as null. */
export function outputFieldValues(fields: readonly FieldRef[], e: AnyEvent): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const v = f.get(e);
    o[f.text] = v === undefined ? null : v;
  }
  return o;
}
