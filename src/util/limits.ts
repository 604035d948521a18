/**
 * Bounds applied to everything read from untrusted sources. Every limit is configurable
 * (CLI flags and the programmatic API); the defaults fit real images with room to spare.
 */
export interface Limits {
  /** Largest manifest or index document, in bytes. */
  maxManifestBytes: number;
  /** Largest image config document, in bytes. */
  maxConfigBytes: number;
  /** Largest other JSON document read whole (docker-archive manifest.json, index.json, daemon answers). */
  maxJsonBytes: number;
  /** Deepest nesting accepted in a JSON document. */
  maxJsonDepth: number;
  /** Most layers accepted in one image. */
  maxLayers: number;
  /** Most platform manifests accepted in one index. */
  maxIndexEntries: number;
  /** Largest compressed layer blob, in bytes. */
  maxLayerCompressedBytes: number;
  /** Largest decompressed layer (tar) stream, in bytes. */
  maxLayerBytes: number;
  /** Largest decompressed/compressed ratio, checked once a layer has produced more than `ratioFloorBytes`. */
  maxCompressionRatio: number;
  ratioFloorBytes: number;
  /** Most tar entries in one layer. */
  maxEntriesPerLayer: number;
  /** Longest entry path, in bytes. */
  maxPathBytes: number;
  /** Largest file an analyzer may read into memory, in bytes (analyzers may ask for less). */
  maxFileBytes: number;
  /** Largest archive or daemon export spooled to the private temp root, in bytes. */
  maxSpoolBytes: number;
  /** Deepest symlink chain followed when resolving a path inside the image root. */
  maxSymlinkHops: number;
  /**
   * Most items one metadata-only analyzer (file modes) keeps from one layer; entries beyond it are
   * counted in a warning (an image of a million world-writable files must not hold a million items).
   */
  maxMetadataItems: number;
  /**
   * Most bytes of entry paths one layer records as present when a metadata-only analyzer runs (so a
   * later layer's `chmod` or replacement hides a lower layer's item). Beyond it the list stops, a
   * warning says so, and lower items the layer may have replaced are kept (reported, never hidden).
   */
  maxPresenceBytes: number;
  /** Network: connect, response-headers and body-idle timeouts in milliseconds. */
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Network: redirects followed per request, and retries of idempotent requests. */
  maxRedirects: number;
  maxRetries: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const defaultLimits: Readonly<Limits> = Object.freeze({
  maxManifestBytes: 4 * MiB,
  maxConfigBytes: 8 * MiB,
  maxJsonBytes: 16 * MiB,
  maxJsonDepth: 64,
  maxLayers: 512,
  maxIndexEntries: 1024,
  maxLayerCompressedBytes: 16 * GiB,
  maxLayerBytes: 32 * GiB,
  maxCompressionRatio: 1000,
  ratioFloorBytes: 64 * MiB,
  maxEntriesPerLayer: 1_000_000,
  maxPathBytes: 4096,
  maxFileBytes: 256 * MiB,
  maxSpoolBytes: 64 * GiB,
  maxSymlinkHops: 40,
  maxMetadataItems: 10_000,
  maxPresenceBytes: 64 * MiB,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 60_000,
  maxRedirects: 5,
  maxRetries: 3,
});

export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const out: Limits = { ...defaultLimits };
  for (const [k, v] of Object.entries(overrides) as [keyof Limits, number | undefined][]) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}
