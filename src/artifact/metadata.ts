import { layerHistory } from '../oci/manifest.ts';
import { normalisePlatform } from '../oci/platform.ts';
import type { Reference } from '../oci/reference.ts';
import type { ImageConfig, ImageManifest } from '../oci/types.ts';
import type { Digest } from '../util/digest.ts';
import { BollardError } from '../util/errors.ts';
import type { ImageMetadata, LayerRef, TargetKind } from './types.ts';

export interface MetadataParts {
  kind: TargetKind;
  input: string;
  name: string;
  reference?: Reference;
  /** The manifest, when the source has one (a docker-archive has none: layers come from its manifest.json). */
  manifest?: ImageManifest;
  manifestDigest?: Digest;
  indexDigest?: Digest;
  config: ImageConfig;
  configDigest: Digest;
  /** Blob digests/sizes of the layers as stored, when the source has no OCI manifest. */
  layerBlobs?: { digest?: Digest; size?: number; mediaType?: string }[];
  repoTags?: string[];
  repoDigests?: string[];
}

/**
 * Assemble ImageMetadata from a manifest (or a source's own layer list) and a config, checking that
 * both agree on the number of layers: a config that names more or fewer diffIDs than there are
 * layers describes some other image.
 */
export function buildImageMetadata(p: MetadataParts): ImageMetadata {
  const diffIds = p.config.rootfs.diff_ids;
  type Blob = { digest?: Digest; size?: number; mediaType?: string };
  const blobs: Blob[] = p.manifest
    ? p.manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }))
    : (p.layerBlobs ?? diffIds.map((): Blob => ({})));
  if (blobs.length !== diffIds.length) {
    throw new BollardError(
      'MANIFEST_INVALID',
      `${p.name}: the manifest has ${blobs.length} layers but the config lists ${diffIds.length} diff_ids`,
    );
  }
  const history = layerHistory(p.config);
  const layers: LayerRef[] = diffIds.map((diffId, index) => {
    const b: Blob = blobs[index] ?? {};
    const ref: LayerRef = { index, diffId };
    if (b.digest) ref.digest = b.digest;
    if (b.size !== undefined) ref.size = b.size;
    if (b.mediaType) ref.mediaType = b.mediaType;
    const createdBy = history[index];
    if (createdBy !== undefined) ref.createdBy = createdBy;
    return ref;
  });
  const platform = normalisePlatform({
    os: p.config.os || 'linux',
    architecture: p.config.architecture || 'unknown',
    ...(p.config.variant ? { variant: p.config.variant } : {}),
  });
  const md: ImageMetadata = {
    kind: p.kind,
    input: p.input,
    name: p.name,
    configDigest: p.configDigest,
    config: p.config,
    platform,
    repoTags: p.repoTags ?? [],
    repoDigests: p.repoDigests ?? [],
    layers,
  };
  if (p.reference) md.reference = p.reference;
  if (p.manifestDigest) md.manifestDigest = p.manifestDigest;
  if (p.manifest) md.manifestMediaType = p.manifest.mediaType;
  if (p.indexDigest) md.indexDigest = p.indexDigest;
  const sizes = layers.map((l) => l.size);
  if (sizes.every((s) => s !== undefined)) md.size = (sizes as number[]).reduce((a, b) => a + b, 0);
  return md;
}
