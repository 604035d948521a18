// examples/debian-mini, the image the README's first command scans: a sound OCI layout (every
// digest, size and diffID checked here independently of Bollard), small, with the two layers and
// the whiteouts its readme promises, and what `bollard sbom` makes of it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { listTar, type TarListEntry } from '../helpers/tar-list.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const layout = join(repo, 'examples', 'debian-mini');

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function blob(d: Descriptor): Buffer {
  assert.match(d.digest, /^sha256:[0-9a-f]{64}$/);
  const b = readFileSync(join(layout, 'blobs', 'sha256', d.digest.slice(7)));
  assert.equal(b.length, d.size, `size of ${d.digest}`);
  assert.equal(`sha256:${createHash('sha256').update(b).digest('hex')}`, d.digest, `content of ${d.digest}`);
  return b;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const packagesOf = (status: string) => [...status.matchAll(/^Package: (.+)$/gm)].map((m) => m[1]);

describe('examples/debian-mini', () => {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const manifestDesc = index.manifests[0]!;
  const manifest = JSON.parse(blob(manifestDesc).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  const config = JSON.parse(blob(manifest.config).toString('utf8')) as {
    architecture: string;
    os: string;
    rootfs: { diff_ids: string[] };
    history: { created_by: string }[];
  };
  const layers: TarListEntry[][] = manifest.layers.map((d) => {
    const tar = gunzipSync(blob(d));
    return listTar(tar);
  });

  test('is an OCI layout with one manifest tagged latest', () => {
    assert.deepEqual(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    assert.equal(index.manifests.length, 1);
    assert.equal(manifestDesc.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifestDesc.annotations?.['org.opencontainers.image.ref.name'], 'latest');
  });

  test('every blob is referenced, hashes to its name, and all of them stay under 100 KB', () => {
    const files = readdirSync(join(layout, 'blobs', 'sha256')).sort();
    const referenced = [manifestDesc, manifest.config, ...manifest.layers].map((d) => d.digest.slice(7)).sort();
    assert.deepEqual(files, referenced);
    const total = files.reduce((a, f) => a + statSync(join(layout, 'blobs', 'sha256', f)).size, 0);
    assert.ok(total < 100 * 1024, `blobs total ${total} bytes`);
  });

  test('two gzip layers whose uncompressed digests are the config diff_ids', () => {
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.os, 'linux');
    assert.equal(manifest.layers.length, 2);
    assert.equal(config.rootfs.diff_ids.length, 2);
    manifest.layers.forEach((d, i) => {
      assert.equal(d.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
      assert.equal(sha256(gunzipSync(blob(d))), config.rootfs.diff_ids[i]);
    });
    assert.deepEqual(
      config.history.map((h) => h.created_by),
      ['debootstrap --variant=minbase bookworm (trimmed)', 'apt-get purge -y tzdata'],
    );
  });

  test('layer 1: Debian 12 os-release behind the usual symlink, 12 packages with tzdata', () => {
    const l = layers[0]!;
    const link = l.find((e) => e.name === 'etc/os-release');
    assert.equal(link?.type, '2');
    assert.equal(link?.linkname, '../usr/lib/os-release');
    const osr = l.find((e) => e.name === 'usr/lib/os-release')?.data.toString('utf8') ?? '';
    assert.match(osr, /^ID=debian$/m);
    assert.match(osr, /^VERSION_ID="12"$/m);
    assert.match(l.find((e) => e.name === 'etc/debian_version')?.data.toString('utf8') ?? '', /^12\.\d+\n$/);
    const pkgs = packagesOf(l.find((e) => e.name === 'var/lib/dpkg/status')?.data.toString('utf8') ?? '');
    assert.equal(pkgs.length, 12);
    assert.ok(pkgs.includes('tzdata'));
    assert.ok(l.some((e) => e.name === 'usr/share/doc/tzdata/copyright'));
    assert.ok(l.some((e) => e.name === 'var/lib/dpkg/info/tzdata.list'));
  });

  test('layer 2: a status without tzdata and whiteouts for its files', () => {
    const l = layers[1]!;
    const names = l.map((e) => e.name);
    assert.ok(names.includes('usr/share/doc/.wh.tzdata'), names.join(', '));
    assert.ok(names.includes('var/lib/dpkg/info/.wh.tzdata.list'), names.join(', '));
    const pkgs = packagesOf(l.find((e) => e.name === 'var/lib/dpkg/status')?.data.toString('utf8') ?? '');
    assert.equal(pkgs.length, 11);
    assert.ok(!pkgs.includes('tzdata'));
  });

  test('README command: bollard sbom examples/debian-mini --format cyclonedx finds Debian 12 and the 11 packages', () => {
    const r = spawnSync(
      process.execPath,
      [join(repo, 'bin', 'bollard'), 'sbom', 'examples/debian-mini', '--format', 'cyclonedx', '--no-cache'],
      {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const bom = JSON.parse(r.stdout) as {
      components: { type: string; name: string; version?: string; purl?: string }[];
    };
    const debs = bom.components.filter((c) => c.purl?.startsWith('pkg:deb/debian/')).map((c) => c.name);
    const expected = packagesOf(layers[1]!.find((e) => e.name === 'var/lib/dpkg/status')!.data.toString('utf8'));
    assert.deepEqual([...debs].sort(), [...expected].sort());
    const os = bom.components.find((c) => c.type === 'operating-system');
    assert.equal(os?.name, 'debian');
    assert.match(os?.version ?? '', /^12(\.|$)/);
  });

  test('README command: db import of the shipped Debian feed, then bollard image examples/debian-mini', () => {
    const home = mkdtempSync(join(tmpdir(), 'bollard-readme-'));
    try {
      const env = { ...process.env, NO_COLOR: '1', BOLLARD_CACHE_DIR: home };
      const bin = join(repo, 'bin', 'bollard');
      const imp = spawnSync(process.execPath, [bin, 'db', 'import', 'test/fixtures/vuln/osv/Debian/all.zip'], {
        cwd: repo,
        encoding: 'utf8',
        env,
      });
      assert.equal(imp.status, 0, imp.stderr);
      const table = spawnSync(process.execPath, [bin, 'image', 'examples/debian-mini', '--no-cache'], {
        cwd: repo,
        encoding: 'utf8',
        env,
      });
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /debian 12\.15 \(os packages\), 11 packages/);
      const json = spawnSync(process.execPath, [bin, 'image', 'examples/debian-mini', '-f', 'json', '--no-cache'], {
        cwd: repo,
        encoding: 'utf8',
        env,
      });
      const report = JSON.parse(json.stdout) as {
        results: {
          vulnerabilities?: { package: { name: string }; fixedVersion?: string; evidence: { comparator: string } }[];
        }[];
      };
      const findings = report.results.flatMap((r) => r.vulnerabilities ?? []);
      // The shipped image predates perl's bookworm-security update; its other ten packages are current.
      assert.ok(findings.length > 0);
      assert.deepEqual([...new Set(findings.map((f) => f.package.name))], ['perl-base']);
      for (const f of findings) {
        assert.equal(f.fixedVersion, '5.36.0-7+deb12u4');
        assert.equal(f.evidence.comparator, 'deb');
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
