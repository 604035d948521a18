// Acceptance (#2): a real debootstrap Debian 12 image, read through every route, yields the same
// package list, equal to what dpkg-query says about the same root. Needs `scripts/test-env.sh up`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { inventoryTarget } from '../../src/scan/service.ts';
import type { InventoryResult } from '../../src/scan/types.ts';
import { testEnv } from '../helpers/env.ts';

const env = testEnv();

/** What dpkg itself says is installed in the root: name, version, source name, source version, arch. */
function dpkgQuery(root: string): string[] {
  const out = execFileSync(
    'dpkg-query',
    [
      '--admindir',
      `${root}/var/lib/dpkg`,
      '-W',
      '-f',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      '${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n',
    ],
    { encoding: 'utf8' },
  );
  return out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('installed\t'))
    .map((l) => l.slice('installed\t'.length))
    .sort();
}

function rows(r: InventoryResult): string[] {
  return r.inventory.packages
    .filter((p) => p.type === 'deb')
    .map((p) => [p.name, p.version, p.source?.name ?? p.name, p.source?.version ?? p.version, p.arch ?? ''].join('\t'))
    .sort();
}

const expected = dpkgQuery(env.rootfs);
const debianVersion = readFileSync(`${env.rootfs}/etc/debian_version`, 'utf8').trim();

const routes: [string, string][] = [
  ['oci-archive', `oci-archive:${env.images.ociArchive}`],
  ['docker-archive', `docker-archive:${env.images.dockerArchive}`],
  ['oci layout', `oci:${env.images.ociLayout}`],
  ['registry (bare reference, loopback over HTTP)', env.registryImage],
  ['registry (docker://)', `docker://${env.registryImage}`],
  ['docker-daemon (podman API service)', `docker-daemon:${env.images.podman}`],
  ['root filesystem (dir:)', `dir:${env.rootfs}`],
  ['root filesystem (plain directory)', env.rootfs],
  ['plain file, sniffed (oci-archive)', env.images.ociArchive],
  ['plain file, sniffed (docker-archive)', env.images.dockerArchive],
];

describe('every route reads the same Debian 12 image (needs test-env)', () => {
  test('dpkg-query sees a real minbase root', () => {
    assert.ok(expected.length > 80, `only ${expected.length} packages`);
    assert.ok(expected.some((l) => l.startsWith('libc6\t')));
  });

  const seen = new Map<string, InventoryResult>();
  for (const [label, target] of routes) {
    test(label, async () => {
      const r = await inventoryTarget(target, { cacheDir: false, daemon: { host: `unix://${env.podmanSocket}` } });
      seen.set(label, r);
      assert.deepEqual(rows(r), expected);
      assert.equal(r.inventory.os?.family, 'debian');
      assert.equal(r.inventory.os?.release, '12');
      assert.equal(r.inventory.os?.version, debianVersion);
      assert.deepEqual(
        r.warnings.filter((w) => !w.code.startsWith('dpkg:')),
        [],
      );
      for (const c of r.coverage) assert.notEqual(c.status, 'error', `${c.id}: ${c.note}`);
      const dpkg = r.coverage.find((c) => c.id === 'dpkg');
      assert.ok(dpkg && dpkg.files > 0, 'dpkg analyzer read files');
      // Every package has a purl with the distro, its database file, and (for images) its layer.
      for (const p of r.inventory.packages) {
        assert.match(p.purl ?? '', /^pkg:deb\/debian\/[^@]+@.+distro=debian-12/);
        assert.equal(p.location.path, 'var/lib/dpkg/status');
        if (r.target.image) assert.equal(p.location.layer, 0);
      }
      // Files owned by packages come from dpkg's lists.
      const bash = r.inventory.packages.find((p) => p.name === 'bash');
      assert.ok(bash?.files?.includes('bin/bash') || bash?.files?.includes('usr/bin/bash'));
    });
  }

  test('image routes agree on the image identity', () => {
    const images = [...seen.values()].filter((r) => r.target.image);
    const diffIds = new Set(images.map((r) => r.target.image?.layers.map((l) => l.diffId).join(',')));
    assert.equal(diffIds.size, 1, `diffIDs differ between routes: ${[...diffIds].join(' | ')}`);
    assert.ok(images.length >= 7);
  });
});
