import type { Readable } from 'node:stream';
import { isLayerMediaType, parseImageConfig, parseManifestDocument } from '../../oci/manifest.ts';
import {
  checkRequestedPlatform,
  formatPlatform,
  hostPlatform,
  parsePlatform,
  selectPlatform,
} from '../../oci/platform.ts';
import { formatReference, type Reference, referenceName } from '../../oci/reference.ts';
import { RegistryClient } from '../../oci/registry.ts';
import { type ImageManifest, MediaType } from '../../oci/types.ts';
import type { Digest } from '../../util/digest.ts';
import { BollardError, isBollardError } from '../../util/errors.ts';
import { buildImageMetadata } from '../metadata.ts';
import type { ArtifactOptions, ImageArtifact } from '../types.ts';

export const kind = 'registry';

const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);

/**
 * An image in a registry (`docker://REF` or a bare reference): resolve the manifest (following an
 * index to the requested platform), fetch and verify the config, and stream layers on demand.
 */
export async function openRegistryImage(input: string, ref: Reference, opts: ArtifactOptions): Promise<ImageArtifact> {
  const { limits } = opts;
  const client = new RegistryClient({
    ...opts.registry,
    limits,
    logger: opts.logger,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  try {
    const name = formatReference(ref);
    const repo = { registry: ref.registry, repository: ref.repository };
    const explicitPlatform = opts.platform ? parsePlatform(opts.platform) : undefined;
    const want = explicitPlatform ?? hostPlatform();

    const top = await client.getManifest(ref);
    const doc = parseManifestDocument(top.raw, limits, top.mediaType, `manifest of ${name}`);
    let manifest: ImageManifest;
    let manifestDigest: Digest = top.digest;
    let indexDigest: Digest | undefined;
    if (doc.kind === 'index') {
      indexDigest = top.digest;
      const chosen = selectPlatform(doc.index.manifests, want, name);
      if (INDEX_TYPES.has(chosen.mediaType)) {
        throw new BollardError(
          'MANIFEST_UNSUPPORTED',
          `${name}: the index entry for ${formatPlatform(want)} is itself an index`,
        );
      }
      if (chosen.size > limits.maxManifestBytes) {
        throw new BollardError(
          'LIMIT_EXCEEDED',
          `${name}: the manifest for ${formatPlatform(want)} is ${chosen.size} bytes, over the limit of ${limits.maxManifestBytes}`,
        );
      }
      const child = await client.getManifest({ ...repo, reference: chosen.digest });
      const childDoc = parseManifestDocument(
        child.raw,
        limits,
        child.mediaType,
        `manifest ${chosen.digest} of ${name}`,
      );
      if (childDoc.kind !== 'manifest') {
        throw new BollardError('MANIFEST_UNSUPPORTED', `${name}: the index entry ${chosen.digest} is itself an index`);
      }
      manifest = childDoc.manifest;
      manifestDigest = chosen.digest;
    } else {
      manifest = doc.manifest;
    }

    checkImageManifest(manifest, name, manifestDigest);
    if (manifest.config.size > limits.maxConfigBytes) {
      throw new BollardError(
        'LIMIT_EXCEEDED',
        `${name}: the image config is ${manifest.config.size} bytes, over the limit of ${limits.maxConfigBytes}`,
      );
    }
    const configRaw = await client.getBlobBuffer(repo, manifest.config.digest, limits.maxConfigBytes);
    const config = parseImageConfig(configRaw, limits, `config ${manifest.config.digest} of ${name}`);
    checkRequestedPlatform(config, explicitPlatform, name);

    const repoName = referenceName(ref);
    const metadata = buildImageMetadata({
      kind: 'registry',
      input,
      name,
      reference: ref,
      manifest,
      manifestDigest,
      ...(indexDigest ? { indexDigest } : {}),
      config,
      configDigest: manifest.config.digest,
      repoTags: ref.tag ? [`${repoName}:${ref.tag}`] : [],
      repoDigests: [`${repoName}@${manifestDigest}`],
    });
    const layers = manifest.layers;
    return {
      kind: 'image',
      metadata,
      async openLayer(index: number, signal?: AbortSignal): Promise<Readable> {
        const d = layers[index];
        if (!d) throw new BollardError('INTERNAL', `layer ${index} does not exist (the image has ${layers.length})`);
        if (d.size > limits.maxLayerCompressedBytes) {
          throw new BollardError(
            'LIMIT_EXCEEDED',
            `${name}: layer ${index} is ${d.size} bytes, over the limit of ${limits.maxLayerCompressedBytes}`,
          );
        }
        // Progress is drawn by the layer walk, which counts these bytes as it reads them.
        try {
          return await client.getBlob(repo, d.digest, {
            ...(signal ? { signal } : {}),
            maxBytes: limits.maxLayerCompressedBytes,
            expectedSize: d.size,
          });
        } catch (e) {
          if (isBollardError(e, 'TARGET_NOT_FOUND') && d.urls && d.urls.length > 0) {
            // Foreign layers name arbitrary URLs chosen by the image author; fetching them would let an
            // image make the scanner reach any host (internal services included), so we do not.
            throw new BollardError(
              'MANIFEST_UNSUPPORTED',
              `${name}: layer ${index} is a foreign layer that the registry does not hold (it points to ${hostsOf(d.urls)}); ` +
                'Bollard does not download foreign layers from URLs named by an image',
            );
          }
          throw e;
        }
      },
      close: () => client.close(),
    };
  } catch (e) {
    await client.close();
    throw e;
  }
}

/** Refuse manifests that are not container images (signatures, Helm charts, other artifacts). */
function checkImageManifest(manifest: ImageManifest, name: string, digest: Digest): void {
  if (manifest.config.mediaType !== MediaType.ociConfig && manifest.config.mediaType !== MediaType.dockerConfig) {
    throw new BollardError(
      'MANIFEST_UNSUPPORTED',
      `${name}: manifest ${digest} is not a container image (config media type ${manifest.config.mediaType.slice(0, 100)})`,
    );
  }
  for (const l of manifest.layers) {
    if (!isLayerMediaType(l.mediaType)) {
      throw new BollardError(
        'MANIFEST_UNSUPPORTED',
        `${name}: manifest ${digest} has a layer of media type ${l.mediaType.slice(0, 100)}, which is not a filesystem layer`,
      );
    }
  }
}

function hostsOf(urls: string[]): string {
  const hosts = new Set<string>();
  for (const u of urls.slice(0, 5)) {
    try {
      hosts.add(new URL(u).host.slice(0, 100));
    } catch {
      hosts.add('an invalid URL');
    }
  }
  return [...hosts].join(', ');
}
