import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import {
  artifactOptions,
  type BuiltImages,
  buildBusyboxLayout,
  compressFile,
  layerDigests,
  makeWorkDir,
  skopeo,
} from '../oci-layout/__fixtures__/images.ts';
import { openOciLayout } from '../oci-layout/index.ts';
import type { ImageMetadata } from '../types.ts';
import { openOciArchive } from './index.ts';

let work: string;
let img: BuiltImages;
let archive: string;
let reference: ImageMetadata;
const opts = artifactOptions();

before(async () => {
  work = makeWorkDir('oci-archive');
  img = buildBusyboxLayout(work);
  archive = join(work, 'image.tar');
  skopeo([`oci:${img.layout}:${img.tag}`, `oci-archive:${archive}:${img.tag}`]);
  const a = await openOciLayout('x', img.layout, img.tag, opts);
  reference = a.metadata;
  await a.close();
});
after(() => {
  opts.tempRoot.dispose();
  rmSync(work, { recursive: true, force: true });
});

function sameImage(md: ImageMetadata): void {
  assert.equal(md.configDigest, reference.configDigest);
  assert.equal(md.manifestDigest, reference.manifestDigest);
  assert.deepEqual(
    md.layers.map((l) => [l.diffId, l.digest, l.size]),
    reference.layers.map((l) => [l.diffId, l.digest, l.size]),
  );
}

describe('openOciArchive', () => {
  test('reads a skopeo oci-archive in place: same metadata as the layout, layers hash to digests and diffIDs', async () => {
    const a = await openOciArchive(`oci-archive:${archive}`, archive, undefined, opts);
    try {
      assert.equal(a.metadata.kind, 'oci-archive');
      sameImage(a.metadata);
      const got = await layerDigests(a);
      assert.deepEqual(
        got.map((g) => [g.blob, g.diffId]),
        a.metadata.layers.map((l) => [l.digest, l.diffId]),
      );
      // Read in place: nothing spooled.
      assert.equal(readdirSync(opts.tempRoot.path).length, 0);
    } finally {
      await a.close();
    }
    const byTag = await openOciArchive('x', archive, img.tag, opts);
    sameImage(byTag.metadata);
    await byTag.close();
    await assert.rejects(openOciArchive('x', archive, 'nope', opts), expectCode('TARGET_NOT_FOUND'));
  });

  for (const kind of ['gzip', 'zstd'] as const) {
    test(`a ${kind}-compressed archive is decompressed once into the temp root and removed on close`, async () => {
      const file = compressFile(archive, kind);
      const a = await openOciArchive('x', file, undefined, opts);
      try {
        sameImage(a.metadata);
        assert.equal(readdirSync(opts.tempRoot.path).length, 1);
        const got = await layerDigests(a);
        assert.deepEqual(
          got.map((g) => g.diffId),
          a.metadata.layers.map((l) => l.diffId),
        );
      } finally {
        await a.close();
      }
      assert.equal(readdirSync(opts.tempRoot.path).length, 0);
    });
  }

  test('a truncated archive is refused', async () => {
    const file = join(work, 'truncated.tar');
    cpSync(archive, file);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    await assert.rejects(openOciArchive('x', file, undefined, opts), expectCode('ARCHIVE_INVALID', /truncated/));
  });

  test('a blob stored as a symlink leaving the archive is refused; one pointing inside is followed', async () => {
    const dir = join(work, 'unpacked');
    cpSync(img.layout, dir, { recursive: true });
    const layer = reference.layers[0]?.digest ?? '';
    const blob = join(dir, 'blobs', 'sha256', layer.slice('sha256:'.length));
    cpSync(blob, join(dir, 'moved'));
    unlinkSync(blob);
    symlinkSync('../../moved', blob);
    const inside = join(work, 'inside-link.tar');
    execFileSync('tar', ['-C', dir, '-cf', inside, '.']);
    const a = await openOciArchive('x', inside, undefined, opts);
    const got = await layerDigests(a);
    assert.equal(got[0]?.blob, layer);
    await a.close();

    unlinkSync(blob);
    symlinkSync('../../../../../../etc/passwd', blob);
    const escaping = join(work, 'escaping-link.tar');
    execFileSync('tar', ['-C', dir, '-cf', escaping, '.']);
    const b = await openOciArchive('x', escaping, undefined, opts);
    await assert.rejects(b.openLayer(0), expectCode('PATH_ESCAPE'));
    await b.close();
  });

  test('a tar without an OCI layout is refused', async () => {
    const dir = join(work, 'not-a-layout');
    cpSync(img.layout, dir, { recursive: true });
    unlinkSync(join(dir, 'oci-layout'));
    const file = join(work, 'not-a-layout.tar');
    execFileSync('tar', ['-C', dir, '-cf', file, '.']);
    await assert.rejects(
      openOciArchive('x', file, undefined, opts),
      expectCode('TARGET_UNRECOGNISED', /no oci-layout/),
    );
  });
});
