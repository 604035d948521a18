import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../../src/util/digest.ts';

export interface TestLayer {
  /** The blob as stored (compressed or not). */
  blob: Buffer;
  /** Digest of the uncompressed tar (defaults to the blob's digest: an uncompressed layer). */
  diffId?: Digest;
  mediaType?: string;
}

export interface TestLayoutOptions {
  tag?: string;
  /** Extra or replacement fields of the image config. */
  config?: Record<string, unknown>;
  /** Replace the manifest document entirely (raw bytes), for malformed-manifest tests. */
  rawManifest?: Buffer;
}

function sha(b: Buffer): Digest {
  return `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
}

function putBlob(dir: string, data: Buffer): Digest {
  const d = sha(data);
  writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), data);
  return d;
}

/**
 * Write an OCI image layout by hand (for hostile cases that no real tool would produce). Returns
 * the `oci:DIR:TAG` target.
 */
export function writeOciLayout(dir: string, layers: TestLayer[], opts: TestLayoutOptions = {}): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId ?? sha(l.blob)) },
      history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
      ...opts.config,
    }),
  );
  const configDigest = putBlob(dir, config);
  const manifest =
    opts.rawManifest ??
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: layers.map((l) => ({
          mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: sha(l.blob),
          size: l.blob.length,
        })),
      }),
    );
  for (const l of layers) putBlob(dir, l.blob);
  const manifestDigest = putBlob(dir, manifest);
  const tag = opts.tag ?? 'latest';
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return `oci:${dir}:${tag}`;
}
