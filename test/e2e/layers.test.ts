// Acceptance (#2): a multi-layer image built by podman from the debootstrap root, in which a later
// layer removes a package (dpkg --purge) and replaces a directory (an opaque whiteout), yields the
// squashed view with each remaining package attributed to the layer that introduced it.
// Ground truth comes from dpkg-query run inside the built image. Needs `scripts/test-env.sh up`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inventoryTarget } from '../../src/scan/service.ts';
import type { InventoryResult } from '../../src/scan/types.ts';
import { testEnv } from '../helpers/env.ts';

const env = testEnv();
const podmanEnv = { ...process.env, CONTAINERS_CONF: env.containersConf };
const podman = (...args: string[]): string =>
  execFileSync('podman', args, { encoding: 'utf8', env: podmanEnv, maxBuffer: 64 << 20 });
const IMAGE = 'localhost/bollard-test/layered:latest';
const work = mkdtempSync(join(tmpdir(), 'bollard-layers-e2e-'));
const archive = join(work, 'layered.oci.tar');

const DEP5 = (license: string): string =>
  `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: test\n\nFiles: *\nCopyright: 2026 Bollard tests\nLicense: ${license}\n`;

function buildDeb(dir: string): string {
  const root = join(dir, 'pkg');
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/share/doc/bollard-demo'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(
    join(root, 'DEBIAN/control'),
    'Package: bollard-demo\nSource: bollard-demo-src (2.0-3)\nVersion: 1:1.0-1\nArchitecture: all\nMaintainer: Bollard Tests <tests@example.org>\nDescription: demo package for layer attribution tests\n',
  );
  writeFileSync(join(root, 'usr/share/doc/bollard-demo/copyright'), DEP5('Apache-2.0'));
  writeFileSync(join(root, 'usr/bin/bollard-demo'), '#!/bin/sh\necho demo\n', { mode: 0o755 });
  const deb = join(dir, 'bollard-demo_1.0-1_all.deb');
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'pipe' });
  return deb;
}

let result: InventoryResult;
let truth: string[];

before(async () => {
  const ctx = join(work, 'ctx');
  mkdirSync(ctx);
  buildDeb(ctx);
  rmSync(join(ctx, 'pkg'), { recursive: true });
  writeFileSync(join(ctx, 'bash-copyright'), DEP5('MIT'));
  writeFileSync(
    join(ctx, 'Containerfile'),
    [
      `FROM ${env.images.podman}`,
      'COPY bollard-demo_1.0-1_all.deb bash-copyright /tmp/',
      'RUN dpkg -i /tmp/bollard-demo_1.0-1_all.deb && rm /tmp/bollard-demo_1.0-1_all.deb',
      // Remove a package, and replace a whole directory (podman records an opaque whiteout).
      'RUN dpkg --purge apt && rm -rf /usr/share/doc/bash && mkdir /usr/share/doc/bash && mv /tmp/bash-copyright /usr/share/doc/bash/copyright',
      '',
    ].join('\n'),
  );
  podman('build', '-q', '--layers', '-t', IMAGE, ctx);
  podman('save', '--format', 'oci-archive', '-o', archive, IMAGE);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const format = '${db:Status-Status}\t${Package}\t${Version}\n';
  truth = podman('run', '--rm', IMAGE, 'dpkg-query', '-W', '-f', format)
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('installed\t'))
    .map((l) => l.slice('installed\t'.length))
    .sort();
  result = await inventoryTarget(`oci-archive:${archive}`, { cacheDir: false });
});

after(() => {
  rmSync(work, { recursive: true, force: true });
  try {
    podman('rmi', '-f', IMAGE);
  } catch {
    // already gone
  }
});

describe('multi-layer image with a purged package and an opaque directory (needs test-env)', () => {
  test('the image really has the layers and whiteouts this test is about', () => {
    const layers = result.target.image?.layers ?? [];
    assert.equal(layers.length, 4, 'base, COPY, dpkg -i, purge');
    const last = execFileSync('tar', ['-xOf', archive, `blobs/sha256/${layers[3]?.digest?.slice(7)}`]);
    const listing = execFileSync('tar', ['-tzf', '-'], { input: last, encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.match(listing, /usr\/share\/doc\/bash\/\.wh\.\.wh\.\.opq/);
    assert.match(listing, /var\/lib\/dpkg\/info\/\.wh\.apt\.list/);
  });

  test('the squashed package list equals dpkg-query inside the image', () => {
    const got = result.inventory.packages.map((p) => `${p.name}\t${p.version}`).sort();
    assert.deepEqual(got, truth);
    assert.ok(!got.some((l) => l.startsWith('apt\t')), 'apt was purged');
  });

  test('each package is attributed to the layer that introduced it', () => {
    for (const p of result.inventory.packages) {
      if (p.name === 'bollard-demo') {
        assert.equal(p.location.layer, 2, 'installed by the dpkg -i layer');
        assert.deepEqual(p.source, { name: 'bollard-demo-src', version: '2.0-3' });
        assert.equal(p.epoch, 1);
        assert.deepEqual(p.licenses, ['Apache-2.0']);
        assert.ok(p.files?.includes('usr/bin/bollard-demo'));
      } else {
        assert.equal(p.location.layer, 0, `${p.name} comes from the base layer`);
      }
    }
  });

  test('the replaced directory shows only the new content', () => {
    const bash = result.inventory.packages.find((p) => p.name === 'bash');
    assert.deepEqual(bash?.licenses, ['MIT']);
  });
});
