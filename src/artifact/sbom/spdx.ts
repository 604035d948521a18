import { BollardError } from '../../util/errors.ts';
import { asString, isRecord } from '../../util/json.ts';
import type { SbomDocument } from './cyclonedx.ts';
import { makeOS, type SbomEntry } from './package.ts';

const SPDX_VERSIONS = new Set(['SPDX-2.2', 'SPDX-2.3']);
/** SPDXID prefixes Trivy gives to things that are not packages (before 2.3's primaryPackagePurpose). */
const TRIVY_STRUCTURE = /^SPDXRef-(?:Application|ContainerImage|Filesystem|Repository|DocumentRoot)-/;
const TRIVY_OS = /^SPDXRef-OperatingSystem(?:-|$)/;

/** A package as SPDX 2.x describes it, whichever serialisation it came from. */
interface SpdxPackage {
  id: string | undefined;
  name: string | undefined;
  version: string | undefined;
  purls: string[];
  purpose: string | undefined;
  description: string | undefined;
  sourceInfo: string | undefined;
  licenses: string[];
}

/** SPDX 2.2/2.3 JSON. */
export function readSpdxJson(doc: Record<string, unknown>, file: string, maxPackages: number): SbomDocument {
  const specVersion = checkVersion(asString(doc.spdxVersion), file);
  if (doc.packages !== undefined && !Array.isArray(doc.packages)) {
    throw new BollardError('INPUT_INVALID', `${file}: SPDX "packages" must be a list`);
  }
  const raw = Array.isArray(doc.packages) ? doc.packages : [];
  if (raw.length > maxPackages)
    throw new BollardError('LIMIT_EXCEEDED', `${file} has more than ${maxPackages} packages`);
  const packages: SpdxPackage[] = [];
  for (const p of raw) {
    if (!isRecord(p)) continue;
    const purls: string[] = [];
    if (Array.isArray(p.externalRefs)) {
      for (const r of p.externalRefs) {
        if (isRecord(r) && r.referenceType === 'purl') {
          const loc = asString(r.referenceLocator);
          if (loc) purls.push(loc);
        }
      }
    }
    packages.push({
      id: asString(p.SPDXID),
      name: asString(p.name),
      version: asString(p.versionInfo),
      purls,
      purpose: asString(p.primaryPackagePurpose),
      description: asString(p.description),
      sourceInfo: asString(p.sourceInfo),
      licenses: [asString(p.licenseDeclared), asString(p.licenseConcluded)].filter(isLicense),
    });
  }
  const described = new Set<string>();
  if (Array.isArray(doc.documentDescribes))
    for (const d of doc.documentDescribes) if (typeof d === 'string') described.add(d);
  if (Array.isArray(doc.relationships)) {
    for (const r of doc.relationships) {
      if (!isRecord(r)) continue;
      const type = asString(r.relationshipType);
      const a = asString(r.spdxElementId);
      const b = asString(r.relatedSpdxElement);
      if ((type === 'DESCRIBES' || type === 'DESCRIBE') && a === 'SPDXRef-DOCUMENT' && b) described.add(b);
      if (type === 'DESCRIBED_BY' && b === 'SPDXRef-DOCUMENT' && a) described.add(a);
    }
  }
  return build(specVersion, asString(doc.name), packages, described);
}

function isLicense(v: string | undefined): v is string {
  return v !== undefined && v !== '' && v !== 'NOASSERTION' && v !== 'NONE';
}

function checkVersion(v: string | undefined, file: string): string {
  if (v === undefined || !SPDX_VERSIONS.has(v)) {
    throw new BollardError(
      'INPUT_INVALID',
      `${file}: SPDX version "${(v ?? '').slice(0, 20)}" is not read (SPDX-2.2 and SPDX-2.3 are)`,
    );
  }
  return v.slice('SPDX-'.length);
}

/** Source packages stated in `sourceInfo`: Trivy `built package from: NAME VERSION`, Bollard `built from source package NAME VERSION`. */
function sourceFromInfo(info: string | undefined): { name: string; version?: string } | undefined {
  if (!info) return undefined;
  const m = /built (?:package from:|from source package)\s+([^\s;,]+)(?:\s+([^\s;,]+))?/.exec(info);
  if (!m?.[1]) return undefined;
  return m[2] ? { name: m[1], version: m[2] } : { name: m[1] };
}

function build(
  specVersion: string,
  name: string | undefined,
  packages: SpdxPackage[],
  described: Set<string>,
): SbomDocument {
  const out: SbomDocument = {
    format: 'spdx',
    specVersion,
    name,
    subject: undefined,
    os: undefined,
    entries: [],
    ignored: 0,
  };
  for (const p of packages) {
    const purpose = p.purpose?.replace(/_/g, '-');
    if (purpose === 'OPERATING-SYSTEM' || (p.id && TRIVY_OS.test(p.id))) {
      if (!out.os && p.name) out.os = makeOS(p.name, p.version ?? '', p.description ? { name: p.description } : {});
      continue;
    }
    const purl = p.purls[0];
    const isRoot = p.id !== undefined && described.has(p.id);
    if (isRoot && !out.subject && purl) out.subject = purl;
    if (isRoot && (!purl || /^pkg:(?:oci|docker)\//i.test(purl))) {
      out.ignored++;
      continue;
    }
    if (
      !purl &&
      (purpose === 'CONTAINER' ||
        purpose === 'FILE' ||
        purpose === 'APPLICATION' ||
        purpose === 'SOURCE' ||
        (p.id !== undefined && TRIVY_STRUCTURE.test(p.id)))
    ) {
      out.ignored++;
      continue;
    }
    const entry: SbomEntry = {
      purl,
      name: p.name,
      version: p.version,
      props: new Map(),
      licenses: [...new Set(p.licenses)],
    };
    const source = sourceFromInfo(p.sourceInfo);
    if (source) entry.source = source;
    out.entries.push(entry);
  }
  return out;
}

/**
 * SPDX 2.2/2.3 tag-value: `Tag: value` lines, `<text>…</text>` values over several lines, `#`
 * comments. A package starts at `PackageName:` and ends at the next package or file section.
 */
export function readSpdxTagValue(text: string, file: string, maxPackages: number): SbomDocument {
  const lines = text.split(/\r?\n/);
  let version: string | undefined;
  let docName: string | undefined;
  const packages: SpdxPackage[] = [];
  const described = new Set<string>();
  let current: SpdxPackage | undefined;
  let inFile = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const tag = line.slice(0, colon).trim();
    let value = line.slice(colon + 1).trim();
    if (value.startsWith('<text>')) {
      // Multi-line text: read up to the closing tag (bounded by the document's own length).
      let body = value.slice('<text>'.length);
      while (!body.includes('</text>') && i + 1 < lines.length) body += `\n${lines[++i] ?? ''}`;
      value = body.replace(/<\/text>[\s\S]*$/, '');
    }
    switch (tag) {
      case 'SPDXVersion':
        version = value;
        break;
      case 'DocumentName':
        docName = value;
        break;
      case 'PackageName':
        current = {
          id: undefined,
          name: value,
          version: undefined,
          purls: [],
          purpose: undefined,
          description: undefined,
          sourceInfo: undefined,
          licenses: [],
        };
        packages.push(current);
        if (packages.length > maxPackages) {
          throw new BollardError('LIMIT_EXCEEDED', `${file} has more than ${maxPackages} packages`);
        }
        inFile = false;
        break;
      case 'FileName':
      case 'SnippetSPDXID':
      case 'LicenseID':
        inFile = true;
        break;
      case 'SPDXID':
        if (current && !inFile) current.id = value;
        break;
      case 'PackageVersion':
        if (current && !inFile) current.version = value;
        break;
      case 'PrimaryPackagePurpose':
        if (current && !inFile) current.purpose = value;
        break;
      case 'PackageComment':
        break;
      case 'PackageDescription':
        if (current && !inFile) current.description = value;
        break;
      case 'PackageSourceInfo':
        if (current && !inFile) current.sourceInfo = value;
        break;
      case 'PackageLicenseDeclared':
      case 'PackageLicenseConcluded':
        if (current && !inFile && isLicense(value)) current.licenses.push(value);
        break;
      case 'ExternalRef': {
        const [, type, locator] = value.split(/\s+/);
        if (current && !inFile && type === 'purl' && locator) current.purls.push(locator);
        break;
      }
      case 'Relationship': {
        const [a, type, b] = value.split(/\s+/);
        if ((type === 'DESCRIBES' || type === 'DESCRIBE') && a === 'SPDXRef-DOCUMENT' && b) described.add(b);
        if (type === 'DESCRIBED_BY' && b === 'SPDXRef-DOCUMENT' && a) described.add(a);
        break;
      }
      default:
        break;
    }
  }
  const specVersion = checkVersion(version, file);
  return build(specVersion, docName, packages, described);
}
