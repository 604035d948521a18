import { existsSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { parseReference } from '../oci/reference.ts';
import { isDigest } from '../util/digest.ts';
import { BollardError, toBollardError } from '../util/errors.ts';
import { openDaemonImage } from './daemon/index.ts';
import { openDockerArchive, openDockerArchiveIndex, parseDockerArchiveSelector } from './docker-archive/index.ts';
import { openOciArchive, openOciArchiveIndex } from './oci-archive/index.ts';
import { openOciLayout } from './oci-layout/index.ts';
import { openRegistryImage } from './registry/index.ts';
import { openRootfs } from './rootfs/index.ts';
import { looksLikeTar, openImageArchive, readHead, sniffCompression } from './tar-index.ts';
import type { Artifact, ArtifactOptions } from './types.ts';

/** A target string split into its transport and parts (skopeo's transport names). */
export type ParsedTarget =
  | { transport: 'oci' | 'oci-archive' | 'docker-archive'; path: string; ref: string | undefined }
  | { transport: 'docker'; reference: string }
  | { transport: 'docker-daemon'; reference: string }
  | { transport: 'dir'; path: string }
  /** No transport prefix: a directory, a file to sniff, or an image reference, decided by looking. */
  | { transport: 'auto'; value: string };

const FILE_TRANSPORTS = ['oci', 'oci-archive', 'docker-archive'] as const;
type FileTransport = (typeof FILE_TRANSPORTS)[number];

/** skopeo transports Bollard does not read, refused by name rather than mistaken for a registry host. */
const UNSUPPORTED_TRANSPORTS = ['containers-storage', 'ostree', 'sif', 'tarball', 'atomic'];

// OCI image-spec grammar of org.opencontainers.image.ref.name values.
const OCI_COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const OCI_REF_RE = new RegExp(`^${OCI_COMPONENT}(?:/${OCI_COMPONENT})*$`);

/**
 * Split a target into transport and parts, without touching the file system. `FILE:REF` is ambiguous
 * when paths hold colons; `pathExists` (default: nothing exists) settles it: the whole value when it
 * exists, else the longest existing path before a colon whose remainder is a valid reference, else
 * the split at the first colon (as skopeo does).
 */
export function parseTarget(target: string, pathExists: (path: string) => boolean = () => false): ParsedTarget {
  if (target === '') throw new BollardError('USAGE', 'empty target');
  const colon = target.indexOf(':');
  const prefix = colon > 0 ? target.slice(0, colon) : '';
  const rest = target.slice(colon + 1);
  if ((FILE_TRANSPORTS as readonly string[]).includes(prefix)) {
    const transport = prefix as FileTransport;
    if (rest === '') throw new BollardError('USAGE', `${transport}: needs a path, e.g. ${transport}:./image`);
    return { transport, ...splitPathRef(transport, rest, pathExists) };
  }
  if (prefix === 'docker') {
    if (!rest.startsWith('//') || rest.length === 2) {
      throw new BollardError('USAGE', `registry targets are written docker://REFERENCE, not ${target.slice(0, 200)}`);
    }
    return { transport: 'docker', reference: rest.slice(2) };
  }
  if (prefix === 'docker-daemon') {
    if (rest === '') throw new BollardError('USAGE', 'docker-daemon: needs an image name or ID');
    return { transport: 'docker-daemon', reference: rest };
  }
  if (prefix === 'dir') {
    if (rest === '') throw new BollardError('USAGE', 'dir: needs a directory');
    return { transport: 'dir', path: rest };
  }
  if (UNSUPPORTED_TRANSPORTS.includes(prefix)) {
    throw new BollardError(
      'USAGE',
      `the ${prefix}: transport is not supported; copy the image with "skopeo copy ${prefix}:… oci-archive:FILE" first`,
    );
  }
  return { transport: 'auto', value: target };
}

function splitPathRef(
  transport: FileTransport,
  value: string,
  pathExists: (path: string) => boolean,
): { path: string; ref: string | undefined } {
  if (pathExists(value)) return { path: value, ref: undefined };
  const splits: { path: string; ref: string }[] = [];
  for (let i = value.indexOf(':'); i >= 0; i = value.indexOf(':', i + 1)) {
    const path = value.slice(0, i);
    const ref = value.slice(i + 1);
    if (path !== '' && validRef(transport, ref)) splits.push({ path, ref });
  }
  for (let i = splits.length - 1; i >= 0; i--) {
    const s = splits[i] as { path: string; ref: string };
    if (pathExists(s.path)) return s;
  }
  return splits[0] ?? { path: value, ref: undefined };
}

function validRef(transport: FileTransport, ref: string): boolean {
  if (/^@\d+$/.test(ref)) return true;
  if (transport === 'docker-archive') {
    try {
      parseDockerArchiveSelector(ref);
      return true;
    } catch {
      return false;
    }
  }
  return isDigest(ref) || OCI_REF_RE.test(ref);
}

/**
 * Open what a target names: an image (OCI layout or archive, docker-archive, registry, daemon) or a
 * root filesystem directory. Without a transport prefix, an existing path is inspected (directory
 * with `oci-layout` → OCI layout, other directory → root filesystem, file → sniffed) and anything
 * else is an image reference in a registry.
 */
export async function openArtifact(target: string, opts: ArtifactOptions): Promise<Artifact> {
  const t = parseTarget(target, existsSync);
  switch (t.transport) {
    case 'oci':
      return openOciLayout(target, t.path, t.ref, opts);
    case 'oci-archive':
      return openOciArchive(target, t.path, t.ref, opts);
    case 'docker-archive':
      return openDockerArchive(target, t.path, t.ref, opts);
    case 'docker':
      return openRegistryImage(target, parseReference(t.reference), opts);
    case 'docker-daemon':
      return openDaemonImage(target, t.reference, opts);
    case 'dir':
      return openDirectory(target, t.path);
    case 'auto':
      return openAuto(target, opts);
  }
}

async function openDirectory(input: string, path: string): Promise<Artifact> {
  const st = statOrUndefined(path);
  if (!st) throw new BollardError('TARGET_NOT_FOUND', `no such directory: ${path}`);
  if (!st.isDirectory()) throw new BollardError('USAGE', `${path} is not a directory`);
  return openRootfs(input, resolvePath(path));
}

async function openAuto(target: string, opts: ArtifactOptions): Promise<Artifact> {
  const st = statOrUndefined(target);
  if (st?.isDirectory()) {
    if (existsSync(join(target, 'oci-layout'))) return openOciLayout(target, target, undefined, opts);
    if (existsSync(join(target, 'manifest.json')) && existsSync(join(target, 'version'))) {
      throw new BollardError(
        'TARGET_UNRECOGNISED',
        `${target} looks like a skopeo dir: layout, which is not supported; copy it with "skopeo copy dir:${target} oci:DIR" first`,
      );
    }
    return openDirectory(target, target);
  }
  if (st?.isFile()) return openSniffed(target, opts);
  if (st) throw new BollardError('TARGET_UNRECOGNISED', `${target} is neither a regular file nor a directory`);
  let reference: ReturnType<typeof parseReference>;
  try {
    reference = parseReference(target);
  } catch (e) {
    if (looksLikePath(target)) throw new BollardError('TARGET_NOT_FOUND', `no such file or directory: ${target}`);
    throw e;
  }
  return openRegistryImage(target, reference, opts);
}

function looksLikePath(s: string): boolean {
  return /^(?:\/|\.{1,2}\/|~)/.test(s) || /\.(?:tar|tgz|tar\.gz|tar\.zst|tzst)$/i.test(s) || s.includes('\\');
}

/** A file without a transport: a tar (maybe gzip/zstd-compressed) holding an OCI layout or a docker-archive. */
async function openSniffed(file: string, opts: ArtifactOptions): Promise<Artifact> {
  const where = resolvePath(file);
  const head = await readHead(where, 512);
  if (!sniffCompression(head) && !looksLikeTar(head)) {
    throw new BollardError(
      'TARGET_UNRECOGNISED',
      `${file} is not an image archive: it looks like ${describeContent(head)}`,
    );
  }
  const tar = await openImageArchive(where, opts);
  // Docker 25+ archives are both; manifest.json carries the repository tags, so it wins.
  if (tar.resolve('manifest.json')) return openDockerArchiveIndex(file, tar, where, undefined, opts);
  if (tar.resolve('oci-layout') || tar.resolve('index.json'))
    return openOciArchiveIndex(file, tar, where, undefined, opts);
  const names = [...tar.entries.keys()].slice(0, 5);
  await tar.close();
  throw new BollardError(
    'TARGET_UNRECOGNISED',
    `${file} is a tar archive without manifest.json or oci-layout (starts with: ${names.join(', ') || 'nothing'}); ` +
      'a root filesystem tarball must be unpacked or imported (podman import) first',
  );
}

/** Name what a file seems to be, for the error message. */
export function describeContent(head: Buffer): string {
  if (head.length === 0) return 'an empty file';
  const magic = (bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);
  if (magic([0x7f, 0x45, 0x4c, 0x46])) return 'an ELF executable';
  if (magic([0x50, 0x4b, 0x03, 0x04])) return 'a zip archive';
  if (magic([0x42, 0x5a, 0x68])) return 'bzip2-compressed data (decompress it first)';
  if (magic([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz-compressed data (decompress it first)';
  if (magic([0x53, 0x51, 0x4c, 0x69, 0x74, 0x65])) return 'an SQLite database';
  const text = head.toString('utf8');
  if (/^\s*[{[]/.test(text)) return 'a JSON document (an SBOM or a manifest is not an image)';
  if (isPrintable(text)) return 'a text file';
  return 'binary data of an unknown format';
}

/** Tabs, newlines and printable characters only (U+FFFD marks bytes that were not UTF-8). */
function isPrintable(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    const ok = c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c !== 0xfffd);
    if (!ok) return false;
  }
  return true;
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw toBollardError(e, `cannot inspect ${path}`);
  }
}
