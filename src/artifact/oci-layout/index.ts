import { constants } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { join, resolve as resolvePath, sep } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { isLayerMediaType, parseImageConfig, parseManifestDocument } from '../../oci/manifest.ts';
import { checkRequestedPlatform, hostPlatform, parsePlatform, selectPlatform } from '../../oci/platform.ts';
import { parseReference, type Reference } from '../../oci/reference.ts';
import { type Descriptor, type ImageManifest, MediaType, type Platform } from '../../oci/types.ts';
import { type Digest, digestAlgorithm, digestHex, isDigest, verifyDigest } from '../../util/digest.ts';
import { BollardError, toBollardError } from '../../util/errors.ts';
import { isRecord, parseJsonBounded } from '../../util/json.ts';
import { buildImageMetadata } from '../metadata.ts';
import type { ArtifactOptions, ImageArtifact, ImageMetadata, TargetKind } from '../types.ts';

/** The ref.name annotation of OCI image layouts. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** Indexes nested deeper than this are refused (real layouts use one level, two with `skopeo copy --all`). */
const MAX_INDEX_NESTING = 4;

/**
 * Where an OCI image layout lives: a directory, or a tar archive read in place. Names are fixed by
 * the layout spec or derived from validated digests, never taken from documents.
 */
export interface LayoutStore {
  /** For messages: the directory or archive path. */
  readonly where: string;
  /** Content of `oci-layout` or `index.json`, undefined when absent; LIMIT_EXCEEDED above `max`. */
  readTop(name: 'oci-layout' | 'index.json', max: number): Promise<Buffer | undefined>;
  /** Size of blob `digest` as stored, undefined when absent. */
  blobSize(digest: Digest): Promise<number | undefined>;
  /** Content of blob `digest`; LIMIT_EXCEEDED above `max`, TARGET_NOT_FOUND when absent. */
  readBlob(digest: Digest, max: number): Promise<Buffer>;
  openBlob(digest: Digest): Promise<Readable>;
  close(): Promise<void>;
}

/** `blobs/<alg>/<hex>` of a validated digest. */
export function blobPath(digest: Digest): string {
  return `blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

/** An OCI image layout in a directory (`oci:DIR[:REF]`). */
export async function openOciLayout(
  input: string,
  dir: string,
  ref: string | undefined,
  opts: ArtifactOptions,
): Promise<ImageArtifact> {
  const store = await directoryStore(dir);
  try {
    return await openOciImage(
      store,
      { input, kind: 'oci', name: ref ? `${store.where}:${ref}` : store.where, ref },
      opts,
    );
  } catch (e) {
    await store.close();
    throw e;
  }
}

export interface OciImageParams {
  input: string;
  kind: TargetKind;
  /** Display name. */
  name: string;
  /** `org.opencontainers.image.ref.name` to choose (full value or tag part), a digest, or `@N`. */
  ref: string | undefined;
}

/**
 * Read the image a layout holds: check `oci-layout`, pick a manifest from `index.json`, follow
 * nested indexes by platform, read and verify manifest and config. Closing the artifact closes the
 * store.
 */
export async function openOciImage(
  store: LayoutStore,
  params: OciImageParams,
  opts: ArtifactOptions,
): Promise<ImageArtifact> {
  const { limits } = opts;
  const layoutRaw = await store.readTop('oci-layout', limits.maxJsonBytes);
  if (!layoutRaw) {
    throw new BollardError('TARGET_UNRECOGNISED', `${store.where} is not an OCI image layout (no oci-layout file)`);
  }
  const layout = parseJsonBounded(layoutRaw, {
    maxBytes: limits.maxJsonBytes,
    maxDepth: limits.maxJsonDepth,
    what: `${store.where} oci-layout`,
  });
  if (!isRecord(layout) || layout.imageLayoutVersion !== '1.0.0') {
    throw new BollardError(
      'MANIFEST_UNSUPPORTED',
      `${store.where}: oci-layout does not declare imageLayoutVersion 1.0.0`,
    );
  }
  const indexRaw = await store.readTop('index.json', limits.maxManifestBytes);
  if (!indexRaw) throw new BollardError('MANIFEST_INVALID', `${store.where} has no index.json`);
  const top = parseManifestDocument(indexRaw, limits, MediaType.ociIndex, `${store.where} index.json`);
  if (top.kind !== 'index')
    throw new BollardError('MANIFEST_INVALID', `${store.where}: index.json is not an image index`);

  const explicitPlatform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const want = explicitPlatform ?? hostPlatform();
  const chosen = chooseFromIndex(top.index.manifests, params.ref, want, store.where);
  const resolved = await resolveManifest(store, chosen, want, opts, 0, undefined);
  const { manifest, manifestDigest, indexDigest } = resolved;

  if (manifest.config.mediaType !== MediaType.ociConfig && manifest.config.mediaType !== MediaType.dockerConfig) {
    throw new BollardError(
      'MANIFEST_UNSUPPORTED',
      `${store.where}: manifest ${manifestDigest} is not a container image (config media type ${manifest.config.mediaType.slice(0, 100)})`,
    );
  }
  for (const l of manifest.layers) {
    if (!isLayerMediaType(l.mediaType)) {
      throw new BollardError(
        'MANIFEST_UNSUPPORTED',
        `${store.where}: manifest ${manifestDigest} has a layer of media type ${l.mediaType.slice(0, 100)}, which is not a filesystem layer`,
      );
    }
  }
  const configRaw = await readVerified(store, manifest.config, limits.maxConfigBytes, 'image config');
  const config = parseImageConfig(configRaw, limits, `${store.where} config ${manifest.config.digest}`);
  checkRequestedPlatform(config, explicitPlatform, params.name);

  const annotation = chosen.annotations?.[REF_NAME_ANNOTATION];
  const reference = annotation ? fullReference(annotation) : undefined;
  const metadata = buildImageMetadata({
    kind: params.kind,
    input: params.input,
    name: params.name,
    ...(reference ? { reference } : {}),
    manifest,
    manifestDigest,
    ...(indexDigest ? { indexDigest } : {}),
    config,
    configDigest: manifest.config.digest,
  });
  return layoutArtifact(store, metadata, manifest);
}

function layoutArtifact(store: LayoutStore, metadata: ImageMetadata, manifest: ImageManifest): ImageArtifact {
  return {
    kind: 'image',
    metadata,
    async openLayer(index: number, signal?: AbortSignal): Promise<Readable> {
      const d = manifest.layers[index];
      if (!d)
        throw new BollardError('INTERNAL', `layer ${index} does not exist (the image has ${manifest.layers.length})`);
      signal?.throwIfAborted();
      const size = await store.blobSize(d.digest);
      if (size === undefined) {
        const foreign = d.urls && d.urls.length > 0 ? ' (a foreign layer whose content lives elsewhere)' : '';
        throw new BollardError('TARGET_NOT_FOUND', `${store.where}: layer blob ${d.digest} is missing${foreign}`);
      }
      if (size !== d.size) {
        throw new BollardError(
          'DIGEST_MISMATCH',
          `${store.where}: layer blob ${d.digest} is ${size} bytes, the manifest says ${d.size}`,
        );
      }
      const stream = await store.openBlob(d.digest);
      return signal ? addAbortSignal(signal, stream) : stream;
    },
    close: () => store.close(),
  };
}

/**
 * Pick the manifest descriptor from index.json: by ref.name (the full value, or the tag part of a full
 * reference), by digest, by position (`@N`), or the only one; several platform variants of the same
 * name are narrowed by platform.
 */
export function chooseFromIndex(
  manifests: Descriptor[],
  ref: string | undefined,
  want: Platform,
  where: string,
): Descriptor {
  if (manifests.length === 0) throw new BollardError('MANIFEST_INVALID', `${where}: index.json lists no images`);
  let candidates: Descriptor[];
  if (ref === undefined) {
    candidates = manifests;
  } else if (/^@\d+$/.test(ref)) {
    const n = Number(ref.slice(1));
    const d = manifests[n];
    if (!d)
      throw new BollardError(
        'TARGET_NOT_FOUND',
        `${where}: index.json has no image @${n} (it has ${manifests.length})`,
      );
    return d;
  } else if (isDigest(ref)) {
    candidates = manifests.filter((d) => d.digest === ref);
  } else {
    candidates = manifests.filter((d) => refNameMatches(d.annotations?.[REF_NAME_ANNOTATION], ref));
  }
  if (candidates.length === 0) {
    throw new BollardError(
      'TARGET_NOT_FOUND',
      `${where} has no image named "${ref}" (available: ${listNames(manifests)})`,
    );
  }
  const first = candidates[0] as Descriptor;
  if (candidates.length === 1 || candidates.every((d) => d.digest === first.digest)) return first;
  if (candidates.every((d) => d.platform)) return selectPlatform(candidates, want, where);
  throw new BollardError(
    'USAGE',
    ref === undefined
      ? `${where} holds ${manifests.length} images; name one with :REF or :@N (available: ${listNames(manifests)})`
      : `${where} has ${candidates.length} different images named "${ref}"; choose one with :@N or a digest`,
  );
}

/** The value matches when equal, or when it is a full reference whose tag is `ref`. */
export function refNameMatches(value: string | undefined, ref: string): boolean {
  if (value === undefined) return false;
  if (value === ref) return true;
  const full = fullReference(value);
  if (!full) return false;
  if (full.tag === ref) return true;
  // `busybox:latest` against `docker.io/library/busybox:latest`.
  const wanted = fullReferenceLoose(ref);
  return (
    wanted !== undefined &&
    wanted.tag === full.tag &&
    wanted.registry === full.registry &&
    wanted.repository === full.repository
  );
}

/** A ref.name value that is a full image reference (has a name part), not just a tag. */
function fullReference(value: string): Reference | undefined {
  if (!value.includes('/') && !value.includes(':') && !value.includes('@')) return undefined;
  return fullReferenceLoose(value);
}

function fullReferenceLoose(value: string): Reference | undefined {
  try {
    return parseReference(value);
  } catch {
    return undefined;
  }
}

function listNames(manifests: Descriptor[]): string {
  const names = manifests.map((d, i) => d.annotations?.[REF_NAME_ANNOTATION] ?? `@${i}`);
  return names.slice(0, 20).join(', ') + (names.length > 20 ? ', …' : '');
}

async function resolveManifest(
  store: LayoutStore,
  d: Descriptor,
  want: Platform,
  opts: ArtifactOptions,
  depth: number,
  indexDigest: Digest | undefined,
): Promise<{ manifest: ImageManifest; manifestDigest: Digest; indexDigest: Digest | undefined }> {
  const raw = await readVerified(store, d, opts.limits.maxManifestBytes, 'manifest');
  const doc = parseManifestDocument(raw, opts.limits, d.mediaType, `${store.where} ${d.digest}`);
  if (doc.kind === 'manifest') return { manifest: doc.manifest, manifestDigest: d.digest, indexDigest };
  if (depth >= MAX_INDEX_NESTING) {
    throw new BollardError('LIMIT_EXCEEDED', `${store.where}: indexes nest deeper than ${MAX_INDEX_NESTING} levels`);
  }
  const next = selectPlatform(doc.index.manifests, want, `${store.where} index ${d.digest}`);
  return resolveManifest(store, next, want, opts, depth + 1, indexDigest ?? d.digest);
}

/** Read a blob whole and check it against its descriptor (size and digest). */
async function readVerified(store: LayoutStore, d: Descriptor, limit: number, what: string): Promise<Buffer> {
  if (d.size > limit) {
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${store.where}: ${what} ${d.digest} is ${d.size} bytes, over the limit of ${limit}`,
    );
  }
  const raw = await store.readBlob(d.digest, limit);
  if (raw.length !== d.size) {
    throw new BollardError(
      'DIGEST_MISMATCH',
      `${store.where}: ${what} ${d.digest} is ${raw.length} bytes, its descriptor says ${d.size}`,
    );
  }
  verifyDigest(raw, d.digest, `${store.where} ${what}`);
  return raw;
}

/**
 * A layout directory. Every file is opened through its real path, which must stay inside the
 * layout's real path: a blob that is a symlink to somewhere else is refused with PATH_ESCAPE.
 */
export async function directoryStore(dir: string): Promise<LayoutStore> {
  const where = resolvePath(dir);
  let root: string;
  try {
    root = await realpath(where);
  } catch (e) {
    throw toBollardError(e, `cannot open OCI layout ${where}`);
  }

  async function openInside(rel: string): Promise<FileHandle | undefined> {
    const candidate = join(root, rel);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw toBollardError(e, `cannot read ${candidate}`);
    }
    if (!real.startsWith(root + sep)) {
      throw new BollardError('PATH_ESCAPE', `${where}: ${rel} is a link leading outside the layout`);
    }
    let fh: FileHandle;
    try {
      fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      throw toBollardError(e, `cannot read ${candidate}`);
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new BollardError('MANIFEST_INVALID', `${where}: ${rel} is not a regular file`);
    }
    return fh;
  }

  async function readAll(rel: string, max: number): Promise<Buffer | undefined> {
    const fh = await openInside(rel);
    if (!fh) return undefined;
    try {
      const { size } = await fh.stat();
      if (size > max) {
        throw new BollardError('LIMIT_EXCEEDED', `${where}: ${rel} is ${size} bytes, over the limit of ${max}`);
      }
      // Read what stat announced, no more: a file growing meanwhile cannot push us past `max`.
      const buf = Buffer.alloc(size);
      let got = 0;
      while (got < size) {
        const { bytesRead } = await fh.read(buf, got, size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  }

  return {
    where,
    readTop: (name, max) => readAll(name, max),
    async blobSize(digest) {
      const fh = await openInside(blobPath(digest));
      if (!fh) return undefined;
      try {
        return (await fh.stat()).size;
      } finally {
        await fh.close();
      }
    },
    async readBlob(digest, max) {
      const buf = await readAll(blobPath(digest), max);
      if (!buf) throw new BollardError('TARGET_NOT_FOUND', `${where}: blob ${digest} is missing`);
      return buf;
    },
    async openBlob(digest) {
      const fh = await openInside(blobPath(digest));
      if (!fh) throw new BollardError('TARGET_NOT_FOUND', `${where}: blob ${digest} is missing`);
      return fh.createReadStream({ autoClose: true });
    },
    async close() {},
  };
}
