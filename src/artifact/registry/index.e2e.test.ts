import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { parseReference } from '../../oci/reference.ts';
import { RegistryClient } from '../../oci/registry.ts';
import { MediaType } from '../../oci/types.ts';
import { type Digest, digestOf } from '../../util/digest.ts';
import { isBollardError } from '../../util/errors.ts';
import { resolveLimits } from '../../util/limits.ts';
import { silentLogger } from '../../util/logger.ts';
import { silentProgress } from '../../util/progress.ts';
import { createTempRoot, type TempRoot } from '../../util/tempdir.ts';
import type { ArtifactOptions } from '../types.ts';
import { openRegistryImage } from './index.ts';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function requireTool(name: string, pkg: string): void {
  const found = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, name)));
  if (!found) throw new Error(`${name} is not installed: this test needs the Debian package ${pkg}`);
}

interface Distribution {
  host: string;
  stop(): Promise<void>;
}

/** Start Debian's docker-registry (distribution 2.8) on a free loopback port, storage under `dir`. */
async function startDistribution(dir: string): Promise<Distribution> {
  requireTool('docker-registry', 'docker-registry');
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = join(dir, `config-${attempt}.yml`);
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: error',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'data')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    const state = { exited: false };
    child.on('exit', () => {
      state.exited = true;
    });
    child.stderr?.on('data', (c: Buffer) => {
      lastLog = (lastLog + c.toString()).slice(-2000);
    });
    for (let i = 0; i < 100 && !state.exited; i++) {
      try {
        const r = await fetch(`http://${host}/v2/`);
        if (r.status === 200) {
          return {
            host,
            stop: () =>
              new Promise<void>((resolve) => {
                if (state.exited) resolve();
                else {
                  child.once('exit', () => resolve());
                  child.kill('SIGTERM');
                }
              }),
          };
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!state.exited) child.kill('SIGKILL');
    // A port taken between our probe and the registry's bind: try another one.
  }
  throw new Error(`docker-registry did not start: ${lastLog}`);
}

interface LayoutImage {
  /** `oci:DIR:TAG` */
  source: string;
  diffIds: Digest[];
  layerDigests: Digest[];
}

/** Read the OCI layout umoci wrote to learn what the registry must serve back. */
function readLayoutImage(layout: string, tag: string): LayoutImage {
  const blob = (d: string): Buffer => readFileSync(join(layout, 'blobs', 'sha256', d.slice('sha256:'.length)));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  assert.ok(desc, `umoci layout has no tag ${tag}`);
  const manifest = JSON.parse(blob(desc.digest).toString()) as {
    config: { digest: string };
    layers: { digest: Digest }[];
  };
  const config = JSON.parse(blob(manifest.config.digest).toString()) as { rootfs: { diff_ids: Digest[] } };
  return {
    source: `oci:${layout}:${tag}`,
    diffIds: config.rootfs.diff_ids,
    layerDigests: manifest.layers.map((l) => l.digest),
  };
}

// umoci needs --rootless to unpack as an ordinary user (it cannot chown then).
const ROOTLESS = process.getuid?.() === 0 ? [] : ['--rootless'];

/** Build a busybox image with umoci: one layer with busybox, a second with a marker file. */
async function buildImage(work: string, layout: string, tag: string, arch: string): Promise<LayoutImage> {
  const bundle = join(work, `bundle-${tag}`);
  await run('umoci', ['new', '--image', `${layout}:${tag}`]);
  await run('umoci', ['unpack', ...ROOTLESS, '--image', `${layout}:${tag}`, bundle]);
  await run('sh', [
    '-c',
    `set -e; r=${bundle}/rootfs; mkdir -p $r/bin $r/etc; cp /bin/busybox $r/bin/busybox; ln -s busybox $r/bin/sh; ` +
      `printf 'root:x:0:0:root:/root:/bin/sh\\n' > $r/etc/passwd`,
  ]);
  await run('umoci', ['repack', ...ROOTLESS, '--image', `${layout}:${tag}`, bundle]);
  rmSync(bundle, { recursive: true, force: true });
  await run('umoci', ['unpack', ...ROOTLESS, '--image', `${layout}:${tag}`, bundle]);
  writeFileSync(join(bundle, 'rootfs', 'etc', 'bollard-arch'), `${arch}\n`);
  await run('umoci', ['repack', ...ROOTLESS, '--image', `${layout}:${tag}`, bundle]);
  rmSync(bundle, { recursive: true, force: true });
  await run('umoci', [
    'config',
    '--image',
    `${layout}:${tag}`,
    '--architecture',
    arch,
    '--os',
    'linux',
    '--config.cmd',
    '/bin/sh',
  ]);
  return readLayoutImage(layout, tag);
}

async function skopeoCopy(source: string, dest: string, format: 'v2s2' | 'oci'): Promise<void> {
  await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--format', format, source, `docker://${dest}`]);
}

async function skopeoDigest(ref: string): Promise<string> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${ref}`], {
    encoding: 'buffer',
  });
  return digestOf(stdout as Buffer);
}

async function hashStream(s: Readable): Promise<Digest> {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

let tempRoot: TempRoot;
function options(extra: Partial<ArtifactOptions> = {}): ArtifactOptions {
  return {
    limits: resolveLimits({ maxRetries: 1 }),
    tempRoot,
    logger: silentLogger,
    progress: silentProgress,
    ...extra,
  };
}

async function open(ref: string, extra: Partial<ArtifactOptions> = {}) {
  return openRegistryImage(`docker://${ref}`, parseReference(ref), options(extra));
}

async function openFake(host: string, tag = 'x') {
  const ref = parseReference(`${host}/app:${tag}`);
  return openRegistryImage(`${host}/app:${tag}`, ref, options());
}

describe('openRegistryImage against a real registry (docker-registry 2.8, umoci, skopeo)', () => {
  let work: string;
  let reg: Distribution;
  let amd64: LayoutImage;
  let arm64: LayoutImage;
  let client: RegistryClient;
  let ociIndexDigest: Digest;
  let listDigest: Digest;
  const digests: Record<string, string> = {};

  before(async () => {
    requireTool('umoci', 'umoci');
    requireTool('skopeo', 'skopeo');
    tempRoot = createTempRoot('bollard-registry-test-');
    work = mkdtempSync(join(tmpdir(), 'bollard-registry-'));
    reg = await startDistribution(work);
    const layout = join(work, 'layout');
    await run('umoci', ['init', '--layout', layout]);
    amd64 = await buildImage(work, layout, 'amd64', 'amd64');
    arm64 = await buildImage(work, layout, 'arm64', 'arm64');
    const repo = `${reg.host}/bollard/busybox`;
    await skopeoCopy(amd64.source, `${repo}:v2s2`, 'v2s2');
    await skopeoCopy(amd64.source, `${repo}:oci`, 'oci');
    await skopeoCopy(arm64.source, `${repo}:arm64-oci`, 'oci');
    await skopeoCopy(arm64.source, `${repo}:arm64-v2s2`, 'v2s2');
    for (const tag of ['v2s2', 'oci', 'arm64-oci', 'arm64-v2s2']) digests[tag] = await skopeoDigest(`${repo}:${tag}`);

    // Multi-platform images assembled and pushed with our own client.
    client = new RegistryClient({ limits: resolveLimits({ maxRetries: 1 }) });
    const r = { registry: reg.host, repository: 'bollard/busybox' };
    const entry = async (tag: string, architecture: string) => {
      const m = await client.getManifest({ ...r, reference: tag });
      return { mediaType: m.mediaType, digest: m.digest, size: m.raw.length, platform: { os: 'linux', architecture } };
    };
    const ociIndex = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [await entry('oci', 'amd64'), await entry('arm64-oci', 'arm64')],
      }),
    );
    ociIndexDigest = await client.putManifest(r, 'multi-oci', ociIndex, MediaType.ociIndex);
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifestList,
        manifests: [await entry('arm64-v2s2', 'arm64'), await entry('v2s2', 'amd64')],
      }),
    );
    listDigest = await client.putManifest(r, 'multi-docker', list, MediaType.dockerManifestList);
  });

  after(async () => {
    await client?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    tempRoot?.dispose();
  });

  test('reads a Docker v2 schema 2 image: layers, diffIDs, digests, tags', async () => {
    const img = await open(`${reg.host}/bollard/busybox:v2s2`);
    try {
      const md = img.metadata;
      assert.equal(md.kind, 'registry');
      assert.equal(md.manifestMediaType, MediaType.dockerManifest);
      assert.equal(md.manifestDigest, digests.v2s2);
      assert.equal(md.indexDigest, undefined);
      assert.deepEqual(md.repoTags, [`${reg.host}/bollard/busybox:v2s2`]);
      assert.deepEqual(md.repoDigests, [`${reg.host}/bollard/busybox@${digests.v2s2}`]);
      assert.deepEqual(
        md.layers.map((l) => l.diffId),
        amd64.diffIds,
      );
      assert.deepEqual(
        md.layers.map((l) => l.digest),
        amd64.layerDigests,
      );
      assert.equal(md.layers[0]?.mediaType, MediaType.dockerLayer);
      assert.equal(md.platform.architecture, 'amd64');
      assert.deepEqual(md.config.config.Cmd, ['/bin/sh']);
    } finally {
      await img.close();
    }
  });

  test('streams every layer so that it hashes to its digest and unpacks to its diffID', async () => {
    const img = await open(`${reg.host}/bollard/busybox:oci`);
    try {
      assert.equal(img.metadata.manifestMediaType, MediaType.ociManifest);
      assert.equal(img.metadata.manifestDigest, digests.oci);
      for (const layer of img.metadata.layers) {
        assert.equal(await hashStream(await img.openLayer(layer.index)), layer.digest);
        const gunzip = createGunzip();
        (await img.openLayer(layer.index)).pipe(gunzip);
        assert.equal(await hashStream(gunzip), layer.diffId);
      }
    } finally {
      await img.close();
    }
  });

  test('follows an OCI index to the requested platform, and to the host platform by default', async () => {
    const arm = await open(`${reg.host}/bollard/busybox:multi-oci`, { platform: 'linux/arm64' });
    try {
      assert.equal(arm.metadata.indexDigest, ociIndexDigest);
      assert.equal(arm.metadata.manifestDigest, digests['arm64-oci']);
      assert.equal(arm.metadata.platform.architecture, 'arm64');
      assert.deepEqual(
        arm.metadata.layers.map((l) => l.diffId),
        arm64.diffIds,
      );
      assert.deepEqual(arm.metadata.repoDigests, [`${reg.host}/bollard/busybox@${digests['arm64-oci']}`]);
      const top = arm.metadata.layers.at(-1);
      assert.ok(top);
      assert.equal(await hashStream(await arm.openLayer(top.index)), top.digest);
    } finally {
      await arm.close();
    }
    const host = await open(`${reg.host}/bollard/busybox:multi-oci`);
    try {
      // The test machine is linux/amd64 (the brief's VM); the host default must pick that entry.
      assert.equal(host.metadata.platform.architecture, 'amd64');
      assert.equal(host.metadata.manifestDigest, digests.oci);
    } finally {
      await host.close();
    }
  });

  test('follows a Docker manifest list, and by digest', async () => {
    const img = await open(`${reg.host}/bollard/busybox@${listDigest}`, { platform: 'linux/amd64' });
    try {
      assert.equal(img.metadata.indexDigest, listDigest);
      assert.equal(img.metadata.manifestDigest, digests.v2s2);
      assert.deepEqual(img.metadata.repoTags, []);
      assert.deepEqual(
        img.metadata.layers.map((l) => l.diffId),
        amd64.diffIds,
      );
    } finally {
      await img.close();
    }
  });

  test('refuses a platform the index does not have, and a single image of another platform', async () => {
    await assert.rejects(
      open(`${reg.host}/bollard/busybox:multi-oci`, { platform: 'linux/s390x' }),
      (e: unknown) => isBollardError(e, 'PLATFORM_NOT_FOUND') && /linux\/amd64, linux\/arm64/.test(e.message),
    );
    await assert.rejects(open(`${reg.host}/bollard/busybox:v2s2`, { platform: 'linux/arm64' }), (e: unknown) =>
      isBollardError(e, 'PLATFORM_NOT_FOUND'),
    );
  });

  test('a missing tag is TARGET_NOT_FOUND', async () => {
    await assert.rejects(
      open(`${reg.host}/bollard/busybox:nope`),
      (e: unknown) => isBollardError(e, 'TARGET_NOT_FOUND') && /MANIFEST_UNKNOWN/.test(e.message),
    );
  });

  test('client: tags, HEAD, blob upload and download, no referrers API on distribution 2.8', async () => {
    const r = { registry: reg.host, repository: 'bollard/busybox' };
    const tags = await client.listTags(r);
    assert.deepEqual(tags.toSorted(), ['arm64-oci', 'arm64-v2s2', 'multi-docker', 'multi-oci', 'oci', 'v2s2']);
    const head = await client.headManifest({ ...r, reference: 'oci' });
    assert.equal(head?.digest, digests.oci);
    assert.equal(head?.mediaType, MediaType.ociManifest);
    assert.equal(await client.headManifest({ ...r, reference: 'missing' }), undefined);

    const payload = Buffer.from(`bollard test blob ${Date.now()}`);
    const pushed = await client.putBlob({ registry: reg.host, repository: 'bollard/blobs' }, payload);
    assert.equal(pushed.digest, digestOf(payload));
    assert.equal(
      await client.headBlob({ registry: reg.host, repository: 'bollard/blobs' }, pushed.digest),
      payload.length,
    );
    // Pushing again finds it with HEAD and does not upload.
    assert.deepEqual(await client.putBlob({ registry: reg.host, repository: 'bollard/blobs' }, payload), pushed);
    const back = await client.getBlobBuffer({ registry: reg.host, repository: 'bollard/blobs' }, pushed.digest, 1024);
    assert.deepEqual(back, payload);

    const d = digests.oci as Digest;
    assert.equal(await client.getReferrers(r, d), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// A fake registry for what a real one will not serve: malformed, mismatched and foreign content.

interface Served {
  status?: number;
  type?: string;
  body: Buffer | string;
  headers?: Record<string, string>;
}

async function fakeRegistry(
  routes: Record<string, Served>,
): Promise<{ host: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    hits.push(`${req.method} ${req.url}`);
    const r = routes[req.url ?? ''];
    if (!r) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"not here"}]}');
      return;
    }
    res.writeHead(r.status ?? 200, { ...(r.type ? { 'content-type': r.type } : {}), ...r.headers });
    res.end(req.method === 'HEAD' ? undefined : r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function imageFixture(opts: { layer?: Buffer; layerSize?: number; urls?: string[]; configType?: string } = {}) {
  const layer = opts.layer ?? Buffer.from('not really a tar, the source does not care');
  const layerDigest = digestOf(layer);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf('x')] } }),
  );
  const configDigest = digestOf(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: opts.configType ?? MediaType.ociConfig, digest: configDigest, size: config.length },
      layers: [
        {
          mediaType: opts.urls ? MediaType.ociLayerNondistributableGzip : MediaType.ociLayerGzip,
          digest: layerDigest,
          size: opts.layerSize ?? layer.length,
          ...(opts.urls ? { urls: opts.urls } : {}),
        },
      ],
    }),
  );
  return { layer, layerDigest, config, configDigest, manifest };
}

describe('openRegistryImage against a fake registry', () => {
  before(() => {
    tempRoot = createTempRoot('bollard-registry-fake-');
  });
  after(() => tempRoot.dispose());

  test('malformed JSON in a manifest is MANIFEST_INVALID', async () => {
    const fake = await fakeRegistry({
      '/v2/app/manifests/x': { type: MediaType.ociManifest, body: '{"schemaVersion": 2,' },
    });
    try {
      await assert.rejects(openFake(fake.host), (e: unknown) => isBollardError(e, 'MANIFEST_INVALID'));
    } finally {
      await fake.close();
    }
  });

  test('a schema 1 manifest is MANIFEST_UNSUPPORTED', async () => {
    const fake = await fakeRegistry({
      '/v2/app/manifests/x': {
        type: MediaType.dockerSchema1Signed,
        body: JSON.stringify({ schemaVersion: 1, name: 'app', tag: 'x', fsLayers: [], signatures: [] }),
      },
    });
    try {
      await assert.rejects(
        openFake(fake.host),
        (e: unknown) => isBollardError(e, 'MANIFEST_UNSUPPORTED') && /schema 1/.test(e.message),
      );
    } finally {
      await fake.close();
    }
  });

  test('a config whose content does not match its digest is DIGEST_MISMATCH', async () => {
    const f = imageFixture();
    const fake = await fakeRegistry({
      '/v2/app/manifests/x': { type: MediaType.ociManifest, body: f.manifest },
      [`/v2/app/blobs/${f.configDigest}`]: { body: Buffer.from(f.config.toString().replace('amd64', 'arm64')) },
    });
    try {
      await assert.rejects(openFake(fake.host), (e: unknown) => isBollardError(e, 'DIGEST_MISMATCH'));
    } finally {
      await fake.close();
    }
  });

  test('a layer blob longer than its descriptor fails the stream', async () => {
    const f = imageFixture({ layerSize: 10 });
    const fake = await fakeRegistry({
      '/v2/app/manifests/x': { type: MediaType.ociManifest, body: f.manifest },
      [`/v2/app/blobs/${f.configDigest}`]: { body: f.config },
      [`/v2/app/blobs/${f.layerDigest}`]: { body: f.layer },
    });
    try {
      const img = await openFake(fake.host);
      try {
        await assert.rejects(img.openLayer(0).then(hashStream), (e: unknown) => isBollardError(e, 'DIGEST_MISMATCH'));
      } finally {
        await img.close();
      }
    } finally {
      await fake.close();
    }
  });

  test('a foreign layer the registry does not hold is refused without contacting its URL', async () => {
    const elsewhere = await fakeRegistry({});
    const f = imageFixture({ urls: [`http://${elsewhere.host}/layer.tar.gz`] });
    const fake = await fakeRegistry({
      '/v2/app/manifests/x': { type: MediaType.ociManifest, body: f.manifest },
      [`/v2/app/blobs/${f.configDigest}`]: { body: f.config },
    });
    try {
      const img = await openFake(fake.host);
      try {
        await assert.rejects(
          img.openLayer(0),
          (e: unknown) => isBollardError(e, 'MANIFEST_UNSUPPORTED') && e.message.includes(elsewhere.host),
        );
        assert.deepEqual(elsewhere.hits, []);
      } finally {
        await img.close();
      }
    } finally {
      await fake.close();
      await elsewhere.close();
    }
  });

  test('an artifact that is not a container image (cosign signature) is MANIFEST_UNSUPPORTED', async () => {
    const f = imageFixture({ configType: 'application/vnd.dev.cosign.artifact.sig.v1+json' });
    const fake = await fakeRegistry({ '/v2/app/manifests/x': { type: MediaType.ociManifest, body: f.manifest } });
    try {
      await assert.rejects(
        openFake(fake.host),
        (e: unknown) => isBollardError(e, 'MANIFEST_UNSUPPORTED') && /not a container image/.test(e.message),
      );
    } finally {
      await fake.close();
    }
  });
});
