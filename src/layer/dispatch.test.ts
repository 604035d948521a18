// Metadata-only analyzers through the dispatcher and both walkers: they see every entry (directories
// too) and never cause a content read, a size skip or a byte counted as read.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileModesAnalyzer } from '../analyzers/file-modes/index.ts';
import type { AnalysisItem, Analyzer, LayerAnalysis } from '../analyzers/types.ts';
import { walkRootfs } from '../artifact/rootfs/walk.ts';
import type { LayerRef } from '../artifact/types.ts';
import { resolveLimits } from '../util/limits.ts';
import { createTempRoot } from '../util/tempdir.ts';
import { createDispatcher, type LayerDispatcher } from './dispatch.ts';
import type { EntryType } from './types.ts';
import { walkTar } from './walk.ts';

const tempRoot = createTempRoot();
const work = mkdtempSync(join(tmpdir(), 'bollard-dispatch-'));
after(() => {
  tempRoot.dispose();
  rmSync(work, { recursive: true, force: true });
});

const layer: LayerRef = {
  index: 0,
  diffId: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
};

// --- a minimal ustar writer for entries whose body is generated, never held in memory ---------------

function header(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii');
  h.fill(' ', 148, 156);
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A tar stream: a directory, a `size`-byte setuid file (zeros, produced chunk by chunk), a small file. */
function tarWithHugeFile(size: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  return Readable.from(
    (function* () {
      yield header('usr/', 0, '5', 0o755);
      yield header('usr/bin/huge', size, '0', 0o4755);
      for (let left = size; left > 0; left -= chunk.length)
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
      const pad = (512 - (size % 512)) % 512;
      if (pad) yield Buffer.alloc(pad);
      yield header('etc/small.conf', 3, '0', 0o644);
      yield Buffer.concat([Buffer.from('abc'), Buffer.alloc(509)]);
      yield Buffer.alloc(1024);
    })(),
  );
}

/** Wrap a dispatcher to record every claim granted (a read follows) and every content hand-over. */
function spy(d: LayerDispatcher): { d: LayerDispatcher; claims: string[]; files: string[] } {
  const claims: string[] = [];
  const files: string[] = [];
  return {
    claims,
    files,
    d: {
      ...d,
      claim: (e) => {
        const c = d.claim(e);
        if (c) claims.push(`${e.path}:${c.analyzers.map((a) => a.id).join(',')}`);
        return c;
      },
      file: (e, content, as) => {
        files.push(`${e.path}:${as.map((a) => a.id).join(',')}:${content.length}`);
        return d.file(e, content, as);
      },
    },
  };
}

/** A content analyzer that wants every regular file, to show the size limit is in force. */
const everything: Analyzer = {
  id: 'everything',
  version: 1,
  wants: (_path, e) => e.type === 'file',
  analyze: (): AnalysisItem[] => [],
};

/** A metadata-only analyzer that records what it is offered and the content it is handed. */
function recorder(): { analyzer: Analyzer; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    analyzer: {
      id: 'recorder',
      version: 1,
      metadataOnly: true,
      wants: (path, e) => {
        seen.push(`${e.type}:${path}`);
        return e.type === 'dir';
      },
      analyze: (f): AnalysisItem[] => {
        assert.equal(f.content.length, 0, 'metadata-only analyzers get no content');
        return [
          {
            kind: 'file-meta',
            analyzer: 'recorder',
            path: f.path,
            type: f.entry.type,
            mode: 0,
            uid: 0,
            gid: 0,
            size: 0,
          },
        ];
      },
    },
  };
}

function metaRows(a: LayerAnalysis): string[] {
  return a.items.flatMap((it) =>
    it.kind === 'file-meta' ? [`${it.analyzer} ${it.path} ${it.type} ${it.mode.toString(8)} ${it.size}`] : [],
  );
}

describe('metadata-only analyzers never read content', () => {
  test('a setuid file larger than the file-size limit in a tar layer: no read, no size skip', async () => {
    const limits = resolveLimits();
    const size = limits.maxFileBytes + 64 * 1024 * 1024; // 320 MiB of zeros, streamed past
    const s = spy(createDispatcher({ analyzers: [fileModesAnalyzer], layer, limits, tempRoot }));
    await walkTar(tarWithHugeFile(size), s.d, limits, 'test layer');
    const a = s.d.finish();
    assert.deepEqual(s.claims, [], 'no read was granted');
    assert.deepEqual(s.files, [], 'nothing was handed over');
    assert.deepEqual(metaRows(a), [`file-modes usr/bin/huge file 4755 ${size}`]);
    assert.deepEqual(a.warnings, [], 'nothing was skipped for its size');
    assert.deepEqual(a.stats.analyzed['file-modes'], { files: 3, errors: 0 });
    assert.equal(a.present, 'usr\0usr/bin/huge\0etc/small.conf');
    assert.equal(a.presentComplete, true);
  });

  test('beside a content analyzer, only the content analyzer reads and hits the size limit', async () => {
    const limits = resolveLimits({ maxFileBytes: 1024 * 1024 });
    const s = spy(createDispatcher({ analyzers: [everything, fileModesAnalyzer], layer, limits, tempRoot }));
    await walkTar(tarWithHugeFile(8 * 1024 * 1024), s.d, limits, 'test layer');
    const a = s.d.finish();
    assert.deepEqual(s.claims, ['etc/small.conf:everything']);
    assert.deepEqual(s.files, ['etc/small.conf:everything:3']);
    assert.deepEqual(
      a.warnings.map((w) => [w.code, w.count, w.sample]),
      [['FILE_TOO_LARGE', 1, 'usr/bin/huge']],
    );
    assert.deepEqual(a.stats.analyzed, { everything: { files: 2, errors: 1 }, 'file-modes': { files: 3, errors: 0 } });
    assert.deepEqual(metaRows(a), ['file-modes usr/bin/huge file 4755 8388608']);
  });

  test('a sparse 1 TiB setuid file in a root filesystem: no read, no size skip (needs a file system with sparse files)', async () => {
    const root = join(work, 'sparse');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    const huge = join(root, 'usr/bin/huge');
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 40);
    chmodSync(huge, 0o4755);
    const limits = resolveLimits();
    const s = spy(createDispatcher({ analyzers: [fileModesAnalyzer], layer: undefined, limits, tempRoot }));
    await walkRootfs(root, s.d, limits);
    const a = s.d.finish();
    assert.deepEqual(s.claims, []);
    assert.deepEqual(s.files, []);
    assert.deepEqual(a.warnings, [], 'nothing was skipped for its size or as unreadable');
    assert.deepEqual(metaRows(a), [`file-modes usr/bin/huge file 4755 ${2 ** 40}`]);
    // A root filesystem is one layer: nothing below it to replace, no presence list.
    assert.equal(a.present, undefined);
  });
});

describe('what each kind of analyzer is offered', () => {
  test('metadata-only analyzers see every entry, directories included; content analyzers see what they saw before', async () => {
    const rec = recorder();
    const offered: string[] = [];
    const content: Analyzer = {
      id: 'content',
      version: 1,
      wants: (path, e) => {
        offered.push(`${e.type}:${path}`);
        return false;
      },
      analyze: (): AnalysisItem[] => [],
    };
    const limits = resolveLimits();
    const d = createDispatcher({ analyzers: [content, rec.analyzer], layer, limits, tempRoot });
    await walkTar(tarWithHugeFile(1000), d, limits, 'test layer');
    assert.deepEqual(rec.seen, ['dir:usr', 'file:usr/bin/huge', 'file:etc/small.conf']);
    assert.deepEqual(offered, ['file:usr/bin/huge', 'file:etc/small.conf']);
    assert.deepEqual(metaRows(d.finish()), ['recorder usr dir 0 0']);
  });

  test('an analyzer that answers a metadata entry asynchronously is counted as failing, not awaited', async () => {
    const slow: Analyzer = {
      id: 'slow',
      version: 1,
      metadataOnly: true,
      wants: () => true,
      analyze: async (): Promise<AnalysisItem[]> => [],
    };
    const limits = resolveLimits();
    const d = createDispatcher({ analyzers: [slow], layer, limits, tempRoot });
    for (const [path, type] of [
      ['a', 'dir'],
      ['a/b', 'file'],
    ] as [string, EntryType][]) {
      const e = { path, type, mode: 0o755, uid: 0, gid: 0, size: 0 };
      d.count(e);
      d.header(e);
    }
    const a = d.finish();
    assert.deepEqual(a.stats.analyzed.slow, { files: 2, errors: 2 });
    assert.equal(a.warnings.find((w) => w.code === 'slow:ANALYZER_ERROR')?.count, 2);
    assert.deepEqual(a.items, []);
  });

  test('without a metadata-only analyzer, layers carry no presence list', () => {
    const limits = resolveLimits();
    const d = createDispatcher({ analyzers: [everything], layer, limits, tempRoot });
    const e = { path: 'x', type: 'file' as const, mode: 0o4755, uid: 0, gid: 0, size: 1 };
    d.count(e);
    d.header(e);
    const a = d.finish();
    assert.equal(a.present, undefined);
    assert.equal(a.presentComplete, undefined);
  });
});
