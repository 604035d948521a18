/**
 * The image file checks of `bollard image` (#6: setuid/setgid, world-writable files, package caches,
 * sshd/sudo) on real images. Needs root, podman and the test environment (`scripts/test-env.sh up`).
 *
 * A podman build on the debootstrap Debian 12 image adds, one layer each: setuid and setgid files; a
 * world-writable file (and a sticky world-writable directory) in /opt; a package in apt's archive
 * cache; then a `chmod u-s` of one of the setuid files. `bollard image --scanners config -f json` must
 * report exactly the failed checks, paths, modes and layers. The expectation for the base layer comes
 * from `find` on the root filesystem the test image was made from (test-env.sh: `tar -C ROOTFS -c . |
 * podman import`), never from Bollard.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { MisconfigFinding, Report } from '../../src/report/types.ts';
import { testEnv } from '../helpers/env.ts';

const env = testEnv();
const BIN = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
const podmanEnv = { ...process.env, CONTAINERS_CONF: env.containersConf };
const podman = (...args: string[]): string =>
  execFileSync('podman', args, { encoding: 'utf8', env: podmanEnv, maxBuffer: 64 << 20 });
const IMAGE = 'localhost/bollard-test/file-modes:latest';
const work = mkdtempSync(join(tmpdir(), 'bollard-file-modes-e2e-'));
const archive = join(work, 'file-modes.oci.tar');
const DEB = 'bollard-cache-demo_1.0-1_all.deb';

function bollard(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, NO_COLOR: '1', BOLLARD_CACHE_DIR: join(work, 'cache') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `find ROOT ARGS -printf FORMAT`, one line per entry, sorted. */
function find(root: string, args: string[], format: string): string[] {
  const out = execFileSync('find', [root, ...args, '-printf', format], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.split('\n').filter(Boolean).sort();
}

function buildDeb(dir: string): void {
  const root = join(dir, 'pkg');
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/share/doc/bollard-cache-demo'), { recursive: true });
  writeFileSync(
    join(root, 'DEBIAN/control'),
    'Package: bollard-cache-demo\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Bollard Tests <tests@example.org>\nDescription: a package left in the apt cache\n',
  );
  writeFileSync(join(root, 'usr/share/doc/bollard-cache-demo/README'), 'demo\n');
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, join(dir, DEB)], { stdio: 'pipe' });
  rmSync(root, { recursive: true });
}

interface Scan {
  findings: MisconfigFinding[];
  report: Report;
}

function scanConfig(target: string, ...extra: string[]): Scan {
  const r = bollard('image', target, '--scanners', 'config', '-f', 'json', '--quiet', ...extra);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  const results = report.results.filter((x) => x.class === 'image-config');
  assert.equal(results.length, 1, 'one image-config result');
  return { report, findings: results[0]?.misconfigurations ?? [] };
}

const failed = (s: Scan, id: string): string[] =>
  s.findings.filter((f) => f.checkId === id && f.status === 'failed').map((f) => f.message);
const failedIds = (s: Scan): string[] =>
  [...new Set(s.findings.filter((f) => f.status === 'failed').map((f) => f.checkId))].sort();
const statusOf = (s: Scan, id: string): string[] => s.findings.filter((f) => f.checkId === id).map((f) => f.status);

/** The base layer's setuid/setgid files as `find` sees them, in Bollard's words. */
function baseSetuid(layer: number): string[] {
  return find(env.rootfs, ['-type', 'f', '-perm', '/6000'], '%P %m %U:%G\n').map((line) => {
    const [path, mode, owner] = line.split(' ') as [string, string, string];
    const m = Number.parseInt(mode, 8);
    const bits = (m & 0o6000) === 0o6000 ? 'setuid and setgid' : m & 0o4000 ? 'setuid' : 'setgid';
    return `/${path} is ${bits} (mode ${mode}, owner ${owner}, layer ${layer})`;
  });
}

let built: Scan;
let cached: Scan;
let base: Scan;

before(() => {
  const ctx = join(work, 'ctx');
  mkdirSync(ctx);
  buildDeb(ctx);
  writeFileSync(
    join(ctx, 'Containerfile'),
    [
      `FROM ${env.images.podman}`,
      // layer 1: setuid and setgid files
      'RUN install -m 4755 /bin/true /usr/local/bin/suid-kept && install -m 4755 /bin/true /usr/local/bin/suid-dropped && install -m 2755 /bin/true /usr/local/bin/sgid-tool',
      // layer 2: a world-writable file in /opt, and a sticky world-writable directory (allowed)
      'RUN mkdir -p /opt/shared /opt/drop && echo data > /opt/shared/data.txt && chmod 0666 /opt/shared/data.txt && chmod 1777 /opt/drop',
      // layer 3: a package left in apt's archive cache
      `COPY ${DEB} /var/cache/apt/archives/`,
      // layer 4: the setuid bit removed from one file
      'RUN chmod u-s /usr/local/bin/suid-dropped',
      '',
    ].join('\n'),
  );
  podman('build', '-q', '--layers', '-t', IMAGE, ctx);
  podman('save', '-q', '--format', 'oci-archive', '-o', archive, IMAGE);
  built = scanConfig(`oci-archive:${archive}`);
  cached = scanConfig(`oci-archive:${archive}`);
  base = scanConfig(`oci-archive:${env.images.ociArchive}`, '--no-cache');
});

after(() => {
  rmSync(work, { recursive: true, force: true });
  try {
    podman('rmi', '-f', IMAGE);
  } catch {
    // already gone
  }
});

describe('image file checks on real images (needs root, podman, test env)', () => {
  test('the built image has five layers; the container agrees on the modes Bollard must report', () => {
    assert.equal(built.report.target.image?.layers.length, 5);
    const inContainer = podman(
      'run',
      '--rm',
      '--network=none',
      IMAGE,
      'stat',
      '-c',
      '%n %a',
      '/usr/local/bin/suid-kept',
      '/usr/local/bin/suid-dropped',
      '/usr/local/bin/sgid-tool',
      '/opt/shared/data.txt',
      '/opt/drop',
    );
    assert.deepEqual(inContainer.trim().split('\n'), [
      '/usr/local/bin/suid-kept 4755',
      '/usr/local/bin/suid-dropped 755',
      '/usr/local/bin/sgid-tool 2755',
      '/opt/shared/data.txt 666',
      '/opt/drop 1777',
    ]);
  });

  test('exactly these checks fail: root user, no HEALTHCHECK, setuid/setgid, world-writable, package caches', () => {
    assert.deepEqual(failedIds(built), ['BD-IMG-001', 'BD-IMG-002', 'BD-IMG-006', 'BD-IMG-007', 'BD-IMG-008']);
    for (const id of ['BD-IMG-009', 'BD-IMG-010']) assert.deepEqual(statusOf(built, id), ['passed'], id);
    assert.deepEqual(
      built.findings.filter((f) => f.status === 'skipped' || f.status === 'error'),
      [],
    );
  });

  test('setuid/setgid: the base layer’s binaries (as find sees them) and layer 1’s, not the one layer 4 chmodded', () => {
    const expected = [
      ...baseSetuid(0),
      '/usr/local/bin/sgid-tool is setgid (mode 2755, owner 0:0, layer 1)',
      '/usr/local/bin/suid-kept is setuid (mode 4755, owner 0:0, layer 1)',
    ].sort();
    assert.ok(expected.length >= 12, `${expected.length} setuid/setgid files`);
    assert.deepEqual([...failed(built, 'BD-IMG-006')].sort(), expected);
    assert.ok(!failed(built, 'BD-IMG-006').some((m) => m.includes('suid-dropped')));
    const files = built.findings.filter((f) => f.checkId === 'BD-IMG-006').map((f) => f.file);
    assert.ok(files.includes('usr/local/bin/suid-kept'));
  });

  test('world-writable: the file in /opt from layer 2; the sticky directory and the base image’s tmp dirs are allowed', () => {
    // The base root has no world-writable entries outside the temporary directories (find agrees).
    const baseWritable = find(
      env.rootfs,
      [
        '(',
        '-type',
        'f',
        '-o',
        '-type',
        'd',
        '!',
        '-perm',
        '-1000',
        ')',
        '-perm',
        '-0002',
        '!',
        '-regex',
        `${env.rootfs}/\\(tmp\\|var/tmp\\|dev/shm\\|run/lock\\|var/lock\\)\\(/.*\\)?`,
      ],
      '%P\n',
    );
    assert.deepEqual(baseWritable, []);
    assert.deepEqual(failed(built, 'BD-IMG-007'), [
      '/opt/shared/data.txt is world-writable (mode 666, owner 0:0, layer 2)',
    ]);
  });

  test('package caches: debootstrap’s apt archives and lists in layer 0, and the package added in layer 3', () => {
    const debs = find(
      join(env.rootfs, 'var/cache/apt/archives'),
      ['-maxdepth', '1', '-type', 'f', '-name', '*.deb'],
      '%P\n',
    );
    const lists = find(
      join(env.rootfs, 'var/lib/apt/lists'),
      [
        '-maxdepth',
        '1',
        '-type',
        'f',
        '-regex',
        '.*_\\(Packages\\|Sources\\|InRelease\\|Release\\)\\(\\.[A-Za-z0-9_]+\\)?',
      ],
      '%P\n',
    );
    assert.ok(debs.length > 50 && lists.length > 0, `${debs.length} debs, ${lists.length} lists`);
    const first = [...debs, DEB].sort()[0];
    assert.deepEqual(failed(built, 'BD-IMG-008'), [
      `${debs.length + 1} files of apt archives (layers 0, 3), e.g. /var/cache/apt/archives/${first}`,
      `${lists.length} files of apt lists (layer 0), e.g. /var/lib/apt/lists/${lists[0]}`,
    ]);
  });

  test('a second scan from the layer cache reports the same', () => {
    assert.deepEqual(cached.findings, built.findings);
  });

  test('the test environment’s Debian 12 image reports its real setuid binaries, all from layer 0', () => {
    assert.deepEqual([...failed(base, 'BD-IMG-006')].sort(), baseSetuid(0));
    assert.deepEqual(statusOf(base, 'BD-IMG-007'), ['passed']);
    assert.deepEqual(statusOf(base, 'BD-IMG-009'), ['passed']);
    assert.deepEqual(statusOf(base, 'BD-IMG-010'), ['passed']);
  });
});
