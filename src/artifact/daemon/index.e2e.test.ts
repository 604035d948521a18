import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectCode } from '../../../test/helpers/errors.ts';
import {
  artifactOptions,
  type BuiltImages,
  buildBusyboxLayout,
  layerDigests,
  makeWorkDir,
  type PrivatePodman,
  privatePodman,
  skopeo,
} from '../oci-layout/__fixtures__/images.ts';
import { openOciLayout } from '../oci-layout/index.ts';
import type { ImageMetadata } from '../types.ts';
import { openDaemonImage, parseDaemonHost } from './index.ts';

describe('parseDaemonHost', () => {
  test('unix sockets, bare paths and tcp addresses', () => {
    assert.deepEqual(parseDaemonHost('unix:///run/podman/podman.sock'), {
      display: 'unix:///run/podman/podman.sock',
      origin: 'http://localhost',
      socketPath: '/run/podman/podman.sock',
    });
    assert.equal(parseDaemonHost('/var/run/docker.sock').socketPath, '/var/run/docker.sock');
    assert.equal(parseDaemonHost('tcp://127.0.0.1:2375', {}).origin, 'http://127.0.0.1:2375');
    assert.equal(parseDaemonHost('tcp://[::1]:2375', {}).origin, 'http://[::1]:2375');
  });
  test('refuses what it cannot do safely', () => {
    assert.throws(() => parseDaemonHost('tcp://10.0.0.1:2376', { DOCKER_TLS_VERIFY: '1' }), expectCode('USAGE', /TLS/));
    assert.throws(() => parseDaemonHost('ssh://me@host'), expectCode('USAGE'));
    assert.throws(() => parseDaemonHost('unix://relative.sock'), expectCode('USAGE'));
    assert.throws(() => parseDaemonHost('tcp://host'), expectCode('USAGE'));
  });
});

describe('openDaemonImage without an engine', () => {
  test('a socket that does not exist is DAEMON_UNAVAILABLE naming the socket', async () => {
    const opts = artifactOptions({ daemon: { host: 'unix:///nonexistent/bollard-test.sock' } });
    try {
      await assert.rejects(
        openDaemonImage('docker-daemon:busybox', 'busybox', opts),
        expectCode('DAEMON_UNAVAILABLE', /unix:\/\/\/nonexistent\/bollard-test\.sock/),
      );
    } finally {
      opts.tempRoot.dispose();
    }
  });

  test('an answer that is too large or too deep is refused', async () => {
    const server: Server = createServer((req, res) => {
      if (req.url === '/_ping') return void res.end('OK');
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/images/deep/')) return void res.end(`${'['.repeat(1000)}${']'.repeat(1000)}`);
      res.end(JSON.stringify({ pad: 'x'.repeat(4096) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const opts = artifactOptions({ daemon: { host: `tcp://127.0.0.1:${port}` } });
    try {
      await assert.rejects(openDaemonImage('x', 'deep', opts), expectCode('LIMIT_EXCEEDED', /deeper/));
      const small = { ...opts, limits: { ...opts.limits, maxJsonBytes: 1024 } };
      await assert.rejects(openDaemonImage('x', 'big', small), expectCode('LIMIT_EXCEEDED'));
    } finally {
      opts.tempRoot.dispose();
      server.close();
    }
  });
});

describe('openDaemonImage against podman system service (needs podman, run as root)', () => {
  let work: string;
  let img: BuiltImages;
  let podman: PrivatePodman;
  let service: ChildProcess | undefined;
  let socket: string;
  let reference: ImageMetadata;

  before(async () => {
    work = makeWorkDir('daemon');
    img = buildBusyboxLayout(work);
    const a = await openOciLayout('x', img.layout, img.tag, artifactOptions());
    reference = a.metadata;
    await a.close();
    podman = privatePodman(join(work, 'podman'));
    const archive = join(work, 'image.tar');
    skopeo([`oci:${img.layout}:${img.tag}`, `oci-archive:${archive}:${img.tag}`]);
    podman.run(['load', '-q', '-i', archive]);
    podman.run(['tag', `localhost/${img.tag}:latest`, 'localhost/bollard/daemon:1']);
    // A second image made by `podman import` of a root filesystem tarball.
    const root = join(work, 'rootfs');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'imported'), 'yes\n');
    execFileSync('tar', ['-C', root, '-cf', join(work, 'rootfs.tar'), '.']);
    podman.run(['import', '-q', join(work, 'rootfs.tar'), 'localhost/bollard/imported:1']);

    socket = join(work, 'podman.sock');
    service = spawn('podman', [...podman.args, 'system', 'service', '--time=0', `unix://${socket}`], {
      env: podman.env,
      stdio: 'ignore',
    });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(100);
    if (!existsSync(socket)) throw new Error(`podman system service did not create ${socket}`);
  });

  after(async () => {
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await new Promise((r) => service?.once('exit', r));
    }
    rmSync(work, { recursive: true, force: true });
  });

  test('metadata comes from inspect without exporting; the export happens at the first openLayer and matches', async () => {
    const opts = artifactOptions({ daemon: { host: `unix://${socket}` } });
    const a = await openDaemonImage('docker-daemon:localhost/bollard/daemon:1', 'localhost/bollard/daemon:1', opts);
    try {
      const md = a.metadata;
      assert.equal(md.kind, 'docker-daemon');
      assert.equal(md.configDigest, reference.configDigest);
      assert.deepEqual(
        md.layers.map((l) => l.diffId),
        reference.layers.map((l) => l.diffId),
      );
      assert.ok(md.repoTags.includes('localhost/bollard/daemon:1'), md.repoTags.join(' '));
      assert.deepEqual(md.platform, { os: 'linux', architecture: 'amd64' });
      assert.deepEqual(md.config.config.Env, ['PATH=/bin']);
      assert.equal(md.layers[2]?.createdBy, 'COPY data /app/data');
      assert.equal(md.reference?.repository, 'bollard/daemon');
      assert.deepEqual(readdirSync(opts.tempRoot.path), [], 'nothing exported yet');

      const got = await layerDigests(a);
      assert.deepEqual(
        got.map((g) => g.diffId),
        md.layers.map((l) => l.diffId),
      );
      assert.equal(readdirSync(opts.tempRoot.path).length, 1, 'one export spooled');
    } finally {
      await a.close();
    }
    assert.deepEqual(readdirSync(opts.tempRoot.path), [], 'the spool is removed on close');
    opts.tempRoot.dispose();
  });

  test('DOCKER_HOST is used when no host is given; images are found by ID too', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${socket}`;
    const opts = artifactOptions();
    try {
      for (const name of [
        reference.configDigest,
        reference.configDigest.slice('sha256:'.length, 'sha256:'.length + 12),
      ]) {
        const a = await openDaemonImage(`docker-daemon:${name}`, name, opts);
        assert.equal(a.metadata.configDigest, reference.configDigest);
        assert.equal(a.metadata.reference, undefined);
        const got = await layerDigests(a);
        assert.equal(got[0]?.diffId, reference.layers[0]?.diffId);
        await a.close();
      }
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
      opts.tempRoot.dispose();
    }
  });

  test('an image made by podman import', async () => {
    const opts = artifactOptions({ daemon: { host: socket } });
    const a = await openDaemonImage('x', 'localhost/bollard/imported:1', opts);
    try {
      assert.equal(a.metadata.layers.length, 1);
      const got = await layerDigests(a);
      assert.equal(got[0]?.diffId, a.metadata.layers[0]?.diffId);
    } finally {
      await a.close();
      opts.tempRoot.dispose();
    }
  });

  test('an export that is not the image inspect described is refused (engine double serving a real export)', async () => {
    // The double describes the busybox image but exports the imported one, as a confused or hostile engine might.
    const exportFile = join(work, 'imported-save.tar');
    podman.run(['save', '-q', '--format', 'docker-archive', '-o', exportFile, 'localhost/bollard/imported:1']);
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/_ping') return void res.end('OK');
      if (req.url === '/images/localhost/bollard/daemon:1/json') {
        return void res.end(
          JSON.stringify({
            Id: reference.configDigest,
            RepoTags: ['localhost/bollard/daemon:1'],
            Architecture: 'amd64',
            Os: 'linux',
            Config: { Env: ['PATH=/bin'] },
            RootFS: { Type: 'layers', Layers: reference.layers.map((l) => l.diffId) },
          }),
        );
      }
      if (req.url === '/images/localhost/bollard/daemon:1/history') return void res.end('[]');
      if (req.url === `/images/${reference.configDigest}/get`) return void createReadStream(exportFile).pipe(res);
      res.statusCode = 404;
      res.end('{"message":"no such image"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const opts = artifactOptions({ daemon: { host: `tcp://127.0.0.1:${port}` } });
    try {
      const a = await openDaemonImage('x', 'localhost/bollard/daemon:1', opts);
      assert.equal(a.metadata.configDigest, reference.configDigest);
      assert.ok(!requests.some((u) => u.endsWith('/get')), 'no export before a layer is opened');
      await assert.rejects(a.openLayer(0), expectCode('DIGEST_MISMATCH', /exported a different image/));
      assert.deepEqual(readdirSync(opts.tempRoot.path), [], 'the rejected export is deleted');
      await a.close();
    } finally {
      opts.tempRoot.dispose();
      server.close();
    }
  });

  test('an unknown image is TARGET_NOT_FOUND; a bad name is REFERENCE_INVALID; a foreign platform is refused', async () => {
    const opts = artifactOptions({ daemon: { host: `unix://${socket}` } });
    try {
      await assert.rejects(openDaemonImage('x', 'localhost/bollard/nope:1', opts), expectCode('TARGET_NOT_FOUND'));
      await assert.rejects(openDaemonImage('x', '../../containers/json', opts), expectCode('REFERENCE_INVALID'));
      await assert.rejects(
        openDaemonImage('x', 'localhost/bollard/daemon:1', { ...opts, platform: 'linux/arm64' }),
        expectCode('PLATFORM_NOT_FOUND'),
      );
    } finally {
      opts.tempRoot.dispose();
    }
  });
});
