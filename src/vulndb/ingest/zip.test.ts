import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { makeZip, type ZipInput } from '../testing/zip-writer.ts';
import { createSkipCounter, feedLimits } from './common.ts';
import { safeEntryName, zipRecords } from './zip.ts';

const dir = mkdtempSync(join(tmpdir(), 'bollard-zip-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function write(entries: ZipInput[] | Buffer): string {
  const p = join(dir, `${++n}.zip`);
  writeFileSync(p, Buffer.isBuffer(entries) ? entries : makeZip(entries));
  return p;
}

async function names(path: string, limits = feedLimits()) {
  const skips = createSkipCounter();
  const out: string[] = [];
  for await (const r of zipRecords(path, limits, skips, () => true)) out.push(r.name);
  return { out, skips: skips.counts };
}

describe('zip reading (hostile archives)', () => {
  test('entries with .. or absolute names are skipped and counted, never used as paths', async () => {
    const p = write([
      { name: 'ok.json', data: '{}' },
      { name: '../escape.json', data: '{}' },
      { name: 'a/../../b.json', data: '{}' },
      { name: '/etc/passwd', data: 'x' },
      { name: 'C:/win.json', data: '{}' },
      { name: 'back\\slash.json', data: '{}' },
    ]);
    assert.deepEqual(await names(p), { out: ['ok.json'], skips: { 'unsafe-path': 5 } });
    assert.equal(safeEntryName('GHSA-1.json'), true);
  });

  test('a zip bomb (a huge, highly compressible entry) is refused with LIMIT_EXCEEDED', async () => {
    const bomb = Buffer.alloc(64 * 1024 * 1024, 0x20);
    const p = write([{ name: 'bomb.json', data: bomb }]);
    await assert.rejects(
      names(p, feedLimits(undefined, { maxRecordBytes: 512 * 1024 * 1024 })),
      expectCode('LIMIT_EXCEEDED', /inflates more than 1000 times/),
    );
    await assert.rejects(names(p), expectCode('LIMIT_EXCEEDED', /declares .* over the record limit/));
  });

  test('an entry whose header understates its size is refused when the inflated bytes pass the bound', async () => {
    const p = write([{ name: 'liar.json', data: Buffer.alloc(4 * 1024 * 1024, 0x61), declaredSize: 10 }]);
    await assert.rejects(names(p, feedLimits(undefined, { maxRecordBytes: 1024 * 1024 })), (e: unknown) => {
      assert.ok(e instanceof Error && 'code' in e);
      assert.ok(['LIMIT_EXCEEDED', 'FEED_INVALID'].includes(String(e.code)), String(e));
      return true;
    });
  });

  test('too many entries and too many total bytes are refused', async () => {
    const p = write(Array.from({ length: 20 }, (_, i) => ({ name: `${i}.json`, data: '{"a":1}' })));
    await assert.rejects(
      names(p, feedLimits(undefined, { maxEntries: 10 })),
      expectCode('LIMIT_EXCEEDED', /20 entries/),
    );
    await assert.rejects(
      names(p, feedLimits(undefined, { maxZipBytes: 50 })),
      expectCode('LIMIT_EXCEEDED', /inflates to more than 50 bytes/),
    );
  });

  test('a truncated zip and a file that is not a zip are refused with FEED_INVALID', async () => {
    const whole = makeZip([{ name: 'a.json', data: '{"id":"A"}' }]);
    await assert.rejects(
      names(write(whole.subarray(0, whole.length - 30))),
      expectCode('FEED_INVALID', /not a readable zip/),
    );
    await assert.rejects(names(write(Buffer.from('not a zip at all, just text'))), expectCode('FEED_INVALID'));
  });
});
