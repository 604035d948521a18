import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateCycloneDx16 } from '../../../test/schemas/validate.ts';
import type { InventoryResult } from '../../scan/types.ts';
import {
  alpineImageInventory,
  debianImageInventory,
  debianRootfsInventory,
  emptyRootfsInventory,
  prng,
  randomInventory,
  rhelImageInventory,
  weirdInventory,
} from '../__fixtures__/inventories.ts';
import { cdxLicenses, writeCycloneDx } from './index.ts';

const FIXED = { now: () => new Date('2026-11-22T12:34:56.789Z'), uuid: () => '3f0c8a52-6d1e-4c7b-9a0f-5b2d7e9c1a44' };

interface Json {
  [k: string]: unknown;
}
interface CdxComponent {
  type: string;
  name: string;
  version?: string;
  'bom-ref': string;
  purl?: string;
  supplier?: { name: string; contact?: { email: string }[] };
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  properties?: { name: string; value: string }[];
}
interface CdxBom {
  serialNumber: string;
  metadata: { timestamp: string; tools: { components: CdxComponent[] }; component: CdxComponent; properties?: Json[] };
  components: CdxComponent[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

function write(result: InventoryResult): { text: string; bom: CdxBom } {
  const text = writeCycloneDx(result, FIXED);
  return { text, bom: JSON.parse(text) as CdxBom };
}

function golden(name: string, actual: string): void {
  const path = join(import.meta.dirname, '__fixtures__', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `${name} differs from the golden file (UPDATE_GOLDEN=1 to regenerate)`,
  );
}

function assertValid(text: string, what: string): void {
  const r = validateCycloneDx16(JSON.parse(text));
  assert.ok(r.valid, `${what}: ${r.errors.slice(0, 5).join('; ')}`);
}

/** Structural checks every BOM must pass: unique refs, a dependency entry per component, no dangling refs. */
function assertGraph(bom: CdxBom, what: string): void {
  const refs = [bom.metadata.component['bom-ref'], ...bom.components.map((c) => c['bom-ref'])];
  assert.equal(new Set(refs).size, refs.length, `${what}: duplicate bom-ref`);
  const known = new Set(refs);
  assert.deepEqual(new Set(bom.dependencies.map((d) => d.ref)), known, `${what}: dependency entries`);
  for (const d of bom.dependencies)
    for (const r of d.dependsOn ?? []) assert.ok(known.has(r), `${what}: dangling ${r}`);
}

/** The serial number and timestamp are the only parts allowed to differ between runs. */
function stripVolatile(s: string): string {
  return s.replace(/"serialNumber": "[^"]*"/, '').replace(/"timestamp": "[^"]*"/, '');
}

const prop = (c: CdxComponent, name: string): string[] =>
  (c.properties ?? []).filter((p) => p.name === name).map((p) => p.value);

describe('CycloneDX 1.6 writer', () => {
  const goldens: [string, () => InventoryResult][] = [
    ['debian-image.cdx.json', debianImageInventory],
    ['debian-rootfs.cdx.json', debianRootfsInventory],
    ['alpine-image.cdx.json', alpineImageInventory],
    ['rhel-image.cdx.json', rhelImageInventory],
  ];

  test('golden files: Debian image and root filesystem, Alpine image, RHEL image; each valid against the 1.6 schema', () => {
    for (const [name, make] of goldens) {
      const { text, bom } = write(make());
      golden(name, text);
      assertValid(text, name);
      assertGraph(bom, name);
    }
  });

  test('image metadata: container component named by the reference, versioned by the manifest digest, with purl and properties', () => {
    const inv = debianImageInventory();
    const image = inv.target.image;
    assert.ok(image?.manifestDigest);
    const { bom } = write(inv);
    const root = bom.metadata.component;
    assert.equal(root.type, 'container');
    assert.equal(root.name, '127.0.0.1:5000/bollard-test/bookworm:latest');
    assert.equal(root.version, image.manifestDigest);
    assert.equal(root['bom-ref'], root.purl);
    assert.match(root.purl ?? '', /^pkg:oci\/bookworm@sha256:[0-9a-f]{64}\?arch=amd64&repository_url=/);
    assert.deepEqual(prop(root, 'bollard:image:configDigest'), [image.configDigest]);
    assert.deepEqual(prop(root, 'bollard:image:repoDigest'), image.repoDigests);
    assert.deepEqual(prop(root, 'bollard:image:platform'), ['linux/amd64']);
    assert.deepEqual(prop(root, 'bollard:image:label:maintainer'), ['Bollard tests']);
    assert.deepEqual(prop(root, 'bollard:image:layer:1:diffID'), [image.layers[1]?.diffId]);
    assert.deepEqual(bom.metadata.tools.components, [{ type: 'application', name: 'bollard', version: '0.1.0' }]);
    assert.equal(bom.serialNumber, 'urn:uuid:3f0c8a52-6d1e-4c7b-9a0f-5b2d7e9c1a44');
    assert.equal(bom.metadata.timestamp, '2026-11-22T12:34:56.789Z');
    // Without a manifest digest (RHEL OCI layout fixture has one; the docker-archive Alpine one does not) the config digest is the version.
    const alpine = write(alpineImageInventory()).bom.metadata.component;
    assert.equal(alpine.version, alpineImageInventory().target.image?.configDigest);
    assert.deepEqual(prop(alpine, 'bollard:image:platform'), ['linux/arm64/v8']);
  });

  test('a root filesystem is a file component referenced by its path', () => {
    const { bom } = write(debianRootfsInventory());
    assert.equal(bom.metadata.component.type, 'file');
    assert.equal(bom.metadata.component['bom-ref'], 'rootfs:/var/lib/bollard-test/rootfs-bookworm');
    assert.deepEqual(prop(bom.metadata.component, 'bollard:rootfs:path'), ['/var/lib/bollard-test/rootfs-bookworm']);
  });

  test('dependencies: image → OS → every package, and package → package where dependsOn resolves', () => {
    const { bom } = write(debianImageInventory());
    const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
    const os = bom.components.find((c) => c.type === 'operating-system');
    assert.ok(os);
    assert.deepEqual(deps.get(bom.metadata.component['bom-ref']), [os['bom-ref']]);
    const packages = bom.components.filter((c) => c.type === 'library').map((c) => c['bom-ref']);
    assert.equal(packages.length, 16);
    assert.deepEqual(deps.get(os['bom-ref']), packages);
    const ref = (name: string): string => bom.components.find((c) => c.name === name)?.['bom-ref'] ?? '';
    assert.deepEqual(deps.get(ref('libgcc-s1')), [ref('gcc-12-base'), ref('libc6')]);
    assert.deepEqual(deps.get(ref('tzdata')), [ref('debconf')]);
    // Without an OS the packages hang off the root directly.
    const noOs = debianRootfsInventory();
    const bare = write({ ...noOs, inventory: { ...noOs.inventory, os: undefined } }).bom;
    assert.equal(bare.dependencies[0]?.ref, bare.metadata.component['bom-ref']);
    assert.equal(bare.dependencies[0]?.dependsOn?.length, 16);
  });

  test('packages: purl bom-ref, supplier from the maintainer, source, layer and database properties', () => {
    const { bom } = write(debianImageInventory());
    const zlib = bom.components.find((c) => c.name === 'zlib1g');
    assert.ok(zlib);
    assert.equal(zlib.version, '1:1.2.13.dfsg-1');
    assert.equal(zlib['bom-ref'], 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12');
    assert.equal(zlib.purl, zlib['bom-ref']);
    assert.deepEqual(zlib.supplier, { name: 'Mark Brown', contact: [{ email: 'broonie@debian.org' }] });
    assert.deepEqual(zlib.licenses, [{ license: { id: 'Zlib' } }]);
    assert.deepEqual(prop(zlib, 'bollard:package:sourceName'), ['zlib']);
    assert.deepEqual(prop(zlib, 'bollard:package:epoch'), ['1']);
    assert.deepEqual(prop(zlib, 'bollard:package:installedFiles'), ['11']);
    assert.deepEqual(prop(zlib, 'bollard:package:database'), ['var/lib/dpkg/status']);
    assert.deepEqual(prop(zlib, 'bollard:layer:index'), ['1']);
    assert.deepEqual(prop(zlib, 'bollard:layer:diffID'), [debianImageInventory().target.image?.layers[1]?.diffId]);
    // rpm: vendor supplies, the packager publishes; modularity label kept.
    const rhel = write(rhelImageInventory()).bom;
    const node = rhel.components.find((c) => c.name === 'nodejs');
    assert.ok(node);
    assert.equal(node.supplier?.name, 'Red Hat, Inc.');
    assert.deepEqual(prop(node, 'bollard:package:modularityLabel'), ['nodejs:18:9030020231024105237:rhel9']);
    assert.match(node.purl ?? '', /^pkg:rpm\/redhat\/nodejs@18\.18\.2-2\.module%2Bel9.*&epoch=1$/);
  });

  test('licences: ids when listed, one expression when every string is SPDX, names otherwise, nothing dropped', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(licenseJson(['zlib', 'BSD-3-clause']))), [
      { license: { id: 'Zlib' } },
      { license: { id: 'BSD-3-Clause' } },
    ]);
    assert.deepEqual(licenseJson(['MPL-2.0 AND MIT']), [{ expression: 'MPL-2.0 AND MIT' }]);
    assert.deepEqual(licenseJson(['MIT', 'Apache-2.0 OR ISC']), [{ expression: 'MIT AND (Apache-2.0 OR ISC)' }]);
    assert.deepEqual(licenseJson(['GPL-2+', 'MIT OR ISC', 'Zlib']), [
      { license: { name: 'GPL-2+' } },
      { license: { name: 'MIT OR ISC' } },
      { license: { id: 'Zlib' } },
    ]);
    assert.deepEqual(licenseJson([' ', 'MIT', 'MIT']), [{ license: { id: 'MIT' } }]);
    const { bom } = write(alpineImageInventory());
    assert.deepEqual(bom.components.find((c) => c.name === 'musl-utils')?.licenses, [
      { expression: 'MIT AND BSD-2-Clause AND GPL-2.0-or-later' },
    ]);
  });

  test('metadata carries analyzer coverage, warnings and left-out packages', () => {
    const { bom } = write(weirdInventory(true));
    assert.deepEqual(bom.metadata.properties, [
      { name: 'bollard:coverage:dpkg', value: 'partial' },
      { name: 'bollard:warning:DPKG_FIELD_TOO_LONG', value: '3' },
      { name: 'bollard:skippedPackages', value: '2' },
    ]);
  });

  test('deterministic: only the serial number and timestamp change between runs; input order does not matter', () => {
    const inv = debianImageInventory();
    const a = writeCycloneDx(inv, FIXED);
    const b = writeCycloneDx(inv, FIXED);
    assert.equal(a, b);
    const c = writeCycloneDx(inv, {
      now: () => new Date('2030-01-01T00:00:00Z'),
      uuid: () => '11111111-2222-4333-8444-555555555555',
    });
    assert.notEqual(a, c);
    assert.equal(stripVolatile(a), stripVolatile(c));
    const rnd = prng(42);
    const shuffled = inv.inventory.packages.toSorted(() => rnd() - 0.5);
    assert.equal(writeCycloneDx({ ...inv, inventory: { ...inv.inventory, packages: shuffled } }, FIXED), a);
    // Without injected sources the serial number is a fresh random UUID.
    const fresh = JSON.parse(writeCycloneDx(inv)) as CdxBom;
    assert.match(fresh.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('edge inputs stay valid: no OS, no packages, hostile names, duplicate purls', () => {
    for (const [what, inv] of [
      ['empty', emptyRootfsInventory()],
      ['weird without OS', weirdInventory(false)],
      ['weird with empty OS', weirdInventory(true)],
    ] as const) {
      const { text, bom } = write(inv);
      assertValid(text, what);
      assertGraph(bom, what);
    }
    const empty = write(emptyRootfsInventory()).bom;
    assert.deepEqual(empty.components, []);
    assert.deepEqual(empty.dependencies, [{ ref: 'rootfs:/tmp/empty' }]);
    const weird = write(weirdInventory(false)).bom;
    assert.equal(weird.components.filter((c) => c.name === 'dup').length, 3);
    assert.ok(weird.components.some((c) => c.name === 'ünïcödé-пакет-包'));
  });

  test('randomised hostile inventories are schema-valid with a consistent graph', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const { text, bom } = write(randomInventory(seed, 30));
      assertValid(text, `seed ${seed}`);
      assertGraph(bom, `seed ${seed}`);
    }
  });
});

function licenseJson(licenses: string[]): unknown {
  return cdxLicenses(licenses).map((l) =>
    'expression' in l
      ? { expression: l.expression }
      : 'id' in l
        ? { license: { id: l.id } }
        : { license: { name: l.name } },
  );
}
