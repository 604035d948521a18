import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateSpdx23 } from '../../../test/schemas/validate.ts';
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
import { parseLicenseExpression } from '../license.ts';
import { buildSpdxDocument, type SpdxDocument, writeSpdxJson } from './index.ts';

const FIXED = { now: () => new Date('2026-11-22T12:34:56.789Z'), uuid: () => '3f0c8a52-6d1e-4c7b-9a0f-5b2d7e9c1a44' };
const SPDXID_RE = /^SPDXRef-[A-Za-z0-9.-]+$/;

function write(result: InventoryResult): { text: string; doc: SpdxDocument } {
  const text = writeSpdxJson(result, FIXED);
  return { text, doc: JSON.parse(text) as SpdxDocument };
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

/** The namespace UUID and creation time are the only parts allowed to differ between runs. */
function stripVolatile(s: string): string {
  return s.replace(/"documentNamespace": "[^"]*"/, '').replace(/"created": "[^"]*"/, '');
}

/** Everything a consumer relies on beyond the JSON schema: ids, references, licence expressions, namespace. */
function assertSound(text: string, what: string): SpdxDocument {
  const doc = JSON.parse(text) as SpdxDocument;
  const r = validateSpdx23(doc);
  assert.ok(r.valid, `${what}: ${r.errors.slice(0, 5).join('; ')}`);
  const ids = doc.packages.map((p) => p.SPDXID);
  assert.equal(new Set(ids).size, ids.length, `${what}: duplicate SPDXID`);
  for (const id of ids) assert.match(id, SPDXID_RE, what);
  const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
  for (const rel of doc.relationships) {
    assert.ok(known.has(rel.spdxElementId) && known.has(rel.relatedSpdxElement), `${what}: ${JSON.stringify(rel)}`);
  }
  assert.equal(doc.relationships.filter((x) => x.relationshipType === 'DESCRIBES').length, 1, what);
  const defined = new Set((doc.hasExtractedLicensingInfos ?? []).map((l) => l.licenseId));
  const used = new Set<string>();
  for (const p of doc.packages) {
    if (p.licenseDeclared === 'NOASSERTION') continue;
    assert.ok(parseLicenseExpression(p.licenseDeclared), `${what}: ${p.name}: ${p.licenseDeclared}`);
    for (const ref of p.licenseDeclared.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) used.add(ref);
  }
  assert.deepEqual(used, defined, `${what}: LicenseRefs used and defined`);
  assert.match(doc.creationInfo.created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.ok(!doc.documentNamespace.includes('#'), what);
  assert.doesNotThrow(() => new URL(doc.documentNamespace), what);
  return doc;
}

describe('SPDX 2.3 writer', () => {
  const goldens: [string, () => InventoryResult][] = [
    ['debian-image.spdx.json', debianImageInventory],
    ['debian-rootfs.spdx.json', debianRootfsInventory],
    ['alpine-image.spdx.json', alpineImageInventory],
    ['rhel-image.spdx.json', rhelImageInventory],
  ];

  test('golden files: Debian image and root filesystem, Alpine image, RHEL image; each valid against the SPDX 2.3 schema', () => {
    for (const [name, make] of goldens) {
      const { text } = write(make());
      golden(name, text);
      assertSound(text, name);
    }
  });

  test('document header: SPDXRef-DOCUMENT, CC0 data licence, tool creator, namespace from name and uuid', () => {
    const { doc } = write(debianImageInventory());
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    assert.equal(doc.dataLicense, 'CC0-1.0');
    assert.equal(doc.SPDXID, 'SPDXRef-DOCUMENT');
    assert.equal(doc.name, '127.0.0.1:5000/bollard-test/bookworm:latest');
    assert.equal(
      doc.documentNamespace,
      'https://bollard.invalid/spdxdocs/image/127.0.0.1-5000-bollard-test-bookworm-latest-3f0c8a52-6d1e-4c7b-9a0f-5b2d7e9c1a44',
    );
    assert.deepEqual(doc.creationInfo, {
      created: '2026-11-22T12:34:56Z',
      creators: ['Tool: bollard-0.1.0'],
      licenseListVersion: '3.29',
    });
    const other = buildSpdxDocument(debianImageInventory(), {
      documentNamespaceBase: 'https://sbom.example.org/docs/',
    });
    assert.match(
      other.documentNamespace,
      /^https:\/\/sbom\.example\.org\/docs\/image\/127\.0\.0\.1-5000-bollard-test-bookworm-latest-[0-9a-f-]{36}$/,
    );
    assert.notEqual(buildSpdxDocument(debianImageInventory()).documentNamespace, other.documentNamespace);
  });

  test('root, OS and packages: purposes, purls, versions, suppliers, source information', () => {
    const { doc } = write(debianImageInventory());
    const [root, os] = doc.packages;
    assert.equal(root?.SPDXID, 'SPDXRef-Image');
    assert.equal(root?.primaryPackagePurpose, 'CONTAINER');
    assert.equal(root?.versionInfo, debianImageInventory().target.image?.manifestDigest);
    assert.match(root?.externalRefs?.[0]?.referenceLocator ?? '', /^pkg:oci\/bookworm@sha256:/);
    assert.match(
      root?.sourceInfo ?? '',
      /^registry image; manifest sha256:[0-9a-f]{64}; config sha256:[0-9a-f]{64}; platform linux\/amd64; repo tags /,
    );
    assert.deepEqual(
      {
        id: os?.SPDXID,
        name: os?.name,
        version: os?.versionInfo,
        purpose: os?.primaryPackagePurpose,
        description: os?.description,
      },
      {
        id: 'SPDXRef-OperatingSystem',
        name: 'debian',
        version: '12.15',
        purpose: 'OPERATING_SYSTEM',
        description: 'Debian GNU/Linux 12 (bookworm)',
      },
    );
    const libc = doc.packages.find((p) => p.name === 'libc6');
    assert.ok(libc);
    assert.match(libc.SPDXID, /^SPDXRef-Package-deb-libc6-[0-9a-f]{16}$/);
    assert.equal(libc.versionInfo, '2.36-9+deb12u14');
    assert.equal(libc.supplier, 'Person: GNU Libc Maintainers (debian-glibc@lists.debian.org)');
    assert.equal(libc.downloadLocation, 'NOASSERTION');
    assert.equal(libc.filesAnalyzed, false);
    assert.equal(libc.licenseConcluded, 'NOASSERTION');
    assert.equal(libc.licenseDeclared, 'NOASSERTION');
    assert.equal(libc.primaryPackagePurpose, 'LIBRARY');
    assert.deepEqual(libc.externalRefs, [
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12',
      },
    ]);
    const layer0 = debianImageInventory().target.image?.layers[0]?.diffId;
    assert.equal(
      libc.sourceInfo,
      `installed deb package recorded in var/lib/dpkg/status; layer 0 (diffID ${layer0}); built from source package glibc 2.36-9+deb12u14`,
    );
    const rhel = write(rhelImageInventory()).doc;
    assert.equal(rhel.packages.find((p) => p.name === 'bash')?.supplier, 'Organization: Red Hat, Inc.');
    const rootfs = write(debianRootfsInventory()).doc.packages[0];
    assert.equal(rootfs?.SPDXID, 'SPDXRef-Directory');
    assert.equal(rootfs?.primaryPackagePurpose, 'FILE');
    assert.equal(rootfs?.sourceInfo, 'root filesystem at /var/lib/bollard-test/rootfs-bookworm');
  });

  test('relationships: DESCRIBES the root, root CONTAINS the OS, the OS CONTAINS packages, DEPENDS_ON between packages', () => {
    const { doc } = write(debianImageInventory());
    const id = (name: string): string => doc.packages.find((p) => p.name === name)?.SPDXID ?? '';
    const rels = doc.relationships.map((r) => `${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`);
    assert.equal(rels[0], 'SPDXRef-DOCUMENT DESCRIBES SPDXRef-Image');
    assert.equal(rels[1], 'SPDXRef-Image CONTAINS SPDXRef-OperatingSystem');
    assert.equal(rels.filter((r) => r.startsWith('SPDXRef-OperatingSystem CONTAINS ')).length, 16);
    assert.ok(rels.includes(`${id('libgcc-s1')} DEPENDS_ON ${id('gcc-12-base')}`));
    assert.ok(rels.includes(`${id('libgcc-s1')} DEPENDS_ON ${id('libc6')}`));
    assert.ok(rels.includes(`${id('tzdata')} DEPENDS_ON ${id('debconf')}`));
    const noOs = debianRootfsInventory();
    const bare = write({ ...noOs, inventory: { ...noOs.inventory, os: undefined } }).doc;
    assert.equal(
      bare.relationships.filter((r) => r.spdxElementId === 'SPDXRef-Directory' && r.relationshipType === 'CONTAINS')
        .length,
      16,
    );
  });

  test('licences: SPDX ids and expressions as declared, other names as LicenseRefs with extracted text, joined with AND', () => {
    const { doc } = write(debianImageInventory());
    const declared = (name: string): string | undefined => doc.packages.find((p) => p.name === name)?.licenseDeclared;
    assert.equal(declared('zlib1g'), 'Zlib');
    assert.equal(declared('debconf'), 'BSD-2-Clause');
    assert.equal(
      declared('libzstd1'),
      'BSD-3-Clause AND LicenseRef-BSD-3-clause-or-GPL-2 AND LicenseRef-Expat AND LicenseRef-GPL-2 AND Zlib',
    );
    assert.equal(declared('base-files'), 'NOASSERTION');
    const extracted = doc.hasExtractedLicensingInfos?.find((l) => l.licenseId === 'LicenseRef-GPL-2-plus');
    assert.equal(extracted?.extractedText, 'GPL-2+');
    assert.equal(extracted?.name, 'GPL-2+');
    const alpine = write(alpineImageInventory()).doc;
    assert.equal(alpine.packages.find((p) => p.name === 'ca-certificates-bundle')?.licenseDeclared, 'MPL-2.0 AND MIT');
    assert.equal(alpine.hasExtractedLicensingInfos, undefined);
  });

  test('deterministic: only the namespace uuid and creation time change between runs; input order does not matter', () => {
    const inv = debianImageInventory();
    const a = writeSpdxJson(inv, FIXED);
    assert.equal(writeSpdxJson(inv, FIXED), a);
    const c = writeSpdxJson(inv, {
      now: () => new Date('2030-01-01T00:00:00Z'),
      uuid: () => '11111111-2222-4333-8444-555555555555',
    });
    assert.notEqual(a, c);
    assert.equal(stripVolatile(a), stripVolatile(c));
    const rnd = prng(42);
    const shuffled = inv.inventory.packages.toSorted(() => rnd() - 0.5);
    assert.equal(writeSpdxJson({ ...inv, inventory: { ...inv.inventory, packages: shuffled } }, FIXED), a);
  });

  test('edge inputs stay valid: no OS, no packages, hostile names, duplicate purls, coverage in the comment', () => {
    for (const [what, inv] of [
      ['empty', emptyRootfsInventory()],
      ['weird without OS', weirdInventory(false)],
      ['weird with empty OS', weirdInventory(true)],
    ] as const) {
      assertSound(write(inv).text, what);
    }
    const empty = write(emptyRootfsInventory()).doc;
    assert.equal(empty.packages.length, 1);
    assert.deepEqual(empty.relationships, [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Directory' },
    ]);
    const weird = write(weirdInventory(true)).doc;
    assert.equal(weird.packages.filter((p) => p.name === 'dup').length, 3);
    assert.equal(weird.packages.find((p) => p.SPDXID === 'SPDXRef-OperatingSystem')?.versionInfo, undefined);
    assert.equal(
      weird.comment,
      'Analyzer coverage: dpkg partial (1 files, 14 items). Warnings: DPKG_FIELD_TOO_LONG x3. Packages left out (no usable name): 2.',
    );
  });

  test('randomised hostile inventories are schema-valid with sound ids, relationships and licence references', () => {
    for (let seed = 1; seed <= 40; seed++) assertSound(write(randomInventory(seed, 30)).text, `seed ${seed}`);
  });
});
