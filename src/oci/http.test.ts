import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { isBollardError } from '../util/errors.ts';
import { resolveLimits } from '../util/limits.ts';
import type { Logger } from '../util/logger.ts';
import { boundedStream, HttpTransport, parseRetryAfter, readBounded } from './http.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  port: number;
  /** Requests seen, with their headers. */
  seen: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  /** Connections that did not speak HTTP (a TLS ClientHello on a plain HTTP port). */
  clientErrors: number;
  close(): Promise<void>;
}

async function serve(handler: Handler, host = '127.0.0.1', server: Server = createServer()): Promise<TestServer> {
  const t: TestServer = { port: 0, seen: [], clientErrors: 0, close: async () => undefined };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    t.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  server.on('clientError', (_e, socket) => {
    t.clientErrors++;
    // What Node does without a listener, and what a plain HTTP server says to a TLS ClientHello.
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const addr = server.address();
  t.port = typeof addr === 'object' && addr ? addr.port : 0;
  t.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return t;
}

/** This machine's first non-loopback IPv4 address, to reach a server the way a remote registry is reached. */
function externalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this test needs a non-loopback IPv4 address on some interface, and there is none');
}

const fast = resolveLimits({ maxRetries: 2, headersTimeoutMs: 300, maxRedirects: 3 });

function transport(extra: { insecure?: boolean; logger?: Logger; maxRetries?: number } = {}): HttpTransport {
  return new HttpTransport({
    limits: { ...fast, ...(extra.maxRetries !== undefined ? { maxRetries: extra.maxRetries } : {}) },
    retryBaseMs: 5,
    ...(extra.insecure !== undefined ? { insecure: extra.insecure } : {}),
    ...(extra.logger ? { logger: extra.logger } : {}),
  });
}

function capturingLogger(): Logger & { records: { msg: string; fields: Record<string, unknown> }[] } {
  const records: { msg: string; fields: Record<string, unknown> }[] = [];
  const log = (msg: string, fields?: Record<string, unknown>): void => {
    records.push({ msg, fields: fields ?? {} });
  };
  const logger = { records, debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

async function text(
  t: HttpTransport,
  url: string,
  extra: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {},
) {
  const res = await t.request({
    method: extra.method ?? 'GET',
    url: new URL(url),
    operation: 'test fetch',
    ...(extra.headers ? { headers: extra.headers } : {}),
  });
  const body = await readBounded(res, {
    maxBytes: 1024,
    what: 'body',
    host: res.url.host,
    operation: 'test',
    limits: fast,
  });
  return { status: res.status, body: body.toString(), url: res.url, redirects: res.redirects };
}

describe('redirects', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    b = await serve((_req, res) => res.end('from b'));
    a = await serve((req, res) => {
      const url = req.url ?? '';
      if (url === '/blob') {
        res.writeHead(307, { location: `http://localhost:${b.port}/object?sig=1` }).end();
      } else if (url === '/same') {
        res.writeHead(302, { location: '/same-target' }).end();
      } else if (url === '/same-target') {
        res.end(`auth=${req.headers.authorization ?? 'none'}`);
      } else if (url === '/loop1') {
        res.writeHead(302, { location: '/loop2' }).end();
      } else if (url === '/loop2') {
        res.writeHead(302, { location: '/loop1' }).end();
      } else if (url.startsWith('/chain/')) {
        res.writeHead(302, { location: `/chain/${Number(url.slice(7)) + 1}` }).end();
      } else res.writeHead(404).end();
    });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  test('a redirect to another origin drops the Authorization header; a same-origin one keeps it', async () => {
    const t = transport();
    try {
      const r = await text(t, `http://127.0.0.1:${a.port}/blob`, { headers: { authorization: 'Bearer secret-token' } });
      assert.equal(r.body, 'from b');
      assert.equal(r.redirects, 1);
      assert.equal(a.seen.at(-1)?.headers.authorization, 'Bearer secret-token');
      assert.equal(b.seen.length, 1);
      assert.equal(b.seen[0]?.headers.authorization, undefined);
      assert.equal(b.seen[0]?.url, '/object?sig=1');
      const same = await text(t, `http://127.0.0.1:${a.port}/same`, {
        headers: { authorization: 'Bearer secret-token' },
      });
      assert.equal(same.body, 'auth=Bearer secret-token');
    } finally {
      await t.close();
    }
  });

  test('a redirect loop is a NETWORK error naming the chain length', async () => {
    const t = transport();
    try {
      await assert.rejects(
        text(t, `http://127.0.0.1:${a.port}/loop1`),
        (e: unknown) => isBollardError(e, 'NETWORK') && /redirect loop after 2 redirects/.test(e.message),
      );
    } finally {
      await t.close();
    }
  });

  test('more redirects than limits.maxRedirects is a NETWORK error', async () => {
    const t = transport();
    try {
      await assert.rejects(
        text(t, `http://127.0.0.1:${a.port}/chain/0`),
        (e: unknown) => isBollardError(e, 'NETWORK') && /more than 3 redirects/.test(e.message),
      );
      // 1 original + 3 followed redirects reached the server, the 4th was refused.
      assert.equal(a.seen.filter((s) => s.url.startsWith('/chain/')).length, 4);
    } finally {
      await t.close();
    }
  });
});

describe('retries and timeouts', () => {
  test('500 then 200: an idempotent request is retried', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n++;
      if (n === 1) res.writeHead(500).end('boom');
      else res.end('ok');
    });
    const t = transport();
    try {
      const r = await text(t, `http://127.0.0.1:${s.port}/x`);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ok');
      assert.equal(s.seen.length, 2);
    } finally {
      await t.close();
      await s.close();
    }
  });

  test('429 with Retry-After is retried after the delay the server asked for', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n++;
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.end('ok');
    });
    const logger = capturingLogger();
    const t = transport({ logger });
    try {
      const r = await text(t, `http://127.0.0.1:${s.port}/x`);
      assert.equal(r.body, 'ok');
      assert.equal(s.seen.length, 2);
      const retry = logger.records.find((x) => x.msg === 'retrying request after a server error');
      assert.equal(retry?.fields.delayMs, 1000);
      assert.equal(retry?.fields.status, 429);
    } finally {
      await t.close();
      await s.close();
    }
  });

  test('retries stop at limits.maxRetries and the last answer is returned', async () => {
    const s = await serve((_req, res) => res.writeHead(503).end());
    const t = transport();
    try {
      const r = await text(t, `http://127.0.0.1:${s.port}/x`);
      assert.equal(r.status, 503);
      assert.equal(s.seen.length, 3);
    } finally {
      await t.close();
      await s.close();
    }
  });

  test('a POST is not retried', async () => {
    const s = await serve((_req, res) => res.writeHead(500).end());
    const t = transport();
    try {
      const r = await text(t, `http://127.0.0.1:${s.port}/x`, { method: 'POST' });
      assert.equal(r.status, 500);
      assert.equal(s.seen.length, 1);
    } finally {
      await t.close();
      await s.close();
    }
  });

  test('a connection reset is retried', async () => {
    let n = 0;
    const s = await serve((req, res) => {
      n++;
      if (n === 1) req.socket.destroy();
      else res.end('ok');
    });
    const t = transport();
    try {
      const r = await text(t, `http://127.0.0.1:${s.port}/x`);
      assert.equal(r.body, 'ok');
      assert.equal(s.seen.length, 2);
    } finally {
      await t.close();
      await s.close();
    }
  });

  test('a server that never sends headers is a TIMEOUT naming host and operation (retried first)', async () => {
    const s = await serve(() => undefined);
    const t = transport({ maxRetries: 1 });
    try {
      await assert.rejects(
        t.request({ method: 'GET', url: new URL(`http://127.0.0.1:${s.port}/v2/`), operation: 'fetch manifest' }),
        (e: unknown) =>
          isBollardError(e, 'TIMEOUT') &&
          e.message.includes(`127.0.0.1:${s.port}`) &&
          e.message.includes('fetch manifest') &&
          e.message.includes('300 ms'),
      );
      assert.equal(s.seen.length, 2);
    } finally {
      await t.close();
      await s.close();
    }
  });

  test('a signal aborts a request waiting for headers', async () => {
    const s = await serve(() => undefined);
    const t = new HttpTransport({ limits: resolveLimits({ headersTimeoutMs: 60_000 }) });
    try {
      const ac = new AbortController();
      const p = t.request({
        method: 'GET',
        url: new URL(`http://127.0.0.1:${s.port}/`),
        operation: 'x',
        signal: ac.signal,
      });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    } finally {
      await t.close();
      await s.close();
    }
  });

  test('parseRetryAfter reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('bounded bodies', () => {
  let s: TestServer;
  before(async () => {
    s = await serve((req, res) => {
      if (req.url === '/big-declared') res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
      else if (req.url === '/big-chunked') {
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
        res.end();
      } else res.end('small');
    });
  });
  after(() => s.close());

  for (const path of ['/big-declared', '/big-chunked']) {
    test(`a body over the bound is LIMIT_EXCEEDED (${path})`, async () => {
      const t = transport();
      try {
        await assert.rejects(text(t, `http://127.0.0.1:${s.port}${path}`), (e: unknown) =>
          isBollardError(e, 'LIMIT_EXCEEDED'),
        );
      } finally {
        await t.close();
      }
    });
  }

  test('a stream longer than its expected size fails with DIGEST_MISMATCH, a shorter one too', async () => {
    const t = transport();
    try {
      for (const [expectedSize, pattern] of [
        [3, /larger than the 3 bytes/],
        [9, /ended after 5 bytes/],
      ] as const) {
        const res = await t.request({
          method: 'GET',
          url: new URL(`http://127.0.0.1:${s.port}/small`),
          operation: 'x',
        });
        const out = boundedStream(res.body, {
          maxBytes: 100,
          expectedSize,
          what: 'blob',
          host: 'h',
          operation: 'x',
          limits: fast,
        });
        await assert.rejects(
          (async () => {
            for await (const _ of out);
          })(),
          (e: unknown) => isBollardError(e, 'DIGEST_MISMATCH') && pattern.test(e.message),
        );
      }
    } finally {
      await t.close();
    }
  });
});

describe('transport security', () => {
  let plain: TestServer;
  let tls: TestServer;
  let ip: string;
  before(async () => {
    ip = externalIPv4();
    plain = await serve((_req, res) => res.end('plain'), '0.0.0.0');
    const dir = new URL('./__fixtures__/', import.meta.url);
    const server = createHttpsServer({
      cert: readFileSync(new URL('selfsigned-cert.pem', dir)),
      key: readFileSync(new URL('selfsigned-key.pem', dir)),
    });
    tls = await serve((_req, res) => res.end('tls'), '0.0.0.0', server);
  });
  after(async () => {
    await plain.close();
    await tls.close();
  });

  test('plain HTTP to a non-loopback address is refused unless insecure', async () => {
    const t = transport();
    try {
      await assert.rejects(
        text(t, `https://${ip}:${plain.port}/v2/`),
        (e: unknown) =>
          isBollardError(e, 'REGISTRY_INSECURE') && e.message.includes('--insecure') && e.message.includes(ip),
      );
      await assert.rejects(text(t, `http://${ip}:${plain.port}/v2/`), (e: unknown) =>
        isBollardError(e, 'REGISTRY_INSECURE'),
      );
      assert.equal(plain.seen.length, 0);
    } finally {
      await t.close();
    }
    const insecure = transport({ insecure: true });
    try {
      const r = await text(insecure, `https://${ip}:${plain.port}/v2/`);
      assert.equal(r.body, 'plain');
      assert.equal(r.url.protocol, 'http:');
    } finally {
      await insecure.close();
    }
  });

  test('a loopback registry falls back to plain HTTP once and remembers it', async () => {
    const t = transport();
    const start = plain.clientErrors;
    try {
      assert.equal((await text(t, `https://127.0.0.1:${plain.port}/v2/`)).body, 'plain');
      assert.equal((await text(t, `https://127.0.0.1:${plain.port}/v2/x`)).body, 'plain');
      // One TLS ClientHello reached the plain server (the first try); the second request went straight to HTTP.
      assert.equal(plain.clientErrors - start, 1);
    } finally {
      await t.close();
    }
  });

  test('an unverifiable certificate is refused for a non-loopback host unless insecure', async () => {
    const t = transport();
    try {
      await assert.rejects(
        text(t, `https://${ip}:${tls.port}/v2/`),
        (e: unknown) =>
          isBollardError(e, 'REGISTRY_INSECURE') && /certificate/.test(e.message) && e.message.includes('--insecure'),
      );
      assert.equal(tls.seen.length, 0);
    } finally {
      await t.close();
    }
    const insecure = transport({ insecure: true });
    try {
      const r = await text(insecure, `https://${ip}:${tls.port}/v2/`);
      assert.equal(r.body, 'tls');
      assert.equal(r.url.protocol, 'https:');
    } finally {
      await insecure.close();
    }
    // Loopback registries are insecure registries in Docker's sense: TLS without verification.
    const local = transport();
    try {
      assert.equal((await text(local, `https://127.0.0.1:${tls.port}/v2/`)).body, 'tls');
    } finally {
      await local.close();
    }
  });
});
