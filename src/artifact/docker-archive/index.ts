import { resolve as resolvePath } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { parseImageConfig } from '../../oci/manifest.ts';
import { checkRequestedPlatform, parsePlatform } from '../../oci/platform.ts';
import { formatReference, parseReference, type Reference } from '../../oci/reference.ts';
import { type Digest, digestOf, verifyDigest } from '../../util/digest.ts';
import { BollardError } from '../../util/errors.ts';
import { asStringArray, isRecord, parseJsonBounded } from '../../util/json.ts';
import { buildImageMetadata } from '../metadata.ts';
import { normaliseTarName, openImageArchive, type TarIndex } from '../tar-index.ts';
import type { ArtifactOptions, ImageArtifact } from '../types.ts';

/** One image of a `docker save` archive, as its manifest.json describes it. */
export interface DockerArchiveEntry {
  config: string;
  repoTags: string[];
  layers: string[];
}

/** Which image of the archive: by repository tag, by position (`@N`), or the only one. */
export type DockerArchiveSelector = { kind: 'tag'; ref: Reference } | { kind: 'index'; index: number } | undefined;

/** Parse the `:REF` part of `docker-archive:FILE:REF`: `@N`, or a tagged name (digests cannot name an image here). */
export function parseDockerArchiveSelector(s: string | undefined): DockerArchiveSelector {
  if (s === undefined || s === '') return undefined;
  if (/^@\d+$/.test(s)) return { kind: 'index', index: Number(s.slice(1)) };
  const ref = parseReference(s);
  if (ref.digest) {
    throw new BollardError('USAGE', `docker-archive images are named by tag or @N, not by digest: ${s.slice(0, 200)}`);
  }
  return { kind: 'tag', ref };
}

/** A `docker save` / `podman save` archive (`docker-archive:FILE[:REF|:@N]`), read in place. */
export async function openDockerArchive(
  input: string,
  file: string,
  selector: string | undefined,
  opts: ArtifactOptions,
): Promise<ImageArtifact> {
  const sel = parseDockerArchiveSelector(selector);
  const where = resolvePath(file);
  const tar = await openImageArchive(where, opts);
  return openDockerArchiveIndex(input, tar, where, sel, opts);
}

/** The same, from an archive already indexed; the artifact owns `tar` from here on. */
export async function openDockerArchiveIndex(
  input: string,
  tar: TarIndex,
  where: string,
  selector: DockerArchiveSelector,
  opts: ArtifactOptions,
  kind: 'docker-archive' | 'docker-daemon' = 'docker-archive',
): Promise<ImageArtifact> {
  try {
    return await readImage(input, tar, where, selector, opts, kind);
  } catch (e) {
    await tar.close();
    throw e;
  }
}

async function readImage(
  input: string,
  tar: TarIndex,
  where: string,
  selector: DockerArchiveSelector,
  opts: ArtifactOptions,
  kind: 'docker-archive' | 'docker-daemon',
): Promise<ImageArtifact> {
  const { limits } = opts;
  if (!tar.resolve('manifest.json')) {
    throw new BollardError('TARGET_UNRECOGNISED', `${where} is not a docker-archive (no manifest.json)`);
  }
  const raw = await tar.readBuffer('manifest.json', limits.maxJsonBytes);
  const entries = parseDockerManifest(raw, where, limits);
  const { entry, index, tag } = chooseEntry(entries, selector, where);

  const config = archiveFile(tar, entry.config, where, 'config');
  const configBytes = await tar.readBuffer(config, limits.maxConfigBytes);
  const named = digestFromPath(config);
  // A config stored under its digest must hash to it; otherwise its digest is simply what it hashes to.
  if (named) verifyDigest(configBytes, named, `${where} config ${entry.config}`);
  const configDigest = named ?? digestOf(configBytes);
  const imageConfig = parseImageConfig(configBytes, limits, `${where} config ${entry.config}`);
  checkRequestedPlatform(imageConfig, opts.platform ? parsePlatform(opts.platform) : undefined, where);

  if (entry.layers.length > limits.maxLayers) {
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${where}: image lists ${entry.layers.length} layers, over the limit of ${limits.maxLayers}`,
    );
  }
  const layerNames: string[] = [];
  const layerBlobs: { digest?: Digest; size?: number }[] = [];
  for (const l of entry.layers) {
    const name = archiveFile(tar, l, where, 'layer');
    layerNames.push(name);
    const e = tar.resolve(name);
    const digest = digestFromPath(l) ?? digestFromPath(name);
    layerBlobs.push({ ...(digest ? { digest } : {}), ...(e ? { size: e.size } : {}) });
  }

  const reference = tag ?? singleTag(entry.repoTags);
  const metadata = buildImageMetadata({
    kind,
    input,
    name: tag ? `${where}:${formatReference(tag)}` : index > 0 ? `${where}:@${index}` : where,
    ...(reference ? { reference } : {}),
    config: imageConfig,
    configDigest,
    layerBlobs,
    repoTags: entry.repoTags,
  });
  return {
    kind: 'image',
    metadata,
    async openLayer(i: number, signal?: AbortSignal): Promise<Readable> {
      const name = layerNames[i];
      if (name === undefined)
        throw new BollardError('INTERNAL', `layer ${i} does not exist (the image has ${layerNames.length})`);
      signal?.throwIfAborted();
      const stream = tar.createReadStream(name);
      return signal ? addAbortSignal(signal, stream) : stream;
    },
    close: () => tar.close(),
  };
}

/**
 * Validate manifest.json: an array of `{Config, RepoTags, Layers}`. The whole file is refused when
 * it is not such an array, since every image in it would be guesswork.
 */
export function parseDockerManifest(
  raw: Buffer,
  where: string,
  limits: ArtifactOptions['limits'],
): DockerArchiveEntry[] {
  const doc = parseJsonBounded(raw, {
    maxBytes: limits.maxJsonBytes,
    maxDepth: limits.maxJsonDepth,
    what: `${where} manifest.json`,
  });
  if (!Array.isArray(doc)) throw new BollardError('MANIFEST_INVALID', `${where}: manifest.json is not an array`);
  if (doc.length > limits.maxIndexEntries) {
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${where}: manifest.json lists ${doc.length} images, over the limit of ${limits.maxIndexEntries}`,
    );
  }
  return doc.map((e, i): DockerArchiveEntry => {
    const bad = (why: string): BollardError =>
      new BollardError('MANIFEST_INVALID', `${where}: manifest.json image ${i} ${why}`);
    if (!isRecord(e)) throw bad('is not an object');
    if (typeof e.Config !== 'string' || e.Config === '') throw bad('has no Config path');
    const layers = asStringArray(e.Layers);
    if (!layers) throw bad('has no Layers list');
    const tags = e.RepoTags === null || e.RepoTags === undefined ? [] : asStringArray(e.RepoTags);
    if (!tags) throw bad('has a RepoTags field that is not a list of strings');
    return { config: e.Config, repoTags: tags, layers };
  });
}

function chooseEntry(
  entries: DockerArchiveEntry[],
  selector: DockerArchiveSelector,
  where: string,
): { entry: DockerArchiveEntry; index: number; tag?: Reference } {
  if (entries.length === 0) throw new BollardError('MANIFEST_INVALID', `${where}: manifest.json lists no images`);
  if (selector === undefined) {
    if (entries.length > 1) {
      throw new BollardError(
        'USAGE',
        `${where} holds ${entries.length} images; name one with :NAME:TAG or :@N (${describeEntries(entries)})`,
      );
    }
    return { entry: entries[0] as DockerArchiveEntry, index: 0 };
  }
  if (selector.kind === 'index') {
    const entry = entries[selector.index];
    if (!entry) {
      throw new BollardError('TARGET_NOT_FOUND', `${where} has no image @${selector.index} (it has ${entries.length})`);
    }
    return { entry, index: selector.index };
  }
  const want = formatReference(selector.ref);
  const matches: number[] = [];
  entries.forEach((e, i) => {
    if (e.repoTags.some((t) => tagMatches(t, want))) matches.push(i);
  });
  if (matches.length === 0) {
    throw new BollardError('TARGET_NOT_FOUND', `${where} has no image tagged ${want} (${describeEntries(entries)})`);
  }
  if (matches.length > 1) {
    throw new BollardError('USAGE', `${where} has ${matches.length} images tagged ${want}; choose one with :@N`);
  }
  const index = matches[0] as number;
  return { entry: entries[index] as DockerArchiveEntry, index, tag: selector.ref };
}

function tagMatches(repoTag: string, want: string): boolean {
  try {
    return formatReference(parseReference(repoTag)) === want;
  } catch {
    return false;
  }
}

function singleTag(tags: string[]): Reference | undefined {
  if (tags.length !== 1) return undefined;
  try {
    return parseReference(tags[0] as string);
  } catch {
    return undefined;
  }
}

function describeEntries(entries: DockerArchiveEntry[]): string {
  return entries
    .slice(0, 20)
    .map((e, i) => `@${i}${e.repoTags.length > 0 ? ` ${e.repoTags.slice(0, 3).join(' ')}` : ''}`)
    .join(', ');
}

/** Check that a path named by manifest.json stays inside the archive and names a file there. */
function archiveFile(tar: TarIndex, path: string, where: string, what: string): string {
  const name = normaliseTarName(path);
  if (name === undefined || name === '') {
    throw new BollardError(
      'PATH_ESCAPE',
      `${where}: manifest.json names a ${what} outside the archive: ${path.slice(0, 200)}`,
    );
  }
  const e = tar.resolve(name);
  if (!e)
    throw new BollardError(
      'MANIFEST_INVALID',
      `${where}: manifest.json names a ${what} that is not in the archive: ${name.slice(0, 200)}`,
    );
  if (e.type !== 'file')
    throw new BollardError('MANIFEST_INVALID', `${where}: ${what} ${name.slice(0, 200)} is not a file`);
  return name;
}

/** `blobs/sha256/<hex>` (Docker 25+) and `<hex>.tar`/`<hex>.json` (skopeo, podman) name the stored file's digest. */
export function digestFromPath(path: string): Digest | undefined {
  const m = /^(?:blobs\/sha256\/([a-f0-9]{64})|([a-f0-9]{64})\.(?:tar|json))$/.exec(path);
  const hex = m?.[1] ?? m?.[2];
  return hex ? (`sha256:${hex}` satisfies Digest) : undefined;
}
