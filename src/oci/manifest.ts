import { type Digest, parseDigest } from '../util/digest.ts';
import { BollardError } from '../util/errors.ts';
import { asNumber, asString, asStringArray, asStringRecord, isRecord, parseJsonBounded } from '../util/json.ts';
import type { Limits } from '../util/limits.ts';
import {
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  MediaType,
  type Platform,
} from './types.ts';

export type ManifestDocument = { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest]);

/**
 * Validate an untrusted manifest or index document. `contentType` is the media type the transport
 * announced (HTTP Content-Type or a descriptor); the document's own `mediaType` wins when present.
 */
export function parseManifestDocument(
  raw: Buffer,
  limits: Pick<Limits, 'maxManifestBytes' | 'maxJsonDepth' | 'maxLayers' | 'maxIndexEntries'>,
  contentType?: string,
  what = 'manifest',
): ManifestDocument {
  const doc = parseJsonBounded(raw, { maxBytes: limits.maxManifestBytes, maxDepth: limits.maxJsonDepth, what });
  if (!isRecord(doc)) throw invalid(what, 'not a JSON object');
  const declared = asString(doc.mediaType);
  const announced = contentType?.split(';')[0]?.trim();
  if (doc.schemaVersion === 1 || declared === MediaType.dockerSchema1 || declared === MediaType.dockerSchema1Signed) {
    throw new BollardError(
      'MANIFEST_UNSUPPORTED',
      `${what} is Docker schema 1, which is deprecated and not supported; push the image again with a current client`,
    );
  }
  if (doc.schemaVersion !== 2) throw invalid(what, `schemaVersion ${String(doc.schemaVersion)} is not 2`);
  const mediaType =
    declared ?? announced ?? (Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest);
  if (INDEX_TYPES.has(mediaType) || (!declared && Array.isArray(doc.manifests) && !doc.config)) {
    if (!Array.isArray(doc.manifests)) throw invalid(what, 'index without a manifests array');
    if (doc.manifests.length > limits.maxIndexEntries) {
      throw new BollardError(
        'LIMIT_EXCEEDED',
        `${what} lists ${doc.manifests.length} manifests, over the limit of ${limits.maxIndexEntries}`,
      );
    }
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType,
      manifests: doc.manifests.map((d, i) => parseDescriptor(d, `${what} manifests[${i}]`)),
    };
    const annotations = asStringRecord(doc.annotations);
    if (annotations) index.annotations = annotations;
    return { kind: 'index', index };
  }
  if (!MANIFEST_TYPES.has(mediaType)) {
    throw new BollardError(
      'MANIFEST_UNSUPPORTED',
      `${what} has media type ${mediaType.slice(0, 120)}, which is not a container image`,
    );
  }
  if (!Array.isArray(doc.layers)) throw invalid(what, 'manifest without a layers array');
  if (doc.layers.length > limits.maxLayers) {
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${what} has ${doc.layers.length} layers, over the limit of ${limits.maxLayers}`,
    );
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: parseDescriptor(doc.config, `${what} config`),
    layers: doc.layers.map((d, i) => parseDescriptor(d, `${what} layers[${i}]`)),
  };
  const annotations = asStringRecord(doc.annotations);
  if (annotations) manifest.annotations = annotations;
  if (doc.subject !== undefined) manifest.subject = parseDescriptor(doc.subject, `${what} subject`);
  const artifactType = asString(doc.artifactType);
  if (artifactType) manifest.artifactType = artifactType;
  return { kind: 'manifest', manifest };
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (!isRecord(v)) throw invalid(what, 'descriptor is not an object');
  const mediaType = asString(v.mediaType);
  if (!mediaType) throw invalid(what, 'descriptor without mediaType');
  const size = asNumber(v.size);
  if (size === undefined || size < 0 || !Number.isSafeInteger(size))
    throw invalid(what, 'descriptor without a valid size');
  const d: Descriptor = { mediaType, digest: parseDigest(v.digest, `${what} digest`), size };
  const annotations = asStringRecord(v.annotations);
  if (annotations) d.annotations = annotations;
  if (isRecord(v.platform)) {
    const os = asString(v.platform.os);
    const architecture = asString(v.platform.architecture);
    if (os && architecture) {
      const p: Platform = { os, architecture };
      const variant = asString(v.platform.variant);
      if (variant) p.variant = variant;
      const osVersion = asString(v.platform['os.version']);
      if (osVersion) p.osVersion = osVersion;
      d.platform = p;
    }
  }
  const urls = asStringArray(v.urls);
  if (urls) d.urls = urls;
  const artifactType = asString(v.artifactType);
  if (artifactType) d.artifactType = artifactType;
  return d;
}

/** Validate an untrusted image config (OCI or Docker). Only the fields Bollard uses are kept. */
export function parseImageConfig(
  raw: Buffer,
  limits: Pick<Limits, 'maxConfigBytes' | 'maxJsonDepth' | 'maxLayers'>,
  what = 'image config',
): ImageConfig {
  const doc = parseJsonBounded(raw, { maxBytes: limits.maxConfigBytes, maxDepth: limits.maxJsonDepth, what });
  if (!isRecord(doc)) throw invalid(what, 'not a JSON object');
  if (!isRecord(doc.rootfs)) throw invalid(what, 'no rootfs section');
  const diffIds = doc.rootfs.diff_ids;
  if (!Array.isArray(diffIds)) throw invalid(what, 'rootfs.diff_ids is not an array');
  if (diffIds.length > limits.maxLayers) {
    throw new BollardError(
      'LIMIT_EXCEEDED',
      `${what} lists ${diffIds.length} layers, over the limit of ${limits.maxLayers}`,
    );
  }
  const c = isRecord(doc.config) ? doc.config : {};
  const config: ImageConfig['config'] = {};
  const user = asString(c.User);
  if (user !== undefined) config.User = user;
  const env = asStringArray(c.Env);
  if (env) config.Env = env;
  const entrypoint = asStringArray(c.Entrypoint);
  if (entrypoint) config.Entrypoint = entrypoint;
  const cmd = asStringArray(c.Cmd);
  if (cmd) config.Cmd = cmd;
  const wd = asString(c.WorkingDir);
  if (wd) config.WorkingDir = wd;
  const labels = asStringRecord(c.Labels);
  if (labels) config.Labels = labels;
  if (isRecord(c.ExposedPorts)) config.ExposedPorts = c.ExposedPorts;
  if (isRecord(c.Volumes)) config.Volumes = c.Volumes;
  const stop = asString(c.StopSignal);
  if (stop) config.StopSignal = stop;
  if (isRecord(c.Healthcheck)) {
    const hc: NonNullable<ImageConfig['config']['Healthcheck']> = {};
    const test = asStringArray(c.Healthcheck.Test);
    if (test) hc.Test = test;
    for (const k of ['Interval', 'Timeout', 'Retries', 'StartPeriod'] as const) {
      const n = asNumber(c.Healthcheck[k]);
      if (n !== undefined) hc[k] = n;
    }
    config.Healthcheck = hc;
  }
  const history: HistoryEntry[] = [];
  if (Array.isArray(doc.history)) {
    for (const h of doc.history) {
      if (!isRecord(h)) continue;
      const e: HistoryEntry = {};
      const created = asString(h.created);
      if (created) e.created = created;
      const createdBy = asString(h.created_by);
      if (createdBy !== undefined) e.created_by = createdBy;
      const author = asString(h.author);
      if (author) e.author = author;
      const comment = asString(h.comment);
      if (comment) e.comment = comment;
      if (h.empty_layer === true) e.empty_layer = true;
      history.push(e);
    }
  }
  const out: ImageConfig = {
    architecture: asString(doc.architecture) ?? '',
    os: asString(doc.os) ?? '',
    config,
    rootfs: {
      type: asString(doc.rootfs.type) ?? 'layers',
      diff_ids: diffIds.map((d, i) => parseDigest(d, `${what} diff_ids[${i}]`)),
    },
    history,
  };
  const variant = asString(doc.variant);
  if (variant) out.variant = variant;
  const created = asString(doc.created);
  if (created) out.created = created;
  const author = asString(doc.author);
  if (author) out.author = author;
  return out;
}

/** Map each layer to the history entry that created it (history has empty_layer entries for metadata-only steps). */
export function layerHistory(config: ImageConfig): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  const nonEmpty = config.history.filter((h) => !h.empty_layer);
  // Only trust the mapping when the counts agree, as Docker does.
  if (nonEmpty.length !== config.rootfs.diff_ids.length) return config.rootfs.diff_ids.map(() => undefined);
  for (const h of nonEmpty) out.push(h.created_by);
  return out;
}

export function isLayerMediaType(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image.layer.') ||
    mediaType === MediaType.dockerLayer ||
    mediaType === MediaType.dockerForeignLayer ||
    mediaType === 'application/vnd.docker.image.rootfs.diff.tar'
  );
}

export function digestsEqual(a: Digest | undefined, b: Digest | undefined): boolean {
  return a !== undefined && a === b;
}

function invalid(what: string, why: string): BollardError {
  return new BollardError('MANIFEST_INVALID', `${what} is invalid: ${why}`);
}
