import { type ManifestDocument, parseManifestDocument } from '../oci/manifest.ts';
import { formatReference, parseReference, type Reference } from '../oci/reference.ts';
import type { RegistryClient, RepositoryRef } from '../oci/registry.ts';
import { type Descriptor, type ImageIndex, type ImageManifest, MediaType } from '../oci/types.ts';
import { type Digest, digestHex, digestOf } from '../util/digest.ts';
import { BollardError, isBollardError } from '../util/errors.ts';
import type { Limits } from '../util/limits.ts';

/**
 * Registry plumbing shared by signatures, attestations and bundles: resolving a reference to the
 * digest that is signed, cosign's `sha256-<hex>.<suffix>` tags, and OCI 1.1 referrers with the
 * referrers tag schema as the fallback for registries without the API.
 */

/** Largest signature payload, envelope or bundle read into memory. */
export const MAX_SIGNATURE_BLOB_BYTES = 4 * 1024 * 1024;

export interface ResolvedImage {
  reference: Reference;
  repo: RepositoryRef;
  digest: Digest;
  mediaType: string;
  size: number;
  document: ManifestDocument;
}

/** Resolve a reference to its manifest (or index) digest: what is signed, never a tag. */
export async function resolveImage(
  client: RegistryClient,
  input: string | Reference,
  limits: Limits,
  signal?: AbortSignal,
): Promise<ResolvedImage> {
  // `docker://` is how the scanning commands name registry images; accept it here too.
  const reference = typeof input === 'string' ? parseReference(input.replace(/^docker:\/\//, '')) : input;
  const m = await client.getManifest(reference, signal ? { signal } : {});
  const document = parseManifestDocument(m.raw, limits, m.mediaType, formatReference(reference));
  return {
    reference,
    repo: { registry: reference.registry, repository: reference.repository },
    digest: m.digest,
    mediaType: document.kind === 'index' ? document.index.mediaType : document.manifest.mediaType,
    size: m.raw.length,
    document,
  };
}

/** cosign's tag for things attached to a digest: `sha256-<hex>.sig`, `.att`, `.sbom`. */
export function attachedTag(digest: Digest, suffix: 'sig' | 'att' | 'sbom'): string {
  return `${digest.replace(':', '-')}.${suffix}`;
}

/** The referrers tag schema's fallback tag: `sha256-<hex>` (OCI distribution 1.1). */
export function referrersTag(digest: Digest): string {
  return `${digest.slice(0, digest.indexOf(':'))}-${digestHex(digest)}`;
}

/** A manifest by tag, or undefined when the tag does not exist. */
export async function getOptionalManifest(
  client: RegistryClient,
  repo: RepositoryRef,
  tag: string,
  limits: Limits,
  accept: string = MediaType.ociManifest,
): Promise<{ raw: Buffer; digest: Digest; document: ManifestDocument } | undefined> {
  try {
    const m = await client.getManifest({ ...repo, reference: tag }, { accept });
    return { raw: m.raw, digest: m.digest, document: parseManifestDocument(m.raw, limits, m.mediaType, tag) };
  } catch (e) {
    if (isBollardError(e, 'TARGET_NOT_FOUND')) return undefined;
    throw e;
  }
}

/** The config cosign writes for signature and attestation images (go-containerregistry's empty image). */
function attachmentConfig(layers: readonly Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
}

/**
 * Add one layer to the image under a cosign attachment tag, keeping the layers already there (a second
 * signer appends, never replaces). Pushing the same layer with the same annotations again is a no-op.
 */
export async function appendAttachmentLayer(
  client: RegistryClient,
  repo: RepositoryRef,
  tag: string,
  blob: Buffer,
  mediaType: string,
  annotations: Record<string, string>,
  limits: Limits,
): Promise<{ digest: Digest; layers: number; appended: boolean }> {
  const existing = await getOptionalManifest(client, repo, tag, limits);
  let layers: Descriptor[] = [];
  if (existing) {
    if (existing.document.kind !== 'manifest') {
      throw new BollardError(
        'MANIFEST_INVALID',
        `${repo.registry}/${repo.repository}:${tag} is an index, not a signature image`,
      );
    }
    layers = [...existing.document.manifest.layers];
  }
  const blobDigest = digestOf(blob);
  const same = layers.find(
    (l) => l.digest === blobDigest && JSON.stringify(l.annotations ?? {}) === JSON.stringify(annotations),
  );
  if (same && existing) return { digest: existing.digest, layers: layers.length, appended: false };
  await client.putBlob(repo, blob);
  layers.push({ mediaType, digest: blobDigest, size: blob.length, annotations });
  const config = attachmentConfig(layers);
  const cfg = await client.putBlob(repo, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: cfg.digest, size: cfg.size },
    layers,
  };
  const raw = Buffer.from(JSON.stringify(manifest));
  const digest = await client.putManifest(repo, tag, raw, MediaType.ociManifest);
  return { digest, layers: layers.length, appended: true };
}

export interface ReferrerPush {
  digest: Digest;
  /** How it can be found: the registry's referrers API, or the `sha256-<hex>` tag index. */
  via: 'referrers-api' | 'tag-schema';
}

/**
 * Push an artifact manifest with a `subject` (OCI 1.1) and make it findable: registries with the
 * referrers API index it themselves; for the others the referrers tag schema's index is updated.
 */
export async function pushReferrer(
  client: RegistryClient,
  repo: RepositoryRef,
  subject: Descriptor,
  artifactType: string,
  blob: Buffer,
  annotations: Record<string, string>,
  limits: Limits,
): Promise<ReferrerPush> {
  const empty = Buffer.from('{}');
  const cfg = await client.putBlob(repo, empty);
  const layer = await client.putBlob(repo, blob);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: { mediaType: MediaType.ociEmpty, digest: cfg.digest, size: cfg.size },
    layers: [{ mediaType: artifactType, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const raw = Buffer.from(JSON.stringify(manifest));
  const digest = await client.putManifest(repo, digestOf(raw), raw, MediaType.ociManifest);
  const api = await client.getReferrers(repo, subject.digest);
  if (api !== undefined) return { digest, via: 'referrers-api' };
  const tag = referrersTag(subject.digest);
  const existing = await getOptionalManifest(client, repo, tag, limits, MediaType.ociIndex);
  const entries = existing?.document.kind === 'index' ? existing.document.index.manifests : [];
  if (!entries.some((d) => d.digest === digest)) {
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        ...entries,
        { mediaType: MediaType.ociManifest, digest, size: raw.length, artifactType, annotations },
      ],
    };
    await client.putManifest(repo, tag, Buffer.from(JSON.stringify(index)), MediaType.ociIndex);
  }
  return { digest, via: 'tag-schema' };
}

/** Referrers of a digest with one artifact type, from the API or the tag-schema index. */
export async function listReferrers(
  client: RegistryClient,
  repo: RepositoryRef,
  subject: Digest,
  artifactType: string,
  limits: Limits,
): Promise<Descriptor[]> {
  const api = await client.getReferrers(repo, subject, { artifactType });
  if (api !== undefined) return api.manifests;
  const existing = await getOptionalManifest(client, repo, referrersTag(subject), limits, MediaType.ociIndex);
  if (existing?.document.kind !== 'index') return [];
  return existing.document.index.manifests.filter((d) => d.artifactType === artifactType);
}

/** Registry and repository as cosign writes them in `docker-reference` (Docker Hub as index.docker.io). */
export function dockerReference(ref: Reference): string {
  return `${ref.registry === 'docker.io' ? 'index.docker.io' : ref.registry}/${ref.repository}`;
}

/** Compare `docker-reference` values after normalisation (index.docker.io = docker.io, library/). */
export function sameRepository(a: string, b: string): boolean {
  const norm = (s: string): string | undefined => {
    try {
      const r = parseReference(s.replace(/@.*$/, ''));
      return `${r.registry}/${r.repository}`;
    } catch {
      return undefined;
    }
  };
  const x = norm(a);
  return x !== undefined && x === norm(b);
}
