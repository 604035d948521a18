import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { expectCode } from '../../test/helpers/errors.ts';
import {
  artifactOptions,
  type BuiltImages,
  buildBusyboxLayout,
  compressFile,
  layerDigests,
  layoutVariant,
  makeWorkDir,
  privatePodman,
  skopeo,
} from './oci-layout/__fixtures__/images.ts';
import { describeContent, openArtifact, parseTarget } from './open.ts';
import type { Artifact, ImageMetadata } from './types.ts';

const HEX = 'c'.repeat(64);

/** A file system where only `paths` exist. */
function exists(...paths: string[]): (p: string) => boolean {
  return (p) => paths.includes(p);
}

describe('parseTarget', () => {
  test('oci: with and without a ref, digests and @N', () => {
    assert.deepEqual(parseTarget('oci:/tmp/layout'), { transport: 'oci', path: '/tmp/layout', ref: undefined });
    assert.deepEqual(parseTarget('oci:/tmp/layout:v1'), { transport: 'oci', path: '/tmp/layout', ref: 'v1' });
    assert.deepEqual(parseTarget('oci:./l:@2'), { transport: 'oci', path: './l', ref: '@2' });
    assert.deepEqual(parseTarget(`oci:/l:sha256:${HEX}`, exists('/l')), {
      transport: 'oci',
      path: '/l',
      ref: `sha256:${HEX}`,
    });
    // Without knowing what exists, the first colon splits, as skopeo does.
    assert.deepEqual(parseTarget(`oci:/l:sha256:${HEX}`), { transport: 'oci', path: '/l', ref: `sha256:${HEX}` });
  });

  test('a ref may be a full reference with a registry port', () => {
    assert.deepEqual(parseTarget('oci:dir:example.com:5000/team/app:1.0'), {
      transport: 'oci',
      path: 'dir',
      ref: 'example.com:5000/team/app:1.0',
    });
    assert.deepEqual(parseTarget('docker-archive:a.tar:localhost:5000/app:1', exists('a.tar')), {
      transport: 'docker-archive',
      path: 'a.tar',
      ref: 'localhost:5000/app:1',
    });
  });

  test('paths with colons are settled by what exists', () => {
    assert.deepEqual(parseTarget('oci:/data/my:layout:v1', exists('/data/my:layout')), {
      transport: 'oci',
      path: '/data/my:layout',
      ref: 'v1',
    });
    assert.deepEqual(parseTarget('oci:/data/my:layout', exists('/data/my:layout')), {
      transport: 'oci',
      path: '/data/my:layout',
      ref: undefined,
    });
    assert.deepEqual(parseTarget('oci-archive:/x/a:b.tar:tag', exists('/x/a:b.tar')), {
      transport: 'oci-archive',
      path: '/x/a:b.tar',
      ref: 'tag',
    });
    // The longest existing path wins over a shorter one.
    assert.deepEqual(parseTarget('oci:/a:b:c', exists('/a', '/a:b')), { transport: 'oci', path: '/a:b', ref: 'c' });
    assert.deepEqual(parseTarget('dir:/mnt/c:d'), { transport: 'dir', path: '/mnt/c:d' });
  });

  test('docker-archive refs are tagged names or @N', () => {
    assert.deepEqual(parseTarget('docker-archive:/x/img.tar:busybox:latest', exists('/x/img.tar')), {
      transport: 'docker-archive',
      path: '/x/img.tar',
      ref: 'busybox:latest',
    });
    assert.deepEqual(parseTarget('docker-archive:img.tar:@1'), {
      transport: 'docker-archive',
      path: 'img.tar',
      ref: '@1',
    });
    assert.deepEqual(parseTarget('docker-archive:img.tar'), {
      transport: 'docker-archive',
      path: 'img.tar',
      ref: undefined,
    });
    // "Not Valid" is no reference: the whole value is the path.
    assert.deepEqual(parseTarget('docker-archive:my:Not Valid'), {
      transport: 'docker-archive',
      path: 'my:Not Valid',
      ref: undefined,
    });
  });

  test('registry and daemon transports', () => {
    assert.deepEqual(parseTarget('docker://alpine:3.20'), { transport: 'docker', reference: 'alpine:3.20' });
    assert.deepEqual(parseTarget(`docker://localhost:5000/app@sha256:${HEX}`), {
      transport: 'docker',
      reference: `localhost:5000/app@sha256:${HEX}`,
    });
    assert.deepEqual(parseTarget('docker-daemon:busybox:latest'), {
      transport: 'docker-daemon',
      reference: 'busybox:latest',
    });
    assert.throws(() => parseTarget('docker:alpine'), expectCode('USAGE', /docker:\/\//));
    assert.throws(() => parseTarget('docker-daemon:'), expectCode('USAGE'));
  });

  test('no prefix: decided later by looking at the file system', () => {
    for (const t of [
      'alpine',
      'alpine:3.20',
      'localhost:5000/app:1',
      '127.0.0.1:5000/x',
      '/srv/rootfs',
      './image.tar',
    ]) {
      assert.deepEqual(parseTarget(t), { transport: 'auto', value: t });
    }
  });

  test('unsupported skopeo transports and empty parts are usage errors', () => {
    assert.throws(() => parseTarget('containers-storage:alpine'), expectCode('USAGE', /not supported/));
    assert.throws(() => parseTarget(''), expectCode('USAGE'));
    assert.throws(() => parseTarget('oci:'), expectCode('USAGE'));
    assert.throws(() => parseTarget('dir:'), expectCode('USAGE'));
  });
});

describe('describeContent', () => {
  test('names common non-image files', () => {
    assert.match(describeContent(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1])), /ELF/);
    assert.match(describeContent(Buffer.alloc(0)), /empty/);
    assert.match(describeContent(Buffer.from('{"bomFormat":"CycloneDX"}')), /JSON/);
    assert.match(describeContent(Buffer.from('hello world\n')), /text/);
    assert.match(describeContent(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), /xz/);
    assert.match(describeContent(Buffer.from([0, 1, 2, 0xff, 0xfe])), /unknown/);
  });
});

/** A free loopback port: bind to 0, read it, release it. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('openArtifact: every route yields the same image (needs umoci, skopeo, podman, docker-registry; run as root)', () => {
  let work: string;
  let img: BuiltImages;
  let registry: ChildProcess | undefined;
  let registryHost: string;
  const routes: string[] = [];
  const opts = artifactOptions();
  let reference: ImageMetadata;

  before(async () => {
    work = makeWorkDir('open');
    img = buildBusyboxLayout(work);
    const ociArchive = join(work, 'oci.tar');
    const dockerArchive = join(work, 'docker.tar');
    skopeo([`oci:${img.layout}:${img.tag}`, `oci-archive:${ociArchive}:${img.tag}`]);
    skopeo([`oci:${img.layout}:${img.tag}`, `docker-archive:${dockerArchive}:example.com/team/app:1.0`]);
    const colonDir = join(work, 'with:colon');
    cpSync(img.layout, colonDir, { recursive: true });
    const podman = privatePodman(join(work, 'podman'));
    podman.run(['load', '-q', '-i', ociArchive]);
    const saved = join(work, 'podman-save.tar');
    podman.run(['save', '-q', '--format', 'docker-archive', '-o', saved, `localhost/${img.tag}:latest`]);

    const port = await freePort();
    registryHost = `127.0.0.1:${port}`;
    const conf = join(work, 'registry.yml');
    writeFileSync(
      conf,
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'registry')}\nhttp:\n  addr: ${registryHost}\n`,
    );
    registry = spawn('docker-registry', ['serve', conf], { stdio: 'ignore' });
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = await fetch(`http://${registryHost}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await sleep(100);
    }
    if (!up) throw new Error(`docker-registry did not answer on ${registryHost}`);
    skopeo(['--dest-tls-verify=false', `oci:${img.layout}:${img.tag}`, `docker://${registryHost}/bollard/app:1`]);

    routes.push(
      `oci:${img.layout}:${img.tag}`,
      img.layout,
      `oci:${layoutVariant(img, 'zstd')}`,
      `oci:${layoutVariant(img, 'none')}:${img.tag}`,
      `oci:${colonDir}:${img.tag}`,
      colonDir,
      `oci-archive:${ociArchive}`,
      `oci-archive:${ociArchive}:${img.tag}`,
      ociArchive,
      compressFile(ociArchive, 'gzip'),
      compressFile(ociArchive, 'zstd'),
      `docker-archive:${dockerArchive}:example.com/team/app:1.0`,
      `docker-archive:${dockerArchive}:@0`,
      dockerArchive,
      compressFile(dockerArchive, 'gzip'),
      saved,
      `docker://${registryHost}/bollard/app:1`,
      `${registryHost}/bollard/app:1`,
    );
  });

  after(async () => {
    if (registry && registry.exitCode === null) {
      registry.kill('SIGTERM');
      await new Promise((r) => registry?.once('exit', r));
    }
    opts.tempRoot.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('config digest, diffIDs and decompressed layer digests agree across all routes', async () => {
    const first = await openArtifact(`oci:${img.layout}:${img.tag}`, opts);
    assert.equal(first.kind, 'image');
    reference = (first as Extract<Artifact, { kind: 'image' }>).metadata;
    await first.close();
    const kinds = new Set<string>();
    for (const target of routes) {
      const a = await openArtifact(target, opts);
      try {
        assert.equal(a.kind, 'image', target);
        if (a.kind !== 'image') continue;
        kinds.add(a.metadata.kind);
        assert.equal(a.metadata.input, target);
        assert.equal(a.metadata.configDigest, reference.configDigest, target);
        assert.deepEqual(
          a.metadata.layers.map((l) => l.diffId),
          reference.layers.map((l) => l.diffId),
          target,
        );
        const got = await layerDigests(a);
        assert.deepEqual(
          got.map((g) => g.diffId),
          reference.layers.map((l) => l.diffId),
          target,
        );
        for (const [i, l] of a.metadata.layers.entries()) if (l.digest) assert.equal(got[i]?.blob, l.digest, target);
      } finally {
        await a.close();
      }
    }
    assert.deepEqual([...kinds].toSorted(), ['docker-archive', 'oci', 'oci-archive', 'registry']);
  });

  test('sniffing: the archive kind is recognised without a prefix', async () => {
    const oci = await openArtifact(join(work, 'oci.tar'), opts);
    const docker = await openArtifact(join(work, 'docker.tar'), opts);
    const gz = await openArtifact(join(work, 'oci.tar.gz'), opts);
    try {
      assert.equal(oci.kind === 'image' && oci.metadata.kind, 'oci-archive');
      assert.equal(docker.kind === 'image' && docker.metadata.kind, 'docker-archive');
      assert.deepEqual(docker.kind === 'image' && docker.metadata.repoTags, ['example.com/team/app:1.0']);
      assert.equal(gz.kind === 'image' && gz.metadata.kind, 'oci-archive');
    } finally {
      await Promise.all([oci.close(), docker.close(), gz.close()]);
    }
  });

  test('directories: a layout is an image, anything else a root filesystem', async () => {
    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    for (const target of [rootfs, `dir:${rootfs}`]) {
      const a = await openArtifact(target, opts);
      assert.equal(a.kind, 'rootfs');
      assert.equal(a.metadata.kind, 'rootfs');
      await a.close();
    }
    await assert.rejects(openArtifact(`dir:${join(work, 'oci.tar')}`, opts), expectCode('USAGE'));
    await assert.rejects(openArtifact(`dir:${join(work, 'nope')}`, opts), expectCode('TARGET_NOT_FOUND'));
    const skopeoDir = join(work, 'skopeo-dir');
    skopeo([`oci:${img.layout}:${img.tag}`, `dir:${skopeoDir}`]);
    await assert.rejects(openArtifact(skopeoDir, opts), expectCode('TARGET_UNRECOGNISED', /skopeo dir:/));
  });

  test('files that are not images are TARGET_UNRECOGNISED, naming what was found', async () => {
    const cases: [string, Buffer | string, RegExp][] = [
      ['elf', '', /ELF/],
      ['empty', '', /empty file/],
      ['sbom.json', '{"bomFormat":"CycloneDX","specVersion":"1.6"}', /JSON/],
      ['notes.txt', 'hello\n', /text file/],
      ['text.gz', gzipSync(Buffer.from('not a tar\n'.repeat(100))), /gzip-compressed but does not hold a tar/],
    ];
    for (const [name, content, pattern] of cases) {
      const p = join(work, name);
      if (name === 'elf') copyFileSync('/bin/busybox', p);
      else writeFileSync(p, content);
      await assert.rejects(openArtifact(p, opts), expectCode('TARGET_UNRECOGNISED', pattern));
    }
    const rootfsTar = join(work, 'rootfs.tar');
    execFileSync('tar', ['-C', join(work, 'podman'), '-cf', rootfsTar, 'containers.conf']);
    await assert.rejects(
      openArtifact(rootfsTar, opts),
      expectCode('TARGET_UNRECOGNISED', /without manifest\.json or oci-layout.*containers\.conf/),
    );
  });

  test('missing paths and bad references', async () => {
    await assert.rejects(openArtifact('./does-not-exist.tar', opts), expectCode('TARGET_NOT_FOUND'));
    await assert.rejects(openArtifact(join(work, 'nope'), opts), expectCode('TARGET_NOT_FOUND'));
    await assert.rejects(openArtifact(`oci:${join(work, 'nope')}`, opts), expectCode('TARGET_NOT_FOUND'));
    await assert.rejects(openArtifact(`oci-archive:${join(work, 'nope.tar')}`, opts), expectCode('TARGET_NOT_FOUND'));
    await assert.rejects(openArtifact('Not A Reference', opts), expectCode('REFERENCE_INVALID'));
    await assert.rejects(
      openArtifact(`oci:${img.layout}:nope`, opts),
      expectCode('TARGET_NOT_FOUND', /no image named "nope"/),
    );
  });
});
