/**
 * Acceptance 1 of the language ecosystems (#4). Needs root, podman and the test environment
 * (`sudo scripts/test-env.sh up`), and the Debian mirror the first time (the .deb files are kept in
 * `<stateDir>/lang-debs`). A real image is built by podman from the debootstrap Debian 12 image plus:
 * - an npm project installed by npm 11 from the registry (lodash 4.17.4, minimist 0.0.8, with its
 *   package-lock.json; the committed fixture `src/analyzers/npm/__fixtures__/installed`);
 * - the files of Debian 12's python3-requests and python3-urllib3 (dist-packages metadata), skopeo
 *   (a Go binary) and libslf4j-java (jars in /usr/share/java), unpacked with dpkg-deb as dpkg would;
 * - a Rust project's Cargo.lock.
 * The scan must list those packages with their names and versions, and report exactly the records of
 * the OSV fixture feed whose ranges cover them, as computed here without Bollard's matcher
 * (semver for npm, crates.io and Go, PEP 440 for PyPI).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';
import type { Package } from '../../src/analyzers/types.ts';
import type { Report } from '../../src/report/types.ts';
import { inventoryTarget } from '../../src/scan/service.ts';
import type { InventoryResult } from '../../src/scan/types.ts';
import { testEnv } from '../helpers/env.ts';

const repo = join(import.meta.dirname, '..', '..');
const bollard = join(repo, 'bin', 'bollard');
const analyzers = join(repo, 'src', 'analyzers');
const osvDir = join(analyzers, 'lang', '__fixtures__', 'osv');
const env = testEnv();
const podmanEnv = { ...process.env, CONTAINERS_CONF: env.containersConf };
const podman = (...args: string[]): string =>
  execFileSync('podman', args, { encoding: 'utf8', env: podmanEnv, maxBuffer: 64 << 20 });
const IMAGE = 'localhost/bollard-test/lang:latest';
const DEBS = ['python3-requests', 'python3-urllib3', 'skopeo', 'libslf4j-java'];

const work = mkdtempSync(join(tmpdir(), 'bollard-lang-'));
const archive = join(work, 'lang.oci.tar');
const db = join(work, 'lang.db');
let inv: InventoryResult;
let report: Report;

function debs(): string[] {
  const dir = join(env.stateDir, 'lang-debs');
  mkdirSync(dir, { recursive: true });
  const have = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.deb'));
  const missing = DEBS.filter((d) => !have().some((f) => f.startsWith(`${d}_`)));
  if (missing.length > 0) {
    try {
      execFileSync('apt-get', ['download', ...missing], { cwd: dir, stdio: 'pipe' });
    } catch (e) {
      throw new Error(
        `cannot download ${missing.join(', ')} from the Debian mirror into ${dir}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  return have().map((f) => join(dir, f));
}

before(async () => {
  const ctx = join(work, 'ctx');
  const extra = join(ctx, 'extra');
  mkdirSync(extra, { recursive: true });
  for (const deb of debs()) execFileSync('dpkg-deb', ['-x', deb, extra]);
  // Only what the analyzers read and the binaries: documentation is not needed.
  rmSync(join(extra, 'usr/share/doc'), { recursive: true, force: true });
  cpSync(join(analyzers, 'npm/__fixtures__/installed'), join(ctx, 'app'), { recursive: true });
  rmSync(join(ctx, 'app/npm-ls.json'));
  mkdirSync(join(ctx, 'rust'));
  cpSync(join(analyzers, 'rust/__fixtures__/Cargo.lock'), join(ctx, 'rust/Cargo.lock'));
  writeFileSync(
    join(ctx, 'Containerfile'),
    [`FROM ${env.images.podman}`, 'COPY extra/ /', 'COPY app/ /srv/app/', 'COPY rust/ /srv/rust/', ''].join('\n'),
  );
  podman('build', '-q', '--layers', '-t', IMAGE, ctx);
  podman('save', '--format', 'oci-archive', '-o', archive, IMAGE);
  execFileSync(bollard, ['db', 'build', '-q', '-o', db, ...readdirSync(osvDir).map((e) => join(osvDir, e))]);
  inv = await inventoryTarget(`oci-archive:${archive}`, { cacheDir: false });
  const out = execFileSync(
    bollard,
    ['image', `oci-archive:${archive}`, '--db', db, '-f', 'json', '--scanners', 'vuln', '--no-cache', '-q'],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  report = JSON.parse(out) as Report;
});

after(() => {
  rmSync(work, { recursive: true, force: true });
  try {
    podman('rmi', '-f', IMAGE);
  } catch {
    // already gone
  }
});

const lang = (type: string): Package[] => inv.inventory.packages.filter((p) => p.type === type);
const ids = (ps: Package[]): string[] => ps.map((p) => `${p.name}@${p.version}`).sort();

interface OsvRecord {
  id: string;
  affected: {
    package: { ecosystem: string; name: string };
    ranges?: { type: string; events: Record<string, string>[] }[];
    versions?: string[];
  }[];
}

/** Does the record cover this version? Independent of Bollard: semver / PEP 440 libraries over the events. */
function covers(ecosystem: string, a: OsvRecord['affected'][number], version: string): boolean {
  const v = ecosystem === 'Go' ? version.replace(/^v/, '') : version;
  if (a.versions?.includes(v)) return true;
  const lt =
    ecosystem === 'PyPI' ? (x: string, y: string) => pep440.lt(x, y) : (x: string, y: string) => semver.lt(x, y);
  for (const r of a.ranges ?? []) {
    if (r.type === 'GIT') continue;
    let intro: string | undefined;
    for (const e of r.events) {
      if (e.introduced !== undefined) intro = e.introduced;
      const end = e.fixed ?? e.last_affected;
      if (end !== undefined && intro !== undefined) {
        const from = intro === '0' || !lt(v, intro);
        const until = e.fixed !== undefined ? lt(v, end) : !lt(end, v);
        if (from && until) return true;
        intro = undefined;
      }
    }
    if (intro !== undefined && (intro === '0' || !lt(v, intro))) return true;
  }
  return false;
}

function expectedIds(type: string, ecosystem: string): Set<string> {
  const out = new Set<string>();
  for (const f of readdirSync(join(osvDir, ecosystem))) {
    const rec = JSON.parse(readFileSync(join(osvDir, ecosystem, f), 'utf8')) as OsvRecord;
    for (const p of lang(type)) {
      const name = type === 'pypi' ? p.name.toLowerCase() : p.name;
      for (const a of rec.affected) {
        if (
          a.package.ecosystem === ecosystem &&
          a.package.name.toLowerCase() === name &&
          covers(ecosystem, a, p.version)
        )
          out.add(`${p.name}@${p.version} ${rec.id}`);
      }
    }
  }
  return out;
}

function reported(type: string): Set<string> {
  const out = new Set<string>();
  for (const r of report.results) {
    if (r.class !== 'lang-pkgs' || r.type !== type) continue;
    for (const f of r.vulnerabilities ?? []) out.add(`${f.package.name}@${f.package.version} ${f.id}`);
  }
  return out;
}

describe('language packages in a real Debian 12 image (needs root, podman, test env)', () => {
  test('npm: the installed project equals npm ls, with the lockfile facts', () => {
    const fromNpm = new Set<string>();
    const walk = (deps: Record<string, { version: string; dependencies?: object }> | undefined): void => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        fromNpm.add(`${name}@${d.version}`);
        walk(d.dependencies as typeof deps);
      }
    };
    walk(JSON.parse(readFileSync(join(analyzers, 'npm/__fixtures__/installed/npm-ls.json'), 'utf8')).dependencies);
    assert.deepEqual(ids(lang('npm')), [...fromNpm].sort());
    const lodash = lang('npm').find((p) => p.name === 'lodash')!;
    assert.equal(lodash.location.path, 'srv/app/node_modules/lodash/package.json');
    assert.equal(lodash.purl, 'pkg:npm/lodash@4.17.4');
    assert.equal(lodash.direct, true);
    assert.equal(lodash.location.layer, inv.target.image!.layers.length - 2);
    assert.equal(lang('npm').find((p) => p.name === '@sindresorhus/is')?.purl, 'pkg:npm/%40sindresorhus/is@0.7.0');
  });

  test('Python, Go, Java and Rust packages with names, versions and purls', () => {
    assert.deepEqual(ids(lang('pypi')), ['requests@2.28.1', 'urllib3@1.26.12']);
    assert.deepEqual(
      lang('golang').map((p) => [p.name, p.version, p.location.path, p.purl]),
      [['stdlib', 'v1.19.8', 'usr/bin/skopeo', 'pkg:golang/stdlib@v1.19.8']],
    );
    const slf4j = lang('maven').filter((p) => p.location.path.startsWith('usr/share/java/'));
    assert.ok(slf4j.length >= 8);
    assert.ok(slf4j.every((p) => p.version === '1.7.32' && p.name.startsWith('org.slf4j:')));
    assert.equal(slf4j.find((p) => p.name === 'org.slf4j:slf4j-api')?.purl, 'pkg:maven/org.slf4j/slf4j-api@1.7.32');
    assert.deepEqual(ids(lang('cargo')), ['libc@0.2.139', 'smallvec@1.6.0', 'time@0.1.43', 'winapi@0.3.9']);
    assert.ok(
      inv.coverage
        .filter((c) => ['npm', 'python', 'golang', 'java', 'rust'].includes(c.id))
        .every((c) => c.status === 'ok'),
    );
  });

  for (const [type, ecosystem, prefixes] of [
    ['npm', 'npm', ['GHSA-', 'NSWG-']],
    ['pypi', 'PyPI', ['PYSEC-']],
    ['golang', 'Go', ['GO-']],
    ['cargo', 'crates.io', ['RUSTSEC-']],
  ] as const) {
    test(`${ecosystem}: exactly the records whose ranges cover the installed versions`, () => {
      const expected = expectedIds(type, ecosystem);
      assert.deepEqual([...reported(type)].sort(), [...expected].sort());
      for (const p of prefixes)
        assert.ok(
          [...expected].some((x) => x.includes(` ${p}`)),
          `some ${p} record matches`,
        );
    });
  }

  test('the Go standard library of the toolchain that built skopeo is matched, and only affected versions', () => {
    const go = [...reported('golang')];
    assert.ok(go.includes('stdlib@v1.19.8 GO-2023-1751'));
    assert.ok(!go.some((x) => x.endsWith('GO-2021-0067')), 'a record fixed before Go 1.19.8 does not match');
  });

  test('the SBOM carries the application packages and their dependency graph', () => {
    const out = execFileSync(bollard, ['sbom', `oci-archive:${archive}`, '--no-cache', '-q'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const bom = JSON.parse(out) as {
      components: { purl?: string; 'bom-ref': string }[];
      dependencies?: { ref: string; dependsOn?: string[] }[];
    };
    const purls = new Set(bom.components.map((c) => c.purl));
    for (const p of [
      'pkg:npm/lodash@4.17.4',
      'pkg:pypi/urllib3@1.26.12',
      'pkg:golang/stdlib@v1.19.8',
      'pkg:cargo/smallvec@1.6.0',
      'pkg:maven/org.slf4j/slf4j-api@1.7.32',
    ]) {
      assert.ok(purls.has(p), p);
    }
    const debug = bom.dependencies?.find((d) => d.ref.startsWith('pkg:npm/debug@2.6.8'));
    assert.ok(
      debug?.dependsOn?.some((r) => r.startsWith('pkg:npm/ms@2.0.0')),
      'debug → ms in the CycloneDX graph',
    );
    assert.ok(existsSync(archive));
  });
});
