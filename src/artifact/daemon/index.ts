import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'undici';
import { parseImageConfig } from '../../oci/manifest.ts';
import { checkRequestedPlatform, parsePlatform } from '../../oci/platform.ts';
import { parseReference, type Reference } from '../../oci/reference.ts';
import { type Digest, isDigest } from '../../util/digest.ts';
import { BollardError, toBollardError } from '../../util/errors.ts';
import { asNumber, asString, asStringArray, isRecord, parseJsonBounded } from '../../util/json.ts';
import type { Limits } from '../../util/limits.ts';
import { openDockerArchiveIndex } from '../docker-archive/index.ts';
import { buildImageMetadata } from '../metadata.ts';
import { openArchive } from '../tar-index.ts';
import type { ArtifactOptions, ImageArtifact } from '../types.ts';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Where the engine listens: a unix socket, or a plain-HTTP TCP address. */
export interface DaemonEndpoint {
  /** As the user would write it, for messages (`unix:///var/run/docker.sock`). */
  display: string;
  origin: string;
  socketPath?: string;
}

/**
 * Parse a Docker host: `unix:///path`, a bare socket path, or `tcp://host:port`. TLS (`DOCKER_TLS_VERIFY`),
 * `ssh://` and `npipe://` are refused rather than silently downgraded.
 */
export function parseDaemonHost(host: string, env: NodeJS.ProcessEnv = process.env): DaemonEndpoint {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/'))
      throw new BollardError('USAGE', `Docker host ${host} needs an absolute socket path`);
    return { display: host, origin: 'http://localhost', socketPath };
  }
  if (host.startsWith('/')) return { display: `unix://${host}`, origin: 'http://localhost', socketPath: host };
  if (host.startsWith('tcp://') || host.startsWith('http://')) {
    if (env.DOCKER_TLS_VERIFY) {
      throw new BollardError('USAGE', 'TLS connections to the Docker daemon (DOCKER_TLS_VERIFY) are not supported yet');
    }
    let url: URL;
    try {
      url = new URL(`http://${host.slice(host.indexOf('://') + 3)}`);
    } catch {
      throw new BollardError('USAGE', `Docker host ${host} is not a valid tcp://HOST:PORT address`);
    }
    if (!url.port || url.pathname !== '/' || url.username || url.search) {
      throw new BollardError('USAGE', `Docker host ${host} is not a valid tcp://HOST:PORT address`);
    }
    return { display: host, origin: url.origin };
  }
  throw new BollardError(
    'USAGE',
    `Docker host ${host.slice(0, 200)} is not supported (use unix:///PATH or tcp://HOST:PORT)`,
  );
}

/** Image IDs (`sha256:<hex>`, or a hex prefix of at least 12 digits) or references. */
function validateName(name: string): { reference?: Reference } {
  if (/^(?:sha256:)?[a-f0-9]{12,64}$/.test(name)) return {};
  return { reference: parseReference(name) };
}

/**
 * An image in a Docker-compatible engine (`docker-daemon:REF`). Metadata comes from the inspect and
 * history endpoints without exporting anything; the image is exported (a docker-archive stream,
 * spooled to the private temp root) only when a layer is first opened, so layers already in the
 * layer cache cost nothing.
 */
export async function openDaemonImage(input: string, name: string, opts: ArtifactOptions): Promise<ImageArtifact> {
  const { limits } = opts;
  const { reference } = validateName(name);
  const endpoint = parseDaemonHost(opts.daemon?.host ?? process.env.DOCKER_HOST ?? DEFAULT_DOCKER_SOCKET);
  const client = new Client(endpoint.origin, {
    ...(endpoint.socketPath ? { socketPath: endpoint.socketPath } : {}),
    connectTimeout: limits.connectTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    bodyTimeout: limits.bodyTimeoutMs,
  });
  const api = daemonApi(client, endpoint, limits, opts.signal);
  try {
    await api.ping();
    const path = `/images/${encodeName(name)}`;
    const inspect = await api.getJson(`${path}/json`, `image ${name}`);
    const history = await api.getJson(`${path}/history`, `history of image ${name}`);
    if (!isRecord(inspect))
      throw new BollardError('MANIFEST_INVALID', `${endpoint.display}: inspect answer is not an object`);
    const id = imageId(inspect.Id, endpoint.display);
    const rootfs = isRecord(inspect.RootFS) ? inspect.RootFS : {};
    const configDoc = {
      architecture: asString(inspect.Architecture) ?? '',
      os: asString(inspect.Os) ?? '',
      ...(asString(inspect.Variant) ? { variant: asString(inspect.Variant) } : {}),
      ...(asString(inspect.Created) ? { created: asString(inspect.Created) } : {}),
      ...(asString(inspect.Author) ? { author: asString(inspect.Author) } : {}),
      config: isRecord(inspect.Config) ? inspect.Config : {},
      rootfs: { type: asString(rootfs.Type) ?? 'layers', diff_ids: rootfs.Layers ?? [] },
      history: historyEntries(history),
    };
    // Through the same validation as a config blob: digests, counts and types are checked there.
    const config = parseImageConfig(
      Buffer.from(JSON.stringify(configDoc)),
      limits,
      `${endpoint.display} image ${name}`,
    );
    checkRequestedPlatform(config, opts.platform ? parsePlatform(opts.platform) : undefined, name);
    const repoTags = (asStringArray(inspect.RepoTags) ?? []).filter((t) => t !== '<none>:<none>');
    const repoDigests = (asStringArray(inspect.RepoDigests) ?? []).filter((t) => !t.startsWith('<none>@'));
    const metadata = buildImageMetadata({
      kind: 'docker-daemon',
      input,
      name,
      ...(reference ? { reference } : {}),
      config,
      configDigest: id,
      repoTags,
      repoDigests,
    });

    let exported: Promise<ImageArtifact> | undefined;
    const spools: string[] = [];
    const exportImage = async (): Promise<ImageArtifact> => {
      const spool = opts.tempRoot.file('daemon-export.tar');
      spools.push(spool);
      try {
        // By Id, not by name: a tag moved since inspect must not swap the image under us.
        await api.download(`/images/${encodeName(id)}/get`, spool, `export of image ${name}`, opts);
        const tar = await openArchive(spool, {
          limits,
          tempRoot: opts.tempRoot,
          what: `export of ${name}`,
          warn: (msg, fields) => opts.logger.warn(msg, fields),
        });
        const archive = await openDockerArchiveIndex(input, tar, `export of ${name}`, undefined, opts, 'docker-daemon');
        const got = archive.metadata;
        const sameLayers =
          got.layers.length === metadata.layers.length &&
          got.layers.every((l, i) => l.diffId === metadata.layers[i]?.diffId);
        if (got.configDigest !== id || !sameLayers) {
          await archive.close();
          throw new BollardError(
            'DIGEST_MISMATCH',
            `${endpoint.display} exported a different image than it described for ${name} (config ${got.configDigest}, expected ${id})`,
          );
        }
        return archive;
      } catch (e) {
        await rm(spool, { force: true });
        throw e;
      }
    };
    const exportOnce = (): Promise<ImageArtifact> => {
      if (!exported) {
        const p = exportImage();
        exported = p;
        // A failed export may be tried again by a later call.
        p.catch(() => {
          if (exported === p) exported = undefined;
        });
      }
      return exported;
    };

    return {
      kind: 'image',
      metadata,
      async openLayer(index: number, signal?: AbortSignal): Promise<Readable> {
        if (index < 0 || index >= metadata.layers.length) {
          throw new BollardError('INTERNAL', `layer ${index} does not exist (the image has ${metadata.layers.length})`);
        }
        const archive = await exportOnce();
        return archive.openLayer(index, signal);
      },
      async close(): Promise<void> {
        const pending = exported;
        exported = undefined;
        if (pending) await pending.then((a) => a.close()).catch(() => {});
        for (const spool of spools) await rm(spool, { force: true });
        await client.close().catch(() => {});
      },
    };
  } catch (e) {
    await client.destroy().catch(() => {});
    throw e;
  }
}

/** Path-safe image name: references and IDs only hold these characters, but never trust that. */
function encodeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._\-/:@]/g, (c) => encodeURIComponent(c));
}

function imageId(v: unknown, where: string): Digest {
  const s = asString(v) ?? '';
  const d = /^[a-f0-9]{64}$/.test(s) ? `sha256:${s}` : s;
  if (!isDigest(d)) throw new BollardError('MANIFEST_INVALID', `${where}: image Id ${s.slice(0, 80)} is not a digest`);
  return d;
}

/** /history lists the newest step first, with Size 0 for steps that made no layer. */
function historyEntries(v: unknown): Record<string, unknown>[] {
  if (!Array.isArray(v)) return [];
  const out: Record<string, unknown>[] = [];
  for (const h of v.toReversed()) {
    if (!isRecord(h)) continue;
    const e: Record<string, unknown> = {};
    const created = asNumber(h.Created);
    if (created !== undefined && created > 0 && created < 1e11) e.created = new Date(created * 1000).toISOString();
    const by = asString(h.CreatedBy);
    if (by !== undefined) e.created_by = by;
    const comment = asString(h.Comment);
    if (comment) e.comment = comment;
    if (asNumber(h.Size) === 0) e.empty_layer = true;
    out.push(e);
  }
  return out;
}

interface DaemonApi {
  ping(): Promise<void>;
  getJson(path: string, what: string): Promise<unknown>;
  download(path: string, dest: string, what: string, opts: ArtifactOptions): Promise<void>;
}

function daemonApi(
  client: Client,
  endpoint: DaemonEndpoint,
  limits: Limits,
  signal: AbortSignal | undefined,
): DaemonApi {
  const unavailable = (e: unknown): BollardError =>
    new BollardError(
      'DAEMON_UNAVAILABLE',
      `no container engine answers on ${endpoint.display} (start one, or set DOCKER_HOST): ${(e as Error).message ?? String(e)}`,
      { cause: e, details: { host: endpoint.display } },
    );

  async function request(path: string) {
    try {
      return await client.request({ path, method: 'GET', ...(signal ? { signal } : {}) });
    } catch (e) {
      const be = toBollardError(e, `${endpoint.display} ${path}`);
      if (be.code === 'TIMEOUT') throw be;
      throw unavailable(e);
    }
  }

  async function readBody(body: Readable, max: number, what: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) {
        body.destroy();
        throw new BollardError('LIMIT_EXCEEDED', `${endpoint.display}: ${what} is larger than ${max} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  async function failure(status: number, body: Readable, what: string): Promise<BollardError> {
    const text = await readBody(body, 64 * 1024, what).catch(() => Buffer.alloc(0));
    let message = '';
    try {
      const doc = JSON.parse(text.toString('utf8')) as unknown;
      if (isRecord(doc)) message = asString(doc.message) ?? '';
    } catch {
      message = text.toString('utf8');
    }
    message = message.replace(/\s+/g, ' ').slice(0, 200);
    if (status === 404) {
      return new BollardError('TARGET_NOT_FOUND', `${what} not found in the container engine at ${endpoint.display}`, {
        details: { status, message },
      });
    }
    return new BollardError(
      'DAEMON_UNAVAILABLE',
      `container engine at ${endpoint.display} answered HTTP ${status} for ${what}${message ? `: ${message}` : ''}`,
      { details: { status } },
    );
  }

  return {
    async ping() {
      const res = await request('/_ping');
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw unavailable(new Error(`/_ping answered HTTP ${res.statusCode}`));
      }
      await res.body.dump();
    },
    async getJson(path, what) {
      const res = await request(path);
      if (res.statusCode !== 200) throw await failure(res.statusCode, res.body, what);
      const raw = await readBody(res.body, limits.maxJsonBytes, what);
      return parseJsonBounded(raw, {
        maxBytes: limits.maxJsonBytes,
        maxDepth: limits.maxJsonDepth,
        what: `${endpoint.display} ${what}`,
      });
    },
    async download(path, dest, what, opts) {
      const res = await request(path);
      if (res.statusCode !== 200) throw await failure(res.statusCode, res.body, what);
      const max = limits.maxSpoolBytes;
      const task = opts.progress.task(what, undefined, 'bytes');
      let total = 0;
      const bound = new Transform({
        transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
          total += chunk.length;
          if (total > max) {
            cb(
              new BollardError(
                'LIMIT_EXCEEDED',
                `${endpoint.display}: ${what} is larger than ${max} bytes (maxSpoolBytes)`,
              ),
            );
            return;
          }
          task.update(total);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(res.body, bound, createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
        task.done();
      } catch (e) {
        task.fail();
        await rm(dest, { force: true });
        throw toBollardError(e, `${endpoint.display} ${what}`);
      }
    },
  };
}
