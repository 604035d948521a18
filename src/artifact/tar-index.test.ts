import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { expectCode } from '../../test/helpers/errors.ts';
import { resolveLimits } from '../util/limits.ts';
import { createTempRoot } from '../util/tempdir.ts';
import { collect, makeWorkDir } from './oci-layout/__fixtures__/images.ts';
import { looksLikeTar, normaliseTarName, openArchive, openTarIndex, sniffCompression } from './tar-index.ts';

const limits = resolveLimits();

/** A tar header written by hand, for the malformed archives no tool produces. */
function header(
  name: string,
  o: { type?: string; size?: number; linkname?: string; base256Size?: boolean; corrupt?: boolean } = {},
): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  const size = o.size ?? 0;
  if (o.base256Size) {
    h[124] = 0x80;
    h.writeUInt32BE(size, 132);
  } else h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(o.type ?? '0', 156, 'latin1');
  if (o.linkname) h.write(o.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  if (o.corrupt) h[0] = (h[0] ?? 0) ^ 0x01;
  return h;
}

function entry(name: string, content: string | Buffer, o: Parameters<typeof header>[1] = {}): Buffer {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header(name, { ...o, size: data.length }), data, pad]);
}

const END = Buffer.alloc(1024);

/** One PAX record: the length prefix counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len++;
  return `${len}${body}`;
}

function plainTar(): Buffer {
  return Buffer.concat([entry('oci-layout', '{}'), entry('x/y', 'data'), END]);
}

let work: string;
before(() => {
  work = makeWorkDir('tar-index');
});
after(() => rmSync(work, { recursive: true, force: true }));

function writeTar(name: string, ...parts: Buffer[]): string {
  const p = join(work, name);
  writeFileSync(p, Buffer.concat(parts));
  return p;
}

describe('normaliseTarName', () => {
  test('strips ./, leading and trailing slashes and resolves inner ..', () => {
    assert.equal(normaliseTarName('./a//b/./c/'), 'a/b/c');
    assert.equal(normaliseTarName('/etc/passwd'), 'etc/passwd');
    assert.equal(normaliseTarName('a/b/../c'), 'a/c');
    assert.equal(normaliseTarName('./'), '');
  });
  test('refuses names that climb above the root', () => {
    assert.equal(normaliseTarName('../x'), undefined);
    assert.equal(normaliseTarName('a/../../x'), undefined);
    assert.equal(normaliseTarName('/../x'), undefined);
  });
});

describe('openTarIndex on archives written by GNU tar', () => {
  let src: string;
  const longDir = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
  const longName = `${longDir}/${'f'.repeat(90)}.txt`;
  before(() => {
    src = join(work, 'src');
    mkdirSync(join(src, longDir), { recursive: true });
    mkdirSync(join(src, 'real'), { recursive: true });
    writeFileSync(join(src, longName), 'long name content\n');
    writeFileSync(join(src, 'real', 'blob'), Buffer.alloc(70_000, 7));
    writeFileSync(join(src, 'empty'), '');
    symlinkSync('real', join(src, 'blobs'));
    symlinkSync('../real/blob', join(src, 'real', 'rel-link'));
    symlinkSync('/real/blob', join(src, 'abs-link'));
    symlinkSync(`/${longName}`, join(src, 'long-link'));
  });

  for (const format of ['gnu', 'posix', 'ustar'] as const) {
    test(`${format} format: long names, links, contents`, async () => {
      const file = join(work, `${format}.tar`);
      const names = ['real', 'empty', 'blobs', 'abs-link', longDir.split('/')[0] as string];
      // ustar cannot store the long symlink target; GNU and PAX can.
      if (format !== 'ustar') names.push('long-link');
      execFileSync('tar', [`--format=${format}`, '-C', src, '-cf', file, ...names]);
      const warnings: string[] = [];
      const idx = await openTarIndex(file, { limits, warn: (m) => warnings.push(m) });
      try {
        assert.deepEqual(warnings, []);
        const long = idx.entries.get(longName);
        assert.ok(long, `long name indexed (${[...idx.entries.keys()].join(', ')})`);
        assert.equal(long.type, 'file');
        assert.equal((await idx.readBuffer(longName, 1024)).toString(), 'long name content\n');
        assert.equal(idx.entries.get('blobs')?.type, 'symlink');
        const viaDirLink = idx.resolve('blobs/blob');
        assert.equal(viaDirLink?.name, 'real/blob');
        assert.equal(idx.resolve('real/rel-link')?.name, 'real/blob');
        assert.equal(idx.resolve('abs-link')?.name, 'real/blob');
        if (format !== 'ustar') assert.equal(idx.resolve('long-link')?.name, longName);
        const streamed = await collect(idx.createReadStream('blobs/blob'));
        assert.deepEqual(streamed, Buffer.alloc(70_000, 7));
        assert.equal((await collect(idx.createReadStream('empty'))).length, 0);
        assert.equal(idx.resolve('missing'), undefined);
      } finally {
        await idx.close();
      }
    });
  }

  test('hard links resolve to their target by name', async () => {
    const dir = join(work, 'hl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a'), 'shared');
    execFileSync('ln', [join(dir, 'a'), join(dir, 'b')]);
    const file = join(work, 'hl.tar');
    execFileSync('tar', ['-C', dir, '-cf', file, 'a', 'b']);
    const idx = await openTarIndex(file, { limits });
    try {
      assert.equal(idx.entries.get('b')?.type, 'hardlink');
      assert.equal(idx.entries.get('b')?.linkTarget, 'a');
      assert.equal((await idx.readBuffer('b', 100)).toString(), 'shared');
    } finally {
      await idx.close();
    }
  });

  test('readBuffer refuses a file above the given maximum', async () => {
    const file = join(work, 'gnu.tar');
    const idx = await openTarIndex(file, { limits });
    try {
      await assert.rejects(idx.readBuffer('real/blob', 1000), expectCode('LIMIT_EXCEEDED'));
      await assert.rejects(idx.readBuffer('real', 1000), expectCode('ARCHIVE_INVALID'));
      await assert.rejects(idx.readBuffer('nope', 1000), expectCode('TARGET_NOT_FOUND'));
    } finally {
      await idx.close();
    }
  });
});

describe('openTarIndex on hostile archives', () => {
  test('entries with .. are skipped and counted; absolute names are made relative', async () => {
    const file = writeTar(
      'dotdot.tar',
      entry('../evil', 'x'),
      entry('a/../../evil2', 'x'),
      entry('/abs/file', 'abs'),
      entry('./rel', 'rel'),
      END,
    );
    const warned: Record<string, unknown>[] = [];
    const idx = await openTarIndex(file, { limits, warn: (_m, f) => warned.push(f) });
    try {
      assert.deepEqual([...idx.entries.keys()].toSorted(), ['abs/file', 'rel']);
      assert.equal(warned.length, 2);
      assert.equal((await idx.readBuffer('/abs/file', 10)).toString(), 'abs');
      assert.throws(() => idx.resolve('../evil'), expectCode('PATH_ESCAPE'));
    } finally {
      await idx.close();
    }
  });

  test('symlinks never resolve outside the archive', async () => {
    const file = writeTar(
      'escape.tar',
      entry('etc/passwd', 'inside'),
      entry('up', '', { type: '2', linkname: '../../etc/passwd' }),
      entry('d/up2', '', { type: '2', linkname: '../../x' }),
      entry('abs', '', { type: '2', linkname: '/etc/passwd' }),
      END,
    );
    const idx = await openTarIndex(file, { limits });
    try {
      assert.throws(() => idx.resolve('up'), expectCode('PATH_ESCAPE'));
      assert.throws(() => idx.resolve('d/up2'), expectCode('PATH_ESCAPE'));
      // An absolute target means the archive's root, not the host's.
      assert.equal((await idx.readBuffer('abs', 10)).toString(), 'inside');
    } finally {
      await idx.close();
    }
  });

  test('symlink loops stop after maxSymlinkHops', async () => {
    const file = writeTar(
      'loop.tar',
      entry('a', '', { type: '2', linkname: 'b' }),
      entry('b', '', { type: '2', linkname: 'a' }),
      END,
    );
    const idx = await openTarIndex(file, { limits: { ...limits, maxSymlinkHops: 5 } });
    try {
      assert.throws(() => idx.resolve('a'), expectCode('LIMIT_EXCEEDED'));
    } finally {
      await idx.close();
    }
  });

  test('a truncated archive is refused', async () => {
    const full = Buffer.concat([entry('a', 'x'.repeat(2000)), entry('b', 'y'.repeat(3000)), END]);
    const file = writeTar('trunc.tar', full);
    truncateSync(file, 512 + 2048 + 512 + 1000);
    await assert.rejects(openTarIndex(file, { limits }), expectCode('ARCHIVE_INVALID'));
    truncateSync(file, 512 + 2048 + 100);
    await assert.rejects(openTarIndex(file, { limits }), expectCode('ARCHIVE_INVALID'));
  });

  test('a missing end-of-archive marker is reported, the entries are kept', async () => {
    const file = writeTar('noend.tar', entry('a', 'x'));
    const warned: string[] = [];
    const idx = await openTarIndex(file, { limits, warn: (m) => warned.push(m) });
    try {
      assert.equal(warned.length, 1);
      assert.equal((await idx.readBuffer('a', 10)).toString(), 'x');
    } finally {
      await idx.close();
    }
  });

  test('a bad header checksum is refused', async () => {
    const file = writeTar('badsum.tar', entry('a', 'x'), header('b', { corrupt: true }), END);
    await assert.rejects(openTarIndex(file, { limits }), (e: unknown) => {
      expectCode('ARCHIVE_INVALID')(e);
      assert.match((e as Error).message, /checksum at offset 1024/);
      return true;
    });
  });

  test('base-256 sizes are read', async () => {
    const data = Buffer.from('base256 size');
    const pad = Buffer.alloc(512 - data.length);
    const file = writeTar('b256.tar', header('big', { size: data.length, base256Size: true }), data, pad, END);
    const idx = await openTarIndex(file, { limits });
    try {
      assert.equal((await idx.readBuffer('big', 100)).toString(), 'base256 size');
    } finally {
      await idx.close();
    }
  });

  test('PAX path and size records override the header', async () => {
    const longName = `p/${'x'.repeat(300)}`;
    const pax = Buffer.from(paxRecord('path', longName) + paxRecord('size', '5'));
    const file = writeTar(
      'pax.tar',
      entry('PaxHeaders/x', pax, { type: 'x' }),
      // The header claims 0 bytes; PAX says 5.
      header('short', { size: 0 }),
      Buffer.concat([Buffer.from('hello'), Buffer.alloc(507)]),
      END,
    );
    const idx = await openTarIndex(file, { limits });
    try {
      assert.equal((await idx.readBuffer(longName, 10)).toString(), 'hello');
    } finally {
      await idx.close();
    }
  });

  test('entry count and name length are bounded by the limits', async () => {
    const file = writeTar('many.tar', entry('a', '1'), entry('b', '2'), entry('c', '3'), END);
    await assert.rejects(
      openTarIndex(file, { limits: { ...limits, maxEntriesPerLayer: 2 } }),
      expectCode('LIMIT_EXCEEDED'),
    );
    const gnu = Buffer.from(`${'n'.repeat(200)}\0`);
    const longFile = writeTar('longname.tar', entry('././@LongLink', gnu, { type: 'L' }), entry('x', 'x'), END);
    await assert.rejects(
      openTarIndex(longFile, { limits: { ...limits, maxPathBytes: 100 } }),
      expectCode('LIMIT_EXCEEDED'),
    );
    const idx = await openTarIndex(longFile, { limits });
    assert.ok(idx.entries.has('n'.repeat(200)));
    await idx.close();
  });

  test('a duplicate name keeps the last entry and warns', async () => {
    const file = writeTar('dup.tar', entry('a', 'first'), entry('a', 'second'), END);
    const warned: string[] = [];
    const idx = await openTarIndex(file, { limits, warn: (m) => warned.push(m) });
    try {
      assert.equal((await idx.readBuffer('a', 10)).toString(), 'second');
      assert.equal(warned.length, 1);
    } finally {
      await idx.close();
    }
  });
});

describe('openArchive (compressed archives)', () => {
  for (const kind of ['gzip', 'zstd'] as const) {
    test(`a ${kind}-compressed tar is decompressed into the temp root, and removed on close`, async () => {
      const tempRoot = createTempRoot('bollard-tar-test-');
      try {
        const file = writeTar(`c.tar.${kind}`, kind === 'gzip' ? gzipSync(plainTar()) : zstdCompressSync(plainTar()));
        assert.equal(sniffCompression(readFileSync(file)), kind);
        const idx = await openArchive(file, { limits, tempRoot });
        assert.equal((await idx.readBuffer('x/y', 10)).toString(), 'data');
        assert.ok(idx.path.startsWith(tempRoot.path));
        assert.equal(readdirSync(tempRoot.path).length, 1);
        await idx.close();
        assert.equal(readdirSync(tempRoot.path).length, 0);
      } finally {
        tempRoot.dispose();
      }
    });
  }

  test('decompression stops at maxSpoolBytes', async () => {
    const tempRoot = createTempRoot('bollard-tar-test-');
    try {
      const file = writeTar('bomb.tar.gz', gzipSync(Buffer.alloc(10 * 1024 * 1024)));
      await assert.rejects(
        openArchive(file, { limits: { ...limits, maxSpoolBytes: 1024 * 1024 }, tempRoot }),
        expectCode('LIMIT_EXCEEDED'),
      );
      assert.equal(readdirSync(tempRoot.path).length, 0);
    } finally {
      tempRoot.dispose();
    }
  });

  test('corrupt or non-tar compressed data is refused', async () => {
    const tempRoot = createTempRoot('bollard-tar-test-');
    try {
      const gz = gzipSync(plainTar());
      const corrupt = writeTar('corrupt.tar.gz', gz.subarray(0, gz.length - 30));
      await assert.rejects(openArchive(corrupt, { limits, tempRoot }), expectCode('ARCHIVE_INVALID'));
      const text = writeTar('text.gz', gzipSync(Buffer.from('just some text\n'.repeat(100))));
      await assert.rejects(openArchive(text, { limits, tempRoot }), expectCode('TARGET_UNRECOGNISED'));
      assert.equal(readdirSync(tempRoot.path).length, 0);
    } finally {
      tempRoot.dispose();
    }
  });

  test('looksLikeTar tells tar headers from other data', () => {
    assert.equal(looksLikeTar(header('a')), true);
    assert.equal(looksLikeTar(header('a', { corrupt: true })), false);
    assert.equal(looksLikeTar(Buffer.alloc(512)), false);
    assert.equal(looksLikeTar(Buffer.from('hello')), false);
  });
});
