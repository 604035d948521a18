import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { referenceName } from '../../oci/reference.ts';
import { BollardError } from '../../util/errors.ts';
import { asNumber, asString, isRecord } from '../../util/json.ts';
import { parseYamlBounded } from '../../util/yaml.ts';
import { predicateTypeOf, verifyResolvedAttestations } from '../attest/index.ts';
import { parseTrustedRoot } from '../bundle/index.ts';
import { type RegistryContext, verifyResolvedImage } from '../cosign/index.ts';
import { keyId, loadPublicKey } from '../keys/index.ts';
import { type ResolvedImage, resolveImage } from '../oci.ts';
import type { VerificationAuthority } from '../types.ts';

/**
 * Trust policy: which images must be signed, by whom, and which attestations they must carry. One
 * YAML file (see docs/signing.md); the first rule whose `images` globs match decides. Every check
 * is reported with its outcome and reason, so a denial explains itself.
 */

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';
const SEVERITY_ORDER: readonly Severity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

export interface AttestationRequirement {
  name: string;
  predicateType: string;
  /** Newest acceptable age in milliseconds. */
  maxAgeMs?: number;
  /** Highest severity allowed among findings of a vulnerability attestation. */
  maxSeverity?: Severity;
  authorities: VerificationAuthority[];
}

export interface PolicyRule {
  name: string;
  images: string[];
  action: 'verify' | 'allow' | 'deny';
  signatures?: {
    threshold: number;
    authorities: VerificationAuthority[];
    annotations: Record<string, string>;
  };
  attestations: AttestationRequirement[];
}

export interface TrustPolicy {
  file: string;
  defaultAction: 'allow' | 'deny';
  rules: PolicyRule[];
}

const MAX_POLICY_BYTES = 1024 * 1024;

/** Read and validate a policy file; key and trusted-root paths are relative to the file. */
export function loadPolicy(file: string): TrustPolicy {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (e) {
    throw new BollardError('TARGET_NOT_FOUND', `policy ${file}: ${(e as Error).message}`);
  }
  return parsePolicy(text, file);
}

export function parsePolicy(text: Buffer | string, file: string): TrustPolicy {
  const doc = parseYamlBounded(text, { what: `policy ${file}`, maxBytes: MAX_POLICY_BYTES });
  const bad = (where: string, why: string): BollardError =>
    new BollardError('INPUT_INVALID', `policy ${file}: ${where}: ${why}`);
  if (!isRecord(doc)) throw bad('document', 'expected a mapping with "rules"');
  if (doc.kind !== undefined && doc.kind !== 'TrustPolicy') throw bad('kind', 'expected TrustPolicy');
  const base = dirname(resolve(file));
  const rootCache = new Map<string, ReturnType<typeof parseTrustedRoot>>();
  const readRoot = (p: string, where: string) => {
    const full = resolve(base, p);
    let r = rootCache.get(full);
    if (!r) {
      try {
        r = parseTrustedRoot(readFileSync(full), `trusted root ${p}`);
      } catch (e) {
        if (e instanceof BollardError) throw bad(where, e.message);
        throw bad(where, `cannot read trusted root ${p}: ${(e as Error).message}`);
      }
      rootCache.set(full, r);
    }
    return r;
  };
  const defaultRoot = asString(doc.trustedRoot);
  const authorities = (v: unknown, where: string): VerificationAuthority[] => {
    if (!Array.isArray(v) || v.length === 0) throw bad(where, 'expected a non-empty list of authorities');
    return v.map((a, i): VerificationAuthority => {
      const w = `${where}[${i}]`;
      if (!isRecord(a)) throw bad(w, 'expected a mapping');
      const name = asString(a.name) ?? w;
      if (typeof a.key === 'string') {
        let key: ReturnType<typeof loadPublicKey>;
        try {
          key = loadPublicKey(readFileSync(resolve(base, a.key)), `key ${a.key}`);
        } catch (e) {
          throw bad(w, e instanceof BollardError ? e.message : `cannot read key ${a.key}: ${(e as Error).message}`);
        }
        return { kind: 'key', name, key, keyId: keyId(key) };
      }
      if (isRecord(a.keyless)) {
        const k = a.keyless;
        const rootPath = asString(k.trustedRoot) ?? defaultRoot;
        if (!rootPath) throw bad(w, 'keyless needs trustedRoot (here or at the top of the policy)');
        const out: VerificationAuthority = { kind: 'keyless', name, trustedRoot: readRoot(rootPath, w) };
        for (const f of ['identity', 'identityRegexp', 'issuer', 'issuerRegexp'] as const) {
          const s = asString(k[f]);
          if (s !== undefined) out[f] = s;
        }
        if (out.identity === undefined && out.identityRegexp === undefined) {
          throw bad(w, 'keyless needs identity or identityRegexp (anyone could otherwise sign)');
        }
        if (out.issuer === undefined && out.issuerRegexp === undefined)
          throw bad(w, 'keyless needs issuer or issuerRegexp');
        return out;
      }
      throw bad(w, 'an authority is { key: FILE } or { keyless: { identity, issuer, trustedRoot } }');
    });
  };
  if (!Array.isArray(doc.rules)) throw bad('rules', 'expected a list');
  const rules = doc.rules.map((r, i): PolicyRule => {
    const where = `rules[${i}]`;
    if (!isRecord(r)) throw bad(where, 'expected a mapping');
    const name = asString(r.name) ?? where;
    const images = Array.isArray(r.images) ? r.images.filter((x): x is string => typeof x === 'string') : [];
    if (images.length === 0) throw bad(`${where}.images`, 'expected a list of image globs');
    const action = r.action ?? 'verify';
    if (action !== 'verify' && action !== 'allow' && action !== 'deny')
      throw bad(`${where}.action`, 'expected verify, allow or deny');
    const rule: PolicyRule = { name, images, action, attestations: [] };
    if (r.signatures !== undefined) {
      if (!isRecord(r.signatures)) throw bad(`${where}.signatures`, 'expected a mapping');
      const s = r.signatures;
      const auths = authorities(s.authorities, `${where}.signatures.authorities`);
      const threshold = asNumber(s.threshold) ?? 1;
      if (!Number.isInteger(threshold) || threshold < 1 || threshold > auths.length) {
        throw bad(`${where}.signatures.threshold`, `expected 1..${auths.length}`);
      }
      const annotations: Record<string, string> = {};
      if (isRecord(s.annotations)) for (const [k, v] of Object.entries(s.annotations)) annotations[k] = String(v);
      rule.signatures = { threshold, authorities: auths, annotations };
    }
    if (r.attestations !== undefined) {
      if (!Array.isArray(r.attestations)) throw bad(`${where}.attestations`, 'expected a list');
      rule.attestations = r.attestations.map((a, j): AttestationRequirement => {
        const w = `${where}.attestations[${j}]`;
        if (!isRecord(a) || typeof a.type !== 'string') throw bad(w, 'expected a mapping with type');
        let predicateType: string;
        try {
          predicateType = predicateTypeOf(a.type);
        } catch (e) {
          throw bad(w, (e as Error).message);
        }
        const req: AttestationRequirement = {
          name: asString(a.name) ?? a.type,
          predicateType,
          authorities:
            a.authorities !== undefined
              ? authorities(a.authorities, `${w}.authorities`)
              : (rule.signatures?.authorities ?? []),
        };
        if (req.authorities.length === 0) throw bad(w, 'needs authorities (or signatures.authorities on the rule)');
        if (a.maxAge !== undefined) {
          const ms = parseAge(String(a.maxAge));
          if (ms === undefined) throw bad(`${w}.maxAge`, 'expected a duration such as 7d, 12h, 30m');
          req.maxAgeMs = ms;
        }
        if (a.maxSeverity !== undefined) {
          const sev = String(a.maxSeverity).toUpperCase();
          if (!SEVERITY_ORDER.includes(sev as Severity))
            throw bad(`${w}.maxSeverity`, 'expected LOW, MEDIUM, HIGH or CRITICAL');
          req.maxSeverity = sev as Severity;
        }
        return req;
      });
    }
    if (rule.action === 'verify' && !rule.signatures && rule.attestations.length === 0) {
      throw bad(where, 'a verify rule needs signatures or attestations (use action: allow to admit without checks)');
    }
    return rule;
  });
  const defaults = isRecord(doc.defaults) ? doc.defaults : {};
  const defaultAction = defaults.action ?? 'deny';
  if (defaultAction !== 'allow' && defaultAction !== 'deny') throw bad('defaults.action', 'expected allow or deny');
  return { file, defaultAction, rules };
}

export interface PolicyCheck {
  name: string;
  status: 'passed' | 'failed';
  reason: string;
}

export interface PolicyVerdict {
  image: string;
  digest: string;
  allowed: boolean;
  rule: string | undefined;
  checks: PolicyCheck[];
}

/** Evaluate the policy for one image: the first matching rule decides, every check is explained. */
export async function evaluatePolicy(
  policy: TrustPolicy,
  input: string,
  o: RegistryContext & { now?: Date },
): Promise<PolicyVerdict> {
  const image = await resolveImage(o.client, input, o.limits, o.signal);
  const name = referenceName(image.reference);
  const rule = policy.rules.find((r) => r.images.some((g) => globMatch(g, name)));
  const base = { image: `${name}@${image.digest}`, digest: image.digest };
  if (!rule) {
    const allowed = policy.defaultAction === 'allow';
    return {
      ...base,
      allowed,
      rule: undefined,
      checks: [
        {
          name: 'default',
          status: allowed ? 'passed' : 'failed',
          reason: `no rule matches ${name}; the default is ${policy.defaultAction}`,
        },
      ],
    };
  }
  if (rule.action !== 'verify') {
    const allowed = rule.action === 'allow';
    return {
      ...base,
      allowed,
      rule: rule.name,
      checks: [
        {
          name: rule.name,
          status: allowed ? 'passed' : 'failed',
          reason: `rule ${rule.name} ${rule.action}s ${name} without checks`,
        },
      ],
    };
  }
  const checks: PolicyCheck[] = [];
  if (rule.signatures) checks.push(await signatureCheck(image, rule.signatures, o));
  for (const req of rule.attestations) checks.push(await attestationCheck(image, req, o));
  return { ...base, allowed: checks.every((c) => c.status === 'passed'), rule: rule.name, checks };
}

async function signatureCheck(
  image: ResolvedImage,
  s: NonNullable<PolicyRule['signatures']>,
  o: RegistryContext,
): Promise<PolicyCheck> {
  const signedBy: string[] = [];
  const reasons: string[] = [];
  for (const a of s.authorities) {
    const v = await verifyResolvedImage(image, { ...o, authorities: [a], annotations: s.annotations });
    if (v.verified) signedBy.push(a.name);
    else if (v.signatures.length === 0) reasons.push(`${a.name}: no signatures found`);
    else reasons.push(`${a.name}: ${[...new Set(v.signatures.map((x) => x.reason))].join('; ')}`);
  }
  const ok = signedBy.length >= s.threshold;
  return {
    name: 'signatures',
    status: ok ? 'passed' : 'failed',
    reason: ok
      ? `signed by ${signedBy.join(', ')} (${signedBy.length} of ${s.authorities.length}, ${s.threshold} required)`
      : `${signedBy.length} of ${s.threshold} required signers verified${reasons.length ? `: ${reasons.join(' | ')}` : ''}`,
  };
}

async function attestationCheck(
  image: ResolvedImage,
  req: AttestationRequirement,
  o: RegistryContext & { now?: Date },
): Promise<PolicyCheck> {
  const name = `attestation ${req.name}`;
  const v = await verifyResolvedAttestations(image, {
    ...o,
    authorities: req.authorities,
    predicateType: req.predicateType,
  });
  const verified = v.attestations.filter((a) => a.verified && a.statement);
  if (verified.length === 0) {
    const why = v.attestations.map((a) => a.reason).filter(Boolean);
    return {
      name,
      status: 'failed',
      reason: `no verified ${req.predicateType} attestation${why.length ? `: ${[...new Set(why)].join('; ')}` : ''}`,
    };
  }
  const now = (o.now ?? new Date()).getTime();
  const problems: string[] = [];
  for (const a of verified) {
    const predicate = a.statement?.predicate;
    const when = predicateTime(predicate);
    if (req.maxAgeMs !== undefined) {
      if (when === undefined) {
        problems.push('no time in the attestation to judge its age');
        continue;
      }
      const age = now - when.getTime();
      if (age > req.maxAgeMs) {
        problems.push(`made ${formatAge(age)} ago (${when.toISOString()}), older than ${formatAge(req.maxAgeMs)}`);
        continue;
      }
    }
    if (req.maxSeverity !== undefined) {
      const counts = severityCounts(predicate);
      if (!counts) {
        problems.push('cannot read finding counts from the predicate');
        continue;
      }
      const limit = SEVERITY_ORDER.indexOf(req.maxSeverity);
      const over = SEVERITY_ORDER.filter((s, i) => i > limit && (counts[s] ?? 0) > 0);
      if (over.length > 0) {
        problems.push(`findings above ${req.maxSeverity}: ${over.map((s) => `${counts[s]} ${s}`).join(', ')}`);
        continue;
      }
    }
    return {
      name,
      status: 'passed',
      reason: `${a.predicateType} attestation by ${a.signer}${when ? ` from ${when.toISOString()}` : ''}`,
    };
  }
  return { name, status: 'failed', reason: [...new Set(problems)].join('; ') };
}

/** The time an attestation's predicate says it was made (scan end, SBOM timestamp, custom Timestamp). */
export function predicateTime(p: unknown): Date | undefined {
  if (!isRecord(p)) return undefined;
  const candidates = [
    isRecord(p.metadata) ? p.metadata.scanFinishedOn : undefined,
    isRecord(p.metadata) ? p.metadata.timestamp : undefined,
    isRecord(p.creationInfo) ? p.creationInfo.created : undefined,
    p.Timestamp,
    p.timestamp,
  ];
  for (const c of candidates) {
    if (typeof c === 'string' && !Number.isNaN(Date.parse(c))) return new Date(c);
  }
  return undefined;
}

/** Finding counts by severity in a vulnerability predicate: Bollard reports (summary) or Trivy JSON (Results). */
export function severityCounts(p: unknown): Partial<Record<Severity, number>> | undefined {
  const result = isRecord(p) && isRecord(p.scanner) ? p.scanner.result : p;
  if (!isRecord(result)) return undefined;
  if (isRecord(result.summary)) {
    const out: Partial<Record<Severity, number>> = {};
    for (const s of SEVERITY_ORDER) {
      const n = asNumber(result.summary[s]);
      if (n !== undefined) out[s] = n;
    }
    return out;
  }
  if (Array.isArray(result.Results)) {
    const out: Partial<Record<Severity, number>> = {};
    for (const r of result.Results) {
      if (!isRecord(r) || !Array.isArray(r.Vulnerabilities)) continue;
      for (const v of r.Vulnerabilities) {
        const s = isRecord(v) ? String(v.Severity ?? 'UNKNOWN').toUpperCase() : 'UNKNOWN';
        const sev = (SEVERITY_ORDER.includes(s as Severity) ? s : 'UNKNOWN') as Severity;
        out[sev] = (out[sev] ?? 0) + 1;
      }
    }
    return out;
  }
  return undefined;
}

/** Globs over `registry/repository`: `*` stays within a path segment, `**` crosses them. */
export function globMatch(glob: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(name);
}

function parseAge(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(s.trim());
  if (!m) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Math.round(Number(m[1]) * unit);
}

function formatAge(ms: number): string {
  const d = ms / 86_400_000;
  if (d >= 1) return `${d.toFixed(1)}d`;
  const h = ms / 3_600_000;
  return h >= 1 ? `${h.toFixed(1)}h` : `${Math.round(ms / 60_000)}m`;
}
