import { isOSPackageType, type OSInfo, type Package } from '../analyzers/types.ts';
import type { ImageMetadata } from '../artifact/types.ts';
import { parseReference, type Reference } from '../oci/reference.ts';
import { isDigest } from '../util/digest.ts';
import { BollardError } from '../util/errors.ts';

/*
 * Package URLs (purl, ECMA-427): canonical strings for OS packages and images. The choices where the
 * spec leaves room (distro qualifier, epoch, namespaces without an OS) are documented on each function.
 */

/** The decoded components of a purl, as the purl specification's test suite describes them. */
export interface PurlParts {
  type: string;
  namespace?: string | null;
  name: string;
  version?: string | null;
  qualifiers?: Readonly<Record<string, string | null | undefined>> | null;
  subpath?: string | null;
}

const TYPE_RE = /^[A-Za-z.+-][A-Za-z0-9.+-]*$/;
const QUALIFIER_KEY_RE = /^[A-Za-z.\-_][A-Za-z0-9.\-_]*$/;
// Characters a purl component keeps as they are: alphanumerics, `.-_~` and the colon (ECMA-427 "Character encoding").
const UNRESERVED = /^[A-Za-z0-9.\-_~:]$/;

/** Types whose namespace and name are case-insensitive and must be lowercased. */
const LOWERCASE_NAME_TYPES = new Set(['deb', 'apk', 'oci', 'alpm', 'bitbucket', 'github', 'composer']);
const LOWERCASE_NAMESPACE_TYPES = new Set([...LOWERCASE_NAME_TYPES, 'rpm']);

/**
 * Percent-encode one purl component: every UTF-8 octet outside `A-Za-z0-9.-_~:` becomes `%XX`
 * (upper-case hex). Lone surrogates become U+FFFD instead of throwing, so hostile names never
 * crash an SBOM.
 */
export function purlEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    if (UNRESERVED.test(ch)) {
      out += ch;
      continue;
    }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Build the canonical purl string (ECMA-427 "How to build"). Throws INTERNAL on an invalid type, key or empty name. */
export function buildPurl(p: PurlParts): string {
  if (!TYPE_RE.test(p.type)) throw new BollardError('INTERNAL', `invalid purl type "${p.type.slice(0, 40)}"`);
  const type = p.type.toLowerCase();
  let out = `pkg:${type}/`;
  const namespace = trimSlashes(p.namespace ?? '');
  if (namespace) {
    const segments = namespace
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => (LOWERCASE_NAMESPACE_TYPES.has(type) ? s.toLowerCase() : s));
    out += `${segments.map(purlEncode).join('/')}/`;
  }
  let name = trimSlashes(p.name);
  if (!name) throw new BollardError('INTERNAL', 'a purl needs a name');
  if (LOWERCASE_NAME_TYPES.has(type)) name = name.toLowerCase();
  out += purlEncode(name);
  if (p.version) out += `@${purlEncode(p.version)}`;
  const pairs: string[] = [];
  for (const [rawKey, value] of Object.entries(p.qualifiers ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    if (!QUALIFIER_KEY_RE.test(rawKey)) {
      throw new BollardError('INTERNAL', `invalid purl qualifier key "${rawKey.slice(0, 40)}"`);
    }
    pairs.push(`${rawKey.toLowerCase()}=${purlEncode(value)}`);
  }
  if (pairs.length > 0) out += `?${pairs.toSorted(compareStrings).join('&')}`;
  const subpath = (p.subpath ?? '').split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  if (subpath.length > 0) out += `#${subpath.map(purlEncode).join('/')}`;
  return out;
}

/** os-release ID → purl namespace of rpm packages where the two differ. */
const RPM_NAMESPACES: Readonly<Record<string, string>> = {
  rhel: 'redhat',
  amzn: 'amazon',
  ol: 'oracle',
  sles: 'suse',
  'sle-micro': 'suse',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  'opensuse-microos': 'opensuse',
};

/** rpm Vendor tag (lowercased prefix) → namespace, used when the OS is unknown. */
const RPM_VENDORS: readonly [string, string][] = [
  ['red hat', 'redhat'],
  ['centos', 'centos'],
  ['fedora', 'fedora'],
  ['amazon', 'amazon'],
  ['suse', 'suse'],
  ['opensuse', 'opensuse'],
  ['rocky', 'rocky'],
  ['almalinux', 'almalinux'],
  ['oracle', 'oracle'],
  ['vmware', 'photon'],
  ['microsoft', 'azurelinux'],
];

/**
 * The purl namespace ("vendor") of the OS: the os-release ID, mapped where rpm purls use another name.
 * An ID holds only `a-z0-9._-` (os-release(5)); anything else is dropped, so a hostile ID cannot add
 * path segments. Empty when nothing is left.
 */
export function osNamespace(os: OSInfo): string {
  const family = os.family.toLowerCase().replace(/[^a-z0-9._-]/g, '');
  return RPM_NAMESPACES[family] ?? family;
}

/**
 * The `distro` qualifier: `<namespace>-<release>` (`debian-12`, `alpine-3.19`, `redhat-9`). The release
 * is the one vulnerability matching uses, so purls stay the same across point releases; the full
 * version is used only when the release is unknown.
 */
export function purlDistro(os: OSInfo | undefined): string | undefined {
  if (!os) return undefined;
  const namespace = osNamespace(os);
  const release = os.release || os.version;
  return namespace && release ? `${namespace}-${release}` : undefined;
}

function packageNamespace(pkg: Package, os: OSInfo | undefined): string | undefined {
  const namespace = os ? osNamespace(os) : '';
  if (namespace) return namespace;
  // Without an OS the package type still names its usual vendor; rpm has none, so its vendor tag decides.
  if (pkg.type === 'deb') return 'debian';
  if (pkg.type === 'apk') return 'alpine';
  const vendor = pkg.vendor?.toLowerCase();
  if (vendor) for (const [prefix, ns] of RPM_VENDORS) if (vendor.startsWith(prefix)) return ns;
  return undefined;
}

/**
 * The purl of an OS package. deb keeps the epoch inside the version (`1:2.4.47-2`) as the deb type's
 * examples do; rpm moves it to the `epoch` qualifier (omitted when 0) and keeps `version-release`;
 * apk has no epoch. Qualifiers: `arch`, `distro`, and `epoch` for rpm.
 */
export function packagePurl(pkg: Package, os: OSInfo | undefined): string {
  if (!isOSPackageType(pkg.type)) return languagePurl(pkg);
  let version = pkg.version;
  let epoch: number | undefined;
  if (pkg.type === 'rpm') {
    const m = /^(\d+):(.*)$/.exec(version);
    if (m) {
      epoch = Number(m[1]);
      version = m[2] ?? '';
    }
    if (pkg.epoch !== undefined) epoch = pkg.epoch;
  } else if (pkg.type === 'deb' && pkg.epoch && !/^\d+:/.test(version)) {
    version = `${pkg.epoch}:${version}`;
  }
  return buildPurl({
    type: pkg.type,
    namespace: packageNamespace(pkg, os),
    name: pkg.name,
    version,
    qualifiers: {
      arch: pkg.arch,
      distro: purlDistro(os),
      epoch: epoch ? String(epoch) : undefined,
    },
  });
}

/**
 * The purl of a language package: the namespace is the part of the name the purl type puts there
 * (npm `@scope`, Maven `group` of `group:artifact`, Go module path prefix, Composer vendor).
 */
export function languagePurl(pkg: Package): string {
  let namespace: string | undefined;
  let name = pkg.name;
  const split = (sep: string): void => {
    const i = name.lastIndexOf(sep);
    if (i > 0) {
      namespace = name.slice(0, i);
      name = name.slice(i + 1);
    }
  };
  if (pkg.type === 'npm' && name.startsWith('@')) split('/');
  else if (pkg.type === 'maven') split(':');
  else if (pkg.type === 'golang' || pkg.type === 'composer') split('/');
  // The purl spec: PyPI names are lowercased with `_` replaced by `-`.
  else if (pkg.type === 'pypi') name = name.toLowerCase().replace(/_/g, '-');
  return buildPurl({ type: pkg.type, namespace, name, version: pkg.version, qualifiers: {} });
}

function tryParse(ref: string): Reference | undefined {
  try {
    return parseReference(ref);
  } catch {
    return undefined;
  }
}

/**
 * The purl of an image: `pkg:oci/<last path segment>@<manifest digest>?arch=…&repository_url=<registry/repo>&tag=…`.
 * The version must be a manifest digest (what a registry serves); when the source has none, a repo
 * digest of the same repository is used. Undefined when the image has no name or no manifest digest.
 */
export function imagePurl(image: ImageMetadata): string | undefined {
  const ref = image.reference ?? firstReference(image.repoTags) ?? firstReference(image.repoDigests);
  if (!ref) return undefined;
  let digest: string | undefined = image.manifestDigest ?? ref.digest;
  if (!digest) {
    for (const rd of image.repoDigests) {
      const r = tryParse(rd);
      if (r?.digest && r.registry === ref.registry && r.repository === ref.repository) {
        digest = r.digest;
        break;
      }
    }
  }
  if (!digest || !isDigest(digest)) return undefined;
  const name = ref.repository.slice(ref.repository.lastIndexOf('/') + 1);
  return buildPurl({
    type: 'oci',
    name,
    version: digest,
    qualifiers: {
      arch: image.platform.architecture,
      repository_url: `${ref.registry}/${ref.repository}`,
      tag: ref.tag,
    },
  });
}

function firstReference(list: readonly string[]): Reference | undefined {
  for (const s of list) {
    const r = tryParse(s);
    if (r) return r;
  }
  return undefined;
}

function trimSlashes(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s[start] === '/') start++;
  while (end > start && s[end - 1] === '/') end--;
  return s.slice(start, end);
}

/** Code-unit order: locale-independent, so sorted output is byte-identical everywhere. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
