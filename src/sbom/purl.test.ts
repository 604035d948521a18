import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Package } from '../analyzers/types.ts';
import { isBollardError } from '../util/errors.ts';
import {
  alpineImageInventory,
  debianImageInventory,
  debianOs,
  rhelImageInventory,
} from './__fixtures__/inventories.ts';
import { buildPurl, imagePurl, type PurlParts, packagePurl, purlDistro, purlEncode } from './purl.ts';

/*
 * Build cases of the purl specification's test suite (package-url/purl-spec, tests/types/{deb,rpm,apk,oci}-test.json
 * and tests/spec/specification-test.json): decoded components in, canonical string out. Parse and
 * roundtrip cases are covered by building from their expected components.
 */
const SPEC_BUILD_CASES: [PurlParts, string][] = [
  [
    {
      type: 'deb',
      namespace: 'debian',
      name: 'curl',
      version: '7.50.3-1',
      qualifiers: { arch: 'i386', distro: 'jessie' },
    },
    'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie',
  ],
  [
    {
      type: 'deb',
      namespace: 'debian',
      name: 'dpkg',
      version: '1.19.0.4',
      qualifiers: { arch: 'amd64', distro: 'stretch' },
    },
    'pkg:deb/debian/dpkg@1.19.0.4?arch=amd64&distro=stretch',
  ],
  [
    { type: 'deb', namespace: 'ubuntu', name: 'dpkg', version: '1.19.0.4', qualifiers: { arch: 'amd64' } },
    'pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64',
  ],
  [
    { type: 'deb', namespace: 'debian', name: 'attr', version: '1:2.4.47-2', qualifiers: { arch: 'source' } },
    'pkg:deb/debian/attr@1:2.4.47-2?arch=source',
  ],
  [
    { type: 'deb', namespace: 'debian', name: 'attr', version: '1:2.4.47-2+b1', qualifiers: { arch: 'amd64' } },
    'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64',
  ],
  [
    {
      type: 'rpm',
      namespace: 'fedora',
      name: 'curl',
      version: '7.50.3-1.fc25',
      qualifiers: { arch: 'i386', distro: 'fedora-25' },
    },
    'pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25',
  ],
  // Roundtrip of "pkg:Rpm/fedora/curl@7.50.3-1.fc25?Arch=i386&Distro=fedora-25": type and keys are lowercased.
  [
    {
      type: 'Rpm',
      namespace: 'fedora',
      name: 'curl',
      version: '7.50.3-1.fc25',
      qualifiers: { Arch: 'i386', Distro: 'fedora-25' },
    },
    'pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25',
  ],
  [
    {
      type: 'rpm',
      namespace: null,
      name: 'centerim',
      version: '4.22.10-1.el6',
      qualifiers: { arch: 'i686', distro: 'fedora-25', epoch: '1' },
      subpath: null,
    },
    'pkg:rpm/centerim@4.22.10-1.el6?arch=i686&distro=fedora-25&epoch=1',
  ],
  [
    { type: 'apk', namespace: 'alpine', name: 'curl', version: '7.83.0-r0', qualifiers: { arch: 'x86' } },
    'pkg:apk/alpine/curl@7.83.0-r0?arch=x86',
  ],
  [
    { type: 'apk', namespace: 'alpine', name: 'apk', version: '2.12.9-r3', qualifiers: { arch: 'x86' } },
    'pkg:apk/alpine/apk@2.12.9-r3?arch=x86',
  ],
  [
    {
      type: 'apk',
      namespace: 'alpine',
      name: 'libcrypto3',
      version: '3.5.5-r0',
      qualifiers: { arch: 'x86_64', distro: 'alpine-edge', upstream: 'openssl' },
    },
    'pkg:apk/alpine/libcrypto3@3.5.5-r0?arch=x86_64&distro=alpine-edge&upstream=openssl',
  ],
  [
    {
      type: 'oci',
      name: 'debian',
      version: 'sha256:244fd47e07d10',
      qualifiers: { arch: 'amd64', repository_url: 'docker.io/library/debian', tag: 'latest' },
    },
    'pkg:oci/debian@sha256:244fd47e07d10?arch=amd64&repository_url=docker.io%2Flibrary%2Fdebian&tag=latest',
  ],
  [
    {
      type: 'oci',
      name: 'debian',
      version: 'sha256:244fd47e07d10',
      qualifiers: { repository_url: 'ghcr.io/debian', tag: 'bullseye' },
    },
    'pkg:oci/debian@sha256:244fd47e07d10?repository_url=ghcr.io%2Fdebian&tag=bullseye',
  ],
  [
    {
      type: 'oci',
      name: 'static',
      version: 'sha256:244fd47e07d10',
      qualifiers: { repository_url: 'gcr.io/distroless/static', tag: 'latest' },
    },
    'pkg:oci/static@sha256:244fd47e07d10?repository_url=gcr.io%2Fdistroless%2Fstatic&tag=latest',
  ],
  [
    { type: 'oci', name: 'hello-wasm', version: 'sha256:244fd47e07d10', qualifiers: { tag: 'v1' } },
    'pkg:oci/hello-wasm@sha256:244fd47e07d10?tag=v1',
  ],
  [
    {
      type: 'generic',
      name: 'openssl',
      version: '1.1.10g',
      qualifiers: { checksum: 'sha1:ad9503c3e994a4f,sha256:41bf9088b3a1e6c1ef1d' },
    },
    'pkg:generic/openssl@1.1.10g?checksum=sha1:ad9503c3e994a4f%2Csha256:41bf9088b3a1e6c1ef1d',
  ],
];

/** Build cases the suite expects to fail. */
const SPEC_BUILD_FAILURES: PurlParts[] = [
  { type: 'npm', name: 'myartifact', version: '1.0.0', qualifiers: { 'in production': 'true' } },
  { type: 'maven', name: '' },
  { type: '3nginx', name: 'nginx', version: '0.8.9' },
  { type: 'nginx:a', name: 'nginx', version: '0.8.9' },
];

/** Decode a canonical purl into components (enough for our types: no subpath). */
function decode(purl: string): {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
} {
  const m = /^pkg:([^/]+)\/(?:(.*)\/)?([^/@?]+)(?:@([^?]*))?(?:\?(.*))?$/.exec(purl);
  assert.ok(m, `not a purl: ${purl}`);
  const qualifiers: Record<string, string> = {};
  for (const pair of (m[5] ?? '').split('&').filter(Boolean)) {
    const [k, v] = pair.split('=');
    qualifiers[k ?? ''] = decodeURIComponent(v ?? '');
  }
  const out: ReturnType<typeof decode> = { type: m[1] ?? '', name: decodeURIComponent(m[3] ?? ''), qualifiers };
  if (m[2]) out.namespace = decodeURIComponent(m[2]);
  if (m[4] !== undefined) out.version = decodeURIComponent(m[4]);
  return out;
}

const CANONICAL_CHARS = /^pkg:[a-z0-9.+-]+\/[A-Za-z0-9.\-_~%:/@?=&]+$/;

describe('buildPurl', () => {
  test('matches the purl specification build cases for deb, rpm, apk, oci and generic', () => {
    for (const [parts, expected] of SPEC_BUILD_CASES) assert.equal(buildPurl(parts), expected);
  });

  test('rejects what the specification says cannot be built', () => {
    for (const parts of SPEC_BUILD_FAILURES) {
      assert.throws(
        () => buildPurl(parts),
        (e: unknown) => isBollardError(e, 'INTERNAL'),
        JSON.stringify(parts),
      );
    }
  });

  test('percent-encodes everything outside the unreserved set, keeps ":" and encodes UTF-8', () => {
    assert.equal(purlEncode('a b+c~d:e/f#g?h&i=j%k@l'), 'a%20b%2Bc~d:e%2Ff%23g%3Fh%26i%3Dj%25k%40l');
    assert.equal(purlEncode('ü包'), '%C3%BC%E5%8C%85');
    // A lone surrogate is not valid UTF-16; it is encoded as U+FFFD instead of throwing like encodeURIComponent.
    assert.equal(purlEncode('a\ud800b'), 'a%EF%BF%BDb');
  });

  test('drops empty qualifiers, sorts keys, lowercases deb/apk/oci names but not rpm names', () => {
    assert.equal(
      buildPurl({
        type: 'deb',
        namespace: 'Debian',
        name: 'LibFoo',
        version: '1',
        qualifiers: { z: '1', a: '', b: undefined, m: 'x' },
      }),
      'pkg:deb/debian/libfoo@1?m=x&z=1',
    );
    assert.equal(
      buildPurl({ type: 'rpm', namespace: 'Fedora', name: 'NetworkManager', version: '1' }),
      'pkg:rpm/fedora/NetworkManager@1',
    );
  });
});

function pkg(p: Partial<Package> & Pick<Package, 'type' | 'name' | 'version'>): Package {
  return { licenses: [], location: { path: 'x' }, ...p };
}

describe('packagePurl', () => {
  test('Debian packages: namespace debian, distro debian-12, epoch kept inside the version', () => {
    assert.equal(purlDistro(debianOs), 'debian-12');
    assert.equal(
      packagePurl(pkg({ type: 'deb', name: 'libc6', version: '2.36-9+deb12u14', arch: 'amd64' }), debianOs),
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12',
    );
    assert.equal(
      packagePurl(pkg({ type: 'deb', name: 'zlib1g', version: '1:1.2.13.dfsg-1', epoch: 1, arch: 'amd64' }), debianOs),
      'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12',
    );
    // An epoch the version string lacks is added in front, as dpkg prints it.
    assert.equal(
      packagePurl(pkg({ type: 'deb', name: 'libgmp10', version: '6.2.1+dfsg1-1.1', epoch: 2 }), debianOs),
      'pkg:deb/debian/libgmp10@2:6.2.1%2Bdfsg1-1.1?distro=debian-12',
    );
    const ubuntu = { family: 'ubuntu', release: '22.04', version: '22.04.4', name: 'Ubuntu 22.04.4 LTS' };
    assert.equal(
      packagePurl(pkg({ type: 'deb', name: 'dpkg', version: '1.21.1ubuntu2.3', arch: 'amd64' }), ubuntu),
      'pkg:deb/ubuntu/dpkg@1.21.1ubuntu2.3?arch=amd64&distro=ubuntu-22.04',
    );
  });

  test('rpm packages: vendor namespace, epoch as a qualifier (omitted when 0), version-release without epoch', () => {
    const rhel = { family: 'rhel', release: '9', version: '9.3', name: 'Red Hat Enterprise Linux 9.3 (Plow)' };
    assert.equal(
      packagePurl(
        pkg({ type: 'rpm', name: 'openssl-libs', version: '1:3.0.7-24.el9', epoch: 1, arch: 'x86_64' }),
        rhel,
      ),
      'pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=redhat-9&epoch=1',
    );
    assert.equal(
      packagePurl(pkg({ type: 'rpm', name: 'bash', version: '0:5.1.8-6.el9_1', arch: 'x86_64' }), rhel),
      'pkg:rpm/redhat/bash@5.1.8-6.el9_1?arch=x86_64&distro=redhat-9',
    );
    const expected: [string, string][] = [
      ['centos', 'pkg:rpm/centos/curl@7.76.1-26?distro=centos-9'],
      ['fedora', 'pkg:rpm/fedora/curl@7.76.1-26?distro=fedora-9'],
      ['amzn', 'pkg:rpm/amazon/curl@7.76.1-26?distro=amazon-9'],
      ['rocky', 'pkg:rpm/rocky/curl@7.76.1-26?distro=rocky-9'],
      ['almalinux', 'pkg:rpm/almalinux/curl@7.76.1-26?distro=almalinux-9'],
      ['ol', 'pkg:rpm/oracle/curl@7.76.1-26?distro=oracle-9'],
      ['opensuse-leap', 'pkg:rpm/opensuse/curl@7.76.1-26?distro=opensuse-9'],
      ['sles', 'pkg:rpm/suse/curl@7.76.1-26?distro=suse-9'],
    ];
    for (const [family, purl] of expected) {
      assert.equal(
        packagePurl(pkg({ type: 'rpm', name: 'curl', version: '7.76.1-26' }), {
          family,
          release: '9',
          version: '9.1',
          name: '',
        }),
        purl,
      );
    }
  });

  test('apk packages: namespace alpine, distro alpine-<release>', () => {
    const alpine = { family: 'alpine', release: '3.19', version: '3.19.1', name: 'Alpine Linux v3.19' };
    assert.equal(
      packagePurl(pkg({ type: 'apk', name: 'musl', version: '1.2.4_git20230717-r4', arch: 'aarch64' }), alpine),
      'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=aarch64&distro=alpine-3.19',
    );
  });

  test('without an OS: deb → debian, apk → alpine, rpm → its vendor tag or no namespace', () => {
    assert.equal(packagePurl(pkg({ type: 'deb', name: 'bash', version: '5.2' }), undefined), 'pkg:deb/debian/bash@5.2');
    assert.equal(
      packagePurl(pkg({ type: 'apk', name: 'zlib', version: '1.3-r2' }), undefined),
      'pkg:apk/alpine/zlib@1.3-r2',
    );
    assert.equal(
      packagePurl(pkg({ type: 'rpm', name: 'bash', version: '5.1-1', vendor: 'Red Hat, Inc.' }), undefined),
      'pkg:rpm/redhat/bash@5.1-1',
    );
    assert.equal(packagePurl(pkg({ type: 'rpm', name: 'bash', version: '5.1-1' }), undefined), 'pkg:rpm/bash@5.1-1');
  });

  test('hostile names and versions stay reversible and use only canonical characters', () => {
    const names = ['name with spaces', 'g++-12', 'colon:pkg', 'ünïcödé-пакет-包', 'a/b#c?d&e=f%g@h', 'x~y'];
    for (const name of names) {
      const purl = packagePurl(pkg({ type: 'rpm', name, version: '1:2.0~rc1+b2 x', arch: 'x86_64' }), undefined);
      assert.match(purl, CANONICAL_CHARS, purl);
      const back = decode(purl);
      assert.equal(back.name, name);
      assert.equal(back.version, '2.0~rc1+b2 x');
      assert.equal(back.qualifiers.epoch, '1');
    }
  });

  test('a package without a usable name cannot have a purl', () => {
    for (const name of ['', '/', '//']) {
      assert.throws(
        () => packagePurl(pkg({ type: 'deb', name, version: '1' }), debianOs),
        (e: unknown) => isBollardError(e, 'INTERNAL'),
      );
    }
  });
});

describe('imagePurl', () => {
  test('registry image: last path segment, manifest digest, repository_url, tag and arch', () => {
    const image = debianImageInventory().target.image;
    assert.ok(image?.manifestDigest);
    assert.equal(
      imagePurl(image),
      `pkg:oci/bookworm@${image.manifestDigest}?arch=amd64&repository_url=127.0.0.1:5000%2Fbollard-test%2Fbookworm&tag=latest`,
    );
  });

  test('docker-archive without a manifest digest: name from the repo tag, digest from the repo digest', () => {
    const image = alpineImageInventory().target.image;
    assert.ok(image);
    const digest = image.repoDigests[0]?.split('@')[1];
    assert.equal(
      imagePurl(image),
      `pkg:oci/alpine@${digest}?arch=arm64&repository_url=docker.io%2Flibrary%2Falpine&tag=3.19`,
    );
  });

  test('an image with no name has no purl (an OCI layout without a reference)', () => {
    const image = rhelImageInventory().target.image;
    assert.ok(image);
    assert.equal(imagePurl(image), undefined);
  });

  test('no digest at all: no purl rather than a config digest in the version', () => {
    const image = alpineImageInventory().target.image;
    assert.ok(image);
    assert.equal(imagePurl({ ...image, repoDigests: [] }), undefined);
  });
});
