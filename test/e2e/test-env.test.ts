// The environment `scripts/test-env.sh up` builds is what test/helpers/env.ts promises: one Debian 12
// root, and the same image (same config digest, same diffIDs) in podman, in an oci-archive, a
// docker-archive, an OCI layout and a loopback registry, plus podman's Docker-compatible API.
// Checked with system tools and plain HTTP, independently of Bollard.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { testEnv } from '../helpers/env.ts';

const env = testEnv();
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
}
interface Config {
  rootfs: { diff_ids: string[] };
  os: string;
  architecture: string;
}

/** One member of a tar archive, through GNU tar. */
function tarMember(archive: string, member: string): Buffer {
  const r = spawnSync('tar', ['-xOf', archive, member], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `tar -xOf ${archive} ${member}: ${r.stderr?.toString()}`);
  return r.stdout;
}

function dockerApi(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: env.podmanSocket, path, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`podman API ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** The podman image's ID (= its config digest) and diffIDs, as the daemon API reports them. */
async function podmanImage(): Promise<{ id: string; diffIds: string[] }> {
  const r = await dockerApi(`/images/${encodeURIComponent(env.images.podman)}/json`);
  assert.equal(r.status, 200, r.body);
  const j = JSON.parse(r.body) as { Id: string; RootFS: { Layers: string[] } };
  const id = j.Id.startsWith('sha256:') ? j.Id : `sha256:${j.Id}`;
  return { id, diffIds: j.RootFS.Layers };
}

describe('scripts/test-env.sh environment (needs test-env)', () => {
  test('env.json has every field of TestEnv, with absolute paths', () => {
    for (const p of [
      env.stateDir,
      env.rootfs,
      env.images.ociArchive,
      env.images.dockerArchive,
      env.podmanSocket,
      env.containersConf,
    ]) {
      assert.ok(p.startsWith('/'), p);
      assert.ok(existsSync(p), p);
    }
    assert.equal(env.images.podman, 'localhost/bollard-test/bookworm:latest');
    assert.match(env.images.ociLayout, /^\/.+:latest$/);
    assert.match(env.registry, /^127\.0\.0\.1:\d+$/);
    assert.equal(env.registryImage, `${env.registry}/bollard-test/bookworm:latest`);
  });

  test('the root is a debootstrap Debian 12 with a dpkg database', () => {
    assert.match(readFileSync(join(env.rootfs, 'etc/debian_version'), 'utf8'), /^12\.\d+/);
    const status = readFileSync(join(env.rootfs, 'var/lib/dpkg/status'), 'utf8');
    assert.ok((status.match(/^Package: /gm) ?? []).length > 80);
  });

  test('containers.conf carries the settings podman needs on this kind of host', () => {
    const conf = readFileSync(env.containersConf, 'utf8');
    assert.match(conf, /default_ulimits = \[\]/);
    assert.match(conf, /cgroup_manager = "cgroupfs"/);
    assert.match(conf, /runtime = "runc"/);
  });

  test('podman API answers and holds the image', async () => {
    const ping = await dockerApi('/_ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.body, 'OK');
    const images = JSON.parse((await dockerApi('/images/json')).body) as { RepoTags?: string[] }[];
    assert.ok(images.some((i) => i.RepoTags?.includes(env.images.podman)));
  });

  test('oci-archive, docker-archive, OCI layout and registry all hold the podman image', async () => {
    const { id, diffIds } = await podmanImage();
    assert.equal(diffIds.length, 1);

    // oci-archive (podman save): index.json -> manifest -> config
    const oa = env.images.ociArchive;
    const oaIndex = JSON.parse(tarMember(oa, 'index.json').toString()) as { manifests: Descriptor[] };
    const oaMan = JSON.parse(
      tarMember(oa, `blobs/sha256/${oaIndex.manifests[0]!.digest.slice(7)}`).toString(),
    ) as Manifest;
    assert.equal(oaMan.config.digest, id);
    const oaCfg = JSON.parse(tarMember(oa, `blobs/sha256/${id.slice(7)}`).toString()) as Config;
    assert.deepEqual(oaCfg.rootfs.diff_ids, diffIds);

    // docker-archive (podman save): manifest.json names the config <hex>.json and the tag
    const da = JSON.parse(tarMember(env.images.dockerArchive, 'manifest.json').toString()) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    assert.equal(da.length, 1);
    assert.equal(da[0]!.Config.replace(/^blobs\/sha256\//, '').replace(/\.json$/, ''), id.slice(7));
    assert.ok(da[0]!.RepoTags.includes(env.images.podman));

    // OCI layout (skopeo, zstd layers): DIR:TAG
    const cut = env.images.ociLayout.lastIndexOf(':');
    const dir = env.images.ociLayout.slice(0, cut);
    const tag = env.images.ociLayout.slice(cut + 1);
    const olIndex = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const olDesc = olIndex.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
    assert.ok(olDesc, `no manifest tagged ${tag}`);
    const olMan = JSON.parse(readFileSync(join(dir, 'blobs/sha256', olDesc.digest.slice(7)), 'utf8')) as Manifest;
    assert.equal(olMan.config.digest, id);
    assert.equal(olMan.layers[0]?.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');

    // registry: needs Accept headers (distribution 2.8 404s an OCI tag without them)
    const ping = await fetch(`http://${env.registry}/v2/`);
    assert.equal(ping.status, 200);
    const [repoPath, regTag] = env.registryImage.slice(env.registry.length + 1).split(':') as [string, string];
    const res = await fetch(`http://${env.registry}/v2/${repoPath}/manifests/${regTag}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    assert.equal(res.status, 200);
    const regMan = (await res.json()) as Manifest;
    assert.equal(regMan.config.digest, id);
    const cfgRes = await fetch(`http://${env.registry}/v2/${repoPath}/blobs/${id}`);
    assert.equal(cfgRes.status, 200);
    assert.deepEqual(((await cfgRes.json()) as Config).rootfs.diff_ids, diffIds);
  });

  test('scripts/test-env.sh status agrees', () => {
    const r = spawnSync('bash', [join(import.meta.dirname, '../../scripts/test-env.sh'), 'status'], {
      encoding: 'utf8',
      env: { ...process.env, BOLLARD_TEST_STATE: env.stateDir, BOLLARD_TEST_RUN: join(env.podmanSocket, '..') },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /DOWN/);
  });
});
