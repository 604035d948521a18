import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import type { Package } from '../../analyzers/types.ts';
import { defaultLimits } from '../../util/limits.ts';
import { parseSbom, readSbom, readSbomTarget } from './index.ts';
import { parsePurl, purlMatches } from './purl-parse.ts';

const fixture = (name: string): string => join(import.meta.dirname, '__fixtures__', name);
const limits = { ...defaultLimits };

/** name → [version, source name, source version] */
type Expect = Record<string, [string, string | undefined, string | undefined]>;

function byName(pkgs: Package[]): Expect {
  const out: Expect = {};
  for (const p of pkgs) out[p.name] = [p.version, p.source?.name, p.source?.version];
  return out;
}

/** The eleven packages of examples/debian-mini, as dpkg records them (see examples/README.md). */
const DEBIAN_MINI: Expect = {
  'base-files': ['12.4+deb12u15', 'base-files', '12.4+deb12u15'],
  bash: ['5.2.15-2+b13', 'bash', '5.2.15-2'],
  bsdutils: ['1:2.38.1-5+deb12u3', 'util-linux', '2.38.1-5+deb12u3'],
  'debian-archive-keyring': ['2023.3+deb12u2', 'debian-archive-keyring', '2023.3+deb12u2'],
  gzip: ['1.12-1', 'gzip', '1.12-1'],
  libc6: ['2.36-9+deb12u14', 'glibc', '2.36-9+deb12u14'],
  'libgcc-s1': ['12.2.0-14+deb12u1', 'gcc-12', '12.2.0-14+deb12u1'],
  libgnutls30: ['3.7.9-2+deb12u7', 'gnutls28', '3.7.9-2+deb12u7'],
  'perl-base': ['5.36.0-7+deb12u3', 'perl', '5.36.0-7+deb12u3'],
  tar: ['1.34+dfsg-1.2+deb12u1', 'tar', '1.34+dfsg-1.2+deb12u1'],
  zlib1g: ['1:1.2.13.dfsg-1', 'zlib', '1:1.2.13.dfsg-1'],
};

describe('readSbom: the same image through three tools', () => {
  for (const [file, format, spec] of [
    ['trivy-debian.cdx.json', 'cyclonedx', '1.7'],
    ['bollard-debian.cdx.json', 'cyclonedx', '1.6'],
    ['bollard-debian.spdx.json', 'spdx', '2.3'],
  ] as const) {
    test(`${file}: every package of examples/debian-mini with its source, Debian 12`, async () => {
      const r = await readSbom(fixture(file), limits);
      assert.equal(r.format, format);
      assert.equal(r.specVersion, spec);
      assert.deepEqual(byName(r.inventory.packages), DEBIAN_MINI);
      assert.equal(r.inventory.os?.family, 'debian');
      assert.equal(r.inventory.os?.release, '12');
      assert.equal(r.inventory.os?.version, '12.15');
      assert.deepEqual(r.warnings, []);
      const bsdutils = r.inventory.packages.find((p) => p.name === 'bsdutils');
      assert.equal(bsdutils?.epoch, 1);
      assert.equal(bsdutils?.arch, 'amd64');
      assert.equal(bsdutils?.type, 'deb');
      // The purl is kept as the SBOM wrote it.
      assert.ok(bsdutils?.purl?.startsWith('pkg:deb/debian/bsdutils@'));
    });
  }

  test('Bollard CycloneDX keeps the database path and the layer', async () => {
    const r = await readSbom(fixture('bollard-debian.cdx.json'), limits);
    const gzip = r.inventory.packages.find((p) => p.name === 'gzip');
    assert.deepEqual(gzip?.location, { path: 'var/lib/dpkg/status', layer: 0 });
    assert.equal(r.inventory.os?.codename, 'bookworm');
  });
});

describe('readSbom: Syft and Trivy shapes', () => {
  test('Syft CycloneDX: sources from syft:metadata and upstream, OS component, language packages, counted leftovers', async () => {
    const r = await readSbom(fixture('syft-debian.cdx.json'), limits);
    assert.deepEqual(byName(r.inventory.packages), {
      bsdutils: ['1:2.38.1-5+deb12u3', 'util-linux', '2.38.1-5+deb12u3'],
      libc6: ['2.36-9+deb12u14', 'glibc', '2.36-9+deb12u14'],
      libgnutls30: ['3.7.9-2+deb12u7', 'gnutls28', '3.7.9-2+deb12u7'],
      gzip: ['1.12-1', 'gzip', '1.12-1'],
      '@babel/core': ['7.23.2', undefined, undefined],
      pyyaml: ['6.0.1', undefined, undefined],
      'golang.org/x/net': ['v0.17.0', undefined, undefined],
    });
    assert.deepEqual(
      r.inventory.packages.map((p) => p.type),
      ['deb', 'deb', 'deb', 'deb', 'npm', 'pypi', 'golang'],
    );
    assert.deepEqual(r.inventory.os, {
      family: 'debian',
      release: '12',
      version: '12',
      name: 'Debian GNU/Linux 12 (bookworm)',
      codename: 'bookworm',
    });
    assert.equal(r.subject?.startsWith('pkg:oci/app@sha256'), true);
    const codes = Object.fromEntries(r.warnings.map((w) => [w.code, w.count]));
    assert.deepEqual(codes, { SBOM_UNKNOWN_PURL_TYPE: 1, SBOM_NO_PURL: 1 });
    assert.equal(r.inventory.packages.find((p) => p.name === 'libc6')?.location.path, 'var/lib/dpkg/status');
  });

  test('Syft SPDX (RHEL): rpm epoch qualifier, source RPM from upstream, OS from the distro qualifier', async () => {
    const r = await readSbom(fixture('syft-rhel.spdx.json'), limits);
    assert.deepEqual(byName(r.inventory.packages), {
      'openssl-libs': ['1:3.0.7-24.el9', 'openssl', '3.0.7-24.el9'],
      bash: ['5.1.8-6.el9_1', 'bash', '5.1.8-6.el9_1'],
      'python3-requests': ['2.25.1-8.el9', undefined, undefined],
    });
    assert.equal(r.inventory.packages[0]?.epoch, 1);
    assert.equal(r.inventory.packages[0]?.arch, 'x86_64');
    assert.deepEqual(r.inventory.os, { family: 'rhel', release: '9', version: '9.3', name: 'rhel 9.3' });
    assert.equal(r.name, 'registry.example/ubi9');
    assert.ok(r.subject?.startsWith('pkg:oci/ubi9@'));
    assert.deepEqual(r.warnings, []);
  });

  test('Trivy SPDX 2.2 (Alpine): sources from sourceInfo, OS package by SPDXID, lockfile groupings skipped', async () => {
    const r = await readSbom(fixture('trivy-alpine.spdx.json'), limits);
    assert.equal(r.specVersion, '2.2');
    assert.deepEqual(byName(r.inventory.packages), {
      'busybox-binsh': ['1.36.1-r5', 'busybox', '1.36.1-r5'],
      libcrypto3: ['3.1.4-r0', 'openssl', '3.1.4-r0'],
      musl: ['1.2.4-r2', 'musl', '1.2.4-r2'],
      lodash: ['4.17.20', undefined, undefined],
    });
    assert.deepEqual(r.inventory.os, { family: 'alpine', release: '3.18', version: '3.18.4', name: 'alpine 3.18.4' });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.inventory.packages[1]?.licenses, ['Apache-2.0']);
  });

  test('SPDX tag-value (Syft): packages, upstream with an epoch, text blocks not parsed as tags', async () => {
    const r = await readSbom(fixture('syft-debian.spdx'), limits);
    assert.equal(r.format, 'spdx');
    assert.equal(r.specVersion, '2.3');
    assert.equal(r.name, 'registry.example/app');
    assert.deepEqual(byName(r.inventory.packages), {
      libc6: ['2.36-9+deb12u14', 'glibc', '2.36-9+deb12u14'],
      zlib1g: ['1:1.2.13.dfsg-1', 'zlib', '1:1.2.13.dfsg-1'],
    });
    assert.deepEqual(r.inventory.os, { family: 'debian', release: '12', version: '12', name: 'debian 12' });
    assert.ok(r.subject?.startsWith('pkg:oci/app@'));
    assert.deepEqual(r.warnings, []);
  });

  test('language purls of every ecosystem; nested components; unknown, broken and duplicate entries counted', async () => {
    const r = await readSbom(fixture('lang.cdx.json'), limits);
    assert.deepEqual(
      r.inventory.packages.map((p) => `${p.type}:${p.name}@${p.version}`),
      [
        'npm:@babel/core@7.23.2',
        'maven:org.apache.logging.log4j:log4j-core@2.14.1',
        'cargo:tokio@1.32.0',
        'gem:rack@2.2.8',
        'composer:guzzlehttp/guzzle@7.8.0',
        'nuget:Newtonsoft.Json@13.0.1',
        'pypi:django-extensions@3.2.3',
        'golang:github.com/gin-gonic/gin@v1.9.0',
      ],
    );
    assert.equal(r.inventory.os, undefined);
    const codes = Object.fromEntries(r.warnings.map((w) => [w.code, w.count]));
    assert.deepEqual(codes, {
      SBOM_NO_VERSION: 1,
      SBOM_UNKNOWN_PURL_TYPE: 1,
      SBOM_INVALID_PURL: 1,
      SBOM_DUPLICATE: 1,
    });
  });
});

describe('readSbomTarget', () => {
  test('an InventoryResult of kind sbom with coverage that says what was skipped', async () => {
    const r = await readSbomTarget(fixture('syft-debian.cdx.json'), limits);
    assert.equal(r.schemaVersion, 1);
    assert.equal(r.target.kind, 'sbom');
    assert.equal(r.target.name, 'registry.example/app');
    assert.equal(r.inventory.packages.length, 7);
    assert.equal(r.coverage[0]?.status, 'partial');
    assert.match(r.coverage[0]?.note ?? '', /2 entries not scanned/);
    const clean = await readSbomTarget(fixture('trivy-debian.cdx.json'), limits);
    assert.equal(clean.coverage[0]?.status, 'ok');
  });
});

describe('readSbom: hostile and foreign input', () => {
  const bad = (text: string): void => {
    parseSbom(text, 'x.json', limits);
  };
  test('JSON that is not an SBOM, invalid JSON, and unsupported versions are INPUT_INVALID', () => {
    assert.throws(
      () => bad('{"schemaVersion":2,"manifests":[]}'),
      expectCode('INPUT_INVALID', /neither a CycloneDX nor an SPDX/),
    );
    assert.throws(() => bad('{"bomFormat":"CycloneDX",'), expectCode('INPUT_INVALID', /not valid JSON/));
    assert.throws(() => bad('{"bomFormat":"CycloneDX","specVersion":"1.1"}'), expectCode('INPUT_INVALID', /1\.1/));
    assert.throws(() => bad('{"spdxVersion":"SPDX-2.1","packages":[]}'), expectCode('INPUT_INVALID', /SPDX-2\.1/));
    assert.throws(
      () => bad('{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}'),
      expectCode('INPUT_INVALID', /SPDX 3/),
    );
    assert.throws(
      () => bad('{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}}'),
      expectCode('INPUT_INVALID'),
    );
    assert.throws(() => bad('hello world'), expectCode('INPUT_INVALID', /not a CycloneDX or SPDX/));
    assert.throws(() => bad('SPDXVersion: SPDX-3.0\n'), expectCode('INPUT_INVALID'));
  });

  test('CycloneDX XML is refused with a clear message', () => {
    const xml = '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"></bom>';
    assert.throws(() => bad(xml), expectCode('INPUT_INVALID', /CycloneDX XML is not read/));
  });

  test('depth and size are bounded before parsing', () => {
    const deep = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${'['.repeat(100)}${']'.repeat(100)}}`;
    assert.throws(() => bad(deep), expectCode('LIMIT_EXCEEDED', /deeper/));
    const big = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [], pad: 'x'.repeat(2000) });
    assert.throws(
      () => parseSbom(big, 'big.json', { maxJsonBytes: 1000, maxJsonDepth: 64 }),
      expectCode('LIMIT_EXCEEDED'),
    );
  });

  test('deeply nested components within the depth limit are walked without recursion', () => {
    let c: Record<string, unknown> = { type: 'library', name: 'leaf', version: '1.0.0', purl: 'pkg:npm/leaf@1.0.0' };
    for (let i = 0; i < 25; i++)
      c = { type: 'library', name: `n${i}`, purl: `pkg:npm/n${i}@1.0.${i}`, components: [c] };
    const r = parseSbom(
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [c] }),
      'n.json',
      limits,
    );
    assert.equal(r.inventory.packages.length, 26);
  });

  test('hostile field types are skipped, never thrown', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [
        null,
        7,
        { type: 'library', purl: 42, name: {}, version: [] },
        { type: 'library', purl: `pkg:npm/${'a'.repeat(5000)}@1` },
        {
          type: 'library',
          purl: 'pkg:deb/debian/x@1?distro=%00',
          properties: 'nope',
          licenses: [null, { license: 3 }],
        },
      ],
    };
    const r = parseSbom(JSON.stringify(doc), 'h.json', limits);
    assert.equal(r.inventory.packages.length, 1);
    assert.equal(r.inventory.packages[0]?.name, 'x');
    assert.equal(r.inventory.os, undefined);
  });

  test('a missing file is TARGET_NOT_FOUND; a file over maxJsonBytes is refused before reading', async () => {
    await assert.rejects(readSbom('/nonexistent/sbom.json', limits), expectCode('TARGET_NOT_FOUND'));
    const dir = mkdtempSync(join(tmpdir(), 'bollard-sbom-test-'));
    try {
      const p = join(dir, 'big.json');
      writeFileSync(p, `{"bomFormat":"CycloneDX","specVersion":"1.6","pad":"${'x'.repeat(4000)}"}`);
      await assert.rejects(
        readSbom(p, { ...limits, maxJsonBytes: 1024 }),
        expectCode('LIMIT_EXCEEDED', /maxJsonBytes/),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('purl parsing and matching', () => {
  test('components are decoded and normalised per type', () => {
    assert.deepEqual(parsePurl('pkg:npm/%40babel/core@7.23.2'), {
      type: 'npm',
      namespace: '@babel',
      name: 'core',
      version: '7.23.2',
      qualifiers: {},
      subpath: null,
    });
    assert.deepEqual(parsePurl('pkg:npm/@babel/core'), {
      type: 'npm',
      namespace: '@babel',
      name: 'core',
      version: null,
      qualifiers: {},
      subpath: null,
    });
    const deb = parsePurl('PKG:deb/Debian/OpenSSL@3.0.11-1%7Edeb12u2?Arch=amd64&distro=debian-12&empty=#sub/../path');
    assert.deepEqual(deb, {
      type: 'deb',
      namespace: 'debian',
      name: 'openssl',
      version: '3.0.11-1~deb12u2',
      qualifiers: { arch: 'amd64', distro: 'debian-12' },
      subpath: 'sub/path',
    });
    assert.equal(parsePurl('pkg:pypi/Django_Extensions@3')?.name, 'django-extensions');
    for (const s of [
      '',
      'npm/x@1',
      'pkg:',
      'pkg:npm',
      'pkg:npm/',
      'pkg:1npm/x',
      'pkg:npm/%zz',
      'pkg:npm/x?=v',
      `pkg:npm/${'a'.repeat(5000)}`,
    ]) {
      assert.equal(parsePurl(s), undefined, s);
    }
  });

  test('matching: version when the pattern has one, pattern qualifiers must be present, epoch in either place', () => {
    const m = (a: string, b: string): boolean => purlMatches(parsePurl(a)!, parsePurl(b)!);
    const pkg = 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12';
    assert.equal(m('pkg:deb/debian/openssl', pkg), true);
    assert.equal(m('pkg:deb/debian/openssl@3.0.11-1~deb12u2', pkg), true);
    assert.equal(m('pkg:deb/debian/openssl@3.0.11-1', pkg), false);
    assert.equal(m('pkg:deb/debian/openssl?arch=amd64', pkg), true);
    assert.equal(m('pkg:deb/debian/openssl?arch=arm64', pkg), false);
    assert.equal(m('pkg:deb/debian/openssl?repository_url=x', pkg), false);
    assert.equal(m('pkg:deb/ubuntu/openssl', pkg), false);
    assert.equal(m('pkg:rpm/debian/openssl', pkg), false);
    assert.equal(m('pkg:deb/debian/libssl3', pkg), false);
    assert.equal(m('pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1', 'pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1'), true);
    assert.equal(m('pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1', 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1'), true);
    assert.equal(m('pkg:deb/debian/zlib1g@1.2.13.dfsg-1', 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1'), false);
  });
});
