import { BollardError } from '../util/errors.ts';

/**
 * Longest version string any module accepts. Real versions are far shorter (Debian's longest are
 * around 100 characters); the bound keeps hostile records from costing more than a linear scan.
 */
export const MAX_VERSION_CHARS = 256;

/** Longest constraint string `satisfies` parses (npm ranges and Maven range lists can be long). */
export const MAX_CONSTRAINT_CHARS = 4096;

/** The error every `compare` throws for an argument that fails `isValid`. */
export function invalidVersion(id: string, v: string): BollardError {
  const shown = v.length > 64 ? `${v.slice(0, 64)}...` : v;
  return new BollardError('INPUT_INVALID', `${id}: not a valid version: ${JSON.stringify(shown)}`, {
    details: { versioning: id },
  });
}

/** Normalise a comparator result to -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compare two strings of ASCII digits numerically without converting (no precision limit). */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Plain code-unit comparison (what C's strcmp and Java's String.compareTo do on ASCII). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A small memo for parsed versions: matching 10,000 packages against their records parses the
 * same few strings many times. Cleared whole when full, which keeps it O(1) and bounded.
 */
export class ParseCache<T> {
  readonly #max: number;
  readonly #map = new Map<string, T>();

  constructor(max = 65_536) {
    this.#max = max;
  }

  get(key: string, parse: (k: string) => T): T {
    const hit = this.#map.get(key);
    if (hit !== undefined) return hit;
    const v = parse(key);
    if (this.#map.size >= this.#max) this.#map.clear();
    this.#map.set(key, v);
    return v;
  }
}
