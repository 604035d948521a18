import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Digest, digestOf } from '../util/digest.ts';
import { isBollardError } from '../util/errors.ts';
import { type Limits, resolveLimits } from '../util/limits.ts';
import { RegistryClient, type RegistryClientOptions } from './registry.ts';
import { MediaType } from './types.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Fake {
  host: string;
  port: number;
  seen: { method: string; url: string; authorization: string | undefined; accept: string | undefined }[];
  close(): Promise<void>;
}

async function serve(handler: Handler, bind = '127.0.0.1'): Promise<Fake> {
  const f: Fake = { host: '', port: 0, seen: [], close: async () => undefined };
  const server = createServer((req, res) => {
    f.seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      accept: req.headers.accept,
    });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, bind, resolve));
  const a = server.address();
  f.port = typeof a === 'object' && a ? a.port : 0;
  f.host = `127.0.0.1:${f.port}`;
  f.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return f;
}

function client(
  extra: Omit<Partial<RegistryClientOptions>, 'limits'> & { limits?: Partial<Limits> } = {},
): RegistryClient {
  const { limits, ...rest } = extra;
  return new RegistryClient({
    // No ambient Docker config: tests give credentials explicitly.
    dockerConfigPath: '/nonexistent/bollard-test/config.json',
    retryBaseMs: 5,
    ...rest,
    limits: resolveLimits({ maxRetries: 2, headersTimeoutMs: 500, ...limits }),
  });
}

const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digestOf('{}'), size: 2 },
    layers: [],
  }),
);
const MANIFEST_DIGEST = digestOf(MANIFEST);
const BLOB = Buffer.from('hello blob');
const BLOB_DIGEST = digestOf(BLOB);
const registryError = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

describe('bearer token authentication against a fake registry and token server', () => {
  let tokens: Fake;
  let objects: Fake;
  let reg: Fake;
  const alice = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
  before(async () => {
    tokens = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('service') !== 'fake-registry') return void res.writeHead(400).end();
      const who = req.headers.authorization === alice ? 'alice' : req.headers.authorization ? 'bad' : 'anon';
      if (who === 'bad') return void res.writeHead(401).end();
      const scope = url.searchParams.getAll('scope').join(',');
      res.setHeader('content-type', 'application/json');
      // Alternate the field name real token servers use (token vs OAuth2 access_token).
      const field = scope.includes('team/other') ? 'access_token' : 'token';
      res.end(JSON.stringify({ [field]: `${who}|${scope}`, expires_in: 300 }));
    });
    objects = await serve((_req, res) => res.end(BLOB));
    reg = await serve((req, res) => {
      const url = req.url ?? '';
      const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(url);
      if (url === '/v2/' || !m) return void res.writeHead(404).end();
      const repo = m[1] ?? '';
      const auth = req.headers.authorization ?? '';
      const [who, scope] = auth.startsWith('Bearer ') ? auth.slice(7).split('|') : ['', ''];
      const allowed =
        scope?.split(',').includes(`repository:${repo}:pull`) &&
        (repo.startsWith('public/') || (who === 'alice' && repo.startsWith('team/')));
      if (!allowed) {
        // A valid token that lacks the rights gets the same 401, as distribution does.
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="http://${tokens.host}/token",service="fake-registry",scope="repository:${repo}:pull",error="insufficient_scope"`,
          'content-type': 'application/json',
        });
        return void res.end(registryError('UNAUTHORIZED', 'authentication required'));
      }
      if (m[2] === 'manifests') {
        res.writeHead(200, { 'content-type': MediaType.ociManifest, 'docker-content-digest': MANIFEST_DIGEST });
        return void res.end(MANIFEST);
      }
      if (m[2] === 'blobs') {
        // Blobs live in object storage on another origin, as on most real registries.
        res.writeHead(307, { location: `http://localhost:${objects.port}/bucket/${m[3]}?X-Amz-Signature=abc` });
        return void res.end();
      }
      res.writeHead(404).end();
    });
  });
  after(async () => {
    await reg.close();
    await tokens.close();
    await objects.close();
  });

  test('anonymous first, then a token fetched with Basic credentials and reused for the same scope', async () => {
    const c = client({ username: 'alice', password: 's3cret' });
    try {
      const start = reg.seen.length;
      const m = await c.getManifest({ registry: reg.host, repository: 'team/app', reference: 'v1' });
      assert.equal(m.digest, MANIFEST_DIGEST);
      assert.equal(m.mediaType, MediaType.ociManifest);
      await c.getManifest({ registry: reg.host, repository: 'team/app', reference: 'v1' });
      const blob = await c.getBlobBuffer({ registry: reg.host, repository: 'team/app' }, BLOB_DIGEST, 1024);
      assert.deepEqual(blob, BLOB);
      assert.equal(c.tokenRequests, 1);
      const mine = reg.seen.slice(start);
      assert.equal(mine[0]?.authorization, undefined, 'the first request is anonymous');
      assert.ok(mine.slice(1).every((s) => s.authorization === 'Bearer alice|repository:team/app:pull'));
      assert.equal(mine.length, 4, '1 anonymous + 3 authorised');
      assert.ok(mine[0]?.accept?.includes(MediaType.ociIndex) && mine[0].accept.includes(MediaType.dockerManifest));
      const tokenReq = tokens.seen.at(-1);
      assert.ok(tokenReq?.url.includes('scope=repository%3Ateam%2Fapp%3Apull'));
      assert.equal(tokenReq?.authorization, alice);
      // Another repository is another scope: one more token (this one comes as access_token).
      await c.getManifest({ registry: reg.host, repository: 'team/other', reference: 'v1' });
      assert.equal(c.tokenRequests, 2);
    } finally {
      await c.close();
    }
  });

  test('a blob redirect to another origin does not carry the Authorization header', async () => {
    const c = client({ username: 'alice', password: 's3cret' });
    try {
      const s = await c.getBlob({ registry: reg.host, repository: 'team/app' }, BLOB_DIGEST, {
        expectedSize: BLOB.length,
      });
      const chunks: Buffer[] = [];
      for await (const chunk of s) chunks.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(chunks), BLOB);
      const atRegistry = reg.seen.filter((x) => x.url.includes('/blobs/')).at(-1);
      assert.equal(atRegistry?.authorization, 'Bearer alice|repository:team/app:pull');
      const atStorage = objects.seen.at(-1);
      assert.ok(atStorage?.url.startsWith('/bucket/'));
      assert.equal(atStorage?.authorization, undefined);
    } finally {
      await c.close();
    }
  });

  test('an anonymous token for a public repository works; for a private one it is REGISTRY_AUTH saying nothing was sent', async () => {
    const c = client();
    try {
      const m = await c.getManifest({ registry: reg.host, repository: 'public/app', reference: 'v1' });
      assert.equal(m.digest, MANIFEST_DIGEST);
      assert.equal(tokens.seen.at(-1)?.authorization, undefined);
      await assert.rejects(
        c.getManifest({ registry: reg.host, repository: 'team/app', reference: 'v1' }),
        (e: unknown) =>
          isBollardError(e, 'REGISTRY_AUTH') &&
          /HTTP 401/.test(e.message) &&
          /no credentials were sent/.test(e.message) &&
          /--username/.test(e.message),
      );
    } finally {
      await c.close();
    }
  });

  test('401 after authenticating with credentials is REGISTRY_AUTH saying they were sent, without them', async () => {
    const c = client({ username: 'alice', password: 's3cret' });
    try {
      await assert.rejects(
        // The fake lets alice pull team/* and public/* only.
        c.getManifest({ registry: reg.host, repository: 'secret/app', reference: 'v1' }),
        (e: unknown) =>
          isBollardError(e, 'REGISTRY_AUTH') &&
          /credentials were sent \(from the given username and password\)/.test(e.message) &&
          /UNAUTHORIZED/.test(e.message) &&
          !e.message.includes('s3cret'),
      );
    } finally {
      await c.close();
    }
    const wrong = client({ username: 'alice', password: 'nope-pw' });
    try {
      await assert.rejects(
        wrong.getManifest({ registry: reg.host, repository: 'team/app', reference: 'v1' }),
        (e: unknown) =>
          isBollardError(e, 'REGISTRY_AUTH') &&
          /rejected the credentials/.test(e.message) &&
          !e.message.includes('nope-pw'),
      );
    } finally {
      await wrong.close();
    }
  });
});

describe('Basic authentication and Docker credential helpers', () => {
  let reg: Fake;
  let dir: string;
  const expected = `Basic ${Buffer.from('helperuser:helperpass').toString('base64')}`;
  before(async () => {
    reg = await serve((req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Registry Realm"' });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': MediaType.ociManifest });
      res.end(MANIFEST);
    });
    dir = mkdtempSync(join(tmpdir(), 'bollard-helper-'));
    mkdirSync(join(dir, 'bin'));
    // docker-credential-bollardtest: the credential-helper protocol in five lines of shell.
    writeFileSync(
      join(dir, 'bin', 'docker-credential-bollardtest'),
      '#!/bin/sh\nread -r server\nprintf \'%s\\n\' "$server" >> "$BOLLARDTEST_LOG"\n' +
        'printf \'{"ServerURL":"%s","Username":"helperuser","Secret":"helperpass"}\' "$server"\n',
    );
    chmodSync(join(dir, 'bin', 'docker-credential-bollardtest'), 0o755);
  });
  after(async () => {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const key of ['credHelpers', 'credsStore'] as const) {
    test(`credentials from ${key} answer a Basic challenge, then go up front`, async () => {
      const configDir = join(dir, key);
      mkdirSync(configDir, { recursive: true });
      writeFileSync(
        join(configDir, 'config.json'),
        JSON.stringify(
          key === 'credHelpers' ? { credHelpers: { [reg.host]: 'bollardtest' } } : { credsStore: 'bollardtest' },
        ),
      );
      const env = {
        ...process.env,
        PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        DOCKER_CONFIG: configDir,
        BOLLARDTEST_LOG: join(dir, 'log'),
      };
      const c = new RegistryClient({ limits: resolveLimits(), env });
      try {
        const start = reg.seen.length;
        await c.getManifest({ registry: reg.host, repository: 'app', reference: 'v1' });
        await c.getManifest({ registry: reg.host, repository: 'other', reference: 'v1' });
        const mine = reg.seen.slice(start);
        assert.deepEqual(
          mine.map((s) => s.authorization),
          [undefined, expected, expected],
        );
      } finally {
        await c.close();
      }
    });
  }

  test('a registry token is sent as a bearer token as is', async () => {
    let seen: string | undefined;
    const r = await serve((req, res) => {
      seen = req.headers.authorization;
      if (req.headers.authorization !== 'Bearer my-registry-token') {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://127.0.0.1:1/never",service="x"' });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': MediaType.ociManifest }).end(MANIFEST);
    });
    const c = client({ registryToken: 'my-registry-token' });
    try {
      await c.getManifest({ registry: r.host, repository: 'app', reference: 'v1' });
      assert.equal(seen, 'Bearer my-registry-token');
      assert.equal(c.tokenRequests, 0);
    } finally {
      await c.close();
      await r.close();
    }
  });
});

describe('manifests, blobs, tags and referrers against a fake registry', () => {
  let reg: Fake;
  let count500 = 0;
  const big = Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(4000) }));
  before(async () => {
    reg = await serve((req, res) => {
      const url = req.url ?? '';
      const json = (status: number, body: string | Buffer, type = 'application/json', headers = {}) => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      switch (url) {
        case '/v2/app/manifests/v1':
          return json(200, MANIFEST, MediaType.ociManifest, { 'docker-content-digest': MANIFEST_DIGEST });
        case `/v2/app/manifests/${MANIFEST_DIGEST}`:
          return json(200, MANIFEST, MediaType.ociManifest);
        case `/v2/app/manifests/${digestOf('other')}`:
          return json(200, MANIFEST, MediaType.ociManifest);
        case '/v2/app/manifests/lying-header':
          return json(200, MANIFEST, MediaType.ociManifest, { 'docker-content-digest': digestOf('x') });
        case '/v2/app/manifests/as-json':
          return json(200, MANIFEST, 'application/json');
        case '/v2/app/manifests/schema1':
          return json(200, '{"schemaVersion":1}', MediaType.dockerSchema1Signed);
        case '/v2/app/manifests/big':
          return json(200, big, MediaType.ociManifest);
        case `/v2/app/blobs/${digestOf('long')}`:
          // No Content-Length: only counting the stream can notice it is longer than declared.
          res.writeHead(200, { 'transfer-encoding': 'chunked' });
          return void res.end('this is longer than declared');
        case '/v2/app/manifests/big-chunked':
          res.writeHead(200, { 'content-type': MediaType.ociManifest });
          for (let i = 0; i < big.length; i += 500) res.write(big.subarray(i, i + 500));
          return void res.end();
        case '/v2/app/manifests/flaky':
          count500++;
          if (count500 % 3 !== 0) return json(500, registryError('UNKNOWN', 'try again'));
          return json(200, MANIFEST, MediaType.ociManifest);
        case '/v2/app/manifests/denied':
          return json(403, registryError('DENIED', 'requested access to the resource is denied'));
        case `/v2/app/blobs/${BLOB_DIGEST}`:
          return json(200, BLOB, 'application/octet-stream');
        case `/v2/app/blobs/${digestOf('tampered')}`:
          return json(200, 'not tampered', 'application/octet-stream');
        case '/v2/app/tags/list':
          return json(200, JSON.stringify({ name: 'app', tags: ['a', 'b'] }), 'application/json', {
            link: '</v2/app/tags/list?last=b&n=2>; rel="next"',
          });
        case '/v2/app/tags/list?last=b&n=2':
          return json(200, JSON.stringify({ name: 'app', tags: ['c', 'bad tag!', 7] }));
        case `/v2/app/referrers/${MANIFEST_DIGEST}`:
        case `/v2/app/referrers/${MANIFEST_DIGEST}?artifactType=application%2Fvnd.example.sbom`:
          return json(
            200,
            JSON.stringify({
              schemaVersion: 2,
              mediaType: MediaType.ociIndex,
              manifests: [
                {
                  mediaType: MediaType.ociManifest,
                  digest: digestOf('s'),
                  size: 10,
                  artifactType: 'application/vnd.example.sig',
                },
                {
                  mediaType: MediaType.ociManifest,
                  digest: digestOf('b'),
                  size: 11,
                  artifactType: 'application/vnd.example.sbom',
                },
              ],
            }),
            MediaType.ociIndex,
          );
        default:
          return json(404, registryError('MANIFEST_UNKNOWN', 'manifest unknown'));
      }
    });
  });
  after(() => reg.close());
  const app = () => ({ registry: reg.host, repository: 'app' });

  test('by tag: the digest is computed and checked against Docker-Content-Digest', async () => {
    const c = client();
    try {
      assert.equal((await c.getManifest({ ...app(), reference: 'v1' })).digest, MANIFEST_DIGEST);
      await assert.rejects(c.getManifest({ ...app(), reference: 'lying-header' }), (e: unknown) =>
        isBollardError(e, 'DIGEST_MISMATCH'),
      );
      // application/json from old registries: the media type comes from the document.
      assert.equal((await c.getManifest({ ...app(), reference: 'as-json' })).mediaType, MediaType.ociManifest);
    } finally {
      await c.close();
    }
  });

  test('by digest: the content is verified', async () => {
    const c = client();
    try {
      assert.equal((await c.getManifest({ ...app(), reference: MANIFEST_DIGEST })).digest, MANIFEST_DIGEST);
      await assert.rejects(c.getManifest({ ...app(), reference: digestOf('other') }), (e: unknown) =>
        isBollardError(e, 'DIGEST_MISMATCH'),
      );
      const head = await c.headManifest({ ...app(), reference: 'v1' });
      assert.deepEqual(head, { digest: MANIFEST_DIGEST, mediaType: MediaType.ociManifest, size: MANIFEST.length });
    } finally {
      await c.close();
    }
  });

  test('a manifest over maxManifestBytes is LIMIT_EXCEEDED with and without Content-Length', async () => {
    const c = client({ limits: { maxManifestBytes: 1000 } });
    try {
      for (const reference of ['big', 'big-chunked']) {
        await assert.rejects(c.getManifest({ ...app(), reference }), (e: unknown) =>
          isBollardError(e, 'LIMIT_EXCEEDED'),
        );
      }
      assert.ok((await c.getManifest({ ...app(), reference: 'v1' })).raw.length < 1000);
    } finally {
      await c.close();
    }
  });

  test('schema 1, missing, forbidden and failing manifests map to their error codes', async () => {
    const c = client();
    try {
      await assert.rejects(c.getManifest({ ...app(), reference: 'schema1' }), (e: unknown) =>
        isBollardError(e, 'MANIFEST_UNSUPPORTED'),
      );
      await assert.rejects(
        c.getManifest({ ...app(), reference: 'nope' }),
        (e: unknown) => isBollardError(e, 'TARGET_NOT_FOUND') && /MANIFEST_UNKNOWN: manifest unknown/.test(e.message),
      );
      await assert.rejects(
        c.getManifest({ ...app(), reference: 'denied' }),
        (e: unknown) => isBollardError(e, 'REGISTRY_AUTH') && /HTTP 403/.test(e.message) && /DENIED/.test(e.message),
      );
      // 500, 500, 200: two retries are allowed.
      assert.equal((await c.getManifest({ ...app(), reference: 'flaky' })).digest, MANIFEST_DIGEST);
      const one = client({ limits: { maxRetries: 1 } });
      try {
        await assert.rejects(
          one.getManifest({ ...app(), reference: 'flaky' }),
          (e: unknown) =>
            isBollardError(e, 'REGISTRY_HTTP') && /HTTP 500/.test(e.message) && /try again/.test(e.message),
        );
      } finally {
        await one.close();
      }
      await assert.rejects(c.getManifest({ ...app(), reference: '../../etc' }), (e: unknown) =>
        isBollardError(e, 'REFERENCE_INVALID'),
      );
    } finally {
      await c.close();
    }
  });

  test('blobs: verified in memory, bounded as streams', async () => {
    const c = client();
    try {
      assert.deepEqual(await c.getBlobBuffer(app(), BLOB_DIGEST, 100), BLOB);
      await assert.rejects(c.getBlobBuffer(app(), digestOf('tampered'), 100), (e: unknown) =>
        isBollardError(e, 'DIGEST_MISMATCH'),
      );
      await assert.rejects(c.getBlobBuffer(app(), BLOB_DIGEST, 5), (e: unknown) => isBollardError(e, 'LIMIT_EXCEEDED'));
      await assert.rejects(c.getBlob(app(), BLOB_DIGEST, { expectedSize: 3 }), (e: unknown) =>
        isBollardError(e, 'DIGEST_MISMATCH'),
      );
      await assert.rejects(c.getBlob(app(), BLOB_DIGEST, { maxBytes: 3 }), (e: unknown) =>
        isBollardError(e, 'LIMIT_EXCEEDED'),
      );
      const long = await c.getBlob(app(), digestOf('long'), { expectedSize: 4 });
      await assert.rejects(
        (async () => {
          for await (const _ of long);
        })(),
        (e: unknown) => isBollardError(e, 'DIGEST_MISMATCH') && /larger than the 4 bytes/.test(e.message),
      );
      await assert.rejects(c.getBlob(app(), digestOf('absent') as Digest), (e: unknown) =>
        isBollardError(e, 'TARGET_NOT_FOUND'),
      );
    } finally {
      await c.close();
    }
  });

  test('tags follow Link pagination and skip malformed entries', async () => {
    const c = client();
    try {
      assert.deepEqual(await c.listTags(app()), ['a', 'b', 'c']);
    } finally {
      await c.close();
    }
  });

  test('referrers: an index when supported (filtered by artifactType), undefined on 404', async () => {
    const c = client();
    try {
      const all = await c.getReferrers(app(), MANIFEST_DIGEST);
      assert.equal(all?.manifests.length, 2);
      const sboms = await c.getReferrers(app(), MANIFEST_DIGEST, { artifactType: 'application/vnd.example.sbom' });
      assert.deepEqual(
        sboms?.manifests.map((d) => d.artifactType),
        ['application/vnd.example.sbom'],
      );
      assert.equal(await c.getReferrers(app(), digestOf('unknown')), undefined);
    } finally {
      await c.close();
    }
  });

  test('the client signal aborts requests', async () => {
    const hang = await serve(() => undefined);
    const ac = new AbortController();
    const c = client({ signal: ac.signal, limits: { headersTimeoutMs: 60_000 } });
    try {
      const p = c.getManifest({ registry: hang.host, repository: 'app', reference: 'v1' });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    } finally {
      await c.close();
      await hang.close();
    }
  });
});

describe('plain HTTP to a registry that is not on loopback', () => {
  test('is refused unless insecure (fake registry bound to 0.0.0.0, reached through a non-loopback address)', async () => {
    let ip: string | undefined;
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (!ip && a.family === 'IPv4' && !a.internal) ip = a.address;
    }
    if (!ip) throw new Error('this test needs a non-loopback IPv4 address on some interface, and there is none');
    const reg = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MediaType.ociManifest }).end(MANIFEST);
    }, '0.0.0.0');
    const target = { registry: `${ip}:${reg.port}`, repository: 'app', reference: 'v1' };
    const strict = client();
    const insecure = client({ insecure: true });
    try {
      await assert.rejects(
        strict.getManifest(target),
        (e: unknown) => isBollardError(e, 'REGISTRY_INSECURE') && e.message.includes('--insecure'),
      );
      assert.equal(reg.seen.length, 0);
      assert.equal((await insecure.getManifest(target)).digest, MANIFEST_DIGEST);
      assert.equal(reg.seen.length, 1);
    } finally {
      await strict.close();
      await insecure.close();
      await reg.close();
    }
  });
});
