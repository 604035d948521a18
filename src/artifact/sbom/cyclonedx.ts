import type { OSInfo } from '../../analyzers/types.ts';
import { BollardError } from '../../util/errors.ts';
import { asString, isRecord } from '../../util/json.ts';
import { makeOS, normaliseFamily, prop, type SbomEntry } from './package.ts';

/** What a format reader hands to the common part: entries, the declared OS, and document facts. */
export interface SbomDocument {
  format: 'cyclonedx' | 'spdx';
  specVersion: string;
  name: string | undefined;
  /** purl of the document's subject (the image), when it states one. */
  subject: string | undefined;
  os: OSInfo | undefined;
  entries: SbomEntry[];
  /** Entries that are not packages and have no purl (lockfile groupings, the subject): not counted. */
  ignored: number;
}

const CDX_VERSIONS = new Set(['1.2', '1.3', '1.4', '1.5', '1.6', '1.7']);
/** Component types that describe packages; the others (container, file, firmware, data...) are context. */
const PACKAGE_TYPES = new Set(['library', 'framework', 'application', 'platform', 'device-driver']);

function properties(c: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!Array.isArray(c.properties)) return out;
  for (const p of c.properties) {
    if (!isRecord(p)) continue;
    const name = asString(p.name);
    const value = asString(p.value);
    if (name === undefined || value === undefined) continue;
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

function licenses(c: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (!Array.isArray(c.licenses)) return out;
  for (const l of c.licenses) {
    if (!isRecord(l)) continue;
    const expr = asString(l.expression);
    if (expr) out.push(expr);
    if (isRecord(l.license)) {
      const v = asString(l.license.id) ?? asString(l.license.name);
      if (v) out.push(v);
    }
  }
  return out;
}

/** CycloneDX JSON 1.2–1.7: every component (nested ones too, walked iteratively) and the OS component. */
export function readCycloneDx(doc: Record<string, unknown>, file: string, maxComponents: number): SbomDocument {
  const specVersion = asString(doc.specVersion) ?? '';
  if (!CDX_VERSIONS.has(specVersion)) {
    throw new BollardError(
      'INPUT_INVALID',
      `${file}: CycloneDX specVersion "${specVersion.slice(0, 20)}" is not read (1.2 to 1.7 are)`,
    );
  }
  if (doc.components !== undefined && !Array.isArray(doc.components)) {
    throw new BollardError('INPUT_INVALID', `${file}: CycloneDX "components" must be a list`);
  }
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const root = isRecord(metadata.component) ? metadata.component : undefined;
  const out: SbomDocument = {
    format: 'cyclonedx',
    specVersion,
    name: root ? asString(root.name) : undefined,
    subject: root ? asString(root.purl) : undefined,
    os: undefined,
    entries: [],
    ignored: 0,
  };
  const stack: unknown[] = Array.isArray(doc.components) ? [...doc.components].reverse() : [];
  let seen = 0;
  while (stack.length > 0) {
    const c = stack.pop();
    if (++seen > maxComponents) {
      throw new BollardError('LIMIT_EXCEEDED', `${file} has more than ${maxComponents} components`);
    }
    if (!isRecord(c)) continue;
    const children = Array.isArray(c.components) ? c.components : [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    const type = asString(c.type) ?? 'library';
    const props = properties(c);
    if (type === 'operating-system') {
      out.os ??= osComponent(c, props);
      continue;
    }
    const purl = asString(c.purl);
    // Components without a purl that group others (Trivy's lockfile applications) or are not
    // packages (container, file) are structure, not packages.
    if (!purl && (!PACKAGE_TYPES.has(type) || children.length > 0 || props.has('aquasecurity:trivy:Class'))) {
      out.ignored++;
      continue;
    }
    out.entries.push({
      purl,
      name: asString(c.name),
      version: asString(c.version),
      props,
      licenses: licenses(c),
    });
  }
  return out;
}

/** The OS component: Bollard's, Syft's and Trivy's properties refine name and version. */
function osComponent(c: Record<string, unknown>, props: Map<string, string[]>): OSInfo | undefined {
  const family = prop(props, 'syft:distro:id') ?? prop(props, 'aquasecurity:trivy:OSFamily') ?? asString(c.name);
  const version =
    asString(c.version) ?? prop(props, 'syft:distro:versionID') ?? prop(props, 'aquasecurity:trivy:OSName') ?? '';
  if (!family || normaliseFamily(family) === '') return undefined;
  const idLike =
    props.get('bollard:os:idLike')?.[0]?.split(' ') ??
    [...props.entries()].filter(([k]) => k.startsWith('syft:distro:idLike:')).map(([, v]) => v[0] ?? '');
  const extra: Partial<OSInfo> = {};
  const release = prop(props, 'bollard:os:release');
  if (release) extra.release = release;
  const codename = prop(props, 'bollard:os:codename') ?? prop(props, 'syft:distro:versionCodename');
  if (codename) extra.codename = codename;
  const name = asString(c.description) ?? prop(props, 'syft:distro:prettyName');
  if (name) extra.name = name;
  const like = idLike.filter((x) => x !== '');
  if (like.length > 0) extra.idLike = like;
  return makeOS(family, version, extra);
}
