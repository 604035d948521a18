import { resolve as resolvePath } from 'node:path';
import { BollardError } from '../../util/errors.ts';
import { blobPath, type LayoutStore, openOciImage } from '../oci-layout/index.ts';
import { openImageArchive, type TarIndex } from '../tar-index.ts';
import type { ArtifactOptions, ImageArtifact } from '../types.ts';

/**
 * An OCI image layout packed in a tar file (`oci-archive:FILE[:REF]`), read in place: the archive
 * is indexed once and blobs are streamed from their offsets. A gzip/zstd-compressed archive is
 * decompressed once into the private temp root first.
 */
export async function openOciArchive(
  input: string,
  file: string,
  ref: string | undefined,
  opts: ArtifactOptions,
): Promise<ImageArtifact> {
  const where = resolvePath(file);
  const tar = await openImageArchive(where, opts);
  return openOciArchiveIndex(input, tar, where, ref, opts);
}

/** The same, from an archive already indexed (by sniffing); the artifact owns `tar` from here on. */
export async function openOciArchiveIndex(
  input: string,
  tar: TarIndex,
  where: string,
  ref: string | undefined,
  opts: ArtifactOptions,
): Promise<ImageArtifact> {
  const store = tarStore(tar, where);
  try {
    return await openOciImage(store, { input, kind: 'oci-archive', name: ref ? `${where}:${ref}` : where, ref }, opts);
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** A layout store over a tar index; links inside the archive resolve by name and never leave it. */
export function tarStore(tar: TarIndex, where: string): LayoutStore {
  const missing = (name: string): BollardError =>
    new BollardError('TARGET_NOT_FOUND', `${where}: ${name} is missing from the archive`);
  return {
    where,
    async readTop(name, max) {
      if (!tar.resolve(name)) return undefined;
      return tar.readBuffer(name, max);
    },
    async blobSize(digest) {
      const e = tar.resolve(blobPath(digest));
      return e?.type === 'file' ? e.size : undefined;
    },
    async readBlob(digest, max) {
      const name = blobPath(digest);
      if (!tar.resolve(name)) throw missing(`blob ${digest}`);
      return tar.readBuffer(name, max);
    },
    async openBlob(digest) {
      const name = blobPath(digest);
      if (!tar.resolve(name)) throw missing(`blob ${digest}`);
      return tar.createReadStream(name);
    },
    close: () => tar.close(),
  };
}
