// The contract every registered analyzer must keep (one test loops over the registry).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { resolveLimits } from '../util/limits.ts';
import { createTempRoot } from '../util/tempdir.ts';
import { analyzers } from './api.ts';
import type { AnalyzerContext } from './types.ts';

const tempRoot = createTempRoot();
after(() => tempRoot.dispose());

describe('analyzer registry contract', () => {
  test('ids are unique and stable-looking; versions are positive integers', () => {
    const ids = analyzers.map((a) => a.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const a of analyzers) {
      assert.match(a.id, /^[a-z][a-z0-9-]*$/);
      assert.ok(Number.isInteger(a.version) && a.version > 0, a.id);
    }
  });

  for (const a of analyzers) {
    test(`${a.id}: wants() is pure on ordinary paths and analyze() survives hostile bytes`, async () => {
      const entry = { path: 'usr/bin/ls', type: 'file' as const, mode: 0o755, uid: 0, gid: 0, size: 10 };
      assert.equal(a.wants('usr/bin/ls', entry), false, 'a random binary is not wanted');
      const warnings: string[] = [];
      const ctx: AnalyzerContext = {
        layer: undefined,
        limits: resolveLimits(),
        tempRoot,
        warn: (code) => void warnings.push(code),
      };
      const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));
      // Feed garbage under every path the analyzer might want.
      for (const path of [
        'var/lib/dpkg/status',
        'lib/apk/db/installed',
        'var/lib/rpm/Packages',
        'var/lib/rpm/rpmdb.sqlite',
        'etc/os-release',
      ]) {
        const e = { ...entry, path, size: garbage.length };
        if (!a.wants(path, e)) continue;
        const items = await a.analyze({ path, entry: e, content: garbage }, ctx);
        assert.ok(Array.isArray(items));
        for (const it of items) assert.equal(it.analyzer, a.id);
      }
    });
  }
});
