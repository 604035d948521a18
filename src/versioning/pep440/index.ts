import { compare as pepCompare, satisfies as pepSatisfies, valid as pepValid } from '@renovatebot/pep440';
import { invalidVersion, MAX_CONSTRAINT_CHARS, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/** Python package versions (PEP 440) through `@renovatebot/pep440`. */
export const id = 'pep440';

const validity = new ParseCache<boolean>();
const compared = new ParseCache<number>();

function valid(v: string): boolean {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return false;
  return validity.get(v, (k) => pepValid(k) !== null);
}

export const pep440: Versioning = {
  id,
  isValid: valid,
  compare(a: string, b: string): number {
    if (!valid(a)) throw invalidVersion(id, a);
    if (!valid(b)) throw invalidVersion(id, b);
    // The library parses both strings on every call; records compare the same pairs repeatedly.
    return compared.get(`${a}\u0000${b}`, () => pepCompare(a, b));
  },
  /**
   * PEP 440 specifiers (`>=1.0,<2.0`, `~=1.4.2`, `==1.*`, `!=1.3`). Pre-releases are included: the
   * installed version is a fact to test, not a candidate pip would choose, so `2.0a1` is `<3`.
   */
  satisfies(version: string, constraint: string): boolean {
    if (!valid(version) || typeof constraint !== 'string' || constraint.length > MAX_CONSTRAINT_CHARS) return false;
    try {
      return pepSatisfies(version, constraint, { prereleases: true });
    } catch {
      return false;
    }
  },
};
