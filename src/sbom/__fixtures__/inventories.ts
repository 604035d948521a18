import type { OSInfo, Package } from '../../analyzers/types.ts';
import type { ImageMetadata } from '../../artifact/types.ts';
import { parseReference } from '../../oci/reference.ts';
import type { ImageConfig } from '../../oci/types.ts';
import type { InventoryResult } from '../../scan/types.ts';
import { type Digest, digestOf } from '../../util/digest.ts';

/*
 * Inventories for the SBOM writer tests. Package names, versions, maintainers, sources, dependencies and
 * licence strings of the Debian fixtures are those of the debootstrap bookworm root (12.15,
 * /var/lib/bollard-test/rootfs-bookworm: var/lib/dpkg/status and usr/share/doc/<pkg>/copyright);
 * the Alpine 3.19 and RHEL 9.3 (UBI) packages are real releases of those distributions.
 * Digests are sha256 of fixed labels, so the fixtures are deterministic.
 */

const d = (label: string): Digest => digestOf(`bollard-sbom-fixture:${label}`);

const tool = { name: 'bollard', version: '0.1.0' } as const;
const createdAt = '2026-11-22T12:00:00.000Z';
const stats = { layers: 0, layersFromCache: 0, layersWalked: 0, entries: 0, bytesWalked: 0, durationMs: 0 };

export const debianOs: OSInfo = {
  family: 'debian',
  release: '12',
  version: '12.15',
  codename: 'bookworm',
  name: 'Debian GNU/Linux 12 (bookworm)',
};

const STATUS = 'var/lib/dpkg/status';

function files(list: string): string[] {
  return list.trim().split(/\s+/);
}

/** Debian bookworm packages, as the dpkg analyzer reports them (layer set per image below). */
export function debianPackages(layerOf: (name: string) => number | undefined): Package[] {
  const pkg = (p: Omit<Package, 'type' | 'location'>): Package => {
    const layer = layerOf(p.name);
    return { type: 'deb', ...p, location: layer === undefined ? { path: STATUS } : { path: STATUS, layer } };
  };
  return [
    pkg({
      name: 'base-files',
      version: '12.4+deb12u15',
      arch: 'amd64',
      licenses: [],
      maintainer: 'Santiago Vila <sanvila@debian.org>',
      dependsOn: ['awk'],
    }),
    pkg({
      name: 'bash',
      version: '5.2.15-2+b13',
      arch: 'amd64',
      source: { name: 'bash', version: '5.2.15-2' },
      licenses: [
        'BSD-4-clause-UC',
        'BSD-4-clause-UC and MIT-like',
        'GFDL-NIV-1.3',
        'GPL-2+',
        'GPL-3+',
        'GPL-3+ with Bison exception',
        'Latex2e',
        'MIT-like',
        'permissive',
      ],
      maintainer: 'Matthias Klose <doko@debian.org>',
      dependsOn: ['base-files', 'debianutils', 'libc6', 'libtinfo6'],
    }),
    pkg({
      name: 'coreutils',
      version: '9.1-1',
      arch: 'amd64',
      licenses: ['BSD-4-clause-UC', 'FSFULLR', 'GFDL-NIV-1.3', 'GPL-3+', 'GPL-3+ and BSD-4-clause-UC', 'ISC'],
      maintainer: 'Michael Stone <mstone@debian.org>',
      dependsOn: ['libacl1', 'libattr1', 'libc6', 'libgmp10', 'libselinux1'],
    }),
    pkg({
      name: 'debconf',
      version: '1.5.82',
      arch: 'all',
      licenses: ['BSD-2-clause'],
      maintainer: 'Debconf Developers <debconf-devel@lists.alioth.debian.org>',
    }),
    pkg({
      name: 'debianutils',
      version: '5.7-0.5~deb12u1',
      arch: 'amd64',
      licenses: ['GPL-2+', 'SMAIL-GPL', 'public-domain'],
      maintainer: 'Clint Adams <clint@debian.org>',
      dependsOn: ['libc6'],
    }),
    pkg({
      name: 'gcc-12-base',
      version: '12.2.0-14+deb12u1',
      arch: 'amd64',
      source: { name: 'gcc-12', version: '12.2.0-14+deb12u1' },
      licenses: [],
      maintainer: 'Debian GCC Maintainers <debian-gcc@lists.debian.org>',
      files: files(`usr usr/share usr/share/doc usr/share/doc/gcc-12-base
        usr/share/doc/gcc-12-base/README.Debian.amd64.gz usr/share/doc/gcc-12-base/TODO.Debian
        usr/share/doc/gcc-12-base/changelog.Debian.gz usr/share/doc/gcc-12-base/copyright`),
    }),
    pkg({
      name: 'libattr1',
      version: '1:2.5.1-4',
      epoch: 1,
      arch: 'amd64',
      source: { name: 'attr', version: '1:2.5.1-4' },
      licenses: ['GPL-2+', 'LGPL-2+'],
      maintainer: 'Guillem Jover <guillem@debian.org>',
      dependsOn: ['libc6 (>= 2.4)'],
    }),
    pkg({
      name: 'libc6',
      version: '2.36-9+deb12u14',
      arch: 'amd64',
      source: { name: 'glibc', version: '2.36-9+deb12u14' },
      licenses: [],
      maintainer: 'GNU Libc Maintainers <debian-glibc@lists.debian.org>',
      dependsOn: ['libgcc-s1'],
    }),
    pkg({
      name: 'libgcc-s1',
      version: '12.2.0-14+deb12u1',
      arch: 'amd64',
      source: { name: 'gcc-12', version: '12.2.0-14+deb12u1' },
      licenses: [],
      maintainer: 'Debian GCC Maintainers <debian-gcc@lists.debian.org>',
      dependsOn: ['gcc-12-base', 'libc6'],
      files: files(`lib lib/x86_64-linux-gnu lib/x86_64-linux-gnu/libgcc_s.so.1 usr usr/share usr/share/doc
        usr/share/lintian usr/share/lintian/overrides usr/share/lintian/overrides/libgcc-s1 usr/share/doc/libgcc-s1`),
    }),
    pkg({
      name: 'libgmp10',
      version: '2:6.2.1+dfsg1-1.1',
      epoch: 2,
      arch: 'amd64',
      source: { name: 'gmp', version: '2:6.2.1+dfsg1-1.1' },
      licenses: ['GPL-2+', 'GPL-2+ or LGPL-3+', 'GPL-3+', 'GPL-3+ with Bison exception', 'LGPL-3+'],
      maintainer: 'Debian Science Team <debian-science-maintainers@lists.alioth.debian.org>',
      dependsOn: ['libc6'],
    }),
    pkg({
      name: 'libpcre2-8-0',
      version: '10.42-1',
      arch: 'amd64',
      source: { name: 'pcre2', version: '10.42-1' },
      licenses: ['BSD-2-clause', 'BSD-3-clause', 'X11', 'public-domain'],
      maintainer: 'Matthew Vernon <matthew@debian.org>',
      dependsOn: ['libc6'],
    }),
    pkg({
      name: 'libselinux1',
      version: '3.4-1+b6',
      arch: 'amd64',
      source: { name: 'libselinux', version: '3.4-1' },
      licenses: [],
      maintainer: 'Debian SELinux maintainers <selinux-devel@lists.alioth.debian.org>',
      dependsOn: ['libc6 (>= 2.34)', 'libpcre2-8-0 (>= 10.22)'],
    }),
    pkg({
      name: 'libtinfo6',
      version: '6.4-4',
      arch: 'amd64',
      source: { name: 'ncurses', version: '6.4-4' },
      licenses: ['BSD-3-clause', 'MIT/X11', 'X11'],
      maintainer: 'Craig Small <csmall@debian.org>',
      dependsOn: ['libc6'],
    }),
    pkg({
      name: 'libzstd1',
      version: '1.5.4+dfsg2-5',
      arch: 'amd64',
      source: { name: 'libzstd', version: '1.5.4+dfsg2-5' },
      licenses: ['BSD-3-clause', 'BSD-3-clause or GPL-2', 'Expat', 'GPL-2', 'zlib'],
      maintainer: 'RPM packaging team <team+pkg-rpm@tracker.debian.org>',
      dependsOn: ['libc6'],
      files: files(`usr usr/lib usr/lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4 usr/share
        usr/share/doc usr/share/doc/libzstd1 usr/share/doc/libzstd1/changelog.Debian.gz
        usr/share/doc/libzstd1/changelog.gz usr/share/doc/libzstd1/copyright usr/lib/x86_64-linux-gnu/libzstd.so.1`),
    }),
    pkg({
      name: 'tzdata',
      version: '2026b-0+deb12u1',
      arch: 'all',
      licenses: ['public-domain'],
      maintainer: 'GNU Libc Maintainers <debian-glibc@lists.debian.org>',
      dependsOn: ['debconf (>= 0.5) | debconf-2.0'],
    }),
    pkg({
      name: 'zlib1g',
      version: '1:1.2.13.dfsg-1',
      epoch: 1,
      arch: 'amd64',
      source: { name: 'zlib', version: '1:1.2.13.dfsg-1' },
      licenses: ['Zlib'],
      maintainer: 'Mark Brown <broonie@debian.org>',
      dependsOn: ['libc6 (>= 2.14)'],
      files: files(`lib lib/x86_64-linux-gnu lib/x86_64-linux-gnu/libz.so.1.2.13 usr usr/share usr/share/doc
        usr/share/doc/zlib1g usr/share/doc/zlib1g/changelog.Debian.gz usr/share/doc/zlib1g/changelog.gz
        usr/share/doc/zlib1g/copyright lib/x86_64-linux-gnu/libz.so.1`),
    }),
  ];
}

function config(p: { arch: string; created: string; diffIds: Digest[]; labels?: Record<string, string> }): ImageConfig {
  return {
    architecture: p.arch,
    os: 'linux',
    created: p.created,
    config: { Cmd: ['/bin/sh'], ...(p.labels ? { Labels: p.labels } : {}) },
    rootfs: { type: 'layers', diff_ids: p.diffIds },
    history: [],
  };
}

/** A two-layer Debian image pulled from a registry: the debootstrap root, then tzdata and zlib1g updated. */
export function debianImageInventory(): InventoryResult {
  const diffIds = [d('debian-layer-0-diffid'), d('debian-layer-1-diffid')];
  const ref = parseReference('127.0.0.1:5000/bollard-test/bookworm:latest');
  const manifestDigest = d('debian-manifest');
  const image: ImageMetadata = {
    kind: 'registry',
    input: '127.0.0.1:5000/bollard-test/bookworm:latest',
    name: '127.0.0.1:5000/bollard-test/bookworm:latest',
    reference: ref,
    manifestDigest,
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    configDigest: d('debian-config'),
    config: config({
      arch: 'amd64',
      created: '2026-11-20T09:30:00Z',
      diffIds,
      labels: { 'org.opencontainers.image.source': 'https://example.org/bookworm', maintainer: 'Bollard tests' },
    }),
    platform: { os: 'linux', architecture: 'amd64' },
    repoTags: ['127.0.0.1:5000/bollard-test/bookworm:latest'],
    repoDigests: [`127.0.0.1:5000/bollard-test/bookworm@${manifestDigest}`],
    layers: [
      {
        index: 0,
        diffId: diffIds[0] ?? d('x'),
        digest: d('debian-layer-0-blob'),
        size: 31_457_280,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      },
      {
        index: 1,
        diffId: diffIds[1] ?? d('x'),
        digest: d('debian-layer-1-blob'),
        size: 1_048_576,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      },
    ],
    size: 32_505_856,
  };
  return {
    schemaVersion: 1,
    target: { kind: 'registry', input: image.input, name: image.name, image },
    inventory: {
      os: debianOs,
      packages: debianPackages((name) => (name === 'tzdata' || name === 'zlib1g' ? 1 : 0)),
    },
    coverage: [
      { id: 'os-release', version: 1, files: 1, items: 1, status: 'ok' },
      { id: 'dpkg', version: 1, files: 1, items: 16, status: 'ok' },
    ],
    warnings: [],
    stats,
    tool,
    createdAt,
  };
}

/** The same Debian packages read from a root filesystem directory (no layers). */
export function debianRootfsInventory(): InventoryResult {
  const path = '/var/lib/bollard-test/rootfs-bookworm';
  return {
    schemaVersion: 1,
    target: { kind: 'rootfs', input: path, name: path, path },
    inventory: { os: debianOs, packages: debianPackages(() => undefined) },
    coverage: [
      { id: 'os-release', version: 1, files: 1, items: 1, status: 'ok' },
      { id: 'dpkg', version: 1, files: 1, items: 16, status: 'ok' },
    ],
    warnings: [{ code: 'DPKG_RECORD_INVALID', message: 'dpkg status record without a Package field', count: 1 }],
    stats,
    tool,
    createdAt,
  };
}

/** An Alpine 3.19 image from a docker-archive (no manifest digest: the purl comes from the repo digest). */
export function alpineImageInventory(): InventoryResult {
  const diffIds = [d('alpine-layer-0-diffid')];
  const repoDigest = d('alpine-manifest');
  const image: ImageMetadata = {
    kind: 'docker-archive',
    input: 'docker-archive:alpine.tar',
    name: 'alpine.tar',
    configDigest: d('alpine-config'),
    config: config({ arch: 'arm64', created: '2024-01-27T00:00:00Z', diffIds }),
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    repoTags: ['alpine:3.19'],
    repoDigests: [`alpine@${repoDigest}`],
    layers: [{ index: 0, diffId: diffIds[0] ?? d('x') }],
  };
  const os: OSInfo = {
    family: 'alpine',
    release: '3.19',
    version: '3.19.1',
    name: 'Alpine Linux v3.19',
  };
  const INSTALLED = 'lib/apk/db/installed';
  const apk = (p: Omit<Package, 'type' | 'location' | 'arch'>): Package => ({
    type: 'apk',
    arch: 'aarch64',
    ...p,
    location: { path: INSTALLED, layer: 0 },
  });
  const ncopa = 'Natanael Copa <ncopa@alpinelinux.org>';
  const packages: Package[] = [
    apk({
      name: 'alpine-baselayout',
      version: '3.4.3-r2',
      source: { name: 'alpine-baselayout', version: '3.4.3-r2' },
      licenses: ['GPL-2.0-only'],
      maintainer: ncopa,
      dependsOn: ['alpine-baselayout-data', '/bin/sh'],
    }),
    apk({
      name: 'alpine-baselayout-data',
      version: '3.4.3-r2',
      source: { name: 'alpine-baselayout', version: '3.4.3-r2' },
      licenses: ['GPL-2.0-only'],
      maintainer: ncopa,
    }),
    apk({
      name: 'apk-tools',
      version: '2.14.0-r5',
      source: { name: 'apk-tools', version: '2.14.0-r5' },
      licenses: ['GPL-2.0-only'],
      maintainer: ncopa,
      dependsOn: ['musl', 'ca-certificates-bundle', 'so:libc.musl-aarch64.so.1', 'libcrypto3', 'libssl3', 'zlib'],
    }),
    apk({
      name: 'busybox',
      version: '1.36.1-r15',
      source: { name: 'busybox', version: '1.36.1-r15' },
      licenses: ['GPL-2.0-only'],
      maintainer: 'Sören Tempel <soeren+alpine@soeren-tempel.net>',
      dependsOn: ['so:libc.musl-aarch64.so.1'],
    }),
    apk({
      name: 'ca-certificates-bundle',
      version: '20230506-r0',
      source: { name: 'ca-certificates', version: '20230506-r0' },
      licenses: ['MPL-2.0 AND MIT'],
      maintainer: ncopa,
    }),
    apk({
      name: 'libcrypto3',
      version: '3.1.4-r5',
      source: { name: 'openssl', version: '3.1.4-r5' },
      licenses: ['Apache-2.0'],
      maintainer: 'Ariadne Conill <ariadne@dereferenced.org>',
      dependsOn: ['musl'],
    }),
    apk({
      name: 'libssl3',
      version: '3.1.4-r5',
      source: { name: 'openssl', version: '3.1.4-r5' },
      licenses: ['Apache-2.0'],
      maintainer: 'Ariadne Conill <ariadne@dereferenced.org>',
      dependsOn: ['libcrypto3', 'musl'],
    }),
    apk({
      name: 'musl',
      version: '1.2.4_git20230717-r4',
      source: { name: 'musl', version: '1.2.4_git20230717-r4' },
      licenses: ['MIT'],
      maintainer: 'Timo Teräs <timo.teras@iki.fi>',
    }),
    apk({
      name: 'musl-utils',
      version: '1.2.4_git20230717-r4',
      source: { name: 'musl', version: '1.2.4_git20230717-r4' },
      licenses: ['MIT AND BSD-2-Clause AND GPL-2.0-or-later'],
      maintainer: 'Timo Teräs <timo.teras@iki.fi>',
      dependsOn: ['scanelf', 'musl'],
    }),
    apk({
      name: 'scanelf',
      version: '1.3.7-r2',
      source: { name: 'pax-utils', version: '1.3.7-r2' },
      licenses: ['GPL-2.0-only'],
      maintainer: ncopa,
      dependsOn: ['musl'],
    }),
    apk({
      name: 'zlib',
      version: '1.3.1-r0',
      source: { name: 'zlib', version: '1.3.1-r0' },
      licenses: ['Zlib'],
      maintainer: ncopa,
      dependsOn: ['musl'],
    }),
  ];
  return {
    schemaVersion: 1,
    target: { kind: 'docker-archive', input: image.input, name: image.name, image },
    inventory: { os, packages },
    coverage: [
      { id: 'os-release', version: 1, files: 1, items: 1, status: 'ok' },
      { id: 'apk', version: 1, files: 1, items: 11, status: 'ok' },
    ],
    warnings: [],
    stats,
    tool,
    createdAt,
  };
}

/** A RHEL 9.3 (UBI) root filesystem read from an OCI layout: rpm epochs, vendors, modularity, old-style licences. */
export function rhelImageInventory(): InventoryResult {
  const diffIds = [d('ubi-layer-0-diffid')];
  const image: ImageMetadata = {
    kind: 'oci',
    input: 'oci:/srv/images/ubi9:9.3',
    name: '/srv/images/ubi9:9.3',
    manifestDigest: d('ubi-manifest'),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    indexDigest: d('ubi-index'),
    configDigest: d('ubi-config'),
    config: config({
      arch: 'amd64',
      created: '2024-02-05T12:00:00Z',
      diffIds,
      labels: { name: 'ubi9-minimal', version: '9.3', vendor: 'Red Hat, Inc.' },
    }),
    platform: { os: 'linux', architecture: 'amd64' },
    repoTags: [],
    repoDigests: [],
    layers: [{ index: 0, diffId: diffIds[0] ?? d('x'), digest: d('ubi-layer-0-blob') }],
  };
  const os: OSInfo = {
    family: 'rhel',
    release: '9',
    version: '9.3',
    name: 'Red Hat Enterprise Linux 9.3 (Plow)',
    idLike: ['fedora'],
  };
  const RPMDB = 'var/lib/rpm/rpmdb.sqlite';
  const rpm = (p: Omit<Package, 'type' | 'location' | 'vendor' | 'maintainer'>): Package => ({
    type: 'rpm',
    vendor: 'Red Hat, Inc.',
    maintainer: 'Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>',
    ...p,
    location: { path: RPMDB, layer: 0 },
  });
  const packages: Package[] = [
    rpm({
      name: 'bash',
      version: '5.1.8-6.el9_1',
      arch: 'x86_64',
      source: { name: 'bash', version: '5.1.8-6.el9_1' },
      licenses: ['GPLv3+'],
      dependsOn: ['glibc', 'ncurses-libs', 'filesystem'],
    }),
    rpm({
      name: 'crypto-policies',
      version: '20230731-1.git94f0e2c.el9_3.1',
      arch: 'noarch',
      source: { name: 'crypto-policies', version: '20230731-1.git94f0e2c.el9_3.1' },
      licenses: ['LGPL-2.1-or-later'],
    }),
    rpm({
      name: 'glibc',
      version: '2.34-83.el9_3.7',
      arch: 'x86_64',
      source: { name: 'glibc', version: '2.34-83.el9_3.7' },
      licenses: [
        'LGPLv2+ and LGPLv2+ with exceptions and GPLv2+ and GPLv2+ with exceptions and BSD and Inner-Net and ISC and Public Domain and GFDL',
      ],
      dependsOn: ['libgcc'],
    }),
    rpm({
      name: 'libgcc',
      version: '11.4.1-2.1.el9',
      arch: 'x86_64',
      source: { name: 'gcc', version: '11.4.1-2.1.el9' },
      licenses: ['GPLv3+ and GPLv3+ with exceptions and GPLv2+ with exceptions and LGPLv2+ and BSD'],
    }),
    rpm({
      name: 'nodejs',
      version: '1:18.18.2-2.module+el9.3.0+20414+c1a5b6e2',
      epoch: 1,
      arch: 'x86_64',
      source: { name: 'nodejs', version: '1:18.18.2-2.module+el9.3.0+20414+c1a5b6e2' },
      licenses: ['MIT and ASL 2.0 and ISC and BSD'],
      modularityLabel: 'nodejs:18:9030020231024105237:rhel9',
      dependsOn: ['glibc', 'openssl-libs', 'zlib'],
    }),
    rpm({
      name: 'openssl-libs',
      version: '1:3.0.7-24.el9',
      epoch: 1,
      arch: 'x86_64',
      source: { name: 'openssl', version: '1:3.0.7-24.el9' },
      licenses: ['ASL 2.0'],
      dependsOn: ['glibc', 'zlib', 'crypto-policies'],
    }),
    rpm({
      name: 'tzdata',
      version: '2024a-1.el9',
      arch: 'noarch',
      source: { name: 'tzdata', version: '2024a-1.el9' },
      licenses: ['Public Domain'],
    }),
    rpm({
      name: 'zlib',
      version: '1.2.11-40.el9',
      arch: 'x86_64',
      source: { name: 'zlib', version: '1.2.11-40.el9' },
      licenses: ['zlib and Boost'],
      dependsOn: ['glibc'],
    }),
  ];
  return {
    schemaVersion: 1,
    target: { kind: 'oci', input: image.input, name: image.name, image },
    inventory: { os, packages },
    coverage: [
      { id: 'os-release', version: 1, files: 1, items: 1, status: 'ok' },
      { id: 'rpm', version: 1, files: 1, items: 8, status: 'ok' },
    ],
    warnings: [],
    stats,
    tool,
    createdAt,
  };
}

/** A root filesystem with neither an OS nor packages (a scratch-like directory). */
export function emptyRootfsInventory(): InventoryResult {
  return {
    schemaVersion: 1,
    target: { kind: 'rootfs', input: '/tmp/empty', name: '/tmp/empty', path: '/tmp/empty' },
    inventory: { os: undefined, packages: [] },
    coverage: [{ id: 'os-release', version: 1, files: 0, items: 0, status: 'ok' }],
    warnings: [],
    stats,
    tool,
    createdAt,
  };
}

/** Hostile names and versions: spaces, `+`, `~`, `:`, `/`, `#`, `%`, unicode, a lone surrogate, duplicates. */
export function weirdInventory(withOs: boolean): InventoryResult {
  const loc = { path: 'var/lib/dpkg/status' };
  const packages: Package[] = [
    { type: 'deb', name: 'name with spaces', version: '1.0 beta', licenses: ['MIT OR  Apache-2.0'], location: loc },
    { type: 'deb', name: 'g++-12', version: '12.2.0-14+deb12u1~bpo1', licenses: ['GPL-3.0-or-later WITH GCC-exception-3.1'], location: loc },
    { type: 'deb', name: 'colon:pkg', version: '3:1.0:2-1', epoch: 3, licenses: ['GPL-2.0+', 'mit'], location: loc },
    { type: 'deb', name: 'ünïcödé-пакет-包', version: '1.0~rc1', maintainer: 'Jörg Ünïcode <jörg@exämple.org>', licenses: ['Lizenz: frei', 'MIT OR (Apache-2.0 AND ISC)'], location: loc },
    { type: 'deb', name: 'slash/name#hash%pct?q&a=b', version: '1@2', licenses: ['LicenseRef-Custom-1', 'NOASSERTION'], location: loc },
    { type: 'deb', name: 'lone\ud800surrogate', version: '1', licenses: ['(MIT'], location: loc },
    { type: 'deb', name: 'dup', version: '1.0', arch: 'amd64', licenses: [], location: { path: 'var/lib/dpkg/status' } },
    { type: 'deb', name: 'dup', version: '1.0', arch: 'amd64', licenses: [], location: { path: 'var/lib/dpkg/status.d/dup' } },
    { type: 'deb', name: 'dup', version: '1.0', arch: 'amd64', licenses: [], location: { path: 'var/lib/dpkg/status.d/dup' } },
    { type: 'deb', name: 'needs-dup', version: '1', licenses: [], dependsOn: ['dup', 'missing', '', 'needs-dup'], location: loc },
    { type: 'rpm', name: 'NoVendor', version: '0:1.0-1', licenses: ['GPL+ or Artistic'], maintainer: 'nobody <not an email>', location: loc },
    { type: 'apk', name: 'UPPER', version: '1.0-r0', licenses: ['MIT AND'], location: loc },
    { type: 'deb', name: '', version: '1', licenses: [], location: loc },
    { type: 'deb', name: '//', version: '1', licenses: [], location: loc },
  ];
  return {
    schemaVersion: 1,
    target: { kind: 'rootfs', input: '/tmp/wëird dir', name: '/tmp/wëird dir', path: '/tmp/wëird dir' },
    inventory: { os: withOs ? { family: 'debian', release: '', version: '', name: '' } : undefined, packages },
    coverage: [{ id: 'dpkg', version: 1, files: 1, items: packages.length, status: 'partial', note: 'hostile' }],
    warnings: [{ code: 'DPKG_FIELD_TOO_LONG', message: 'field too long', count: 3, sample: 'x' }],
    stats,
    tool,
    createdAt,
  };
}

/** A small deterministic PRNG (mulberry32), so randomised tests are reproducible from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME_CHARS = ['a', 'z', 'A', '0', '9', '.', '-', '_', '+', '~', ':', ' ', '/', '#', '%', '@', '?', '&', '=', 'ü', 'é', 'п', '包', '😀', '"', '\\', '<', '>', '\n', '\ud800'];
const LICENSES = ['MIT', 'mit', 'GPL-2+', 'GPL-2.0-only', 'Apache-2.0 OR MIT', 'GPL-2.0+ WITH Classpath-exception-2.0', '(MIT', 'BSD-3-clause or GPL-2', 'LicenseRef-x', 'public domain', '', 'Zlib AND (MIT OR ISC)', '包'];
const MAINTAINERS = ['A B <a@b.example>', 'x <not-an-email>', 'Team <team+x@lists.example.org>', 'plain', 'Ünï <ü@exämple.org>', '<@>'];

/** A random inventory of `n` packages with hostile names, versions, licences, maintainers and dependencies. */
export function randomInventory(seed: number, n: number): InventoryResult {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const str = (max: number): string => Array.from({ length: 1 + Math.floor(rnd() * max) }, () => pick(NAME_CHARS)).join('');
  const types = ['deb', 'apk', 'rpm'] as const;
  const names: string[] = [];
  const packages: Package[] = [];
  for (let i = 0; i < n; i++) {
    const name = rnd() < 0.2 && names.length > 0 ? pick(names) : str(12);
    names.push(name);
    const p: Package = {
      type: pick(types),
      name,
      version: rnd() < 0.3 ? `${Math.floor(rnd() * 3)}:${str(8)}` : str(8),
      licenses: Array.from({ length: Math.floor(rnd() * 4) }, () => pick(LICENSES)),
      location: rnd() < 0.5 ? { path: 'var/lib/dpkg/status', layer: Math.floor(rnd() * 3) } : { path: str(20) },
    };
    if (rnd() < 0.5) p.arch = pick(['amd64', 'all', 'x86_64', 'noarch', 'aarch64']);
    if (rnd() < 0.3) p.epoch = Math.floor(rnd() * 3);
    if (rnd() < 0.5) p.maintainer = pick(MAINTAINERS);
    if (rnd() < 0.2) p.vendor = pick(['Red Hat, Inc.', 'Fedora Project', str(10)]);
    if (rnd() < 0.4) p.source = { name: str(6), version: str(6) };
    if (rnd() < 0.3) p.files = Array.from({ length: Math.floor(rnd() * 5) }, () => str(10));
    if (rnd() < 0.6) p.dependsOn = Array.from({ length: Math.floor(rnd() * 5) }, () => (rnd() < 0.7 && names.length > 0 ? pick(names) : str(6)));
    packages.push(p);
  }
  const withImage = rnd() < 0.5;
  const base = withImage ? debianImageInventory() : debianRootfsInventory();
  const os: OSInfo | undefined = rnd() < 0.7 ? { family: pick(['debian', 'alpine', 'rhel', str(5)]), release: str(3), version: str(4), name: str(10) } : undefined;
  return { ...base, inventory: { os, packages } };
}
