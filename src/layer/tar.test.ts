import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { isBollardError } from '../util/errors.ts';
import { readTar, type TarHeader } from './tar.ts';

const dir = mkdtempSync(join(tmpdir(), 'bollard-tar-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const root = join(dir, 'root');
const longDir = `${'deep-directory-name/'.repeat(8)}leaf`; // > 155 bytes: needs GNU or PAX long names
mkdirSync(join(root, longDir), { recursive: true });
writeFileSync(join(root, longDir, 'file-with-a-long-name.txt'), 'long\n');
writeFileSync(join(root, 'plain.txt'), 'x'.repeat(1000));
writeFileSync(join(root, 'ünïcødé.txt'), 'u');
symlinkSync(`../${longDir}/file-with-a-long-name.txt`, join(root, 'link-to-long'));

async function list(archive: Buffer, chunk = 333): Promise<(TarHeader & { content?: string })[]> {
  const out: (TarHeader & { content?: string })[] = [];
  const parts: Buffer[] = [];
  for (let i = 0; i < archive.length; i += chunk) parts.push(archive.subarray(i, i + chunk));
  await readTar(Readable.from(parts), (h) => {
    const e: TarHeader & { content?: string } = { ...h };
    out.push(e);
    if (h.type !== 'file') return undefined;
    return (c) => {
      e.content = c.toString('utf8');
    };
  });
  return out;
}

function gnuTar(format: string, ...extra: string[]): Buffer {
  const file = join(dir, `${format}-${extra.length}.tar`);
  execFileSync('tar', ['-C', root, `--format=${format}`, ...extra, '-cf', file, '.'], { stdio: 'pipe' });
  return readFileSync(file);
}

describe('readTar against archives written by GNU tar', () => {
  for (const format of ['gnu', 'pax', 'posix']) {
    test(`${format}: long names, long link targets, unicode, contents`, async () => {
      const entries = await list(gnuTar(format));
      const byName = new Map(entries.map((e) => [e.name.replace(/^\.\//, '').replace(/\/$/, ''), e]));
      assert.equal(byName.get(`${longDir}/file-with-a-long-name.txt`)?.content, 'long\n');
      assert.equal(byName.get('plain.txt')?.content, 'x'.repeat(1000));
      assert.equal(byName.get('plain.txt')?.size, 1000);
      assert.equal(byName.get('ünïcødé.txt')?.content, 'u');
      const link = byName.get('link-to-long');
      assert.equal(link?.type, 'symlink');
      assert.equal(link?.linkname, `../${longDir}/file-with-a-long-name.txt`);
      assert.equal(byName.get(longDir)?.type, 'dir');
      // Literal names whatever the locale (GNU tar escapes non-ASCII bytes under LANG=C).
      const names = execFileSync('tar', ['--quoting-style=literal', '-tf', join(dir, `${format}-0.tar`)], {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C.UTF-8' },
      })
        .trim()
        .split('\n');
      assert.deepEqual(
        entries.map((e) => e.name),
        names,
      );
    });
  }

  test('gnu: base-256 numbers (uid above the octal range)', async () => {
    const entries = await list(gnuTar('gnu', '--owner=:4000000', '--group=:5000000'));
    const plain = entries.find((e) => e.name === './plain.txt');
    assert.equal(plain?.uid, 4000000);
    assert.equal(plain?.gid, 5000000);
  });

  test('a corrupted header checksum is refused', async () => {
    const tar = Buffer.from(gnuTar('gnu'));
    tar[0] = (tar[0]! + 1) & 0xff;
    await assert.rejects(list(tar), (e: unknown) => isBollardError(e, 'ARCHIVE_INVALID') && /checksum/.test(e.message));
  });

  test('a stream cut inside an entry is truncated; trailing padding after the end marker is consumed', async () => {
    const tar = gnuTar('gnu');
    await assert.rejects(
      list(tar.subarray(0, 512 + 100)),
      (e: unknown) => isBollardError(e, 'ARCHIVE_INVALID') && /truncated/.test(e.message),
    );
    const padded = Buffer.concat([tar, Buffer.alloc(10240)]);
    assert.equal((await list(padded)).length, (await list(tar)).length);
  });

  test('a PAX record with an absurd length is refused', async () => {
    const header = Buffer.alloc(512);
    header.write('PaxHeaders/x', 0);
    header.write('0000644\0', 100);
    header.write('00000000012\0', 124); // size 10
    header.write('x', 156);
    header.write('ustar\u000000', 257, 'latin1');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const body = Buffer.alloc(512);
    body.write('99 path=x\n'); // claims 99 bytes, has 10
    await assert.rejects(list(Buffer.concat([header, body])), (e: unknown) => isBollardError(e, 'ARCHIVE_INVALID'));
  });
});
