import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  type PrivatePodman,
  privatePodman,
  skopeo,
} from '../oci-layout/__fixtures__/images.ts';
import { openOciLayout } from '../oci-layout/index.ts';
import type { ImageMetadata } from '../types.ts';
import { digestFromPath, openDockerArchive, parseDockerArchiveSelector } from './index.ts';

interface ManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

let work: string;
let img: BuiltImages;
let archive: string;
let reference: ImageMetadata;
const opts = artifactOptions();

before(async () => {
  work = makeWorkDir('docker-archive');
  img = buildBusyboxLayout(work);
  archive = join(work, 'image.tar');
  skopeo([`oci:${img.layout}:${img.tag}`, `docker-archive:${archive}:example.com/team/app:1.0`]);
  const a = await openOciLayout('x', img.layout, img.tag, opts);
  reference = a.metadata;
  await a.close();
});
after(() => {
  opts.tempRoot.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Unpack the skopeo archive, let `edit` change it, pack it again. */
function rewrite(name: string, edit: (dir: string, manifest: ManifestEntry[]) => ManifestEntry[] | string): string {
  const dir = join(work, `${name}.d`);
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-C', dir, '-xf', archive]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const out = edit(dir, manifest);
  writeFileSync(join(dir, 'manifest.json'), typeof out === 'string' ? out : JSON.stringify(out));
  const file = join(work, `${name}.tar`);
  execFileSync('tar', ['-C', dir, '-cf', file, '.']);
  return file;
}

function sameImage(md: ImageMetadata): void {
  assert.equal(md.configDigest, reference.configDigest);
  assert.deepEqual(
    md.layers.map((l) => l.diffId),
    reference.layers.map((l) => l.diffId),
  );
}

async function layersMatchDiffIds(path: string, selector?: string): Promise<void> {
  const a = await openDockerArchive('x', path, selector, opts);
  try {
    sameImage(a.metadata);
    const got = await layerDigests(a);
    assert.deepEqual(
      got.map((g) => g.diffId),
      a.metadata.layers.map((l) => l.diffId),
    );
    for (const [i, l] of a.metadata.layers.entries()) if (l.digest) assert.equal(got[i]?.blob, l.digest);
  } finally {
    await a.close();
  }
}

describe('openDockerArchive (skopeo-written archives)', () => {
  test('reads config, tags and layers; the same image as the OCI layout it was copied from', async () => {
    const a = await openDockerArchive(`docker-archive:${archive}`, archive, undefined, opts);
    try {
      const md = a.metadata;
      assert.equal(md.kind, 'docker-archive');
      sameImage(md);
      assert.deepEqual(md.repoTags, ['example.com/team/app:1.0']);
      assert.equal(md.reference?.repository, 'team/app');
      assert.equal(md.manifestDigest, undefined);
      // skopeo names the uncompressed layer files by their digest.
      assert.deepEqual(
        md.layers.map((l) => l.digest),
        md.layers.map((l) => l.diffId),
      );
      assert.deepEqual(md.config.config.Cmd, ['/bin/busybox']);
    } finally {
      await a.close();
    }
    await layersMatchDiffIds(archive);
  });

  test('chooses by tag (normalised like skopeo) or @N; an unknown tag is refused', async () => {
    for (const sel of ['example.com/team/app:1.0', '@0']) await layersMatchDiffIds(archive, sel);
    await assert.rejects(
      openDockerArchive('x', archive, 'example.com/team/app:2.0', opts),
      expectCode('TARGET_NOT_FOUND'),
    );
    await assert.rejects(openDockerArchive('x', archive, '@1', opts), expectCode('TARGET_NOT_FOUND'));
    await assert.rejects(openDockerArchive('x', archive, `app@sha256:${'a'.repeat(64)}`, opts), expectCode('USAGE'));
  });

  test('gzip- and zstd-compressed archives (docker save | gzip) are read', async () => {
    for (const kind of ['gzip', 'zstd'] as const) await layersMatchDiffIds(compressFile(archive, kind));
  });

  test('legacy <id>/layer.tar paths (symlinks to the real files) are followed inside the archive', async () => {
    const file = rewrite('legacy', (dir, m) => {
      const entry = m[0] as ManifestEntry;
      const links = execFileSync('find', [dir, '-name', 'layer.tar'], { encoding: 'utf8' }).trim().split('\n');
      // Map each real layer file to the <id>/layer.tar symlink that points to it.
      entry.Layers = entry.Layers.map((l) => {
        const link = links.find((p) => execFileSync('readlink', [p], { encoding: 'utf8' }).trim() === `../${l}`);
        assert.ok(link, `a layer.tar links to ${l}`);
        return link.slice(dir.length + 1);
      });
      return m;
    });
    const a = await openDockerArchive('x', file, undefined, opts);
    assert.ok(
      a.metadata.layers.every((l) => l.digest === undefined),
      'an <id>/layer.tar path names no digest',
    );
    await a.close();
    await layersMatchDiffIds(file);
  });

  test('Docker 25 blobs/sha256/<hex> paths name the blob digests', async () => {
    const file = rewrite('blobs', (dir, m) => {
      const entry = m[0] as ManifestEntry;
      mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
      const move = (p: string): string => {
        const hex = p.replace(/\.(tar|json)$/, '');
        renameSync(join(dir, p), join(dir, 'blobs', 'sha256', hex));
        return `blobs/sha256/${hex}`;
      };
      entry.Config = move(entry.Config);
      entry.Layers = entry.Layers.map(move);
      return m;
    });
    const a = await openDockerArchive('x', file, undefined, opts);
    assert.deepEqual(
      a.metadata.layers.map((l) => l.digest),
      reference.layers.map((l) => l.diffId),
    );
    await a.close();
    await layersMatchDiffIds(file);
  });
});

describe('openDockerArchive on real podman save output (needs podman, run as root)', () => {
  let podman: PrivatePodman;
  before(() => {
    podman = privatePodman(join(work, 'podman'));
    const oci = join(work, 'for-podman.tar');
    skopeo([`oci:${img.layout}:${img.tag}`, `oci-archive:${oci}:${img.tag}`]);
    podman.run(['load', '-q', '-i', oci]);
    podman.run(['tag', `localhost/${img.tag}:latest`, 'localhost/bollard/one:1']);
    // A second, different image: a one-file root filesystem imported as a single layer.
    const root = join(work, 'rootfs-two');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'two'), 'two\n');
    const tarball = join(work, 'rootfs-two.tar');
    execFileSync('tar', ['-C', root, '-cf', tarball, '.']);
    podman.run(['import', '-q', tarball, 'localhost/bollard/two:2']);
  });

  test('podman save: one image', async () => {
    const file = join(work, 'podman-save.tar');
    podman.run(['save', '-q', '--format', 'docker-archive', '-o', file, 'localhost/bollard/one:1']);
    const a = await openDockerArchive('x', file, undefined, opts);
    assert.deepEqual(a.metadata.repoTags, ['localhost/bollard/one:1']);
    await a.close();
    await layersMatchDiffIds(file);
  });

  test('podman save -m: several images must be named, by tag or @N', async () => {
    const file = join(work, 'podman-save-multi.tar');
    podman.run([
      'save',
      '-q',
      '-m',
      '--format',
      'docker-archive',
      '-o',
      file,
      'localhost/bollard/one:1',
      'localhost/bollard/two:2',
    ]);
    const m = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as ManifestEntry[];
    assert.ok(m.length >= 2, 'podman wrote a multi-image manifest.json');
    await assert.rejects(
      openDockerArchive('x', file, undefined, opts),
      expectCode('USAGE', /holds \d images.*bollard\/one:1/),
    );
    const one = m.findIndex((e) => e.RepoTags?.includes('localhost/bollard/one:1'));
    await layersMatchDiffIds(file, `@${one}`);
    await layersMatchDiffIds(file, 'localhost/bollard/one:1');
    const two = await openDockerArchive('x', file, 'localhost/bollard/two:2', opts);
    try {
      assert.deepEqual(two.metadata.repoTags, ['localhost/bollard/two:2']);
      assert.equal(two.metadata.layers.length, 1);
      const got = await layerDigests(two);
      assert.equal(got[0]?.diffId, two.metadata.layers[0]?.diffId);
    } finally {
      await two.close();
    }
  });
});

describe('openDockerArchive on hostile archives', () => {
  test('manifest.json naming a missing file is refused', async () => {
    const file = rewrite('missing', (_d, m) => {
      (m[0] as ManifestEntry).Layers[1] = 'nothere/layer.tar';
      return m;
    });
    await assert.rejects(
      openDockerArchive('x', file, undefined, opts),
      expectCode('MANIFEST_INVALID', /nothere\/layer\.tar/),
    );
  });

  test('manifest.json naming a path outside the archive is refused', async () => {
    const file = rewrite('escape', (_d, m) => {
      (m[0] as ManifestEntry).Layers[0] = '../../../../etc/passwd';
      return m;
    });
    await assert.rejects(openDockerArchive('x', file, undefined, opts), expectCode('PATH_ESCAPE'));
    const cfg = rewrite('escape-config', (_d, m) => {
      (m[0] as ManifestEntry).Config = '/../../etc/shadow';
      return m;
    });
    await assert.rejects(openDockerArchive('x', cfg, undefined, opts), expectCode('PATH_ESCAPE'));
  });

  test('a layer path that is a symlink leaving the archive is refused', async () => {
    const file = rewrite('link-escape', (dir, m) => {
      execFileSync('ln', ['-s', '../../../etc/passwd', join(dir, 'evil.tar')]);
      (m[0] as ManifestEntry).Layers[0] = 'evil.tar';
      return m;
    });
    await assert.rejects(openDockerArchive('x', file, undefined, opts), expectCode('PATH_ESCAPE'));
  });

  test('gigantic or deeply nested manifest.json is refused', async () => {
    const deep = rewrite('deep', () => `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    await assert.rejects(openDockerArchive('x', deep, undefined, opts), expectCode('LIMIT_EXCEEDED', /deeper/));
    const big = rewrite('big', (_d, m) => JSON.stringify([{ ...m[0], pad: 'x'.repeat(2 * 1024 * 1024) }]));
    await assert.rejects(
      openDockerArchive('x', big, undefined, { ...opts, limits: { ...opts.limits, maxJsonBytes: 1024 * 1024 } }),
      expectCode('LIMIT_EXCEEDED'),
    );
    const notArray = rewrite('object', () => '{"Config":"x"}');
    await assert.rejects(openDockerArchive('x', notArray, undefined, opts), expectCode('MANIFEST_INVALID'));
  });

  test('a config whose diff_ids count differs from the layers is refused', async () => {
    const file = rewrite('diffids', (_d, m) => {
      const e = m[0] as ManifestEntry;
      e.Layers = e.Layers.slice(0, 2);
      return m;
    });
    await assert.rejects(
      openDockerArchive('x', file, undefined, opts),
      expectCode('MANIFEST_INVALID', /2 layers but the config lists 3/),
    );
  });

  test('a config stored under a digest it does not have is refused', async () => {
    const file = rewrite('tampered-config', (dir, m) => {
      const p = join(dir, (m[0] as ManifestEntry).Config);
      writeFileSync(p, readFileSync(p, 'utf8').replace('PATH=/bin', 'PATH=/xyz'));
      return m;
    });
    await assert.rejects(openDockerArchive('x', file, undefined, opts), expectCode('DIGEST_MISMATCH'));
  });
});

describe('helpers', () => {
  test('parseDockerArchiveSelector', () => {
    assert.equal(parseDockerArchiveSelector(undefined), undefined);
    assert.deepEqual(parseDockerArchiveSelector('@3'), { kind: 'index', index: 3 });
    const s = parseDockerArchiveSelector('busybox');
    assert.equal(s?.kind, 'tag');
    assert.equal(s?.kind === 'tag' ? s.ref.tag : '', 'latest');
    assert.throws(() => parseDockerArchiveSelector('Not Valid'), expectCode('REFERENCE_INVALID'));
  });

  test('digestFromPath', () => {
    const hex = 'a'.repeat(64);
    assert.equal(digestFromPath(`blobs/sha256/${hex}`), `sha256:${hex}`);
    assert.equal(digestFromPath(`${hex}.tar`), `sha256:${hex}`);
    assert.equal(digestFromPath(`${hex}/layer.tar`), undefined);
    assert.equal(digestFromPath(`x/blobs/sha256/${hex}`), undefined);
  });
});
