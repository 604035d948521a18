import type { IncomingHttpHeaders } from 'node:http';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import { BollardError } from '../util/errors.ts';
import type { Limits } from '../util/limits.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { isLoopbackRegistry } from './reference.ts';

/**
 * The HTTP layer of the registry client, on undici. It owns the transport rules (HTTPS by default,
 * plain HTTP or unverified TLS only for loopback hosts or with `insecure`), timeouts, retries with
 * back-off, and manual redirects (so Authorization never leaks to another origin).
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type HttpLimits = Pick<
  Limits,
  'connectTimeoutMs' | 'headersTimeoutMs' | 'bodyTimeoutMs' | 'maxRedirects' | 'maxRetries'
>;

export interface HttpTransportOptions {
  limits: HttpLimits;
  /** Allow plain HTTP and unverified TLS to hosts that are not on loopback. */
  insecure?: boolean;
  logger?: Logger;
  /** First back-off delay between retries; doubles on each retry, with jitter (default 500 ms). */
  retryBaseMs?: number;
  /** Longest wait between retries, including one asked for by Retry-After (default 30 s). */
  maxRetryDelayMs?: number;
  userAgent?: string;
}

export interface HttpRequest {
  method: HttpMethod;
  /** Build registry URLs as `https://`: the transport switches to HTTP where that is allowed and needed. */
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer;
  /** What the request is for, in error messages: "fetch manifest", "fetch token". */
  operation: string;
  /** Retry on network errors, 429 and 5xx. Default: true for GET and HEAD. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects and any switch to plain HTTP. */
  url: URL;
  /** How many redirects were followed. */
  redirects: number;
  body: Readable;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_RETRY_BASE_MS = 500;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;

// TLS errors that mean the other side did not speak TLS at all (a plain HTTP server).
const PLAIN_HTTP_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_RECORD_LAYER_FAILURE',
]);
// Connection failures after which Docker tries plain HTTP for registries allowed to use it.
const FALLBACK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPROTO']);
// Certificate verification failures (Node/OpenSSL codes).
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);
// Transient network failures worth a retry for idempotent requests.
const RETRY_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

export class HttpTransport {
  readonly #limits: HttpLimits;
  readonly #insecure: boolean;
  readonly #logger: Logger;
  readonly #retryBaseMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #userAgent: string;
  readonly #verified: Agent;
  #unverified: Agent | undefined;
  /** host:port of servers found to speak plain HTTP only. */
  readonly #plainHttpHosts = new Set<string>();

  constructor(options: HttpTransportOptions) {
    this.#limits = options.limits;
    this.#insecure = options.insecure === true;
    this.#logger = options.logger ?? silentLogger;
    this.#retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.#userAgent = options.userAgent ?? 'bollard';
    this.#verified = this.#agent(true);
  }

  /** May this host be reached over plain HTTP or with an unverified certificate? */
  allowsInsecure(host: string): boolean {
    return this.#insecure || isLoopbackRegistry(host);
  }

  /** Send a request, following redirects and retrying transient failures. The caller consumes the body. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let method = req.method;
    let body = req.body;
    const headers: Record<string, string> = { 'user-agent': this.#userAgent };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    const idempotent = req.idempotent ?? (method === 'GET' || method === 'HEAD');
    const seen = new Set<string>();
    for (let hop = 0; ; hop++) {
      seen.add(url.href);
      const res = await this.#sendWithRetries(url, method, headers, body, idempotent, req);
      const location = headerValue(res.headers, 'location');
      if (!REDIRECTS.has(res.status) || location === undefined) return { ...res, redirects: hop };
      await discard(res.body);
      let next: URL;
      try {
        next = new URL(location, res.url);
      } catch {
        throw new BollardError('NETWORK', `${req.operation}: ${res.url.host} redirected to an invalid URL`);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new BollardError(
          'NETWORK',
          `${req.operation}: ${res.url.host} redirected to an unsupported scheme ${next.protocol}`,
        );
      }
      if (seen.has(next.href)) {
        throw new BollardError(
          'NETWORK',
          `${req.operation}: redirect loop after ${hop + 1} redirects from ${url.host}`,
          {
            details: { redirects: hop + 1 },
          },
        );
      }
      if (hop + 1 > this.#limits.maxRedirects) {
        throw new BollardError(
          'NETWORK',
          `${req.operation}: more than ${this.#limits.maxRedirects} redirects from ${req.url.host}`,
          { details: { redirects: hop + 1 } },
        );
      }
      // Credentials belong to the registry: blob redirects to object storage must not carry them.
      if (next.origin !== res.url.origin) delete headers.authorization;
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      this.#logger.debug('following redirect', { from: res.url.host, to: next.host, status: res.status });
      url = next;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#verified.close(), this.#unverified?.close()]);
  }

  #agent(verify: boolean): Agent {
    return new Agent({
      connectTimeout: this.#limits.connectTimeoutMs,
      headersTimeout: this.#limits.headersTimeoutMs,
      bodyTimeout: this.#limits.bodyTimeoutMs,
      connect: { rejectUnauthorized: verify },
    });
  }

  async #sendWithRetries(
    url: URL,
    method: HttpMethod,
    headers: Record<string, string>,
    body: Buffer | undefined,
    idempotent: boolean,
    req: HttpRequest,
  ): Promise<Omit<HttpResponse, 'redirects'>> {
    for (let attempt = 0; ; attempt++) {
      const canRetry = idempotent && attempt < this.#limits.maxRetries;
      let res: Omit<HttpResponse, 'redirects'>;
      try {
        res = await this.#sendOnce(url, method, headers, body, req);
      } catch (e) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (e instanceof BollardError) throw e;
        const code = errorCode(e);
        if (canRetry && code !== undefined && RETRY_CODES.has(code)) {
          const wait = this.#backoff(attempt);
          this.#logger.debug('retrying request after a network error', {
            host: url.host,
            operation: req.operation,
            code,
            attempt: attempt + 1,
            delayMs: wait,
          });
          await delay(wait, undefined, req.signal ? { signal: req.signal } : undefined);
          continue;
        }
        throw this.#networkError(e, url, req.operation);
      }
      if (canRetry && (res.status === 429 || (res.status >= 500 && res.status !== 501))) {
        const after = parseRetryAfter(headerValue(res.headers, 'retry-after'), Date.now());
        const wait = Math.min(after ?? this.#backoff(attempt), this.#maxRetryDelayMs);
        await discard(res.body);
        this.#logger.debug('retrying request after a server error', {
          host: url.host,
          operation: req.operation,
          status: res.status,
          attempt: attempt + 1,
          delayMs: wait,
        });
        await delay(wait, undefined, req.signal ? { signal: req.signal } : undefined);
        continue;
      }
      return res;
    }
  }

  /** Exponential back-off with jitter: base·2^n scaled by a random factor in [0.5, 1). */
  #backoff(attempt: number): number {
    const exp = Math.min(this.#retryBaseMs * 2 ** attempt, this.#maxRetryDelayMs);
    return Math.round(exp * (0.5 + Math.random() * 0.5));
  }

  async #sendOnce(
    url: URL,
    method: HttpMethod,
    headers: Record<string, string>,
    body: Buffer | undefined,
    req: HttpRequest,
  ): Promise<Omit<HttpResponse, 'redirects'>> {
    const host = url.host;
    const allowed = this.allowsInsecure(host);
    let target = url;
    if (url.protocol === 'https:' && this.#plainHttpHosts.has(host)) target = withProtocol(url, 'http:');
    if (target.protocol === 'http:' && !allowed) {
      throw new BollardError(
        'REGISTRY_INSECURE',
        `${req.operation}: refusing plain HTTP to ${host}; pass --insecure if you trust the network path to it`,
      );
    }
    try {
      return await this.#dispatch(target, method, headers, body, req, allowed);
    } catch (e) {
      if (target.protocol !== 'https:' || req.signal?.aborted) throw e;
      const code = errorCode(e) ?? '';
      if (allowed && (PLAIN_HTTP_TLS_CODES.has(code) || FALLBACK_CODES.has(code))) {
        // Docker's rule for insecure registries: when HTTPS fails, try plain HTTP and remember it.
        const plain = withProtocol(url, 'http:');
        this.#logger.debug('HTTPS failed, trying plain HTTP', { host, code });
        const res = await this.#dispatch(plain, method, headers, body, req, allowed);
        this.#plainHttpHosts.add(host);
        return res;
      }
      if (PLAIN_HTTP_TLS_CODES.has(code)) {
        throw new BollardError(
          'REGISTRY_INSECURE',
          `${req.operation}: ${host} does not answer over HTTPS (it may serve plain HTTP); pass --insecure if you trust the network path to it`,
          { cause: e },
        );
      }
      if (!allowed && e instanceof Error && /before secure TLS connection/.test(e.message)) {
        throw new BollardError(
          'NETWORK',
          `${req.operation}: ${host} closed the connection during the TLS handshake (if it serves plain HTTP only, pass --insecure)`,
          { cause: e },
        );
      }
      if (CERT_CODES.has(code)) {
        throw new BollardError(
          'REGISTRY_INSECURE',
          `${req.operation}: the TLS certificate of ${host} cannot be verified (${code}); pass --insecure to skip verification`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  async #dispatch(
    url: URL,
    method: HttpMethod,
    headers: Record<string, string>,
    body: Buffer | undefined,
    req: HttpRequest,
    allowUnverified: boolean,
  ): Promise<Omit<HttpResponse, 'redirects'>> {
    let agent = this.#verified;
    if (url.protocol === 'https:' && allowUnverified) {
      this.#unverified ??= this.#agent(false);
      agent = this.#unverified;
    }
    const res = await agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method,
      headers,
      body: body ?? null,
      signal: req.signal ?? null,
      // We retry ourselves; undici must not replay a request on its own.
      idempotent: false,
    });
    return { status: res.statusCode, headers: res.headers, url, body: res.body };
  }

  #networkError(e: unknown, url: URL, operation: string): BollardError {
    return networkError(e, url.host, operation, this.#limits);
  }
}

/** Map an undici/Node network error to a BollardError naming the host and the operation. */
export function networkError(
  e: unknown,
  host: string,
  operation: string,
  limits: Pick<Limits, 'connectTimeoutMs' | 'headersTimeoutMs' | 'bodyTimeoutMs'>,
): BollardError {
  if (e instanceof BollardError) return e;
  const code = errorCode(e);
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new BollardError(
        'TIMEOUT',
        `${operation}: connecting to ${host} took longer than ${limits.connectTimeoutMs} ms`,
        {
          cause: e,
        },
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new BollardError(
        'TIMEOUT',
        `${operation}: ${host} sent no response within ${limits.headersTimeoutMs} ms`,
        {
          cause: e,
        },
      );
    case 'UND_ERR_BODY_TIMEOUT':
      return new BollardError('TIMEOUT', `${operation}: ${host} sent no data for ${limits.bodyTimeoutMs} ms`, {
        cause: e,
      });
    case 'ETIMEDOUT':
      return new BollardError('TIMEOUT', `${operation}: ${host} timed out`, { cause: e });
    case 'ECONNREFUSED':
      return new BollardError('NETWORK', `${operation}: ${host} refused the connection`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new BollardError('NETWORK', `${operation}: cannot resolve ${host}`, { cause: e });
    default:
      return new BollardError('NETWORK', `${operation}: ${host}: ${message}`, { cause: e });
  }
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (Array.isArray(v)) return v[0];
  return v;
}

export function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Replace control characters (CR, LF, escapes) with spaces: registry text goes into one-line messages. */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    out += c < 0x20 || c === 0x7f ? ' ' : ch;
  }
  return out;
}

/** Does a string hold whitespace or control characters (which must never reach a header)? */
export function hasSpaceOrControl(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Drop a body we will not read (undici reports the abort as an error event, which nobody needs). */
export function abandon(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Read and drop a body so its connection can be reused; errors do not matter here. */
export async function discard(body: Readable): Promise<void> {
  const dump = (body as Readable & { dump?: (o?: { limit: number }) => Promise<void> }).dump;
  if (typeof dump === 'function') {
    // Small leftovers are read to keep the connection; big ones close it.
    await dump.call(body, { limit: 64 * 1024 }).catch(() => undefined);
    return;
  }
  abandon(body);
}

export interface ReadBoundedOptions {
  maxBytes: number;
  /** What is read, for messages ("manifest of x"). */
  what: string;
  host: string;
  operation: string;
  limits: Pick<Limits, 'connectTimeoutMs' | 'headersTimeoutMs' | 'bodyTimeoutMs'>;
}

/**
 * Read a response body into memory, refusing more than `maxBytes` whether or not Content-Length
 * announces it (or tells the truth).
 */
export async function readBounded(res: HttpResponse, o: ReadBoundedOptions): Promise<Buffer> {
  const declared = Number(headerValue(res.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > o.maxBytes) {
    abandon(res.body);
    throw tooLarge(o.what, o.maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      total += b.length;
      if (total > o.maxBytes) {
        abandon(res.body);
        throw tooLarge(o.what, o.maxBytes);
      }
      chunks.push(b);
    }
  } catch (e) {
    throw networkError(e, o.host, o.operation, o.limits);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(what: string, max: number, declared?: number): BollardError {
  return new BollardError(
    'LIMIT_EXCEEDED',
    declared === undefined
      ? `${what} is larger than the limit of ${max} bytes`
      : `${what} is ${declared} bytes, over the limit of ${max}`,
  );
}

export interface BoundedStreamOptions {
  /** Most bytes let through before the stream fails with LIMIT_EXCEEDED. */
  maxBytes: number;
  /** Exact size the content must have (from its descriptor); more or fewer bytes fail with DIGEST_MISMATCH. */
  expectedSize?: number;
  what: string;
  host: string;
  operation: string;
  limits: Pick<Limits, 'connectTimeoutMs' | 'headersTimeoutMs' | 'bodyTimeoutMs'>;
  /** Called with the size of every chunk that passes (progress). */
  onBytes?: (n: number) => void;
}

/**
 * Wrap a response body so the consumer sees at most `maxBytes`, network errors arrive as
 * BollardErrors, and destroying the wrapper releases the connection.
 */
export function boundedStream(body: Readable, o: BoundedStreamOptions): Readable {
  let total = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      total += chunk.length;
      if (o.expectedSize !== undefined && total > o.expectedSize) {
        cb(
          new BollardError(
            'DIGEST_MISMATCH',
            `${o.what} is larger than the ${o.expectedSize} bytes its descriptor declares`,
          ),
        );
        return;
      }
      if (total > o.maxBytes) {
        cb(tooLarge(o.what, o.maxBytes));
        return;
      }
      o.onBytes?.(chunk.length);
      cb(null, chunk);
    },
    flush(cb: TransformCallback): void {
      if (o.expectedSize !== undefined && total !== o.expectedSize) {
        cb(
          new BollardError(
            'DIGEST_MISMATCH',
            `${o.what} ended after ${total} bytes, but its descriptor declares ${o.expectedSize}`,
          ),
        );
        return;
      }
      cb();
    },
  });
  body.on('error', (e) => out.destroy(networkError(e, o.host, o.operation, o.limits)));
  out.on('close', () => {
    if (!body.destroyed && !body.readableEnded) abandon(body);
  });
  body.pipe(out);
  return out;
}

function withProtocol(url: URL, protocol: 'http:' | 'https:'): URL {
  const u = new URL(url.href);
  u.protocol = protocol;
  return u;
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  // undici wraps some socket errors; the first coded error in the cause chain is the telling one.
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    cur = cur.cause;
  }
  return undefined;
}
