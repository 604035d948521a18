// Hostile images through the whole CLI: each case ends in one clear line on stderr and a non-zero
// exit (or a counted warning when the rest of the image is sound), and nothing is written outside
// the private temp root. Needs nothing but Node: the images are written by hand.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createGzip, createZstdCompress, gzipSync } from 'node:zlib';
import type { Digest } from '../src/util/digest.ts';
import { buildTar, sha256 } from './helpers/layers.ts';
import { writeOciLayout } from './helpers/oci.ts';

const BIN = fileURLToPath(new URL('../bin/bollard', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bollard-hostile-'));
const privateTmp = join(work, 'tmp');
mkdirSync(privateTmp);
after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI with its temp root redirected, so the test can check nothing is left behind. */
function bollard(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args, '--no-cache'], {
      env: { ...process.env, NO_COLOR: '1', BOLLARD_TMPDIR: privateTmp, TMPDIR: privateTmp },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function assertOneLineError(r: Run, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected failure, got: ${r.stdout.slice(0, 200)}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^bollard: /);
  assert.match(lines[0] ?? '', pattern);
  assert.deepEqual(readdirSync(privateTmp), [], 'the private temp root is removed');
}

let n = 0;
function layout(...args: Parameters<typeof writeOciLayout> extends [string, ...infer R] ? R : never): string {
  return writeOciLayout(join(work, `img${++n}`), ...args);
}

const STATUS = 'Package: demo\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n';

/** gzip or zstd of `bytes` zero bytes, streamed (never holds the expansion in memory). */
async function zeroBomb(bytes: number, kind: 'gzip' | 'zstd'): Promise<{ blob: Buffer; diffId: Digest }> {
  const z = kind === 'gzip' ? createGzip({ level: 9 }) : createZstdCompress();
  const chunks: Buffer[] = [];
  z.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => z.on('end', r));
  const zero = Buffer.alloc(1 << 20);
  const h = createHash('sha256');
  for (let i = 0; i < bytes / zero.length; i++) {
    h.update(zero);
    if (!z.write(zero)) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return { blob: Buffer.concat(chunks), diffId: `sha256:${h.digest('hex')}` as Digest };
}

describe('hostile images through the CLI', () => {
  test('entries with .. and absolute paths: skipped and counted, nothing written outside', async () => {
    const escapee = join(work, 'escaped-file');
    const tar = await buildTar([
      { name: `../../../../../../..${escapee}`, content: 'x' },
      { name: escapee, content: 'absolute' },
      { name: 'var/lib/dpkg/status', content: STATUS },
    ]);
    const r = await bollard('inventory', layout([{ blob: gzipSync(tar), diffId: sha256(tar) }]), '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      inventory: { packages: { name: string }[] };
      warnings: { code: string; count: number }[];
    };
    assert.deepEqual(
      doc.inventory.packages.map((p) => p.name),
      ['demo'],
    );
    assert.equal(doc.warnings.find((w) => w.code === 'PATH_ESCAPE')?.count, 1);
    assert.ok(!existsSync(escapee), 'nothing is written at the path an entry names');
    assert.deepEqual(readdirSync(privateTmp), []);
  });

  test('symlink and hard-link escapes never reach the host', async () => {
    // The host is Debian: if the link were followed out of the image, its os-release would be read.
    const tar = await buildTar([
      { name: 'etc/os-release', type: 'symlink', linkname: '../../../../../../etc/os-release' },
      { name: 'usr/lib/os-release', type: 'symlink', linkname: '/proc/self/root/etc/os-release' },
      { name: 'var/lib/dpkg/status', type: 'link', linkname: '../../../../etc/passwd' },
    ]);
    const r = await bollard('inventory', layout([{ blob: tar }]), '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      inventory: { os?: unknown; packages: unknown[] };
      warnings: { code: string }[];
    };
    assert.equal(doc.inventory.os, undefined);
    assert.deepEqual(doc.inventory.packages, []);
    assert.ok(doc.warnings.some((w) => w.code === 'LINK_ESCAPE'));
  });

  for (const kind of ['gzip', 'zstd'] as const) {
    test(`${kind} bomb (1 GiB of zeros) is refused by the ratio limit`, async () => {
      const bomb = await zeroBomb(1 << 30, kind);
      const r = await bollard('inventory', layout([{ blob: bomb.blob, diffId: bomb.diffId }]));
      assertOneLineError(r, /decompression bomb/);
    });
  }

  test('a truncated layer', async () => {
    const tar = await buildTar([{ name: 'var/lib/dpkg/status', content: STATUS.repeat(2000) }]);
    const blob = gzipSync(tar);
    const cut = blob.subarray(0, blob.length >> 1);
    // Manifest digest and diffID describe the cut blob, so only the stream itself is wrong.
    const r = await bollard('inventory', layout([{ blob: cut, diffId: sha256(tar) }]));
    assertOneLineError(r, /truncated/);
  });

  test('a layer whose content does not match its diffID', async () => {
    const tar = await buildTar([{ name: 'var/lib/dpkg/status', content: STATUS }]);
    const r = await bollard(
      'inventory',
      layout([{ blob: gzipSync(tar), diffId: sha256(Buffer.from('another layer')) }]),
    );
    assertOneLineError(r, /diffID/);
  });

  test('an enormous single file is skipped with a warning, the rest is read', async () => {
    const tar = await buildTar([
      { name: 'var/lib/dpkg/status', content: STATUS },
      { name: 'lib/apk/db/installed', content: Buffer.alloc(3 << 20, 0x41) },
    ]);
    const r = await bollard(
      'inventory',
      layout([{ blob: gzipSync(tar), diffId: sha256(tar) }]),
      '--format',
      'json',
      '--limit',
      'maxFileBytes=1MiB',
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      inventory: { packages: unknown[] };
      warnings: { code: string; sample?: string }[];
    };
    assert.equal(doc.inventory.packages.length, 1);
    assert.equal(doc.warnings.find((w) => w.code === 'FILE_TOO_LARGE')?.sample, 'lib/apk/db/installed');
    const coverage = (doc as unknown as { coverage: { id: string; status: string }[] }).coverage;
    assert.equal(coverage.find((c) => c.id === 'apk')?.status, 'error', 'an unread database is not reported as ok');
    assert.equal(coverage.find((c) => c.id === 'dpkg')?.status, 'ok');
  });

  test('too many entries stop at the entry limit', async () => {
    const tar = await buildTar(Array.from({ length: 2001 }, (_, i) => ({ name: `f/${i}`, content: '' })));
    const r = await bollard(
      'inventory',
      layout([{ blob: gzipSync(tar), diffId: sha256(tar) }]),
      '--limit',
      'maxEntriesPerLayer=2000',
    );
    assertOneLineError(r, /more than 2000 entries/);
  });

  test('malformed, gigantic and deeply nested manifests', async () => {
    const tar = await buildTar([{ name: 'a', content: 'a' }]);
    const layers = [{ blob: tar }];
    assertOneLineError(
      await bollard('inventory', layout(layers, { rawManifest: Buffer.from('{"schemaVersion": 2, "layers": [') })),
      /not valid JSON/,
    );
    const big = Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(5 << 20) }));
    assertOneLineError(await bollard('inventory', layout(layers, { rawManifest: big })), /limit/);
    const deep = Buffer.from(`{"schemaVersion":2,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    assertOneLineError(await bollard('inventory', layout(layers, { rawManifest: deep })), /nests deeper/);
  });

  test('a tampered blob (digest mismatch)', async () => {
    const tar = await buildTar([{ name: 'var/lib/dpkg/status', content: STATUS }]);
    const target = layout([{ blob: gzipSync(tar), diffId: sha256(tar) }]);
    const dir = target.slice('oci:'.length, target.lastIndexOf(':'));
    // Overwrite the config blob with other bytes under the same name.
    const blobs = join(dir, 'blobs', 'sha256');
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(readFileSync(join(blobs, index.manifests[0]!.digest.slice(7)), 'utf8')) as {
      config: { digest: string };
    };
    const configPath = join(blobs, manifest.config.digest.slice(7));
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('amd64', 'arm64'));
    assertOneLineError(await bollard('inventory', target), /hashes to|digest/i);
  });
});
