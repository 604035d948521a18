import type { PurlParts } from '../../sbom/purl.ts';

/*
 * Parsing and matching of package URLs (ECMA-427 "How to parse"). `src/sbom/purl.ts` only builds
 * purls; SBOM input and VEX matching need the other direction. Never throws: a string that is not a
 * purl gives `undefined`, so a hostile SBOM cannot crash a scan through its purls.
 */

/** A parsed purl: decoded components, qualifiers with lowercased keys and no empty values. */
export interface ParsedPurl extends PurlParts {
  type: string;
  namespace: string | null;
  name: string;
  version: string | null;
  qualifiers: Record<string, string>;
  subpath: string | null;
}

const TYPE_RE = /^[a-z.+-][a-z0-9.+-]*$/;
const QUALIFIER_KEY_RE = /^[a-z.\-_][a-z0-9.\-_]*$/;
/** Types whose namespace and name are case-insensitive (the spec lowercases them). */
const LOWERCASE_NAME = new Set(['deb', 'apk', 'alpm', 'bitbucket', 'github', 'composer', 'oci', 'pypi', 'hex']);
const LOWERCASE_NAMESPACE = new Set([...LOWERCASE_NAME, 'rpm', 'golang']);
/** Longest purl accepted: real ones are a few hundred bytes. */
const MAX_PURL_LENGTH = 4096;

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Parse a purl string; undefined when it is not one. Names and namespaces are normalised per type. */
export function parsePurl(input: string): ParsedPurl | undefined {
  if (typeof input !== 'string' || input.length > MAX_PURL_LENGTH) return undefined;
  let rest = input.trim();
  if (rest.slice(0, 4).toLowerCase() !== 'pkg:') return undefined;
  rest = rest.slice(4).replace(/^\/+/, '');

  let subpath: string | null = null;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const segments: string[] = [];
    for (const seg of rest.slice(hash + 1).split('/')) {
      if (seg === '' || seg === '.' || seg === '..') continue;
      const d = decode(seg);
      if (d === undefined) return undefined;
      segments.push(d);
    }
    subpath = segments.length > 0 ? segments.join('/') : null;
    rest = rest.slice(0, hash);
  }

  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return undefined;
      const key = pair.slice(0, eq).toLowerCase();
      if (!QUALIFIER_KEY_RE.test(key)) return undefined;
      const value = decode(pair.slice(eq + 1));
      if (value === undefined) return undefined;
      if (value !== '') qualifiers[key] = value;
    }
    rest = rest.slice(0, q);
  }

  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const type = rest.slice(0, slash).toLowerCase();
  if (!TYPE_RE.test(type)) return undefined;
  rest = rest.slice(slash + 1).replace(/\/+$/, '');

  // The version follows the last `@` of the last segment (an npm scope's `@` sits in the namespace).
  let version: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const at = rest.lastIndexOf('@');
  if (at > lastSlash) {
    const v = decode(rest.slice(at + 1));
    if (v === undefined) return undefined;
    version = v === '' ? null : v;
    rest = rest.slice(0, at);
  }

  const segments = rest.split('/').filter((s) => s !== '');
  const rawName = segments.pop();
  if (rawName === undefined) return undefined;
  let name = decode(rawName);
  if (name === undefined || name === '') return undefined;
  const nsParts: string[] = [];
  for (const seg of segments) {
    const d = decode(seg);
    if (d === undefined) return undefined;
    nsParts.push(d);
  }
  let namespace: string | null = nsParts.length > 0 ? nsParts.join('/') : null;
  if (namespace !== null && LOWERCASE_NAMESPACE.has(type)) namespace = namespace.toLowerCase();
  if (LOWERCASE_NAME.has(type)) name = name.toLowerCase();
  if (type === 'pypi') name = name.replace(/_/g, '-');
  return { type, namespace, name, version, qualifiers, subpath };
}

/**
 * Does a purl from a VEX statement or a pattern name this package purl? Per the purl specification:
 * type, namespace and name must be equal; the version must be equal when the pattern has one;
 * every qualifier of the pattern must be present on the package with the same value (qualifiers
 * only on the package do not matter). A subpath on the pattern must be equal too.
 */
export function purlMatches(pattern: ParsedPurl, pkg: ParsedPurl): boolean {
  if (pattern.type !== pkg.type || pattern.name !== pkg.name) return false;
  if ((pattern.namespace ?? '') !== (pkg.namespace ?? '')) return false;
  if (pattern.version !== null && !sameVersion(pattern, pkg)) return false;
  for (const [key, value] of Object.entries(pattern.qualifiers)) {
    // The epoch was compared as part of the version.
    if (key === 'epoch' && pattern.version !== null) continue;
    if (pkg.qualifiers[key] !== value) return false;
  }
  if (pattern.subpath !== null && pattern.subpath !== pkg.subpath) return false;
  return true;
}

/**
 * Versions compared as written, except that an epoch may sit in the version (`1:2.3-4`, Bollard and
 * Syft for deb) or in the `epoch` qualifier (Trivy): both spellings name the same package.
 */
function sameVersion(pattern: ParsedPurl, pkg: ParsedPurl): boolean {
  if (pattern.version === pkg.version) return true;
  const a = withEpoch(pattern);
  const b = withEpoch(pkg);
  return a !== undefined && a === b;
}

function withEpoch(p: ParsedPurl): string | undefined {
  if (p.version === null) return undefined;
  const epoch = p.qualifiers.epoch;
  if (epoch && epoch !== '0' && !/^\d+:/.test(p.version)) return `${epoch}:${p.version}`;
  return p.version.replace(/^0:/, '');
}
