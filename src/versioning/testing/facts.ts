import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Versioning } from '../types.ts';

/** The upstream fact files copied into `src/versioning/__fixtures__/facts/` (tests never read /work/shared). */
export function loadFacts<T>(name: string): T[] {
  const data: unknown = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '__fixtures__', 'facts', name), 'utf8'),
  );
  assert.ok(Array.isArray(data), `${name} is a JSON array`);
  return data as T[];
}

/** A module's own fact table (`<module>/__fixtures__/facts.json`). */
export function loadOwnFacts(dir: string): {
  compare: [string, string, number][];
  satisfies: [string, string, boolean][];
} {
  return JSON.parse(readFileSync(join(dir, '__fixtures__', 'facts.json'), 'utf8'));
}

/** Every `[a, b, sign]` fact through `compare`; returns the disagreements, to assert on once. */
export function compareMismatches(
  compare: (a: string, b: string) => number,
  facts: [string, string, number][],
): string[] {
  const bad: string[] = [];
  for (const [a, b, expected] of facts) {
    const got = Math.sign(compare(a, b));
    if (got !== expected) bad.push(`${a} vs ${b}: expected ${expected}, got ${got}`);
  }
  return bad;
}

/** Every `[version, constraint, expected]` fact through `satisfies`. */
export function satisfiesMismatches(v: Versioning, facts: [string, string, boolean][]): string[] {
  const bad: string[] = [];
  for (const [version, constraint, expected] of facts) {
    const got = v.satisfies?.(version, constraint);
    if (got !== expected) bad.push(`${version} in ${JSON.stringify(constraint)}: expected ${expected}, got ${got}`);
  }
  return bad;
}
