import type { Readable } from 'node:stream';
import type { Reference } from '../oci/reference.ts';
import type { ImageConfig, Platform } from '../oci/types.ts';
import type { Digest } from '../util/digest.ts';
import type { Limits } from '../util/limits.ts';
import type { Logger } from '../util/logger.ts';
import type { Progress } from '../util/progress.ts';
import type { TempRoot } from '../util/tempdir.ts';

/** The transports of a target string, as skopeo names them. */
/** `rootfs`: an unpacked image root; `filesystem`: a project directory or config files (`bollard fs`, `bollard config`). */
export type TargetKind =
  | 'oci'
  | 'oci-archive'
  | 'docker-archive'
  | 'registry'
  | 'docker-daemon'
  | 'rootfs'
  | 'filesystem'
  | 'sbom';

/** One layer of an image, in order from the base (index 0) up. */
export interface LayerRef {
  index: number;
  /** Digest of the uncompressed tar stream, from the image config's rootfs.diff_ids. */
  diffId: Digest;
  /** Digest of the blob as stored (compressed or not), when the source knows it. */
  digest?: Digest;
  /** Size of the blob as stored, when known. */
  size?: number;
  mediaType?: string;
  /** The history entry (created_by) that produced this layer, when the config has one. */
  createdBy?: string;
}

export interface ImageMetadata {
  kind: TargetKind;
  /** The target as the user typed it. */
  input: string;
  /** A name for display: the normalised reference, or the resolved path. */
  name: string;
  reference?: Reference;
  /** Digest of the image manifest (what signatures and repo digests name). */
  manifestDigest?: Digest;
  manifestMediaType?: string;
  /** Digest of the index the manifest was selected from, for multi-platform images. */
  indexDigest?: Digest;
  /** Digest of the config blob (Docker's image ID). */
  configDigest: Digest;
  config: ImageConfig;
  platform: Platform;
  repoTags: string[];
  repoDigests: string[];
  layers: LayerRef[];
  /** Image size in bytes as stored (sum of blob sizes), when known. */
  size?: number;
}

/** A container image whose layers can be streamed one at a time. */
export interface ImageArtifact {
  kind: 'image';
  metadata: ImageMetadata;
  /**
   * The raw bytes of layer `index` as stored (gzip, zstd or plain tar). The caller detects the
   * compression and verifies `digest` and `diffId` while streaming; sources only guarantee that
   * what they return is what the image says is there.
   */
  openLayer(index: number, signal?: AbortSignal): Promise<Readable>;
  close(): Promise<void>;
}

/** An unpacked root filesystem (a directory), scanned in place without copying. */
export interface RootfsArtifact {
  kind: 'rootfs';
  metadata: { kind: 'rootfs'; input: string; name: string; path: string };
  close(): Promise<void>;
}

export type Artifact = ImageArtifact | RootfsArtifact;

export interface RegistryOptions {
  /** Allow plain HTTP and unverified TLS for registries that are not on loopback. */
  insecure?: boolean;
  username?: string;
  password?: string;
  /** A bearer token to use as is (registry token). */
  registryToken?: string;
  /** Path to a Docker config.json (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json). */
  dockerConfigPath?: string;
}

export interface DaemonOptions {
  /** unix:///path.sock, tcp://host:port or a socket path (default: $DOCKER_HOST or /var/run/docker.sock). */
  host?: string;
}

export interface ArtifactOptions {
  limits: Limits;
  tempRoot: TempRoot;
  logger: Logger;
  progress: Progress;
  /** Requested platform (`os/arch[/variant]`); default: the host's. */
  platform?: string;
  registry?: RegistryOptions;
  daemon?: DaemonOptions;
  signal?: AbortSignal;
}
