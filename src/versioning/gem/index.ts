import { eq, satisfies as gemSatisfies, valid as gemValid, gt } from '@renovatebot/ruby-semver';
import { invalidVersion, MAX_CONSTRAINT_CHARS, MAX_VERSION_CHARS, ParseCache } from '../shared.ts';
import type { Versioning } from '../types.ts';

/** RubyGems versions and requirements (Gem::Version, Gem::Requirement) through `@renovatebot/ruby-semver`. */
export const id = 'gem';

// Gem::Version's pattern allows surrounding whitespace; we do not, so that the string a record
// carries is the version compared.
const GEM_VERSION = /^[0-9]+(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

const validity = new ParseCache<boolean>();
const compared = new ParseCache<number>();

function valid(v: string): boolean {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_CHARS) return false;
  return validity.get(v, isGemValid);
}

export const gem: Versioning = {
  id,
  isValid: valid,
  compare(a: string, b: string): number {
    if (!valid(a)) throw invalidVersion(id, a);
    if (!valid(b)) throw invalidVersion(id, b);
    // ruby-semver parses both strings on every call; records compare the same pairs repeatedly.
    return compared.get(`${a}\u0000${b}`, () => (eq(a, b) ? 0 : gt(a, b) ? 1 : -1));
  },
  /** Gem requirements: comma-separated `= != > < >= <= ~>` clauses, all of which must hold. */
  satisfies(version: string, constraint: string): boolean {
    if (!valid(version) || typeof constraint !== 'string' || constraint.length > MAX_CONSTRAINT_CHARS) return false;
    try {
      return gemSatisfies(version, constraint);
    } catch {
      return false;
    }
  },
};

function isGemValid(k: string): boolean {
  return GEM_VERSION.test(k) && gemValid(k) !== null;
}
