// Acceptance (#2): a second scan of an image reads no layer it has seen. Through a counting proxy in
// front of the real loopback registry, and through podman's API (no export on the second scan).
// Needs `scripts/test-env.sh up`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inventoryTarget } from '../../src/scan/service.ts';
import { testEnv } from '../helpers/env.ts';

const env = testEnv();
const work = mkdtempSync(join(tmpdir(), 'bollard-cache-e2e-'));
const seen: string[] = [];
let proxy: Server;
let proxyHost = '';

before(async () => {
  const [host, port] = env.registry.split(':');
  proxy = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const up = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(() => {
  proxy.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the layer cache (needs test-env)', () => {
  test('registry: the second scan fetches the manifest and config, no layer blob', async () => {
    const target = env.registryImage.replace(env.registry, proxyHost);
    const cacheDir = join(work, 'registry-cache');
    const first = await inventoryTarget(target, { cacheDir });
    const layerDigests = new Set(first.target.image?.layers.map((l) => l.digest));
    const blobGets = (): string[] =>
      seen.filter(
        (s) => s.startsWith('GET ') && /\/blobs\//.test(s) && [...layerDigests].some((d) => s.endsWith(d ?? '!')),
      );
    assert.equal(blobGets().length, layerDigests.size, 'the first scan reads every layer');
    seen.length = 0;
    const second = await inventoryTarget(target, { cacheDir });
    assert.deepEqual(blobGets(), [], 'no layer blob on the second scan');
    assert.ok(
      seen.some((s) => s.includes('/manifests/')),
      'the manifest is still resolved (tags move)',
    );
    assert.deepEqual(second.inventory, first.inventory);
    assert.equal(second.stats.layersFromCache, first.stats.layers);
  });

  test('daemon: the second scan exports nothing', async () => {
    // A unix-socket relay in front of podman's API records the request lines it carries.
    const requests: string[] = [];
    const relayPath = join(work, 'relay.sock');
    const relay = createNetServer((client) => {
      const upstream = connect(env.podmanSocket);
      client.on('data', (c: Buffer) => {
        for (const m of c.toString('latin1').matchAll(/^(GET|POST|HEAD) (\S+) HTTP\/1\.1$/gm))
          requests.push(`${m[1]} ${m[2]}`);
      });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(relayPath, r));
    try {
      const cacheDir = join(work, 'daemon-cache');
      const daemon = { host: `unix://${relayPath}` };
      const exports = (): string[] => requests.filter((r) => /\/images\/.+\/get\b/.test(r));
      const first = await inventoryTarget(`docker-daemon:${env.images.podman}`, { cacheDir, daemon });
      assert.equal(exports().length, 1, 'the first scan exports the image once');
      requests.length = 0;
      const second = await inventoryTarget(`docker-daemon:${env.images.podman}`, { cacheDir, daemon });
      assert.ok(
        requests.some((r) => r.includes('/json')),
        'metadata is still read from the engine',
      );
      assert.deepEqual(exports(), [], 'no export on the second scan');
      assert.equal(second.stats.layersWalked, 0);
      assert.deepEqual(second.inventory, first.inventory);
    } finally {
      relay.close();
    }
  });
});
