import type { LayerEntry } from '../../layer/types.ts';
import type {
  AnalysisItem,
  Analyzer,
  AnalyzerContext,
  AnalyzerFile,
  InventoryDraft,
  OSInfo,
  SurvivingItem,
} from '../types.ts';
import {
  firstNonEmptyLine,
  parseEnvFile,
  parsePhotonRelease,
  parseReleaseLine,
  parseSuseRelease,
  type ReleaseLine,
} from './parse.ts';

export { parseEnvFile, parsePhotonRelease, parseReleaseLine, parseSuseRelease } from './parse.ts';

export const id = 'os';

/** Release files are a few hundred bytes; anything much larger is not one. */
const MAX_FILE_BYTES = 64 * 1024;

type Reader = (text: string) => OSInfo | undefined;

/**
 * The files we read and how much each one is believed when they disagree: os-release first
 * (`etc/` overrides `usr/lib/`, as the specification says), then the distribution's own file, then
 * the generic ones that other distributions also ship.
 */
const FILES: ReadonlyMap<string, { priority: number; read: Reader }> = new Map([
  ['etc/os-release', { priority: 100, read: fromOsRelease }],
  ['usr/lib/os-release', { priority: 90, read: fromOsRelease }],
  ['etc/debian_version', { priority: 60, read: fromDebianVersion }],
  ['etc/alpine-release', { priority: 60, read: fromAlpineRelease }],
  ['etc/centos-release', { priority: 60, read: fromReleaseLine }],
  ['etc/fedora-release', { priority: 60, read: fromReleaseLine }],
  ['etc/rocky-release', { priority: 60, read: fromReleaseLine }],
  ['etc/almalinux-release', { priority: 60, read: fromReleaseLine }],
  ['etc/oracle-release', { priority: 60, read: fromReleaseLine }],
  ['etc/amazon-linux-release', { priority: 60, read: fromReleaseLine }],
  ['etc/photon-release', { priority: 60, read: fromRelease(parsePhotonRelease) }],
  ['etc/SuSE-release', { priority: 60, read: fromRelease(parseSuseRelease) }],
  ['etc/system-release', { priority: 55, read: fromReleaseLine }],
  ['etc/redhat-release', { priority: 50, read: fromReleaseLine }],
  ['etc/lsb-release', { priority: 40, read: fromLsbRelease }],
]);

/** Families whose releases roll: there is no release number to match advisories against. */
const ROLLING: ReadonlySet<string> = new Set(['wolfi', 'chainguard', 'opensuse-tumbleweed', 'arch', 'gentoo']);
/** Families matched on the major version only (`9` for RHEL 9.3, `12` for Debian 12.15). */
const MAJOR_ONLY: ReadonlySet<string> = new Set(['debian', 'rhel', 'centos', 'rocky', 'almalinux', 'ol', 'fedora']);

/**
 * The release used for matching, derived from the most precise version a family gives:
 * Debian `12.15` → `12`, Alpine `3.19.1` → `3.19` (edge snapshots → `edge`), RHEL family `9.3` → `9`,
 * Ubuntu `22.04.3` → `22.04`, Amazon Linux `2023.3.20240108` → `2023` and the 2011-2018 AMI releases
 * → `1`; SUSE (`15.5`: major and service pack) and the rest use the version as given; rolling
 * distributions use `rolling`.
 */
export function releaseFor(family: string, version: string): string {
  if (ROLLING.has(family)) return 'rolling';
  if (version === '') return '';
  const parts = version.split('.');
  if (MAJOR_ONLY.has(family)) return /^\d+$/.test(parts[0]!) ? parts[0]! : version;
  if (family === 'ubuntu') return parts.length >= 2 ? `${parts[0]}.${parts[1]}` : version;
  if (family === 'alpine') {
    if (/_(?:alpha|beta|rc|git)/.test(version)) return 'edge';
    return parts.length >= 2 ? `${parts[0]}.${parts[1]}` : version;
  }
  if (family === 'amzn') {
    if (/^20(?:1\d)\.\d/.test(version)) return '1';
    return parts[0]!;
  }
  return version;
}

function fromOsRelease(text: string): OSInfo | undefined {
  const env = parseEnvFile(text);
  if (env.values.size === 0) return undefined;
  const v = env.values;
  // os-release(5): ID defaults to "linux", NAME and PRETTY_NAME to "Linux".
  const family = (v.get('ID') || 'linux').toLowerCase();
  const versionId = v.get('VERSION_ID') ?? '';
  const versionText = v.get('VERSION') ?? '';
  let version = versionId;
  // Ubuntu's VERSION carries the point release ("22.04.3 LTS (Jammy Jellyfish)") that VERSION_ID lacks.
  const precise = /^(\d[0-9.]*\d)/.exec(versionText)?.[1];
  if (versionId && precise?.startsWith(`${versionId}.`)) version = precise;
  const os: OSInfo = {
    family,
    release: releaseFor(family, version),
    version,
    name: v.get('PRETTY_NAME') || [v.get('NAME') || 'Linux', versionText].filter(Boolean).join(' '),
  };
  if (family === 'debian' && versionId === '') {
    // Debian testing and unstable carry no VERSION_ID; both say "<codename>/sid" elsewhere.
    os.release = 'sid';
  }
  if (family === 'alpine' && /\bedge\b/i.test(v.get('PRETTY_NAME') ?? '')) os.release = 'edge';
  const codename =
    v.get('VERSION_CODENAME') ||
    v.get('UBUNTU_CODENAME') ||
    // Distroless writes `VERSION="Debian GNU/Linux 12 (bookworm)"` and no VERSION_CODENAME.
    (family === 'debian' ? /\(([a-z]+)\)/.exec(versionText)?.[1] : undefined);
  if (codename) os.codename = codename;
  const idLike = (v.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean);
  if (idLike.length > 0) os.idLike = idLike;
  return os;
}

function fromDebianVersion(text: string): OSInfo | undefined {
  const line = firstNonEmptyLine(text);
  if (!line || line.length > 64) return undefined;
  if (/^\d+(?:\.\d+)*$/.test(line)) {
    return { family: 'debian', release: releaseFor('debian', line), version: line, name: `Debian GNU/Linux ${line}` };
  }
  // Testing and unstable: "trixie/sid". Ubuntu ships one too ("bookworm/sid"); its os-release wins.
  const m = /^([a-z]+)\/sid$/.exec(line);
  if (m) return { family: 'debian', release: 'sid', version: line, codename: m[1]!, name: `Debian GNU/Linux ${line}` };
  return undefined;
}

function fromAlpineRelease(text: string): OSInfo | undefined {
  const line = firstNonEmptyLine(text);
  if (!line || line.length > 64 || !/^\d+\.\d+[0-9A-Za-z._]*$/.test(line)) return undefined;
  return { family: 'alpine', release: releaseFor('alpine', line), version: line, name: `Alpine Linux ${line}` };
}

function fromRelease(parse: (text: string) => ReleaseLine | undefined): Reader {
  return (text) => {
    const r = parse(text);
    if (!r) return undefined;
    const os: OSInfo = { family: r.family, release: releaseFor(r.family, r.version), version: r.version, name: r.name };
    if (r.codename) os.codename = r.codename;
    return os;
  };
}

function fromReleaseLine(text: string): OSInfo | undefined {
  return fromRelease(parseReleaseLine)(text);
}

function fromLsbRelease(text: string): OSInfo | undefined {
  const v = parseEnvFile(text).values;
  const distrib = v.get('DISTRIB_ID');
  const release = v.get('DISTRIB_RELEASE');
  if (!distrib || !release) return undefined;
  const family = distrib.toLowerCase();
  const description = v.get('DISTRIB_DESCRIPTION') ?? '';
  // "Ubuntu 22.04.3 LTS": the point release, when it extends DISTRIB_RELEASE.
  const precise = /(\d[0-9.]*\d)/.exec(description)?.[1];
  const version = precise?.startsWith(`${release}.`) ? precise : release;
  const os: OSInfo = {
    family,
    release: releaseFor(family, release),
    version,
    name: description || `${distrib} ${release}`,
  };
  const codename = v.get('DISTRIB_CODENAME');
  if (codename) os.codename = codename;
  return os;
}

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const spec = FILES.get(file.path);
  if (!spec) return [];
  if (file.content.length > Math.min(MAX_FILE_BYTES, ctx.limits.maxFileBytes)) {
    ctx.warn('OS_FILE_TOO_LARGE', 'OS release file skipped: larger than the limit', file.path);
    return [];
  }
  if (file.content.includes(0)) {
    ctx.warn('OS_FILE_INVALID', 'OS release file skipped: binary content', file.path);
    return [];
  }
  const os = spec.read(file.content.toString('utf8'));
  if (!os) {
    ctx.warn('OS_FILE_INVALID', 'OS release file skipped: unreadable content', file.path);
    return [];
  }
  return [{ kind: 'os', analyzer: id, path: file.path, os, priority: spec.priority }];
}

/** `a` extends `b` by more components (`12.15` extends `12`, `2023.3.20240108` extends `2023`). */
function extendsVersion(a: string, b: string): boolean {
  return b === '' ? a !== '' : a.startsWith(`${b}.`);
}

/**
 * Merge the surviving OS items: the highest-priority file names the family and the human name;
 * files of the same family then refine it (a more precise version, a missing codename or ID_LIKE).
 * Files of another family are ignored: Ubuntu's `debian_version` and Oracle Linux's
 * `redhat-release` describe where the distribution came from, not what it is.
 */
export function mergeOS(items: readonly { os: OSInfo; priority: number; path: string }[]): OSInfo | undefined {
  const sorted = items.toSorted((a, b) => b.priority - a.priority || a.path.localeCompare(b.path));
  const top = sorted[0];
  if (!top) return undefined;
  const os: OSInfo = { ...top.os };
  if (top.os.idLike) os.idLike = [...top.os.idLike];
  for (const { os: other } of sorted.slice(1)) {
    if (other.family !== os.family) continue;
    if (extendsVersion(other.version, os.version)) {
      const hadVersion = os.version !== '';
      os.version = other.version;
      // Without a version from above (Debian testing), the refining file also decides the release.
      if (!hadVersion) os.release = other.release;
    }
    if (!os.codename && other.codename) os.codename = other.codename;
    if (!os.idLike && other.idLike) os.idLike = [...other.idLike];
  }
  return os;
}

function finalize(items: SurvivingItem[], draft: InventoryDraft): void {
  const osItems: { os: OSInfo; priority: number; path: string }[] = [];
  for (const item of items) if (item.kind === 'os') osItems.push(item);
  const os = mergeOS(osItems);
  // Release files are the authority on the OS: replace whatever a package analyzer may have guessed.
  if (os) draft.os = os;
}

export const osAnalyzer: Analyzer = {
  id,
  version: 1,
  maxFileBytes: MAX_FILE_BYTES,
  wants(path: string, _entry: LayerEntry): boolean {
    return path.startsWith('etc/') || path === 'usr/lib/os-release' ? FILES.has(path) : false;
  },
  analyze,
  finalize,
};
