import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { isBollardError } from '../util/errors.ts';
import { resolveLimits } from '../util/limits.ts';
import { Authenticator, parseWwwAuthenticate } from './auth.ts';
import type { Credentials } from './credentials.ts';
import { HttpTransport } from './http.ts';

describe('parseWwwAuthenticate', () => {
  test('a Docker Hub bearer challenge', () => {
    assert.deepEqual(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/alpine:pull',
          },
        },
      ],
    );
  });

  test('quoted values keep their commas and escapes; names and schemes are case-insensitive', () => {
    const [c] = parseWwwAuthenticate(
      'BEARER Realm="https://r.example/token?a=1,b=2", scope="repository:a/b:pull,push repository:c:pull", note="say \\"hi\\""',
    );
    assert.equal(c?.scheme, 'bearer');
    assert.equal(c?.params.realm, 'https://r.example/token?a=1,b=2');
    assert.equal(c?.params.scope, 'repository:a/b:pull,push repository:c:pull');
    assert.equal(c?.params.note, 'say "hi"');
  });

  test('several challenges in one header and across headers; unquoted values', () => {
    const cs = parseWwwAuthenticate([
      'Basic realm="Registry Realm", Bearer realm=https://t.example/token,service=reg',
      'Negotiate',
    ]);
    assert.deepEqual(
      cs.map((c) => c.scheme),
      ['basic', 'bearer', 'negotiate'],
    );
    assert.equal(cs[0]?.params.realm, 'Registry Realm');
    assert.equal(cs[1]?.params.realm, 'https://t.example/token');
    assert.equal(cs[1]?.params.service, 'reg');
  });

  test('garbage does not throw', () => {
    for (const h of ['', '=', '"unterminated', 'Bearer realm="x', ',,,', 'Bearer ,=,']) parseWwwAuthenticate(h);
  });
});

function authenticator(creds: Credentials | undefined, now: () => number = Date.now) {
  const transport = new HttpTransport({ limits: resolveLimits({ maxRetries: 0 }) });
  let lookups = 0;
  const auth = new Authenticator({
    transport,
    credentials: async () => {
      lookups++;
      return creds;
    },
    limits: resolveLimits(),
    now,
  });
  return { auth, transport, lookups: () => lookups };
}

describe('Authenticator with a token server', () => {
  let server: ReturnType<typeof createServer>;
  let port = 0;
  const seen: { url: URL; authorization: string | undefined; method: string; body: string }[] = [];
  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        seen.push({ url, authorization: req.headers.authorization, method: req.method ?? '', body });
        if (url.pathname === '/bad-json') return void res.end('<html>');
        if (url.pathname === '/no-token') return void res.end('{"token":""}');
        if (url.pathname === '/evil-token') return void res.end('{"token":"a\\r\\nx-injected: 1"}');
        if (
          req.headers.authorization &&
          req.headers.authorization !== `Basic ${Buffer.from('alice:s3cret').toString('base64')}`
        ) {
          res.writeHead(401).end();
          return;
        }
        const scopes =
          url.searchParams.getAll('scope').join(',') ||
          (new URLSearchParams(body).get('scope') ?? '').replaceAll(' ', ',');
        const useAccessToken = url.searchParams.get('service') === 'oauth-style';
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ [useAccessToken ? 'access_token' : 'token']: `tok:${scopes}`, expires_in: 300 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const a = server.address();
    port = typeof a === 'object' && a ? a.port : 0;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  const challenge = (service = 'reg', path = '/token', scope = 'repository:team/app:pull') =>
    `Bearer realm="http://127.0.0.1:${port}${path}",service="${service}",scope="${scope}"`;
  const alice: Credentials = { kind: 'basic', username: 'alice', password: 's3cret', source: 'test' };

  test('answers a challenge with a token fetched with Basic credentials, then reuses it per scope until it expires', async () => {
    let clock = 1_000_000;
    const { auth, transport, lookups } = authenticator(alice, () => clock);
    try {
      assert.equal(await auth.authorize('reg.example', 'repository:team/app:pull'), undefined, 'anonymous first');
      const h = await auth.onUnauthorized('reg.example', 'repository:team/app:pull', challenge());
      assert.equal(h, 'Bearer tok:repository:team/app:pull');
      const first = seen.at(-1);
      assert.equal(first?.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
      assert.equal(first?.url.searchParams.get('service'), 'reg');
      assert.equal(auth.tokenRequests, 1);
      // Cached for the same scope, fetched again for another.
      assert.equal(await auth.authorize('reg.example', 'repository:team/app:pull'), h);
      assert.equal(auth.tokenRequests, 1);
      assert.equal(
        await auth.authorize('reg.example', 'repository:team/other:pull'),
        'Bearer tok:repository:team/other:pull',
      );
      assert.equal(auth.tokenRequests, 2);
      // expires_in 300 s: still valid at +250 s, renewed at +300 s.
      clock += 250_000;
      await auth.authorize('reg.example', 'repository:team/app:pull');
      assert.equal(auth.tokenRequests, 2);
      clock += 50_000;
      await auth.authorize('reg.example', 'repository:team/app:pull');
      assert.equal(auth.tokenRequests, 3);
      assert.equal(lookups(), 1, 'credentials are resolved once per registry');
      assert.equal(auth.describeSent('reg.example'), 'credentials were sent (from test)');
    } finally {
      await transport.close();
    }
  });

  test('concurrent requests share one token fetch', async () => {
    const { auth, transport } = authenticator(undefined);
    try {
      await auth.onUnauthorized('r2.example', 'repository:a:pull', challenge());
      const start = auth.tokenRequests;
      const hs = await Promise.all(Array.from({ length: 5 }, () => auth.authorize('r2.example', 'repository:b:pull')));
      assert.equal(new Set(hs).size, 1);
      assert.equal(auth.tokenRequests - start, 1);
      assert.equal(seen.at(-1)?.authorization, undefined, 'anonymous token request');
      assert.equal(auth.describeSent('r2.example'), 'no credentials were sent (an anonymous token was used)');
    } finally {
      await transport.close();
    }
  });

  test('access_token responses, refresh-token (identity token) grants, Basic challenges, registry tokens', async () => {
    const { auth, transport } = authenticator(undefined);
    try {
      assert.equal(
        await auth.onUnauthorized('r3.example', 'repository:a:pull', challenge('oauth-style')),
        // Our scope plus the one the challenge named.
        'Bearer tok:repository:a:pull,repository:team/app:pull',
      );
      await assert.rejects(
        auth.onUnauthorized('r4.example', 'repository:a:pull', 'Basic realm="x"'),
        (e: unknown) => isBollardError(e, 'REGISTRY_AUTH') && /no credentials were found/.test(e.message),
      );
    } finally {
      await transport.close();
    }
    const identity = authenticator({ kind: 'identity-token', token: 'refresh-123', source: 'test' });
    try {
      await identity.auth.onUnauthorized('r5.example', 'repository:a:pull', challenge());
      const req = seen.at(-1);
      assert.equal(req?.method, 'POST');
      const form = new URLSearchParams(req?.body);
      assert.equal(form.get('grant_type'), 'refresh_token');
      assert.equal(form.get('refresh_token'), 'refresh-123');
      assert.equal(form.get('service'), 'reg');
    } finally {
      await identity.transport.close();
    }
    const basic = authenticator(alice);
    try {
      const expected = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
      assert.equal(
        await basic.auth.onUnauthorized('r6.example', 'repository:a:pull', 'Basic realm="Registry"'),
        expected,
      );
      assert.equal(await basic.auth.authorize('r6.example', 'repository:b:pull'), expected, 'sent up front afterwards');
    } finally {
      await basic.transport.close();
    }
    const token = authenticator({ kind: 'registry-token', token: 'given', source: 'test' });
    try {
      const start = token.auth.tokenRequests;
      assert.equal(await token.auth.onUnauthorized('r7.example', 'repository:a:pull', challenge()), 'Bearer given');
      assert.equal(token.auth.tokenRequests, start);
    } finally {
      await token.transport.close();
    }
  });

  test('token server failures are REGISTRY_AUTH and never show the password', async () => {
    const wrong = authenticator({
      kind: 'basic',
      username: 'alice',
      password: 'WRONG-pw',
      source: 'the given username and password',
    });
    try {
      await assert.rejects(
        wrong.auth.onUnauthorized('r8.example', 'repository:a:pull', challenge()),
        (e: unknown) =>
          isBollardError(e, 'REGISTRY_AUTH') &&
          /rejected the credentials/.test(e.message) &&
          /credentials were sent/.test(e.message) &&
          !e.message.includes('WRONG-pw'),
      );
      for (const path of ['/bad-json', '/no-token', '/evil-token']) {
        await assert.rejects(
          wrong.auth.onUnauthorized(`r9${path.slice(1)}.example`, 'repository:a:pull', challenge('s', path)),
          (e: unknown) => isBollardError(e, 'REGISTRY_AUTH'),
        );
      }
      await assert.rejects(
        wrong.auth.onUnauthorized('r10.example', 'repository:a:pull', 'Negotiate abc'),
        (e: unknown) => isBollardError(e, 'REGISTRY_AUTH') && /negotiate/.test(e.message),
      );
    } finally {
      await wrong.transport.close();
    }
  });
});
