import { createHash, randomUUID } from 'node:crypto';
import type { Package } from '../../analyzers/types.ts';
import type { InventoryResult } from '../../scan/types.ts';
import type { SbomFormat, SbomWriteOptions } from '../api.ts';
import {
  andLicenses,
  classifyLicense,
  distinctLicenses,
  formatLicenseExpression,
  type LicenseNode,
  licenseRefsFor,
  licenseRefsIn,
  spdxLicenseListVersion,
} from '../license.ts';
import { buildSbomModel, packageLayer, parseContact, platformString, type SbomModel } from '../model.ts';

export const id = 'spdx-json';

export interface SpdxWriteOptions extends SbomWriteOptions {
  /** Base URI of `documentNamespace`; the document name and a random UUID are appended. */
  documentNamespaceBase?: string;
}

/** Used until the project has a domain of its own: `.invalid` can never resolve or belong to anyone else. */
export const DEFAULT_NAMESPACE_BASE = 'https://bollard.invalid/spdxdocs';

export interface SpdxExternalRef {
  referenceCategory: 'PACKAGE-MANAGER';
  referenceType: 'purl';
  referenceLocator: string;
}

export interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo?: string | undefined;
  supplier?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  sourceInfo?: string | undefined;
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: string;
  copyrightText: 'NOASSERTION';
  description?: string;
  externalRefs?: SpdxExternalRef[] | undefined;
  primaryPackagePurpose: 'CONTAINER' | 'FILE' | 'OPERATING_SYSTEM' | 'LIBRARY';
}

export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON';
  relatedSpdxElement: string;
}

export interface SpdxExtractedLicense {
  licenseId: string;
  extractedText: string;
  name: string;
  comment: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  comment?: string;
  creationInfo: { created: string; creators: string[]; licenseListVersion: string };
  hasExtractedLicensingInfos?: SpdxExtractedLicense[];
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
}

/** Build the SPDX 2.3 document of an inventory. */
export function buildSpdxDocument(result: InventoryResult, options: SpdxWriteOptions = {}): SpdxDocument {
  const model = buildSbomModel(result);
  const created = (options.now ?? (() => new Date()))();
  const uuid = (options.uuid ?? randomUUID)();
  const base = (options.documentNamespaceBase ?? DEFAULT_NAMESPACE_BASE).replace(/\/+$/, '');

  const licences = documentLicences(model);

  const rootId = model.root.kind === 'image' ? 'SPDXRef-Image' : 'SPDXRef-Directory';
  const osId = 'SPDXRef-OperatingSystem';
  const packages: SpdxPackage[] = [rootPackage(model, rootId)];
  const relationships: SpdxRelationship[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId },
  ];
  if (model.os) {
    const { info } = model.os;
    const os: SpdxPackage = {
      name: info.family,
      SPDXID: osId,
      versionInfo: info.version || info.release || undefined,
      supplier: 'NOASSERTION',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'OPERATING_SYSTEM',
    };
    if (info.name) os.description = info.name;
    packages.push(os);
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }
  const parentId = model.os ? osId : rootId;

  const spdxIds = packageSpdxIds(model);
  for (const p of model.packages) {
    const spdxId = spdxIds.get(p.ref) ?? '';
    packages.push(packageEntry(p.pkg, p.purl, spdxId, licences.declared(p.pkg.licenses), result));
    relationships.push({ spdxElementId: parentId, relationshipType: 'CONTAINS', relatedSpdxElement: spdxId });
  }
  for (const p of model.packages) {
    for (const dep of p.dependsOn) {
      const target = spdxIds.get(dep);
      if (target) {
        relationships.push({
          spdxElementId: spdxIds.get(p.ref) ?? '',
          relationshipType: 'DEPENDS_ON',
          relatedSpdxElement: target,
        });
      }
    }
  }

  const doc: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: model.root.name,
    documentNamespace: `${base}/${model.root.kind}/${uriSlug(model.root.name)}-${uuid}`,
    creationInfo: {
      // SPDX wants UTC without fractional seconds.
      created: created.toISOString().replace(/\.\d+Z$/, 'Z'),
      creators: [`Tool: ${result.tool.name}-${result.tool.version}`],
      licenseListVersion: spdxLicenseListVersion,
    },
    packages,
    relationships,
  };
  const comment = coverageComment(model);
  if (comment) doc.comment = comment;
  if (licences.extracted.length > 0) doc.hasExtractedLicensingInfos = licences.extracted;
  return doc;
}

/** Serialise an inventory as SPDX 2.3 JSON. */
export function writeSpdxJson(result: InventoryResult, options: SpdxWriteOptions = {}): string {
  return `${JSON.stringify(buildSpdxDocument(result, options), null, 2)}\n`;
}

export const spdxJsonFormat: SbomFormat = {
  id,
  aliases: ['spdx'],
  description: 'SPDX 2.3 JSON',
  mediaType: 'application/spdx+json',
  fileExtension: '.spdx.json',
  write: writeSpdxJson,
};

function rootPackage(model: SbomModel, spdxId: string): SpdxPackage {
  const { root, result } = model;
  const image = result.target.image;
  let sourceInfo: string | undefined;
  if (image) {
    const parts = [`${image.kind} image`];
    if (image.manifestDigest) parts.push(`manifest ${image.manifestDigest}`);
    parts.push(`config ${image.configDigest}`, `platform ${platformString(image.platform)}`);
    if (image.repoTags.length > 0) parts.push(`repo tags ${image.repoTags.join(', ')}`);
    if (image.repoDigests.length > 0) parts.push(`repo digests ${image.repoDigests.join(', ')}`);
    sourceInfo = parts.join('; ');
  } else if (result.target.path) {
    sourceInfo = `root filesystem at ${result.target.path}`;
  }
  return {
    name: root.name,
    SPDXID: spdxId,
    versionInfo: root.version,
    supplier: 'NOASSERTION',
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    sourceInfo,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    externalRefs: root.purl ? [purlRef(root.purl)] : undefined,
    primaryPackagePurpose: root.kind === 'image' ? 'CONTAINER' : 'FILE',
  };
}

function packageEntry(
  pkg: Package,
  purl: string,
  spdxId: string,
  licenseDeclared: string,
  result: InventoryResult,
): SpdxPackage {
  return {
    name: pkg.name,
    SPDXID: spdxId,
    versionInfo: pkg.version,
    supplier: supplierOf(pkg),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    sourceInfo: sourceInfoOf(pkg, result),
    licenseConcluded: 'NOASSERTION',
    licenseDeclared,
    copyrightText: 'NOASSERTION',
    externalRefs: [purlRef(purl)],
    primaryPackagePurpose: 'LIBRARY',
  };
}

function purlRef(purl: string): SpdxExternalRef {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}

/** rpm Vendor is an organisation; a deb/apk Maintainer is written as a person with an email. */
function supplierOf(pkg: Package): string {
  if (pkg.vendor) return `Organization: ${oneLine(pkg.vendor)}`;
  if (pkg.maintainer) {
    const c = parseContact(pkg.maintainer);
    return c.email ? `Person: ${oneLine(c.name)} (${c.email})` : `Person: ${oneLine(c.name)}`;
  }
  return 'NOASSERTION';
}

function sourceInfoOf(pkg: Package, result: InventoryResult): string {
  const parts = [`installed ${pkg.type} package recorded in ${pkg.location.path}`];
  const layer = packageLayer(pkg, result);
  if (layer) parts.push(`layer ${layer.index} (diffID ${layer.diffId})`);
  if (pkg.source) parts.push(`built from source package ${pkg.source.name} ${pkg.source.version}`.trimEnd());
  return parts.join('; ');
}

/**
 * Licences of the whole document. Strings that are not SPDX expressions become LicenseRefs (named once
 * for the document); LicenseRefs that packages state themselves are kept and defined too, since SPDX
 * requires every LicenseRef of a document to be defined in it. An expression naming another document
 * (DocumentRef-) is treated as a plain name: this document declares no external documents.
 */
type LicenceItem = { kind: 'node'; node: LicenseNode } | { kind: 'name'; name: string };

/** A licence string as SPDX can state it: an expression of this document, or a name for a LicenseRef. */
function classify(s: string): LicenceItem {
  const c = classifyLicense(s);
  if (c.kind === 'id') return { kind: 'node', node: { kind: 'license', id: c.id, orLater: false } };
  if (c.kind === 'expression' && !licenseRefsIn(c.node).some((r) => r.startsWith('DocumentRef-'))) {
    return { kind: 'node', node: c.node };
  }
  return { kind: 'name', name: c.kind === 'name' ? c.name : s.trim() };
}

function documentLicences(model: SbomModel): {
  declared(licenses: readonly string[]): string;
  extracted: SpdxExtractedLicense[];
} {
  const names: string[] = [];
  const stated = new Set<string>();
  for (const p of model.packages) {
    for (const l of distinctLicenses(p.pkg.licenses)) {
      const item = classify(l);
      if (item.kind === 'name') names.push(item.name);
      else for (const r of licenseRefsIn(item.node)) stated.add(r);
    }
  }
  const refs = licenseRefsFor(names, stated);
  const extracted: SpdxExtractedLicense[] = [
    ...[...refs].map(([name, licenseId]) => ({
      licenseId,
      extractedText: name,
      name,
      comment: 'Licence name as the package metadata states it; it is not an SPDX License List identifier.',
    })),
    ...[...stated].map((licenseId) => ({
      licenseId,
      extractedText: licenseId,
      name: licenseId,
      comment: 'LicenseRef stated by the package metadata; its text is not part of the metadata.',
    })),
  ].toSorted((a, b) => (a.licenseId < b.licenseId ? -1 : a.licenseId > b.licenseId ? 1 : 0));
  return {
    extracted,
    declared(licenses) {
      const nodes = distinctLicenses(licenses).map((l): LicenseNode => {
        const item = classify(l);
        return item.kind === 'node' ? item.node : { kind: 'ref', ref: refs.get(item.name) ?? 'NOASSERTION' };
      });
      const node = andLicenses(nodes);
      return node ? formatLicenseExpression(node) : 'NOASSERTION';
    },
  };
}

/** `SPDXRef-Package-<type>-<name>-<hash of the ref>`: readable, valid characters only, unique. */
function packageSpdxIds(model: SbomModel): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const p of model.packages) {
    const hash = createHash('sha256').update(p.ref).digest('hex').slice(0, 16);
    let spdxId = `SPDXRef-Package-${p.pkg.type}-${idSlug(p.pkg.name)}-${hash}`;
    if (used.has(spdxId)) {
      let n = 2;
      while (used.has(`${spdxId}-${n}`)) n++;
      spdxId = `${spdxId}-${n}`;
    }
    used.add(spdxId);
    out.set(p.ref, spdxId);
  }
  return out;
}

function coverageComment(model: SbomModel): string | undefined {
  const parts: string[] = [];
  const cov = model.result.coverage.map((c) => `${c.id} ${c.status} (${c.files} files, ${c.items} items)`);
  if (cov.length > 0) parts.push(`Analyzer coverage: ${cov.join(', ')}.`);
  const warn = model.result.warnings.map((w) => `${w.code} x${w.count}`);
  if (warn.length > 0) parts.push(`Warnings: ${warn.join(', ')}.`);
  if (model.skipped > 0) parts.push(`Packages left out (no usable name): ${model.skipped}.`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** SPDX ids allow letters, digits, `.` and `-` only. */
function idSlug(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9.-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'x'
  );
}

/** A path segment for the namespace URI: unreserved characters only, no `#`. */
function uriSlug(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'document'
  );
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
