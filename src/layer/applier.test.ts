import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toyAnalyzer } from '../../test/helpers/layers.ts';
import type { AnalysisItem, LayerAnalysis } from '../analyzers/types.ts';
import { applyLayers, resolveInRoot } from './applier.ts';

function db(path: string, ...pkgs: string[]): AnalysisItem {
  return {
    kind: 'packages',
    analyzer: 'toy',
    path,
    packages: pkgs.map((s) => {
      const [name = '', version = '1'] = s.split('@');
      return { type: 'deb', name, version, licenses: [], location: { path } };
    }),
  };
}

function layer(parts: Partial<LayerAnalysis>): LayerAnalysis {
  return {
    schema: 1,
    analyzers: { toy: 1 },
    items: [],
    paths: [],
    whiteouts: [],
    opaqueDirs: [],
    links: [],
    stats: { entries: 0, files: 0, bytes: 0, analyzed: { toy: { files: parts.items?.length ?? 0, errors: 0 } } },
    warnings: [],
    ...parts,
  };
}

function squash(...layers: LayerAnalysis[]): Map<string, number | undefined> {
  const r = applyLayers(
    layers.map((analysis, index) => ({ index, analysis })),
    [toyAnalyzer],
    40,
  );
  return new Map(r.inventory.packages.map((p) => [`${p.location.path}:${p.name}@${p.version}`, p.location.layer]));
}

describe('applyLayers', () => {
  test('later versions of a database replace earlier ones; origin is the first layer with the package', () => {
    const got = squash(
      layer({ items: [db('db.pkgdb', 'a', 'b', 'c')] }),
      layer({ items: [db('db.pkgdb', 'a', 'b', 'c', 'd')] }),
      layer({ items: [db('db.pkgdb', 'a', 'c', 'd', 'c@2')] }),
    );
    assert.deepEqual(
      [...got.entries()],
      [
        ['db.pkgdb:a@1', 0],
        ['db.pkgdb:c@1', 0],
        ['db.pkgdb:c@2', 2],
        ['db.pkgdb:d@1', 1],
      ],
    );
  });

  test('a package removed and installed again belongs to the layer that reinstalled it', () => {
    const got = squash(
      layer({ items: [db('db.pkgdb', 'a', 'e')] }),
      layer({ items: [db('db.pkgdb', 'a')] }),
      layer({ items: [db('db.pkgdb', 'a', 'e')] }),
    );
    assert.equal(got.get('db.pkgdb:e@1'), 2);
    assert.equal(got.get('db.pkgdb:a@1'), 0);
  });

  test('whiteouts delete files and whole directories from lower layers', () => {
    const got = squash(
      layer({ items: [db('x/one.pkgdb', 'a'), db('y/sub/two.pkgdb', 'b'), db('z.pkgdb', 'c')] }),
      layer({ whiteouts: ['x/one.pkgdb', 'y'] }),
    );
    assert.deepEqual([...got.keys()], ['z.pkgdb:c@1']);
  });

  test('a file deleted and created again is new in the layer that created it', () => {
    const got = squash(
      layer({ items: [db('d.pkgdb', 'a')] }),
      layer({ whiteouts: ['d.pkgdb'] }),
      layer({ items: [db('d.pkgdb', 'a')] }),
    );
    assert.equal(got.get('d.pkgdb:a@1'), 2);
  });

  test('a rewritten file that yields nothing (unparsable, too large) still hides the lower version', () => {
    const got = squash(layer({ items: [db('d.pkgdb', 'a'), db('e.pkgdb', 'b')] }), layer({ paths: ['d.pkgdb'] }));
    assert.deepEqual([...got.keys()], ['e.pkgdb:b@1']);
  });

  test('an opaque directory hides lower content but keeps its own layer', () => {
    const got = squash(
      layer({ items: [db('dir/p1.pkgdb', 'a'), db('dir/p2.pkgdb', 'b'), db('dirx/p.pkgdb', 'x')] }),
      layer({ opaqueDirs: ['dir'], items: [db('dir/p3.pkgdb', 'c')] }),
    );
    assert.deepEqual(
      [...got.entries()],
      [
        ['dir/p3.pkgdb:c@1', 1],
        ['dirx/p.pkgdb:x@1', 0],
      ],
    );
  });

  test('wanted symlinks resolve inside the root, through directory links', () => {
    const got = squash(
      layer({
        items: [db('usr/lib/real.pkgdb', 'a')],
        links: [
          { path: 'lib', type: 'symlink', target: 'usr/lib' },
          { path: 'etc/rel.pkgdb', type: 'symlink', target: '../usr/lib/real.pkgdb' },
          { path: 'etc/abs.pkgdb', type: 'symlink', target: '/lib/real.pkgdb' },
          { path: 'etc/escape.pkgdb', type: 'symlink', target: '../../../../usr/lib/real.pkgdb' },
          { path: 'etc/dangling.pkgdb', type: 'symlink', target: '/nowhere.pkgdb' },
        ],
      }),
    );
    assert.deepEqual([...got.keys()].sort(), [
      'etc/abs.pkgdb:a@1',
      'etc/escape.pkgdb:a@1',
      'etc/rel.pkgdb:a@1',
      'usr/lib/real.pkgdb:a@1',
    ]);
  });

  test('symlink loops end after the hop limit', () => {
    const links = new Map([
      ['a', { type: 'symlink' as const, target: 'b' }],
      ['b', { type: 'symlink' as const, target: 'a' }],
    ]);
    assert.equal(resolveInRoot('a/x', links, 40), undefined);
    assert.equal(resolveInRoot('c/x', links, 40), 'c/x');
  });

  test('coverage counts files and failures per analyzer; warnings merge by code', () => {
    const l0 = layer({ items: [db('a.pkgdb', 'a')], warnings: [{ code: 'X', message: 'm', count: 2 }] });
    const l1 = layer({ warnings: [{ code: 'X', message: 'm', count: 3 }] });
    l1.stats.analyzed = { toy: { files: 2, errors: 1 } };
    const r = applyLayers(
      [
        { index: 0, analysis: l0 },
        { index: 1, analysis: l1 },
      ],
      [toyAnalyzer],
      40,
    );
    assert.deepEqual(r.coverage, [
      { id: 'toy', version: 1, files: 3, items: 1, status: 'partial', note: 'failed on 1 of 3 files' },
    ]);
    assert.deepEqual(r.warnings, [{ code: 'X', message: 'm', count: 5 }]);
  });
});
