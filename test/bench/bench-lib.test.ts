// The pieces the benches rely on for their figures: package-set extraction from CycloneDX purls (so
// Bollard and Trivy are read the same way), medians, and the generated tar layers of the big image
// (read back by GNU tar, with the compressibility each layer is meant to have).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { randomFill, repetitiveFill, tarOf, textFill } from '../../bench/big-image.ts';
import { cdxOsPackages, compareSets, median, osPackageKey, summarise } from '../../bench/lib.ts';

const work = mkdtempSync(join(tmpdir(), 'bollard-bench-lib-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('bench/lib', () => {
  test('osPackageKey: epoch from the qualifier, percent-decoding, namespace dropped, non-OS purls ignored', () => {
    assert.equal(
      osPackageKey('pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12.15&epoch=1'),
      'deb/bsdutils@1:2.38.1-5+deb12u3',
    );
    assert.equal(osPackageKey('pkg:deb/debian/adduser@3.134?arch=all'), 'deb/adduser@3.134');
    assert.equal(osPackageKey('pkg:deb/debian/x@1.0?epoch=0'), 'deb/x@1.0');
    assert.equal(osPackageKey('pkg:rpm/redhat/openssl@3.0.7-1.el9?arch=x86_64&epoch=1'), 'rpm/openssl@1:3.0.7-1.el9');
    assert.equal(osPackageKey('pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64'), 'apk/musl@1.2.4-r2');
    assert.equal(osPackageKey('pkg:npm/left-pad@1.3.0'), undefined);
    assert.equal(osPackageKey('pkg:oci/debian@sha256%3Aabc'), undefined);
  });

  test('cdxOsPackages and compareSets', () => {
    const a = cdxOsPackages({
      components: [
        { type: 'operating-system', name: 'debian' },
        { purl: 'pkg:deb/debian/a@1' },
        { purl: 'pkg:deb/debian/b@2?epoch=3' },
        { purl: 'pkg:golang/x@1' },
      ],
    });
    const b = cdxOsPackages({ components: [{ purl: 'pkg:deb/debian/a@1' }, { purl: 'pkg:deb/debian/c@1' }] });
    assert.deepEqual([...a].sort(), ['deb/a@1', 'deb/b@3:2']);
    assert.deepEqual(compareSets(a, b), { common: 1, onlyA: ['deb/b@3:2'], onlyB: ['deb/c@1'] });
    assert.equal(cdxOsPackages(null).size, 0);
    assert.equal(cdxOsPackages({ components: 'x' }).size, 0);
  });

  test('median and summarise', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.deepEqual(summarise([5, 1, 9]), { samples: [5, 1, 9], median: 5, min: 1, max: 9 });
  });
});

describe('bench/big-image generated layers', () => {
  async function tarBuffer(...args: Parameters<typeof tarOf>): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of tarOf(...args)) parts.push(b);
    return Buffer.concat(parts);
  }

  test('GNU tar reads the generated archive back, names, sizes and content intact', async () => {
    const content = Buffer.from('hello, big image\n');
    const tar = await tarBuffer(
      ['opt/', 'opt/d/'],
      [
        { name: 'opt/d/a.txt', size: content.length, fill: (buf) => content.copy(buf) },
        { name: 'opt/d/b.bin', size: 3 * 1024 * 1024 + 7, fill: randomFill(1) },
      ],
    );
    assert.equal(tar.length % 512, 0);
    const file = join(work, 't.tar');
    writeFileSync(file, tar);
    const list = spawnSync('tar', ['-tvf', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.equal(list.status, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /^drwxr-xr-x root\/root +0 2025-06-01 00:00 opt\/$/);
    assert.match(lines[3] ?? '', /^-rw-r--r-- root\/root +3145735 2025-06-01 00:00 opt\/d\/b\.bin$/);
    const a = spawnSync('tar', ['-xOf', file, 'opt/d/a.txt']);
    assert.deepEqual(a.stdout, content);
  });

  test('fills are deterministic and have the intended compressibility', () => {
    const sample = (fill: (b: Buffer, o: number) => void) => {
      const b = Buffer.alloc(4 * 1024 * 1024);
      fill(b, 0);
      return b;
    };
    assert.deepEqual(sample(randomFill(7)), sample(randomFill(7)));
    assert.notDeepEqual(sample(randomFill(7)), sample(randomFill(8)));
    const ratio = (b: Buffer) => b.length / gzipSync(b).length;
    assert.ok(ratio(sample(randomFill(1))) < 1.01, 'random is incompressible');
    const text = ratio(sample(textFill(1)));
    assert.ok(text > 2 && text < 20, `text compresses ${text.toFixed(1)}x`);
    const rep = ratio(sample(repetitiveFill()));
    // Well above text, and well below the 1000x compression-ratio limit a scan enforces.
    assert.ok(rep > 20 && rep < 500, `repetitive compresses ${rep.toFixed(1)}x`);
  });
});
