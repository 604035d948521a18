// The CLI as a user runs it: bin/bollard in a child process, stdout carrying only the document,
// one-line errors, exit codes. Needs `scripts/test-env.sh up` for the Debian image.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testEnv } from '../helpers/env.ts';

const env = testEnv();
const BIN = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bollard-cli-e2e-'));
after(() => rmSync(work, { recursive: true, force: true }));

function bollard(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: {
      ...process.env,
      NO_COLOR: '1',
      BOLLARD_CACHE_DIR: join(work, 'cache'),
      DOCKER_HOST: `unix://${env.podmanSocket}`,
    },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('bollard CLI (needs test-env)', () => {
  test('sbom to stdout: the document and nothing else, no progress when piped', () => {
    const r = bollard('sbom', `oci-archive:${env.images.ociArchive}`, '--format', 'cyclonedx');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const bom = JSON.parse(r.stdout) as { bomFormat: string; specVersion: string; components: { purl?: string }[] };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.ok(bom.components.filter((c) => c.purl?.startsWith('pkg:deb/debian/')).length > 80);
  });

  test('sbom --output writes the file and leaves stdout empty; spdx-json', () => {
    const out = join(work, 'sbom.spdx.json');
    const r = bollard('sbom', env.rootfs, '--format', 'spdx-json', '--output', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { spdxVersion: string; packages: unknown[] };
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    assert.ok(doc.packages.length > 80);
  });

  test('inventory --format json carries coverage and stats; a second run comes from the cache', () => {
    const cache = ['--cache-dir', join(work, 'fresh-cache')];
    const first = bollard('inventory', `docker-archive:${env.images.dockerArchive}`, '--format', 'json', ...cache);
    assert.equal(first.code, 0, first.stderr);
    const a = JSON.parse(first.stdout) as {
      stats: { layersWalked: number; layersFromCache: number };
      coverage: { id: string; status: string }[];
    };
    assert.equal(a.stats.layersWalked, 1);
    assert.ok(a.coverage.some((c) => c.id === 'dpkg' && c.status === 'ok'));
    const second = JSON.parse(
      bollard('inventory', `docker-archive:${env.images.dockerArchive}`, '--format', 'json', ...cache).stdout,
    ) as typeof a;
    assert.deepEqual(second.stats.layersFromCache, 1);
    assert.deepEqual(second.stats.layersWalked, 0);
    const nocache = JSON.parse(
      bollard('inventory', `docker-archive:${env.images.dockerArchive}`, '--format', 'json', '--no-cache').stdout,
    ) as typeof a;
    assert.equal(nocache.stats.layersWalked, 1);
  });

  test('the table names the OS and the packages', () => {
    const r = bollard('inventory', env.rootfs);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /OS: Debian GNU\/Linux 12/);
    assert.match(r.stdout, /^libc6\s+2\.36/m);
  });

  test('a missing target is one line on stderr and exit 1', () => {
    const r = bollard('sbom', join(work, 'nope.tar'));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^bollard: /);
  });

  test('a file that is not an image is refused clearly', () => {
    const junk = join(work, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(2048, 7));
    const r = bollard('inventory', junk);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^bollard: .*junk\.bin/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('usage errors exit 2; unknown formats and limits are refused', () => {
    assert.equal(bollard('sbom').code, 2);
    assert.equal(bollard('sbom', env.rootfs, '--bogus').code, 2);
    const f = bollard('sbom', env.rootfs, '--format', 'xml');
    assert.equal(f.code, 2);
    assert.match(f.stderr, /unknown SBOM format "xml"/);
    const l = bollard('sbom', env.rootfs, '--limit', 'maxBananas=3');
    assert.equal(l.code, 2);
    assert.match(l.stderr, /unknown limit "maxBananas"/);
  });

  test('--limit applies: a tiny file limit skips the package database and says so', () => {
    const r = bollard('inventory', env.rootfs, '--format', 'json', '--limit', 'maxFileBytes=1KiB');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { inventory: { packages: unknown[] }; warnings: { code: string }[] };
    assert.equal(doc.inventory.packages.length, 0);
    assert.ok(doc.warnings.some((w) => w.code === 'FILE_TOO_LARGE'));
    assert.match(r.stderr, /FILE_TOO_LARGE/, 'warnings are shown on stderr');
  });

  test('--timeout stops a scan that takes too long with a clear error', () => {
    const r = bollard('inventory', `oci-archive:${env.images.ociArchive}`, '--no-cache', '--timeout', '1ms');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^bollard: .*(time|abort)/i);
  });

  test('version and help', () => {
    const v = bollard('version', '--format', 'json');
    assert.equal(v.code, 0);
    assert.match((JSON.parse(v.stdout) as { version: string }).version, /^\d+\.\d+\.\d+/);
    const h = bollard('--help');
    assert.equal(h.code, 0);
    for (const cmd of ['sbom', 'inventory', 'cache', 'version']) assert.match(h.stdout, new RegExp(`\\b${cmd}\\b`));
    assert.ok(existsSync(BIN));
  });
});
