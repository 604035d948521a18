import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { toyAnalyzer } from '../../test/helpers/layers.ts';
import type { LayerAnalysis } from '../analyzers/types.ts';
import { digestOf } from '../util/digest.ts';
import { resolveLimits } from '../util/limits.ts';
import { analyzersKey, cacheInfo, cleanCache, openLayerCache } from './cache.ts';

const dir = mkdtempSync(join(tmpdir(), 'bollard-cache-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const analysis: LayerAnalysis = {
  schema: 1,
  analyzers: { toy: 1 },
  items: [{ kind: 'packages', analyzer: 'toy', path: 'a.pkgdb', packages: [] }],
  paths: ['a.pkgdb'],
  whiteouts: [],
  opaqueDirs: [],
  links: [],
  stats: { entries: 1, files: 1, bytes: 1, analyzed: { toy: { files: 1, errors: 0 } } },
  warnings: [],
};

describe('layer cache', () => {
  const diffId = digestOf('layer');
  const key = analyzersKey([toyAnalyzer], resolveLimits());

  test('round trip, keyed by diffID and analyzer versions', () => {
    const c = openLayerCache(dir);
    assert.equal(c.get(diffId, key), undefined);
    c.put(diffId, key, analysis);
    assert.deepEqual(c.get(diffId, key), analysis);
    const bumped = analyzersKey([{ ...toyAnalyzer, version: 2 }], resolveLimits());
    assert.notEqual(bumped, key);
    assert.equal(c.get(diffId, bumped), undefined);
    assert.equal(c.get(digestOf('other'), key), undefined);
    assert.equal(cacheInfo(dir).entries, 1);
  });

  test('a damaged entry is a miss, not an error', () => {
    const c = openLayerCache(dir);
    const hex = diffId.slice(7);
    writeFileSync(join(dir, 'layers', 'v1', hex.slice(0, 2), `${hex}-${key}.json`), '{"diffId": "sha256:');
    assert.equal(c.get(diffId, key), undefined);
    c.put(diffId, key, analysis);
    assert.deepEqual(c.get(diffId, key), analysis);
  });

  test('two processes writing the same entries at once never leave a partial file', async () => {
    const script = `
      import { openLayerCache } from ${JSON.stringify(new URL('./cache.ts', import.meta.url).href)};
      const c = openLayerCache(process.argv[1]);
      const a = JSON.parse(process.argv[2]);
      for (let i = 0; i < 200; i++) {
        const d = 'sha256:' + String(i % 20).padStart(64, '0');
        c.put(d, 'k', a);
        const got = c.get(d, 'k');
        if (got && got.schema !== 1) { console.error('partial read'); process.exit(3); }
      }`;
    const run = () =>
      new Promise<number>((resolve) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', script, dir, JSON.stringify(analysis)], {
          stdio: 'inherit',
        });
        p.on('exit', (code) => resolve(code ?? -1));
      });
    const codes = await Promise.all([run(), run(), run()]);
    assert.deepEqual(codes, [0, 0, 0]);
    const leftovers = readdirSync(join(dir, 'layers', 'v1'), { recursive: true }).filter((f) =>
      String(f).endsWith('.tmp'),
    );
    assert.deepEqual(leftovers, []);
    cleanCache(dir);
    assert.equal(cacheInfo(dir).entries, 0);
  });
});
