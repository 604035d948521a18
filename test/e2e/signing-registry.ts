// Test support for the signing e2e tests: small real images pushed to the loopback registry.
import { randomBytes } from 'node:crypto';
import { RegistryClient, type RepositoryRef } from '../../src/oci/registry.ts';
import { MediaType } from '../../src/oci/types.ts';
import type { Digest } from '../../src/util/digest.ts';
import { defaultLimits } from '../../src/util/limits.ts';
import { testEnv } from '../helpers/env.ts';
import { buildTar, compress, sha256 } from '../helpers/layers.ts';

export const limits = { ...defaultLimits, maxRetries: 0 };

export function registryClient(): RegistryClient {
  return new RegistryClient({ limits });
}

/** A fresh repository name per test run, so runs never see each other's signatures. */
export function freshRepo(label: string): RepositoryRef {
  return { registry: testEnv().registry, repository: `bollard-signing/${label}-${randomBytes(4).toString('hex')}` };
}

export interface PushedImage {
  ref: string;
  digest: Digest;
  size: number;
}

/** Push a one-layer image for a platform under a tag; content differs with `marker`. */
export async function pushImage(
  client: RegistryClient,
  repo: RepositoryRef,
  tag: string | undefined,
  marker: string,
  arch = 'amd64',
): Promise<PushedImage> {
  const tar = await buildTar([{ name: 'etc/marker', content: `${marker}\n` }]);
  const layer = compress(tar, 'gzip');
  const l = await client.putBlob(repo, layer);
  const diffId = sha256(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: marker }],
    }),
  );
  const c = await client.putBlob(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: c.digest, size: c.size },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size }],
    }),
  );
  const digest = await client.putManifest(repo, tag ?? sha256(manifest), manifest, MediaType.ociManifest);
  return { ref: `${repo.registry}/${repo.repository}${tag ? `:${tag}` : `@${digest}`}`, digest, size: manifest.length };
}

/** Push a two-platform index under a tag; returns the index and its children. */
export async function pushIndex(
  client: RegistryClient,
  repo: RepositoryRef,
  tag: string,
): Promise<{ index: PushedImage; children: PushedImage[] }> {
  const amd = await pushImage(client, repo, undefined, 'amd64 build', 'amd64');
  const arm = await pushImage(client, repo, undefined, 'arm64 build', 'arm64');
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: amd.digest,
          size: amd.size,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: MediaType.ociManifest,
          digest: arm.digest,
          size: arm.size,
          platform: { os: 'linux', architecture: 'arm64' },
        },
      ],
    }),
  );
  const digest = await client.putManifest(repo, tag, index, MediaType.ociIndex);
  return {
    index: { ref: `${repo.registry}/${repo.repository}:${tag}`, digest, size: index.length },
    children: [amd, arm],
  };
}
