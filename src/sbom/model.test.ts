import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Package } from '../analyzers/types.ts';
import {
  debianImageInventory,
  debianRootfsInventory,
  prng,
  randomInventory,
  rhelImageInventory,
  weirdInventory,
} from './__fixtures__/inventories.ts';
import { buildSbomModel, packageLayer, parseContact } from './model.ts';

function withPackages(packages: Package[]) {
  const base = debianRootfsInventory();
  return { ...base, inventory: { ...base.inventory, packages } };
}

const deb = (name: string, p: Partial<Package> = {}): Package => ({
  type: 'deb',
  name,
  version: '1',
  licenses: [],
  location: { path: 'var/lib/dpkg/status' },
  ...p,
});

describe('buildSbomModel', () => {
  test('roots: an image by its purl, a directory by its path; the OS by family and version', () => {
    const image = buildSbomModel(debianImageInventory());
    assert.equal(image.root.kind, 'image');
    assert.equal(image.root.ref, image.root.purl);
    assert.match(image.root.ref, /^pkg:oci\/bookworm@sha256:/);
    assert.equal(image.os?.ref, 'os:debian@12.15');
    const rootfs = buildSbomModel(debianRootfsInventory());
    assert.deepEqual(rootfs.root, {
      kind: 'rootfs',
      name: '/var/lib/bollard-test/rootfs-bookworm',
      ref: 'rootfs:/var/lib/bollard-test/rootfs-bookworm',
    });
    // An image without a purl (no name) is referenced by its config digest.
    const rhel = buildSbomModel(rhelImageInventory());
    assert.equal(rhel.root.purl, undefined);
    assert.equal(rhel.root.ref, `image:${rhelImageInventory().target.image?.configDigest}`);
  });

  test('packages are sorted by type and name whatever the input order', () => {
    const inv = debianImageInventory();
    const model = buildSbomModel(inv);
    const refs = model.packages.map((p) => p.ref);
    const names = model.packages.map((p) => p.pkg.name);
    assert.deepEqual(names, names.toSorted());
    assert.equal(names[0], 'base-files');
    const rnd = prng(7);
    for (let i = 0; i < 5; i++) {
      const shuffled = inv.inventory.packages.toSorted(() => rnd() - 0.5);
      const again = buildSbomModel({ ...inv, inventory: { ...inv.inventory, packages: shuffled } });
      assert.deepEqual(
        again.packages.map((p) => p.ref),
        refs,
      );
    }
  });

  test('packages that share a purl get the database path, then a counter, appended', () => {
    const model = buildSbomModel(weirdInventory(false));
    const dups = model.packages.filter((p) => p.pkg.name === 'dup').map((p) => p.ref);
    assert.deepEqual(dups, [
      'pkg:deb/debian/dup@1.0?arch=amd64|var/lib/dpkg/status',
      'pkg:deb/debian/dup@1.0?arch=amd64|var/lib/dpkg/status.d/dup',
      'pkg:deb/debian/dup@1.0?arch=amd64|var/lib/dpkg/status.d/dup|2',
    ]);
    const all = model.packages.map((p) => p.ref);
    assert.equal(new Set(all).size, all.length);
    // '' and '//' cannot be named by a purl: left out and counted.
    assert.equal(model.skipped, 2);
  });

  test('dependencies resolve by name: version constraints, alternatives and :any are dropped, self and unknown ignored', () => {
    const model = buildSbomModel(
      withPackages([
        deb('app', {
          dependsOn: ['libc6 (>= 2.36)', 'debconf (>= 0.5) | debconf-2.0', 'python3:any', 'missing', 'app', ''],
        }),
        deb('libc6'),
        deb('debconf'),
        deb('python3'),
      ]),
    );
    const app = model.packages.find((p) => p.pkg.name === 'app');
    assert.deepEqual(app?.dependsOn, [
      'pkg:deb/debian/debconf@1?distro=debian-12',
      'pkg:deb/debian/libc6@1?distro=debian-12',
      'pkg:deb/debian/python3@1?distro=debian-12',
    ]);
  });

  test('multi-arch: a dependency prefers the same architecture or an architecture-independent package', () => {
    const model = buildSbomModel(
      withPackages([
        deb('app', { arch: 'amd64', dependsOn: ['libc6', 'tzdata'] }),
        deb('libc6', { arch: 'amd64' }),
        deb('libc6', { arch: 'i386' }),
        deb('tzdata', { arch: 'all' }),
      ]),
    );
    const app = model.packages.find((p) => p.pkg.name === 'app');
    assert.deepEqual(app?.dependsOn, [
      'pkg:deb/debian/libc6@1?arch=amd64&distro=debian-12',
      'pkg:deb/debian/tzdata@1?arch=all&distro=debian-12',
    ]);
  });

  test('the Debian fixture graph: bash → base-files, debianutils, libc6, libtinfo6', () => {
    const model = buildSbomModel(debianImageInventory());
    const bash = model.packages.find((p) => p.pkg.name === 'bash');
    assert.deepEqual(
      bash?.dependsOn.map((r) => r.split('@')[0]),
      ['pkg:deb/debian/base-files', 'pkg:deb/debian/debianutils', 'pkg:deb/debian/libc6', 'pkg:deb/debian/libtinfo6'],
    );
  });

  test('random hostile inventories: unique refs, every dependency points at a package of the model', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const model = buildSbomModel(randomInventory(seed, 40));
      const refs = new Set(model.packages.map((p) => p.ref));
      assert.equal(refs.size, model.packages.length, `seed ${seed}`);
      for (const p of model.packages) {
        for (const d of p.dependsOn) assert.ok(refs.has(d) && d !== p.ref, `seed ${seed}: ${d}`);
      }
    }
  });
});

describe('helpers', () => {
  test('packageLayer finds the layer of an image package and nothing for a root filesystem', () => {
    const inv = debianImageInventory();
    const tz = inv.inventory.packages.find((p) => p.name === 'tzdata');
    assert.ok(tz);
    assert.equal(packageLayer(tz, inv)?.diffId, inv.target.image?.layers[1]?.diffId);
    const rootfs = debianRootfsInventory();
    const tz2 = rootfs.inventory.packages.find((p) => p.name === 'tzdata');
    assert.ok(tz2);
    assert.equal(packageLayer(tz2, rootfs), undefined);
  });

  test('parseContact splits "Name <email>" and keeps anything else as a name', () => {
    assert.deepEqual(parseContact('GNU Libc Maintainers <debian-glibc@lists.debian.org>'), {
      name: 'GNU Libc Maintainers',
      email: 'debian-glibc@lists.debian.org',
    });
    assert.deepEqual(parseContact('Timo Teräs <timo.teras@iki.fi>'), {
      name: 'Timo Teräs',
      email: 'timo.teras@iki.fi',
    });
    assert.deepEqual(parseContact('<ncopa@alpinelinux.org>'), {
      name: 'ncopa@alpinelinux.org',
      email: 'ncopa@alpinelinux.org',
    });
    for (const s of [
      'Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>',
      'x <a@localhost>',
      'plain',
      'a <b@c..d>',
      '<@>',
    ]) {
      assert.deepEqual(parseContact(s), { name: s.trim() }, s);
    }
  });
});
