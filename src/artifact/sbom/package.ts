import { releaseFor } from '../../analyzers/os-release/index.ts';
import { parseSourceRpm } from '../../analyzers/rpm/index.ts';
import type { OSInfo, Package, PackageType } from '../../analyzers/types.ts';
import { type ParsedPurl, parsePurl } from './purl-parse.ts';

/** What one SBOM entry says about a package, whatever the format. */
export interface SbomEntry {
  purl: string | undefined;
  name: string | undefined;
  version: string | undefined;
  /** Properties (CycloneDX `properties`), by name; repeated names keep every value. */
  props: ReadonlyMap<string, readonly string[]>;
  licenses: string[];
  /** A source package stated in free text (SPDX `sourceInfo` of Trivy and Bollard). */
  source?: { name: string; version?: string };
}

/** Counted problems, reported as warnings by the reader. */
export type Warn = (code: string, message: string, sample?: string) => void;

const PURL_TYPES: Readonly<Record<string, PackageType>> = {
  deb: 'deb',
  apk: 'apk',
  rpm: 'rpm',
  npm: 'npm',
  pypi: 'pypi',
  golang: 'golang',
  maven: 'maven',
  cargo: 'cargo',
  gem: 'gem',
  composer: 'composer',
  nuget: 'nuget',
};

/** purl types that name the scanned artifact itself, not a package in it. */
const ARTIFACT_PURL_TYPES = new Set(['oci', 'docker']);

export function prop(props: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  const v = props.get(name)?.[0];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Turn one SBOM entry into a Package. Returns undefined (after counting why) for entries without a
 * purl, with a purl type Bollard does not match, or without a version. `file` is the SBOM path,
 * used as the location when the SBOM does not say where the package was found.
 */
export function entryToPackage(
  e: SbomEntry,
  file: string,
  warn: Warn,
): { pkg: Package; parsed: ParsedPurl } | undefined {
  const sample = (e.purl ?? e.name ?? '?').slice(0, 200);
  if (!e.purl) {
    warn('SBOM_NO_PURL', 'SBOM packages without a purl were not scanned', sample);
    return undefined;
  }
  const parsed = parsePurl(e.purl);
  if (!parsed) {
    warn('SBOM_INVALID_PURL', 'SBOM packages with an unparsable purl were not scanned', sample);
    return undefined;
  }
  if (ARTIFACT_PURL_TYPES.has(parsed.type)) return undefined;
  const type = PURL_TYPES[parsed.type];
  if (!type) {
    warn('SBOM_UNKNOWN_PURL_TYPE', 'SBOM packages of a purl type Bollard does not match were not scanned', sample);
    return undefined;
  }
  let version = parsed.version ?? e.version;
  if (!version) {
    warn('SBOM_NO_VERSION', 'SBOM packages without a version were not scanned', sample);
    return undefined;
  }
  let epoch: number | undefined;
  if (type === 'deb' || type === 'rpm') {
    const q = parsed.qualifiers.epoch;
    const inVersion = /^(\d+):/.exec(version);
    if (inVersion) epoch = Number(inVersion[1]);
    else if (q !== undefined && /^\d+$/.test(q)) {
      epoch = Number(q);
      // Trivy moves a deb epoch into the qualifier too: put it back where dpkg prints it.
      if (epoch !== 0) version = `${epoch}:${version}`;
    }
  }
  const pkg: Package = {
    type,
    name: packageName(type, parsed),
    version,
    licenses: e.licenses,
    location: { path: locationPath(e.props) ?? file },
    purl: e.purl,
  };
  const layer = Number(prop(e.props, 'bollard:layer:index'));
  if (Number.isInteger(layer) && layer >= 0) pkg.location.layer = layer;
  if (epoch !== undefined && epoch !== 0) pkg.epoch = epoch;
  const arch = parsed.qualifiers.arch ?? prop(e.props, 'aquasecurity:trivy:PackageArchitecture');
  if (arch) pkg.arch = arch;
  const source = sourceOf(type, pkg, parsed, e);
  if (source) pkg.source = source;
  return { pkg, parsed };
}

/** The package name as the ecosystem writes it: npm `@scope/name`, Maven `group:artifact`, Go module path. */
function packageName(type: PackageType, p: ParsedPurl): string {
  const ns = p.namespace;
  if (!ns) return p.name;
  if (type === 'maven') return `${ns}:${p.name}`;
  if (type === 'npm' || type === 'golang' || type === 'composer') return `${ns}/${p.name}`;
  return p.name;
}

function locationPath(props: ReadonlyMap<string, readonly string[]>): string | undefined {
  return (
    prop(props, 'bollard:package:database') ??
    prop(props, 'syft:location:0:path')?.replace(/^\/+/, '') ??
    prop(props, 'aquasecurity:trivy:FilePath')
  );
}

/**
 * The source package of an OS package, from (in order) Trivy's `SrcName`/`SrcVersion`/`SrcRelease`/
 * `SrcEpoch` properties, Bollard's `bollard:package:source*`, Syft's `syft:metadata:*`, a source
 * stated in SPDX `sourceInfo`, the purl's `upstream` qualifier (`glibc`, `glibc@2.36-9`, or for rpm
 * the source RPM file name); deb and apk packages without any are their own source, as dpkg and apk say.
 */
function sourceOf(
  type: PackageType,
  pkg: Package,
  parsed: ParsedPurl,
  e: SbomEntry,
): { name: string; version: string } | undefined {
  if (type !== 'deb' && type !== 'apk' && type !== 'rpm') return undefined;
  const binaryVersion = type === 'rpm' ? pkg.version.replace(/^\d+:/, '') : pkg.version;
  const props = e.props;

  const trivyName = prop(props, 'aquasecurity:trivy:SrcName');
  if (trivyName) {
    const v = prop(props, 'aquasecurity:trivy:SrcVersion');
    if (!v) return { name: trivyName, version: binaryVersion };
    const release = prop(props, 'aquasecurity:trivy:SrcRelease');
    const epoch = prop(props, 'aquasecurity:trivy:SrcEpoch');
    const withRelease = release ? `${v}-${release}` : v;
    return { name: trivyName, version: epoch && epoch !== '0' ? `${epoch}:${withRelease}` : withRelease };
  }

  const bollardName = prop(props, 'bollard:package:sourceName');
  if (bollardName) return { name: bollardName, version: prop(props, 'bollard:package:sourceVersion') ?? binaryVersion };

  const syftSource = prop(props, 'syft:metadata:source');
  if (syftSource) return { name: syftSource, version: prop(props, 'syft:metadata:sourceVersion') ?? binaryVersion };
  const syftOrigin = prop(props, 'syft:metadata:originPackage');
  if (syftOrigin) return { name: syftOrigin, version: binaryVersion };
  const syftRpm = prop(props, 'syft:metadata:sourceRpm');
  if (syftRpm) {
    const s = parseSourceRpm(syftRpm);
    if (s) return s;
  }

  if (e.source) return { name: e.source.name, version: e.source.version ?? binaryVersion };

  const upstream = parsed.qualifiers.upstream;
  if (upstream) {
    if (type === 'rpm') {
      const s = parseSourceRpm(upstream);
      if (s) return s;
    }
    const at = upstream.indexOf('@');
    if (at > 0) return { name: upstream.slice(0, at), version: upstream.slice(at + 1) || binaryVersion };
    return { name: upstream, version: binaryVersion };
  }
  return type === 'rpm' ? undefined : { name: pkg.name, version: pkg.version };
}

/** purl namespace / SBOM family names → the os-release ID Bollard uses as `OSInfo.family`. */
const FAMILY_ALIASES: Readonly<Record<string, string>> = {
  redhat: 'rhel',
  'red hat enterprise linux': 'rhel',
  amazon: 'amzn',
  'amazon linux': 'amzn',
  oracle: 'ol',
  'oracle linux': 'ol',
  suse: 'sles',
  'suse linux enterprise server': 'sles',
  opensuse: 'opensuse-leap',
  'opensuse.leap': 'opensuse-leap',
  'opensuse.tumbleweed': 'opensuse-tumbleweed',
  alma: 'almalinux',
  rocky: 'rocky',
  'debian gnu/linux': 'debian',
  'alpine linux': 'alpine',
};

/** Codenames that `distro` qualifiers use instead of numbers (purl spec examples: `distro=jessie`). */
const CODENAMES: Readonly<Record<string, [string, string]>> = {
  jessie: ['debian', '8'],
  stretch: ['debian', '9'],
  buster: ['debian', '10'],
  bullseye: ['debian', '11'],
  bookworm: ['debian', '12'],
  trixie: ['debian', '13'],
  forky: ['debian', '14'],
  xenial: ['ubuntu', '16.04'],
  bionic: ['ubuntu', '18.04'],
  focal: ['ubuntu', '20.04'],
  jammy: ['ubuntu', '22.04'],
  noble: ['ubuntu', '24.04'],
};

export function normaliseFamily(name: string): string {
  const lower = name.trim().toLowerCase();
  return FAMILY_ALIASES[lower] ?? lower.replace(/[^a-z0-9._-]/g, '');
}

/** An OSInfo from a family and the most precise version known. */
export function makeOS(family: string, version: string, extra: Partial<OSInfo> = {}): OSInfo {
  const f = normaliseFamily(family);
  return {
    family: f,
    release: extra.release || releaseFor(f, version),
    version,
    name: extra.name || `${f} ${version}`.trim(),
    ...(extra.codename ? { codename: extra.codename } : {}),
    ...(extra.idLike ? { idLike: extra.idLike } : {}),
  };
}

/**
 * The OS an OS package's purl names: its `distro` qualifier (`debian-12`, `alpine-3.19.1`,
 * `redhat-9.3`, `bookworm`, or Trivy's bare `3.16.0`) with the purl namespace as the family when the
 * qualifier has none.
 */
export function osFromPurl(p: ParsedPurl): OSInfo | undefined {
  if (p.type !== 'deb' && p.type !== 'apk' && p.type !== 'rpm') return undefined;
  const distro = p.qualifiers.distro?.trim().toLowerCase();
  if (!distro) return undefined;
  const code = CODENAMES[distro] ?? CODENAMES[distro.replace(/^(?:debian|ubuntu)-/, '')];
  if (code) return makeOS(code[0], code[1], { codename: distro.replace(/^(?:debian|ubuntu)-/, '') });
  const m = /^([a-z][a-z0-9._-]*?)-(\d[a-z0-9._~+-]*)$/.exec(distro);
  if (m) return makeOS(m[1]!, m[2]!);
  if (/^\d[a-z0-9._~+-]*$/.test(distro) && p.namespace) return makeOS(p.namespace, distro);
  return undefined;
}
