import { BollardError } from '../../util/errors.ts';
import { SEVERITIES, type Severity, type VulnFinding } from '../types.ts';

/**
 * Parse `--severity` values: comma-separated words (`HIGH,CRITICAL`), case-insensitive, repeatable.
 * Unknown words are one USAGE error naming them and the valid ones. The result is in SEVERITIES order
 * without duplicates.
 */
export function parseSeverities(input: string | readonly string[]): Severity[] {
  const words = (typeof input === 'string' ? [input] : input)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (words.length === 0) {
    throw new BollardError('USAGE', `--severity needs at least one of ${SEVERITIES.join(', ')}`);
  }
  const wanted = new Set<Severity>();
  const unknown: string[] = [];
  for (const w of words) {
    const upper = w.toUpperCase();
    const found = SEVERITIES.find((s) => s === upper);
    if (found) wanted.add(found);
    else unknown.push(w.slice(0, 40));
  }
  if (unknown.length > 0) {
    throw new BollardError(
      'USAGE',
      `unknown severity ${unknown.map((u) => `"${u}"`).join(', ')} (use ${SEVERITIES.join(', ')})`,
    );
  }
  return SEVERITIES.filter((s) => wanted.has(s));
}

/** Findings whose severity is in the list; an empty list keeps everything. */
export function filterBySeverity(findings: readonly VulnFinding[], severities: readonly Severity[]): VulnFinding[] {
  if (severities.length === 0) return [...findings];
  const keep = new Set(severities);
  return findings.filter((f) => keep.has(f.severity));
}
