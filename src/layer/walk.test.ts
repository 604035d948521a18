import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { expectCode } from '../../test/helpers/errors.ts';
import { buildTar, compress, sha256, toyAnalyzer } from '../../test/helpers/layers.ts';
import type { LayerRef } from '../artifact/types.ts';
import { isBollardError } from '../util/errors.ts';
import { resolveLimits } from '../util/limits.ts';
import { createTempRoot } from '../util/tempdir.ts';
import { createDispatcher } from './dispatch.ts';
import { walkLayer } from './walk.ts';

const tempRoot = createTempRoot();
after(() => tempRoot.dispose());

function chunked(b: Buffer, size = 7919): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

async function walk(blob: Buffer, ref: Partial<LayerRef> & { diffId: LayerRef['diffId'] }, limits = resolveLimits()) {
  const layer: LayerRef = { index: 0, ...ref };
  const d = createDispatcher({ analyzers: [toyAnalyzer], layer, limits, tempRoot });
  return walkLayer(chunked(blob), layer, d, limits);
}

function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  return assert.rejects(p, expectCode(code, re));
}

describe('walkLayer', () => {
  for (const c of ['none', 'gzip', 'zstd'] as const) {
    test(`reads a ${c} layer, verifying blob digest and diffID`, async () => {
      const tar = await buildTar([
        { name: 'var/', type: 'directory' },
        { name: 'var/lib/db.pkgdb', content: 'curl 7.88\nbash 5.2\n' },
        { name: './etc/other', content: 'not wanted' },
        { name: 'etc/link.pkgdb', type: 'symlink', linkname: '../var/lib/db.pkgdb' },
        { name: 'var/lib/.wh.gone.pkgdb', content: '' },
        { name: 'opt/.wh..wh..opq', content: '' },
      ]);
      const blob = compress(tar, c);
      const r = await walk(blob, { diffId: sha256(tar), digest: sha256(blob) });
      assert.equal(r.compression, c);
      assert.equal(r.bytes, tar.length);
      assert.equal(r.compressedBytes, blob.length);
      const items = r.analysis.items;
      assert.equal(items.length, 1);
      assert.equal(items[0]?.kind, 'packages');
      assert.deepEqual(items[0]?.kind === 'packages' ? items[0].packages.map((p) => `${p.name}@${p.version}`) : [], [
        'curl@7.88',
        'bash@5.2',
      ]);
      assert.deepEqual(r.analysis.whiteouts, ['var/lib/gone.pkgdb']);
      assert.deepEqual(r.analysis.opaqueDirs, ['opt']);
      assert.deepEqual(r.analysis.links, [{ path: 'etc/link.pkgdb', type: 'symlink', target: '../var/lib/db.pkgdb' }]);
      assert.equal(r.analysis.stats.entries, 4);
      assert.deepEqual(r.analysis.stats.analyzed, { toy: { files: 1, errors: 0 } });
    });
  }

  test('a blob that does not match its digest is refused', async () => {
    const tar = await buildTar([{ name: 'a.pkgdb', content: 'x 1\n' }]);
    const blob = gzipSync(tar);
    await rejectsWith(walk(blob, { diffId: sha256(tar), digest: sha256(Buffer.from('other')) }), 'DIGEST_MISMATCH');
  });

  test('content that does not match the diffID is refused', async () => {
    const tar = await buildTar([{ name: 'a.pkgdb', content: 'x 1\n' }]);
    await rejectsWith(walk(gzipSync(tar), { diffId: sha256(Buffer.from('other')) }), 'DIGEST_MISMATCH', /diffID/);
  });

  test('entries with .. are skipped and counted, absolute paths are made relative', async () => {
    const tar = await buildTar([
      { name: '../../etc/evil.pkgdb', content: 'evil 1\n' },
      { name: 'a/../../b.pkgdb', content: 'evil 2\n' },
      { name: '/abs/ok.pkgdb', content: 'ok 1\n' },
      { name: 'h.pkgdb', type: 'link', linkname: '../../etc/shadow' },
    ]);
    const r = await walk(tar, { diffId: sha256(tar) });
    assert.deepEqual(
      r.analysis.items.map((i) => i.path),
      ['abs/ok.pkgdb'],
    );
    const codes = Object.fromEntries(r.analysis.warnings.map((w) => [w.code, w.count]));
    assert.equal(codes.PATH_ESCAPE, 2);
    assert.equal(codes.LINK_ESCAPE, 1);
  });

  test('a truncated gzip layer is an ARCHIVE_INVALID error', async () => {
    const tar = await buildTar([{ name: 'a.pkgdb', content: 'x 1\n'.repeat(10000) }]);
    const blob = gzipSync(tar);
    await rejectsWith(
      walk(blob.subarray(0, blob.length >> 1), { diffId: sha256(tar) }),
      'ARCHIVE_INVALID',
      /truncated/,
    );
  });

  test('a truncated plain tar is refused', async () => {
    const tar = await buildTar([{ name: 'a.pkgdb', content: 'x 1\n'.repeat(10000) }]);
    const cut = tar.subarray(0, 4096);
    await assert.rejects(walk(cut, { diffId: sha256(cut) }), (e: unknown) => isBollardError(e, 'ARCHIVE_INVALID'));
  });

  test('garbage is not a tar', async () => {
    const junk = Buffer.alloc(4096, 0x41);
    await rejectsWith(walk(junk, { diffId: sha256(junk) }), 'ARCHIVE_INVALID');
  });

  test('a gzip bomb stops at the ratio limit without inflating it all', async () => {
    const big = Buffer.alloc(64 * 1024 * 1024); // 64 MiB of zeros compresses ~1000:1
    const tar = await buildTar([{ name: 'zeros', content: big }]);
    const blob = gzipSync(tar, { level: 9 });
    const limits = resolveLimits({ ratioFloorBytes: 1024 * 1024, maxCompressionRatio: 100 });
    await rejectsWith(walk(blob, { diffId: sha256(tar) }, limits), 'LIMIT_EXCEEDED', /decompression bomb/);
  });

  test('a layer over the decompressed size limit is refused', async () => {
    const tar = await buildTar([{ name: 'f', content: Buffer.alloc(2 * 1024 * 1024, 1) }]);
    await rejectsWith(
      walk(tar, { diffId: sha256(tar) }, resolveLimits({ maxLayerBytes: 1024 * 1024 })),
      'LIMIT_EXCEEDED',
      /more than 1048576 bytes/,
    );
  });

  test('too many entries stop the walk', async () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({ name: `f${i}`, content: '' }));
    const tar = await buildTar(entries);
    await rejectsWith(
      walk(tar, { diffId: sha256(tar) }, resolveLimits({ maxEntriesPerLayer: 100 })),
      'LIMIT_EXCEEDED',
      /more than 100 entries/,
    );
  });

  test('a wanted file over the size limit is skipped and counted, the walk goes on', async () => {
    const tar = await buildTar([
      { name: 'big.pkgdb', content: Buffer.alloc(4096, 0x61) },
      { name: 'small.pkgdb', content: 'ok 1\n' },
    ]);
    const r = await walk(tar, { diffId: sha256(tar) }, resolveLimits({ maxFileBytes: 1024 }));
    assert.deepEqual(
      r.analysis.items.map((i) => i.path),
      ['small.pkgdb'],
    );
    assert.equal(r.analysis.warnings.find((w) => w.code === 'FILE_TOO_LARGE')?.count, 1);
    // The skipped file counts against the analyzer's coverage: not evaluated is not "ok".
    assert.deepEqual(r.analysis.stats.analyzed, { toy: { files: 2, errors: 1 } });
    assert.ok(r.analysis.paths.includes('big.pkgdb'), 'the skipped file still hides lower versions');
  });

  test('an over-long path is skipped and counted', async () => {
    const long = `${'d/'.repeat(100)}x.pkgdb`;
    const tar = await buildTar([{ name: long, content: 'x 1\n' }]);
    const r = await walk(tar, { diffId: sha256(tar) }, resolveLimits({ maxPathBytes: 64 }));
    assert.equal(r.analysis.items.length, 0);
    assert.equal(r.analysis.warnings.find((w) => w.code === 'PATH_TOO_LONG')?.count, 1);
  });

  test('a failing analyzer is counted, not fatal', async () => {
    const tar = await buildTar([{ name: 'a.pkgdb', content: 'x 1\n' }]);
    const limits = resolveLimits();
    const layer: LayerRef = { index: 0, diffId: sha256(tar) };
    const broken = {
      ...toyAnalyzer,
      id: 'broken',
      analyze: () => {
        throw new Error('boom');
      },
    };
    const d = createDispatcher({ analyzers: [broken], layer, limits, tempRoot });
    const r = await walkLayer(chunked(tar), layer, d, limits);
    assert.deepEqual(r.analysis.stats.analyzed, { broken: { files: 1, errors: 1 } });
    assert.equal(r.analysis.warnings[0]?.code, 'broken:ANALYZER_ERROR');
  });
});
