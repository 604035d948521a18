import { readFileSync } from 'node:fs';
import type { Severity } from '../detect/types.ts';
import type { LicenseNode } from '../sbom/license.ts';
import { BollardError } from '../util/errors.ts';
import { parseYamlBounded } from '../util/yaml.ts';
import { categoryOf } from './category.ts';
import { normalizeLicense } from './normalize.ts';
import type { LicenseCategory, LicensePolicyAction } from './types.ts';

/**
 * A licence policy (`--license-policy FILE`, YAML):
 *
 * ```yaml
 * forbidden: [network-copyleft, SSPL-1.0]     # fails the build with --exit-code
 * restricted: [strong-copyleft, GPL-2.0-only] # reported, needs review
 * allowed: [permissive, weak-copyleft]
 * unknown: restricted                         # licences that do not normalise (default: restricted)
 * ignore-packages: [base-files]               # packages left out of the check
 * ```
 *
 * Entries are SPDX ids (matched case-insensitively after normalisation) or category names; an id
 * entry wins over a category entry.
 */
export interface LicensePolicy {
  ids: Map<string, LicensePolicyAction>;
  categories: Map<LicenseCategory, LicensePolicyAction>;
  unknown: LicensePolicyAction | 'unlisted';
  ignorePackages: Set<string>;
}

export type LicenseVerdict = LicensePolicyAction | 'unlisted';

const CATEGORIES: readonly LicenseCategory[] = [
  'permissive',
  'weak-copyleft',
  'strong-copyleft',
  'network-copyleft',
  'proprietary',
  'unknown',
];
const ACTIONS: readonly LicensePolicyAction[] = ['forbidden', 'restricted', 'allowed'];
const KEYS = new Set([...ACTIONS, 'unknown', 'ignore-packages']);

export function parseLicensePolicy(text: string | Buffer, what = 'licence policy'): LicensePolicy {
  const doc = parseYamlBounded(text, { what, maxBytes: 1024 * 1024 });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new BollardError('INPUT_INVALID', `${what}: expected a mapping with forbidden, restricted, allowed`);
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!KEYS.has(k)) throw new BollardError('INPUT_INVALID', `${what}: unknown key "${k}"`);
  const policy: LicensePolicy = {
    ids: new Map(),
    categories: new Map(),
    unknown: 'restricted',
    ignorePackages: new Set(),
  };
  for (const action of ACTIONS) {
    const list = d[action] ?? [];
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))
      throw new BollardError('INPUT_INVALID', `${what}: ${action} must be a list of licence ids or categories`);
    for (const entry of list as string[]) {
      const e = entry.trim();
      if (CATEGORIES.includes(e as LicenseCategory)) {
        policy.categories.set(e as LicenseCategory, action);
        continue;
      }
      // One licence, possibly with its exception (`GPL-2.0-only WITH Classpath-exception-2.0`).
      const node = normalizeLicense(e).node;
      const id =
        node?.kind === 'license' || node?.kind === 'ref'
          ? leafId(node)
          : node?.kind === 'with'
            ? `${leafId(node.license)} with ${node.exception}`
            : undefined;
      if (!id)
        throw new BollardError(
          'INPUT_INVALID',
          `${what}: ${action}: "${e}" is neither an SPDX licence id nor a category`,
        );
      policy.ids.set(id.toLowerCase(), action);
    }
  }
  if (d.unknown !== undefined) {
    if (typeof d.unknown !== 'string' || ![...ACTIONS, 'unlisted'].includes(d.unknown))
      throw new BollardError('INPUT_INVALID', `${what}: unknown must be forbidden, restricted, allowed or unlisted`);
    policy.unknown = d.unknown as LicenseVerdict;
  }
  const ignore = d['ignore-packages'] ?? [];
  if (!Array.isArray(ignore) || ignore.some((x) => typeof x !== 'string'))
    throw new BollardError('INPUT_INVALID', `${what}: ignore-packages must be a list of package names`);
  for (const p of ignore as string[]) policy.ignorePackages.add(p);
  return policy;
}

export function loadLicensePolicy(path: string): LicensePolicy {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BollardError(code === 'ENOENT' ? 'TARGET_NOT_FOUND' : 'IO', `${path}: cannot read licence policy`);
  }
  return parseLicensePolicy(text, path);
}

const WORST: Record<LicenseVerdict, number> = { allowed: 0, unlisted: 1, restricted: 2, forbidden: 3 };

function verdictOfLeaf(policy: LicensePolicy, id: string, node: LicenseNode): LicenseVerdict {
  const byId = policy.ids.get(id.toLowerCase());
  if (byId) return byId;
  return policy.categories.get(categoryOf(node)) ?? 'unlisted';
}

/** The verdict on an expression: all of an AND must pass (worst wins), one of an OR suffices (best wins). */
export function evaluatePolicy(policy: LicensePolicy, node: LicenseNode | undefined): LicenseVerdict {
  if (!node) return policy.unknown;
  switch (node.kind) {
    case 'license':
      return verdictOfLeaf(policy, node.orLater ? `${node.id}+` : node.id, node);
    case 'ref':
      return verdictOfLeaf(policy, node.ref, node);
    case 'with': {
      // An id listed with its exception (`GPL-2.0-only WITH Classpath-exception-2.0`) or the licence itself.
      const whole = policy.ids.get(`${leafId(node.license)} with ${node.exception}`.toLowerCase());
      return whole ?? policy.categories.get(categoryOf(node)) ?? evaluatePolicy(policy, node.license);
    }
    case 'and':
      return node.args.map((a) => evaluatePolicy(policy, a)).reduce((a, b) => (WORST[b] > WORST[a] ? b : a));
    case 'or':
      return node.args.map((a) => evaluatePolicy(policy, a)).reduce((a, b) => (WORST[b] < WORST[a] ? b : a));
  }
}

function leafId(n: LicenseNode): string {
  return n.kind === 'license' ? (n.orLater ? `${n.id}+` : n.id) : n.kind === 'ref' ? n.ref : '';
}

/** Severity of a finding: from the policy verdict when there is a policy, else from the category. */
export function licenseSeverity(category: LicenseCategory, verdict: LicenseVerdict | undefined): Severity {
  if (verdict !== undefined) {
    if (verdict === 'forbidden') return 'CRITICAL';
    if (verdict === 'restricted') return 'HIGH';
    if (verdict === 'unlisted') return 'MEDIUM';
    return 'LOW';
  }
  switch (category) {
    case 'network-copyleft':
    case 'proprietary':
      return 'HIGH';
    case 'strong-copyleft':
      return 'MEDIUM';
    case 'weak-copyleft':
    case 'permissive':
      return 'LOW';
    case 'unknown':
      return 'UNKNOWN';
  }
}
