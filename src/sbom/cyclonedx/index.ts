import { randomUUID } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { Package } from '../../analyzers/types.ts';
import type { ImageMetadata } from '../../artifact/types.ts';
import type { InventoryResult } from '../../scan/types.ts';
import type { SbomFormat, SbomWriteOptions } from '../api.ts';
import {
  andLicenses,
  classifyLicense,
  distinctLicenses,
  formatLicenseExpression,
  type LicenseClass,
} from '../license.ts';
import { buildSbomModel, packageLayer, parseContact, platformString, type SbomModel } from '../model.ts';

export const id = 'cyclonedx';

/** Property names: `bollard:` namespace, `<subject>:<field>` (see readme.md for the list). */
const P = 'bollard';

type Props = [name: string, value: string | number | undefined][];

function addProperties(target: Models.PropertyRepository, props: Props): void {
  for (const [name, value] of props) {
    if (value === undefined || value === '') continue;
    target.add(new Models.Property(name, String(value)));
  }
}

/** Build the CycloneDX 1.6 model of an inventory (exported for callers that post-process the BOM). */
export function buildCycloneDxBom(result: InventoryResult, options: SbomWriteOptions = {}): Models.Bom {
  const model = buildSbomModel(result);
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${(options.uuid ?? randomUUID)()}`;
  bom.metadata.timestamp = (options.now ?? (() => new Date()))();
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, result.tool.name, { version: result.tool.version }),
  );

  const root = rootComponent(model);
  bom.metadata.component = root;
  addProperties(bom.metadata.properties, metadataProperties(model));

  let parent = root;
  if (model.os) {
    const { info, ref } = model.os;
    const os = new Models.Component(Enums.ComponentType.OperatingSystem, info.family, {
      bomRef: ref,
      version: info.version || info.release,
      description: info.name || undefined,
    });
    addProperties(os.properties, [
      [`${P}:os:release`, info.release],
      [`${P}:os:codename`, info.codename],
      [`${P}:os:idLike`, info.idLike?.join(' ')],
    ]);
    bom.components.add(os);
    root.dependencies.add(os.bomRef);
    parent = os;
  }

  const byRef = new Map<string, Models.Component>();
  for (const p of model.packages) {
    const c = packageComponent(p.pkg, p.ref, p.purl, result);
    byRef.set(p.ref, c);
    bom.components.add(c);
    parent.dependencies.add(c.bomRef);
  }
  for (const p of model.packages) {
    const c = byRef.get(p.ref);
    if (!c) continue;
    // The dependency graph links BomRef objects, not strings: add the target component's own BomRef.
    for (const dep of p.dependsOn) {
      const target = byRef.get(dep);
      if (target) c.dependencies.add(target.bomRef);
    }
  }
  return bom;
}

/** Serialise an inventory as CycloneDX 1.6 JSON (components, properties and dependencies in model order). */
export function writeCycloneDx(result: InventoryResult, options: SbomWriteOptions = {}): string {
  const bom = buildCycloneDxBom(result, options);
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  // sortLists=false: the model is already in code-unit order, while the library sorts with localeCompare,
  // which depends on the ICU locale of the machine.
  return `${serializer.serialize(bom, { sortLists: false, space: 2 })}\n`;
}

export const cyclonedxFormat: SbomFormat = {
  id,
  aliases: ['cdx', 'cyclonedx-json'],
  description: 'CycloneDX 1.6 JSON',
  mediaType: 'application/vnd.cyclonedx+json; version=1.6',
  fileExtension: '.cdx.json',
  write: writeCycloneDx,
};

function rootComponent(model: SbomModel): Models.Component {
  const { root, result } = model;
  const image = result.target.image;
  if (root.kind === 'image' && image) {
    const c = new Models.Component(Enums.ComponentType.Container, root.name, {
      bomRef: root.ref,
      version: root.version,
      purl: root.purl,
    });
    addProperties(c.properties, imageProperties(image));
    return c;
  }
  const c = new Models.Component(Enums.ComponentType.File, root.name, { bomRef: root.ref });
  addProperties(c.properties, [
    [`${P}:target:kind`, result.target.kind],
    [`${P}:rootfs:path`, result.target.path],
  ]);
  return c;
}

function imageProperties(image: ImageMetadata): Props {
  const props: Props = [
    [`${P}:target:kind`, image.kind],
    [`${P}:image:manifestDigest`, image.manifestDigest],
    [`${P}:image:manifestMediaType`, image.manifestMediaType],
    [`${P}:image:indexDigest`, image.indexDigest],
    [`${P}:image:configDigest`, image.configDigest],
    [`${P}:image:platform`, platformString(image.platform)],
    [`${P}:image:created`, image.config.created],
    [`${P}:image:size`, image.size],
  ];
  for (const t of image.repoTags) props.push([`${P}:image:repoTag`, t]);
  for (const d of image.repoDigests) props.push([`${P}:image:repoDigest`, d]);
  const labels = image.config.config.Labels ?? {};
  for (const key of Object.keys(labels).toSorted()) props.push([`${P}:image:label:${key}`, labels[key]]);
  for (const l of image.layers) {
    props.push([`${P}:image:layer:${l.index}:diffID`, l.diffId]);
    props.push([`${P}:image:layer:${l.index}:digest`, l.digest]);
  }
  return props;
}

function metadataProperties(model: SbomModel): Props {
  const props: Props = [];
  // Coverage travels with the SBOM: an empty component list from a failed analyzer is not "no packages".
  for (const c of model.result.coverage) props.push([`${P}:coverage:${c.id}`, c.status]);
  for (const w of model.result.warnings) props.push([`${P}:warning:${w.code}`, w.count]);
  if (model.skipped > 0) props.push([`${P}:skippedPackages`, model.skipped]);
  return props;
}

function packageComponent(pkg: Package, ref: string, purl: string, result: InventoryResult): Models.Component {
  const c = new Models.Component(Enums.ComponentType.Library, pkg.name, {
    bomRef: ref,
    version: pkg.version,
    purl,
  });
  for (const l of cdxLicenses(pkg.licenses)) c.licenses.add(l);
  // rpm names the distributor in Vendor; deb and apk name the maintainer, who supplies the package.
  const supplier = pkg.vendor ?? pkg.maintainer;
  if (supplier) {
    const contact = parseContact(supplier);
    c.supplier = new Models.OrganizationalEntity({ name: contact.name });
    if (contact.email) c.supplier.contact.add(new Models.OrganizationalContact({ email: contact.email }));
  }
  if (pkg.vendor && pkg.maintainer) c.publisher = pkg.maintainer;
  const layer = packageLayer(pkg, result);
  addProperties(c.properties, [
    [`${P}:package:type`, pkg.type],
    [`${P}:package:arch`, pkg.arch],
    [`${P}:package:epoch`, pkg.epoch],
    [`${P}:package:sourceName`, pkg.source?.name],
    [`${P}:package:sourceVersion`, pkg.source?.version],
    [`${P}:package:modularityLabel`, pkg.modularityLabel],
    [`${P}:package:installedFiles`, pkg.files?.length],
    [`${P}:package:database`, pkg.location.path],
    [`${P}:layer:index`, pkg.location.layer],
    [`${P}:layer:diffID`, layer?.diffId],
    [`${P}:layer:digest`, layer?.digest],
  ]);
  return c;
}

/**
 * CycloneDX allows either licence objects (ids and names) or exactly one expression. Valid ids become
 * `license.id`, other strings `license.name`; when an expression is among them and every string is
 * SPDX, they are joined into one `AND` expression; when names are mixed with expressions, the
 * expressions are kept as names so nothing is dropped.
 */
export function cdxLicenses(licenses: readonly string[]): Models.License[] {
  const classes: LicenseClass[] = distinctLicenses(licenses).map(classifyLicense);
  const hasExpression = classes.some((c) => c.kind === 'expression');
  if (hasExpression && classes.every((c) => c.kind !== 'name')) {
    const node = andLicenses(
      classes.flatMap((c) => (c.kind === 'expression' ? [c.node] : c.kind === 'id' ? [parseId(c.id)] : [])),
    );
    return node ? [new Models.LicenseExpression(formatLicenseExpression(node))] : [];
  }
  return classes.map((c) =>
    c.kind === 'id'
      ? new Models.SpdxLicense(c.id)
      : new Models.NamedLicense(c.kind === 'expression' ? c.expression : c.name),
  );
}

function parseId(licenseId: string): { kind: 'license'; id: string; orLater: false } {
  return { kind: 'license', id: licenseId, orLater: false };
}
