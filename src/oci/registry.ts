import type { Readable } from 'node:stream';
import type { RegistryOptions } from '../artifact/types.ts';
import { type Digest, digestAlgorithm, digestOf, isDigest, verifyDigest } from '../util/digest.ts';
import { BollardError } from '../util/errors.ts';
import { asString, isRecord, parseJsonBounded } from '../util/json.ts';
import type { Limits } from '../util/limits.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { Authenticator, repositoryScope } from './auth.ts';
import { type Credentials, resolveCredentials } from './credentials.ts';
import {
  abandon,
  boundedStream,
  discard,
  type HttpMethod,
  type HttpResponse,
  HttpTransport,
  headerValue,
  printable,
  readBounded,
} from './http.ts';
import { parseManifestDocument } from './manifest.ts';
import { type Reference, registryApiHost } from './reference.ts';
import { type ImageIndex, MANIFEST_ACCEPT, MediaType } from './types.ts';

/**
 * A Distribution API v2 client (https://distribution.github.io/distribution/spec/api/ and the OCI
 * distribution spec): manifests, blobs, tags and referrers, in both directions.
 */

/** A repository in a registry; a Reference fits. */
export interface RepositoryRef {
  /** Registry as written in references (`docker.io`, `127.0.0.1:5000`). */
  registry: string;
  repository: string;
}

/** A manifest named by tag or digest. */
export interface ManifestTarget extends RepositoryRef {
  reference: string;
}

export interface ManifestResponse {
  raw: Buffer;
  digest: Digest;
  /** Media type from Content-Type, or from the document when the registry sent none useful. */
  mediaType: string;
}

export interface ManifestHead {
  digest: Digest | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface BlobStreamOptions extends CallOptions {
  /** Most bytes accepted (default: limits.maxLayerCompressedBytes). */
  maxBytes?: number;
  /** The size the blob's descriptor declares: more or fewer bytes fail the stream. */
  expectedSize?: number;
  /** Progress: called with the size of every chunk read. */
  onBytes?: (n: number) => void;
}

export interface ReferrersOptions extends CallOptions {
  artifactType?: string;
}

export interface RegistryClientOptions extends RegistryOptions {
  limits: Limits;
  logger?: Logger;
  /** Aborts every request of this client. */
  signal?: AbortSignal;
  /** Environment for Docker config and credential helpers (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Replace credential lookup (servers keep secrets elsewhere; tests). */
  credentials?: (registry: string) => Promise<Credentials | undefined>;
  helperTimeoutMs?: number;
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  userAgent?: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^\w[\w.-]{0,127}$/;
const SCHEMA1_TYPES = new Set<string>([MediaType.dockerSchema1, MediaType.dockerSchema1Signed]);
const MANIFEST_TYPES = new Set<string>([
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
]);
/** Most pages followed for tag lists and referrers. */
const MAX_PAGES = 1000;

interface CallRequest extends CallOptions {
  method: HttpMethod;
  /** Path and query under the registry (`/v2/...`), or an absolute URL (upload locations). */
  path: string | URL;
  headers?: Record<string, string>;
  body?: Buffer;
  operation: string;
  push?: boolean;
  idempotent?: boolean;
}

export class RegistryClient {
  readonly #limits: Limits;
  readonly #logger: Logger;
  readonly #signal: AbortSignal | undefined;
  readonly #transport: HttpTransport;
  readonly #auth: Authenticator;

  constructor(o: RegistryClientOptions) {
    this.#limits = o.limits;
    this.#logger = o.logger ?? silentLogger;
    this.#signal = o.signal;
    this.#transport = new HttpTransport({
      limits: o.limits,
      insecure: o.insecure === true,
      logger: this.#logger,
      ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
      ...(o.maxRetryDelayMs !== undefined ? { maxRetryDelayMs: o.maxRetryDelayMs } : {}),
      ...(o.userAgent !== undefined ? { userAgent: o.userAgent } : {}),
    });
    const credentials =
      o.credentials ??
      ((registry: string) =>
        resolveCredentials(registry, {
          ...(o.username !== undefined ? { username: o.username } : {}),
          ...(o.password !== undefined ? { password: o.password } : {}),
          ...(o.registryToken !== undefined ? { registryToken: o.registryToken } : {}),
          ...(o.dockerConfigPath !== undefined ? { dockerConfigPath: o.dockerConfigPath } : {}),
          ...(o.env !== undefined ? { env: o.env } : {}),
          ...(o.helperTimeoutMs !== undefined ? { helperTimeoutMs: o.helperTimeoutMs } : {}),
          maxConfigBytes: o.limits.maxJsonBytes,
          logger: this.#logger,
        }));
    this.#auth = new Authenticator({
      transport: this.#transport,
      credentials,
      limits: o.limits,
      logger: this.#logger,
    });
  }

  /** Token-server round trips so far (diagnostics and tests). */
  get tokenRequests(): number {
    return this.#auth.tokenRequests;
  }

  /**
   * Fetch a manifest or index by tag or digest. By digest, the content is verified; by tag, the
   * digest is computed (and checked against Docker-Content-Digest when the registry sends one).
   */
  async getManifest(
    target: Reference | ManifestTarget,
    o: CallOptions & { accept?: string } = {},
  ): Promise<ManifestResponse> {
    const t = manifestTarget(target);
    const what = `manifest ${t.registry}/${t.repository}${isDigest(t.reference) ? '@' : ':'}${t.reference}`;
    const res = await this.#call(t, {
      method: 'GET',
      path: `/v2/${t.repository}/manifests/${t.reference}`,
      headers: { accept: o.accept ?? MANIFEST_ACCEPT },
      operation: 'fetch manifest',
      ...signalOf(o),
    });
    if (res.status === 404) throw await this.#notFound(res, `${what} not found`);
    await this.#expectOk(res, 'fetch manifest', what);
    const contentType = mediaTypeOf(res);
    if (SCHEMA1_TYPES.has(contentType)) {
      await discard(res.body);
      throw new BollardError(
        'MANIFEST_UNSUPPORTED',
        `${what} is Docker schema 1, which is deprecated and not supported; push the image again with a current client`,
      );
    }
    const raw = await readBounded(res, {
      maxBytes: this.#limits.maxManifestBytes,
      what,
      host: res.url.host,
      operation: 'fetch manifest',
      limits: this.#limits,
    });
    let digest: Digest;
    if (isDigest(t.reference)) {
      verifyDigest(raw, t.reference, what);
      digest = t.reference;
    } else {
      digest = digestOf(raw);
      const announced = headerValue(res.headers, 'docker-content-digest');
      if (isDigest(announced) && digestOf(raw, digestAlgorithm(announced)) !== announced) {
        throw new BollardError(
          'DIGEST_MISMATCH',
          `${what}: content hashes to ${digestOf(raw, digestAlgorithm(announced))}, but the registry says ${announced}`,
          { details: { expected: announced } },
        );
      }
    }
    return { raw, digest, mediaType: MANIFEST_TYPES.has(contentType) ? contentType : sniffMediaType(raw, contentType) };
  }

  /** HEAD a manifest: its digest, media type and size, or undefined when it does not exist. */
  async headManifest(
    target: Reference | ManifestTarget,
    o: CallOptions & { accept?: string } = {},
  ): Promise<ManifestHead | undefined> {
    const t = manifestTarget(target);
    const res = await this.#call(t, {
      method: 'HEAD',
      path: `/v2/${t.repository}/manifests/${t.reference}`,
      headers: { accept: o.accept ?? MANIFEST_ACCEPT },
      operation: 'check manifest',
      ...signalOf(o),
    });
    await discard(res.body);
    if (res.status === 404) return undefined;
    await this.#expectOk(res, 'check manifest', `manifest ${t.repository}:${t.reference}`);
    const announced = headerValue(res.headers, 'docker-content-digest');
    const size = Number(headerValue(res.headers, 'content-length'));
    return {
      digest: isDigest(announced) ? announced : isDigest(t.reference) ? t.reference : undefined,
      mediaType: mediaTypeOf(res) || undefined,
      size: Number.isSafeInteger(size) && size >= 0 ? size : undefined,
    };
  }

  /**
   * Stream a blob as stored. Not verified here: the layer pipeline hashes while it reads. The stream
   * is bounded (`maxBytes`, `expectedSize`) and fails with BollardErrors.
   */
  async getBlob(repo: RepositoryRef, digest: Digest, o: BlobStreamOptions = {}): Promise<Readable> {
    const res = await this.#fetchBlob(repo, digest, o);
    const maxBytes = o.maxBytes ?? this.#limits.maxLayerCompressedBytes;
    const declared = Number(headerValue(res.headers, 'content-length'));
    if (Number.isFinite(declared)) {
      if (o.expectedSize !== undefined && declared !== o.expectedSize) {
        abandon(res.body);
        throw new BollardError(
          'DIGEST_MISMATCH',
          `blob ${digest} is ${declared} bytes, but its descriptor declares ${o.expectedSize}`,
        );
      }
      if (declared > maxBytes) {
        abandon(res.body);
        throw new BollardError('LIMIT_EXCEEDED', `blob ${digest} is ${declared} bytes, over the limit of ${maxBytes}`);
      }
    }
    return boundedStream(res.body, {
      maxBytes,
      ...(o.expectedSize !== undefined ? { expectedSize: o.expectedSize } : {}),
      ...(o.onBytes ? { onBytes: o.onBytes } : {}),
      what: `blob ${digest}`,
      host: res.url.host,
      operation: 'fetch blob',
      limits: this.#limits,
    });
  }

  /** Fetch a small blob (config, signature payload) into memory and verify its digest. */
  async getBlobBuffer(repo: RepositoryRef, digest: Digest, maxBytes: number, o: CallOptions = {}): Promise<Buffer> {
    const res = await this.#fetchBlob(repo, digest, o);
    const raw = await readBounded(res, {
      maxBytes,
      what: `blob ${digest}`,
      host: res.url.host,
      operation: 'fetch blob',
      limits: this.#limits,
    });
    verifyDigest(raw, digest, `blob ${digest} of ${repo.registry}/${repo.repository}`);
    return raw;
  }

  /** The size of a blob, or undefined when the repository does not have it. */
  async headBlob(repo: RepositoryRef, digest: Digest, o: CallOptions = {}): Promise<number | undefined> {
    checkRepository(repo);
    const res = await this.#call(repo, {
      method: 'HEAD',
      path: `/v2/${repo.repository}/blobs/${parseDigestArg(digest)}`,
      operation: 'check blob',
      ...signalOf(o),
    });
    await discard(res.body);
    if (res.status === 404) return undefined;
    await this.#expectOk(res, 'check blob', `blob ${digest}`);
    const size = Number(headerValue(res.headers, 'content-length'));
    return Number.isSafeInteger(size) && size >= 0 ? size : 0;
  }

  /** Upload a blob in one piece (POST then PUT), unless the repository already has it. */
  async putBlob(repo: RepositoryRef, data: Buffer, o: CallOptions = {}): Promise<{ digest: Digest; size: number }> {
    checkRepository(repo);
    const digest = digestOf(data);
    if ((await this.headBlob(repo, digest, o)) !== undefined) return { digest, size: data.length };
    const what = `blob ${digest} to ${repo.registry}/${repo.repository}`;
    const start = await this.#call(repo, {
      method: 'POST',
      path: `/v2/${repo.repository}/blobs/uploads/`,
      headers: { 'content-length': '0' },
      operation: 'start blob upload',
      push: true,
      ...signalOf(o),
    });
    await discard(start.body);
    if (start.status !== 202) await this.#expectOk(start, 'start blob upload', what, true);
    const location = headerValue(start.headers, 'location');
    if (!location)
      throw new BollardError('REGISTRY_HTTP', `start blob upload: ${repo.registry} sent no upload location`);
    let url: URL;
    try {
      url = new URL(location, start.url);
    } catch {
      throw new BollardError('REGISTRY_HTTP', `start blob upload: ${repo.registry} sent an invalid upload location`);
    }
    url.searchParams.set('digest', digest);
    const put = await this.#call(repo, {
      method: 'PUT',
      path: url,
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
      operation: 'upload blob',
      push: true,
      ...signalOf(o),
    });
    await discard(put.body);
    if (put.status !== 201) await this.#expectOk(put, 'upload blob', what, true);
    return { digest, size: data.length };
  }

  /** Push a manifest under a tag or its digest; returns its digest. */
  async putManifest(
    repo: RepositoryRef,
    reference: string,
    raw: Buffer,
    mediaType: string,
    o: CallOptions = {},
  ): Promise<Digest> {
    const t = manifestTarget({ ...repo, reference });
    if (raw.length > this.#limits.maxManifestBytes) {
      throw new BollardError(
        'LIMIT_EXCEEDED',
        `manifest is ${raw.length} bytes, over the limit of ${this.#limits.maxManifestBytes}`,
      );
    }
    if (isDigest(reference)) verifyDigest(raw, reference, 'manifest to push');
    const digest = isDigest(reference) ? reference : digestOf(raw);
    const res = await this.#call(t, {
      method: 'PUT',
      path: `/v2/${t.repository}/manifests/${t.reference}`,
      headers: { 'content-type': mediaType },
      body: raw,
      operation: 'push manifest',
      push: true,
      idempotent: true,
      ...signalOf(o),
    });
    await discard(res.body);
    if (res.status !== 201) await this.#expectOk(res, 'push manifest', `manifest ${t.repository}:${t.reference}`, true);
    const announced = headerValue(res.headers, 'docker-content-digest');
    if (isDigest(announced) && digestOf(raw, digestAlgorithm(announced)) !== announced) {
      throw new BollardError(
        'DIGEST_MISMATCH',
        `push manifest: ${repo.registry} stored it as ${announced}, which is not the digest of what was sent`,
      );
    }
    return digest;
  }

  /** All tags of a repository, following pagination. Malformed tags are skipped and logged. */
  async listTags(repo: RepositoryRef, o: CallOptions = {}): Promise<string[]> {
    checkRepository(repo);
    const tags: string[] = [];
    let skipped = 0;
    let next: string | URL = `/v2/${repo.repository}/tags/list`;
    let budget = this.#limits.maxJsonBytes;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#call(repo, { method: 'GET', path: next, operation: 'list tags', ...signalOf(o) });
      if (res.status === 404)
        throw await this.#notFound(res, `repository ${repo.registry}/${repo.repository} not found`);
      await this.#expectOk(res, 'list tags', `tags of ${repo.repository}`);
      const raw = await readBounded(res, {
        maxBytes: budget,
        what: `tag list of ${repo.registry}/${repo.repository}`,
        host: res.url.host,
        operation: 'list tags',
        limits: this.#limits,
      });
      budget -= raw.length;
      const doc = parseJsonBounded(raw, { maxBytes: this.#limits.maxJsonBytes, maxDepth: 4, what: 'tag list' });
      const list = isRecord(doc) ? doc.tags : undefined;
      if (list !== null && list !== undefined && !Array.isArray(list)) {
        throw new BollardError('REGISTRY_HTTP', `list tags: ${repo.registry} answered with a malformed tag list`);
      }
      for (const tag of list ?? []) {
        if (typeof tag === 'string' && TAG_RE.test(tag)) tags.push(tag);
        else skipped++;
      }
      const link = nextLink(res, repo.registry);
      if (!link) break;
      next = link;
    }
    if (skipped > 0) this.#logger.warn('skipped malformed tags', { repository: repo.repository, count: skipped });
    return tags;
  }

  /**
   * The referrers of a manifest (OCI distribution 1.1), as an index. Undefined when the registry
   * has no referrers API (it answers 404); callers then fall back to the `sha256-<hex>` tag scheme.
   */
  async getReferrers(repo: RepositoryRef, digest: Digest, o: ReferrersOptions = {}): Promise<ImageIndex | undefined> {
    checkRepository(repo);
    const query = o.artifactType ? `?artifactType=${encodeURIComponent(o.artifactType)}` : '';
    let next: string | URL = `/v2/${repo.repository}/referrers/${parseDigestArg(digest)}${query}`;
    const all: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    let filtered = o.artifactType === undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#call(repo, {
        method: 'GET',
        path: next,
        headers: { accept: MediaType.ociIndex },
        operation: 'list referrers',
        ...signalOf(o),
      });
      if (res.status === 404) {
        await discard(res.body);
        if (page === 0) return undefined;
        throw new BollardError('REGISTRY_HTTP', `list referrers: ${repo.registry} lost a page of referrers (404)`);
      }
      await this.#expectOk(res, 'list referrers', `referrers of ${digest}`);
      const applied = headerValue(res.headers, 'oci-filters-applied') ?? '';
      if (applied.split(',').some((f) => f.trim() === 'artifactType')) filtered = true;
      const raw = await readBounded(res, {
        maxBytes: this.#limits.maxManifestBytes,
        what: `referrers of ${digest}`,
        host: res.url.host,
        operation: 'list referrers',
        limits: this.#limits,
      });
      const doc = parseManifestDocument(raw, this.#limits, MediaType.ociIndex, `referrers of ${digest}`);
      if (doc.kind !== 'index') {
        throw new BollardError(
          'MANIFEST_INVALID',
          `referrers of ${digest}: the registry answered with a manifest, not an index`,
        );
      }
      all.manifests.push(...doc.index.manifests);
      if (all.manifests.length > this.#limits.maxIndexEntries) {
        throw new BollardError('LIMIT_EXCEEDED', `${digest} has more than ${this.#limits.maxIndexEntries} referrers`);
      }
      const link = nextLink(res, repo.registry);
      if (!link) break;
      next = link;
    }
    if (!filtered) all.manifests = all.manifests.filter((d) => d.artifactType === o.artifactType);
    return all;
  }

  /** Release connections. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  async #fetchBlob(repo: RepositoryRef, digest: Digest, o: CallOptions): Promise<HttpResponse> {
    checkRepository(repo);
    const res = await this.#call(repo, {
      method: 'GET',
      path: `/v2/${repo.repository}/blobs/${parseDigestArg(digest)}`,
      operation: 'fetch blob',
      ...signalOf(o),
    });
    if (res.status === 404) {
      throw await this.#notFound(res, `blob ${digest} not found in ${repo.registry}/${repo.repository}`);
    }
    await this.#expectOk(res, 'fetch blob', `blob ${digest}`);
    return res;
  }

  /**
   * One authenticated request: anonymous (or with what we already know works) first; on 401 answer
   * the challenge and try once more; a second 401, or a 403, is REGISTRY_AUTH.
   */
  async #call(repo: RepositoryRef, req: CallRequest): Promise<HttpResponse> {
    const apiHost = registryApiHost({
      registry: repo.registry,
      repository: repo.repository,
      tag: undefined,
      digest: undefined,
    });
    const url = typeof req.path === 'string' ? new URL(`https://${apiHost}${req.path}`) : req.path;
    const scope = repositoryScope(repo.repository, req.push ? 'pull,push' : 'pull');
    const signal = combineSignals(this.#signal, req.signal);
    // Only the registry's own host gets its credentials (upload locations may point elsewhere).
    const ownHost = url.host === apiHost;
    let authorization = ownHost ? await this.#auth.authorize(repo.registry, scope, signal) : undefined;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...req.headers };
      if (authorization) headers.authorization = authorization;
      const res = await this.#transport.request({
        method: req.method,
        url,
        headers,
        ...(req.body ? { body: req.body } : {}),
        operation: req.operation,
        ...(req.idempotent !== undefined ? { idempotent: req.idempotent } : {}),
        ...(signal ? { signal } : {}),
      });
      if (res.status === 401 && ownHost && attempt === 0 && res.url.host === url.host) {
        await discard(res.body);
        authorization = await this.#auth.onUnauthorized(repo.registry, scope, res.headers['www-authenticate'], signal);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        const detail = await this.#errorDetail(res);
        const who = `${repo.registry}/${repo.repository}`;
        const sent = ownHost ? this.#auth.describeSent(repo.registry) : 'no credentials were sent';
        const hint = this.#auth.sentCredentials(repo.registry)
          ? ''
          : '; the repository may be private or may not exist: pass --username/--password or run docker login';
        throw new BollardError(
          'REGISTRY_AUTH',
          `${req.operation}: ${res.url.host} denied access to ${who} (HTTP ${res.status}${detail}); ${sent}${hint}`,
          { details: { status: res.status, registry: repo.registry } },
        );
      }
      return res;
    }
  }

  async #expectOk(res: HttpResponse, operation: string, what: string, push = false): Promise<void> {
    if (res.status >= 200 && res.status <= 299) return;
    const detail = await this.#errorDetail(res);
    throw new BollardError(
      'REGISTRY_HTTP',
      `${operation}: ${res.url.host} answered HTTP ${res.status} for ${what}${detail}`,
      { details: { status: res.status, push } },
    );
  }

  async #notFound(res: HttpResponse, message: string): Promise<BollardError> {
    const detail = await this.#errorDetail(res);
    return new BollardError('TARGET_NOT_FOUND', `${message}${detail}`, { details: { status: 404 } });
  }

  /** The registry's error code and message from an error body, shortened and cleaned; '' when none. */
  async #errorDetail(res: HttpResponse): Promise<string> {
    let raw: Buffer;
    try {
      raw = await readBounded(res, {
        maxBytes: 64 * 1024,
        what: 'error body',
        host: res.url.host,
        operation: 'read error',
        limits: this.#limits,
      });
    } catch {
      abandon(res.body);
      return '';
    }
    try {
      const doc = parseJsonBounded(raw, { maxBytes: 64 * 1024, maxDepth: 8, what: 'error body' });
      const first = isRecord(doc) && Array.isArray(doc.errors) ? doc.errors[0] : undefined;
      if (!isRecord(first)) return '';
      const code = asString(first.code) ?? '';
      const message = asString(first.message) ?? '';
      const text = [code, message].filter((s) => s !== '').join(': ');
      return text ? `: ${clean(text)}` : '';
    } catch {
      return '';
    }
  }
}

function clean(s: string): string {
  return printable(s).slice(0, 200);
}

function signalOf(o: CallOptions): { signal?: AbortSignal } {
  return o.signal ? { signal: o.signal } : {};
}

function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a && b) return AbortSignal.any([a, b]);
  return a ?? b;
}

function manifestTarget(target: Reference | ManifestTarget): ManifestTarget {
  let t: ManifestTarget;
  if ('reference' in target) t = target;
  else {
    const reference = target.digest ?? target.tag;
    if (!reference) throw new BollardError('REFERENCE_INVALID', 'an image reference needs a tag or a digest');
    t = { registry: target.registry, repository: target.repository, reference };
  }
  checkRepository(t);
  if (!isDigest(t.reference) && !TAG_RE.test(t.reference)) {
    throw new BollardError('REFERENCE_INVALID', `"${t.reference.slice(0, 140)}" is neither a tag nor a digest`);
  }
  return t;
}

function checkRepository(repo: RepositoryRef): void {
  if (!REPOSITORY_RE.test(repo.repository) || repo.repository.length > 255) {
    throw new BollardError('REFERENCE_INVALID', `repository "${repo.repository.slice(0, 140)}" is not valid`);
  }
  if (!/^[A-Za-z0-9.\-[\]:]+$/.test(repo.registry)) {
    throw new BollardError('REFERENCE_INVALID', `registry "${repo.registry.slice(0, 140)}" is not a valid host`);
  }
}

function parseDigestArg(digest: Digest): Digest {
  if (!isDigest(digest))
    throw new BollardError('REFERENCE_INVALID', `"${String(digest).slice(0, 140)}" is not a digest`);
  return digest;
}

function mediaTypeOf(res: HttpResponse): string {
  return (headerValue(res.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The document's own mediaType, for registries that serve manifests as application/json. */
function sniffMediaType(raw: Buffer, fallback: string): string {
  try {
    const doc = JSON.parse(raw.toString('utf8')) as unknown;
    return (isRecord(doc) ? asString(doc.mediaType) : undefined) ?? fallback;
  } catch {
    return fallback;
  }
}

/** The `rel="next"` target of a Link header, if it stays on the same registry host. */
function nextLink(res: HttpResponse, registry: string): URL | undefined {
  const link = headerValue(res.headers, 'link');
  if (!link) return undefined;
  const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(link);
  if (!m) return undefined;
  let url: URL;
  try {
    url = new URL(m[1]!, res.url);
  } catch {
    return undefined;
  }
  if (url.host !== res.url.host) {
    throw new BollardError('REGISTRY_HTTP', `${registry} paginated to another host (${url.host.slice(0, 100)})`);
  }
  // Keep the caller's scheme negotiation: a registry URL is always given as https.
  url.protocol = 'https:';
  return url;
}
