import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import type { Descriptor } from '../../oci/types.ts';
import { type Digest, DigestingStream } from '../../util/digest.ts';
import { resolveLimits } from '../../util/limits.ts';
import {
  artifactOptions,
  type BuiltImages,
  buildBusyboxLayout,
  layerDigests,
  layoutVariant,
  makeWorkDir,
  sha256,
  skopeo,
  twoPlatformLayout,
} from './__fixtures__/images.ts';
import { chooseFromIndex, openOciLayout, refNameMatches } from './index.ts';

interface IndexJson {
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
}

const blobFile = (layout: string, d: string): string => join(layout, 'blobs', 'sha256', d.slice('sha256:'.length));
const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

/** Write a JSON blob into a layout and return its descriptor fields. */
function putBlob(layout: string, doc: unknown): { digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(doc));
  const digest = sha256(bytes);
  writeFileSync(blobFile(layout, digest), bytes);
  return { digest, size: bytes.length };
}

function platformDescriptor(hexChar: string, architecture: string): Descriptor {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${hexChar.repeat(64)}` as Digest,
    size: 1,
    annotations: { 'org.opencontainers.image.ref.name': 'x' },
    platform: { os: 'linux', architecture },
  };
}

let work: string;
let img: BuiltImages;
const opts = artifactOptions();

before(() => {
  work = makeWorkDir('oci-layout');
  img = buildBusyboxLayout(work);
});
after(() => {
  opts.tempRoot.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh copy of the umoci layout to damage. */
function copyLayout(name: string): string {
  const dest = join(work, name);
  cpSync(img.layout, dest, { recursive: true });
  return dest;
}

describe('openOciLayout (umoci layouts)', () => {
  test('reads the image by tag: metadata from manifest and config, layers that hash to their digests and diffIDs', async () => {
    const a = await openOciLayout(`oci:${img.layout}:v1`, img.layout, 'v1', opts);
    try {
      const md = a.metadata;
      assert.equal(md.kind, 'oci');
      assert.equal(md.layers.length, 3);
      assert.deepEqual(md.platform, { os: 'linux', architecture: 'amd64' });
      assert.deepEqual(md.config.config.Env, ['PATH=/bin']);
      assert.equal(md.config.config.Labels?.['org.example.test'], 'bollard');
      assert.equal(md.layers[1]?.createdBy, 'RUN echo hello > /etc/hello && rm /etc/motd');
      const index = readJson<IndexJson>(join(img.layout, 'index.json'));
      assert.equal(md.manifestDigest, index.manifests[0]?.digest);
      assert.equal(md.configDigest, sha256(readFileSync(blobFile(img.layout, md.configDigest))));
      const got = await layerDigests(a);
      assert.deepEqual(
        got.map((g) => g.blob),
        md.layers.map((l) => l.digest),
      );
      assert.deepEqual(
        got.map((g) => g.diffId),
        md.layers.map((l) => l.diffId),
      );
      assert.equal(
        md.size,
        md.layers.reduce((s, l) => s + (l.size ?? 0), 0),
      );
    } finally {
      await a.close();
    }
  });

  test('the only image is chosen without a ref; @0 and the manifest digest name it too', async () => {
    const a = await openOciLayout('x', img.layout, undefined, opts);
    const b = await openOciLayout('x', img.layout, '@0', opts);
    const c = await openOciLayout('x', img.layout, a.metadata.manifestDigest, opts);
    assert.equal(b.metadata.manifestDigest, a.metadata.manifestDigest);
    assert.equal(c.metadata.configDigest, a.metadata.configDigest);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('zstd, gzip and uncompressed copies give the same config and diffIDs, and their layers decompress to them', async () => {
    const base = await openOciLayout('x', img.layout, img.tag, opts);
    try {
      for (const kind of ['zstd', 'gzip', 'none'] as const) {
        const dir = layoutVariant(img, kind);
        const a = await openOciLayout('x', dir, img.tag, opts);
        try {
          assert.equal(a.metadata.configDigest, base.metadata.configDigest, kind);
          assert.deepEqual(
            a.metadata.layers.map((l) => l.diffId),
            base.metadata.layers.map((l) => l.diffId),
          );
          const expectedType = { zstd: '+zstd', gzip: '+gzip', none: '.tar' }[kind];
          assert.ok(
            a.metadata.layers.every((l) => l.mediaType?.endsWith(expectedType)),
            kind,
          );
          const got = await layerDigests(a);
          assert.deepEqual(
            got.map((g) => g.diffId),
            a.metadata.layers.map((l) => l.diffId),
            kind,
          );
          assert.deepEqual(
            got.map((g) => g.blob),
            a.metadata.layers.map((l) => l.digest),
            kind,
          );
        } finally {
          await a.close();
        }
      }
    } finally {
      await base.close();
    }
  });

  test('a ref.name that is a full reference matches by value and by tag', async () => {
    const dir = join(work, 'fullref');
    skopeo([`oci:${img.layout}:${img.tag}`, `oci:${dir}:example.com/team/app:2.1`]);
    const index = readJson<IndexJson>(join(dir, 'index.json'));
    assert.equal(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name'], 'example.com/team/app:2.1');
    for (const ref of ['example.com/team/app:2.1', '2.1']) {
      const a = await openOciLayout('x', dir, ref, opts);
      assert.equal(a.metadata.reference?.repository, 'team/app');
      await a.close();
    }
    await assert.rejects(
      openOciLayout('x', dir, '2.2', opts),
      expectCode('TARGET_NOT_FOUND', /example\.com\/team\/app:2\.1/),
    );
  });

  test('several images and no ref is refused as ambiguous; an unknown ref lists what exists', async () => {
    const dir = copyLayout('two-tags');
    skopeo([`oci:${img.layout}:${img.tag}`, `oci:${dir}:other`]);
    const index = readJson<IndexJson>(join(dir, 'index.json'));
    // Make "other" a different image so the two entries are not the same manifest.
    const manifest = readJson<{ annotations?: Record<string, string> }>(
      blobFile(dir, index.manifests[1]?.digest ?? ''),
    );
    manifest.annotations = { note: 'different' };
    const d = putBlob(dir, { ...manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    Object.assign(index.manifests[1] ?? {}, d);
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('USAGE', /holds 2 images.*v1, other/));
    await assert.rejects(openOciLayout('x', dir, 'nope', opts), expectCode('TARGET_NOT_FOUND', /v1, other/));
    await assert.rejects(openOciLayout('x', dir, '@5', opts), expectCode('TARGET_NOT_FOUND'));
    const other = await openOciLayout('x', dir, 'other', opts);
    assert.equal(other.metadata.manifestDigest, d.digest);
    await other.close();
  });
});

describe('openOciLayout platform selection', () => {
  test('a two-platform index: the host platform by default, --platform picks the other, an absent one is refused', async () => {
    const multi = twoPlatformLayout(img);
    const host = await openOciLayout('x', multi.layout, multi.tag, { ...opts });
    // The test machines are linux/amd64.
    assert.equal(host.metadata.manifestDigest, multi.amd64);
    assert.ok(host.metadata.indexDigest);
    await host.close();
    const arm = await openOciLayout('x', multi.layout, multi.tag, { ...opts, platform: 'linux/arm64' });
    assert.equal(arm.metadata.manifestDigest, multi.arm64);
    assert.equal(arm.metadata.platform.architecture, 'arm64');
    assert.equal(arm.metadata.indexDigest, host.metadata.indexDigest);
    await arm.close();
    await assert.rejects(
      openOciLayout('x', multi.layout, multi.tag, { ...opts, platform: 'linux/s390x' }),
      expectCode('PLATFORM_NOT_FOUND', /linux\/arm64\/v8, linux\/amd64/),
    );
  });

  test('an explicit platform that a single image does not have is refused', async () => {
    await assert.rejects(
      openOciLayout('x', img.layout, img.tag, { ...opts, platform: 'linux/arm64' }),
      expectCode('PLATFORM_NOT_FOUND', /linux\/amd64, not linux\/arm64/),
    );
  });

  test('chooseFromIndex narrows same-named platform manifests by platform', () => {
    const list = [platformDescriptor('a', 'arm64'), platformDescriptor('b', 'amd64')];
    assert.equal(chooseFromIndex(list, 'x', { os: 'linux', architecture: 'amd64' }, 'l').digest, list[1]?.digest);
    assert.equal(chooseFromIndex(list, undefined, { os: 'linux', architecture: 'arm64' }, 'l').digest, list[0]?.digest);
  });

  test('refNameMatches', () => {
    assert.equal(refNameMatches('v1', 'v1'), true);
    assert.equal(refNameMatches('docker.io/library/busybox:1.36', '1.36'), true);
    assert.equal(refNameMatches('docker.io/library/busybox:1.36', 'busybox:1.36'), true);
    assert.equal(
      refNameMatches('docker.io/library/busybox:1.36', 'alpine:1.36'),
      false,
      'another name with the same tag',
    );
    assert.equal(refNameMatches('docker.io/library/busybox:1.36', 'busybox:1.37'), false);
    assert.equal(refNameMatches('v1', 'v2'), false);
    assert.equal(refNameMatches(undefined, 'v1'), false);
  });
});

describe('openOciLayout on hostile layouts', () => {
  test('a tampered manifest blob is refused (digest mismatch)', async () => {
    const dir = copyLayout('tampered-manifest');
    const index = readJson<IndexJson>(join(dir, 'index.json'));
    const file = blobFile(dir, index.manifests[0]?.digest ?? '');
    // Same length, one layer digest changed: only the manifest's own digest can tell.
    const text = readFileSync(file, 'utf8');
    const tampered = text.replace(
      /("layers":\[\{"mediaType":"[^"]+","digest":"sha256:)(.)/,
      (_m, p: string, c: string) => p + (c === 'a' ? 'b' : 'a'),
    );
    assert.notEqual(tampered, text);
    assert.equal(tampered.length, text.length);
    writeFileSync(file, tampered);
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('DIGEST_MISMATCH'));
  });

  test('a tampered config blob is refused; a tampered layer fails its digest check while streaming', async () => {
    const dir = copyLayout('tampered-config');
    const a = await openOciLayout('x', img.layout, undefined, opts);
    const { configDigest, layers } = a.metadata;
    await a.close();
    const cfg = blobFile(dir, configDigest);
    const text = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, text.replace('PATH=/bin', 'PATH=/xyz'));
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('DIGEST_MISMATCH', /image config/));
    writeFileSync(cfg, text);

    const layer = layers[2] as { digest: Digest };
    const lf = blobFile(dir, layer.digest);
    const raw = readFileSync(lf);
    raw[raw.length - 10] = (raw[raw.length - 10] ?? 0) ^ 0xff;
    writeFileSync(lf, raw);
    const b = await openOciLayout('x', dir, undefined, opts);
    try {
      const stream = await b.openLayer(2);
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      await assert.rejects(
        pipeline(stream, new DigestingStream({ expected: layer.digest, what: 'layer' }), sink),
        expectCode('DIGEST_MISMATCH'),
      );
      // A truncated blob is caught before streaming, by its size.
      writeFileSync(lf, raw.subarray(0, 20));
      await assert.rejects(b.openLayer(2), expectCode('DIGEST_MISMATCH', /20 bytes/));
      unlinkSync(lf);
      await assert.rejects(b.openLayer(2), expectCode('TARGET_NOT_FOUND'));
    } finally {
      await b.close();
    }
  });

  test('a config whose diff_ids count differs from the layers is refused', async () => {
    const dir = copyLayout('diffids');
    const index = readJson<IndexJson>(join(dir, 'index.json'));
    const manifest = readJson<{ config: { digest: string; size: number } }>(
      blobFile(dir, index.manifests[0]?.digest ?? ''),
    );
    const config = readJson<{ rootfs: { diff_ids: string[] } }>(blobFile(dir, manifest.config.digest));
    config.rootfs.diff_ids.push(config.rootfs.diff_ids[0] as string);
    Object.assign(manifest.config, putBlob(dir, config));
    Object.assign(index.manifests[0] ?? {}, putBlob(dir, manifest));
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await assert.rejects(
      openOciLayout('x', dir, undefined, opts),
      expectCode('MANIFEST_INVALID', /3 layers but the config lists 4/),
    );
  });

  test('a blob that is a symlink leaving the layout is refused; one staying inside is read', async () => {
    const dir = copyLayout('symlinked');
    const a = await openOciLayout('x', dir, undefined, opts);
    const layer = a.metadata.layers[0] as { digest: Digest };
    await a.close();
    const lf = blobFile(dir, layer.digest);
    const outside = join(work, 'outside-blob');
    cpSync(lf, outside);
    // Inside the layout: allowed (content is still checked by digest).
    const inside = join(dir, 'elsewhere');
    cpSync(lf, inside);
    unlinkSync(lf);
    symlinkSync('../../elsewhere', lf);
    const b = await openOciLayout('x', dir, undefined, opts);
    const got = await layerDigests(b);
    assert.equal(got[0]?.blob, layer.digest);
    unlinkSync(lf);
    symlinkSync(outside, lf);
    await assert.rejects(b.openLayer(0), expectCode('PATH_ESCAPE'));
    await b.close();
    // The same for the manifest and index.json.
    const index = readJson<IndexJson>(join(dir, 'index.json'));
    const mf = blobFile(dir, index.manifests[0]?.digest ?? '');
    cpSync(mf, join(work, 'outside-manifest'));
    unlinkSync(mf);
    symlinkSync(join(work, 'outside-manifest'), mf);
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('PATH_ESCAPE'));
    cpSync(join(dir, 'index.json'), join(work, 'outside-index.json'));
    unlinkSync(join(dir, 'index.json'));
    symlinkSync(join(work, 'outside-index.json'), join(dir, 'index.json'));
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('PATH_ESCAPE'));
  });

  test('gigantic or deeply nested index.json is refused before parsing', async () => {
    const dir = copyLayout('nested');
    writeFileSync(join(dir, 'index.json'), `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('LIMIT_EXCEEDED', /deeper than 64/));
    const big = JSON.stringify({ schemaVersion: 2, manifests: [], pad: 'x'.repeat(5 * 1024 * 1024) });
    writeFileSync(join(dir, 'index.json'), big);
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('LIMIT_EXCEEDED'));
    await assert.rejects(
      openOciLayout('x', img.layout, undefined, { ...opts, limits: resolveLimits({ maxManifestBytes: 100 }) }),
      expectCode('LIMIT_EXCEEDED'),
    );
  });

  test('an index with no manifest for the host platform is refused', async () => {
    const dir = copyLayout('foreign');
    const index = readJson<IndexJson>(join(dir, 'index.json'));
    const m = index.manifests[0] as IndexJson['manifests'][number];
    const inner = putBlob(dir, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: m.mediaType, digest: m.digest, size: m.size, platform: { os: 'linux', architecture: 'riscv64' } },
        {
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.size,
          platform: { os: 'unknown', architecture: 'unknown' },
        },
      ],
    });
    index.manifests = [
      {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        ...inner,
        annotations: { 'org.opencontainers.image.ref.name': 'v1' },
      },
    ];
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await assert.rejects(
      openOciLayout('x', dir, 'v1', { ...opts, platform: 'linux/amd64' }),
      expectCode('PLATFORM_NOT_FOUND', /available: linux\/riscv64\)/),
    );
  });

  test('a directory that is not a layout, or of another layout version, is refused', async () => {
    const dir = copyLayout('no-layout');
    unlinkSync(join(dir, 'oci-layout'));
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('TARGET_UNRECOGNISED'));
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('MANIFEST_UNSUPPORTED'));
    await assert.rejects(
      openOciLayout('x', join(work, 'does-not-exist'), undefined, opts),
      expectCode('TARGET_NOT_FOUND'),
    );
  });

  test('an artifact that is not a container image is refused', async () => {
    const dir = copyLayout('artifact');
    const index = readJson<IndexJson>(join(dir, 'index.json'));
    const cfg = putBlob(dir, {});
    const layer = putBlob(dir, { chart: true });
    const manifest = putBlob(dir, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', ...cfg },
      layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', ...layer }],
    });
    index.manifests = [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }];
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await assert.rejects(openOciLayout('x', dir, undefined, opts), expectCode('MANIFEST_UNSUPPORTED', /helm/));
  });
});
