/**
 * Acceptance 2 of the vulnerability database (needs root and the test environment:
 * `sudo scripts/test-env.sh up`): the debootstrap Debian 12 image, matched against the Debian 12
 * fixture feed, reports exactly the records whose fixed version is newer than each package's
 * installed source version, as `dpkg --compare-versions` decides independently; the same root
 * upgraded from bookworm-security loses exactly the findings its upgrades fixed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { VulnFinding } from '../../src/detect/types.ts';
import type { Report } from '../../src/report/types.ts';
import { testEnv } from '../helpers/env.ts';

const repo = join(import.meta.dirname, '..', '..');
const bollard = join(repo, 'bin', 'bollard');
const debianZip = join(repo, 'test', 'fixtures', 'vuln', 'osv', 'Debian', 'all.zip');
const kevJson = join(repo, 'test', 'fixtures', 'vuln', 'kev', 'known_exploited_vulnerabilities.json');

interface FixtureRecord {
  id: string;
  upstream?: string[];
  aliases?: string[];
  affected: { package: { ecosystem: string; name: string }; ranges?: { events: Record<string, string>[] }[] }[];
}

interface Installed {
  pkg: string;
  source: string;
  sourceVersion: string;
}

/** The expectation, computed without Bollard: dpkg-query for the packages, dpkg for the comparisons. */
function expectedFindings(root: string, records: FixtureRecord[]): Map<string, Set<string>> {
  // dpkg-query's own format syntax, not a template literal.
  const format = ['binary:Package', 'source:Package', 'source:Version'].map((f) => `\${${f}}`).join('\t');
  const out = execFileSync('dpkg-query', ['--admindir', join(root, 'var/lib/dpkg'), '-W', '-f', `${format}\n`], {
    encoding: 'utf8',
  });
  const installed: Installed[] = out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([pkg = '', source = '', sourceVersion = '']) => ({ pkg: pkg.replace(/:.*$/, ''), source, sourceVersion }));
  const bySource = new Map<string, Installed[]>();
  for (const i of installed) bySource.set(i.source, [...(bySource.get(i.source) ?? []), i]);
  // One shell for all comparisons: print the index of every pair where installed < fixed.
  const pairs: { pkg: string; id: string; installed: string; fixed: string }[] = [];
  for (const r of records) {
    for (const a of r.affected) {
      if (a.package.ecosystem !== 'Debian:12') continue;
      for (const i of bySource.get(a.package.name) ?? []) {
        for (const range of a.ranges ?? []) {
          for (const e of range.events)
            if (e.fixed) pairs.push({ pkg: i.pkg, id: r.id, installed: i.sourceVersion, fixed: e.fixed });
        }
      }
    }
  }
  const script = pairs
    .map((p, n) => `dpkg --compare-versions '${p.installed}' lt '${p.fixed}' && echo ${n}`)
    .join('\n');
  const lt = spawnSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  const expected = new Map<string, Set<string>>();
  for (const n of lt.trim().split('\n').filter(Boolean)) {
    const p = pairs[Number(n)];
    if (!p) continue;
    expected.set(p.pkg, (expected.get(p.pkg) ?? new Set()).add(p.id));
  }
  return expected;
}

function findingsByPackage(report: Report): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of report.results) {
    for (const f of r.vulnerabilities ?? []) out.set(f.package.name, (out.get(f.package.name) ?? new Set()).add(f.id));
  }
  return out;
}

function allFindings(report: Report): VulnFinding[] {
  return report.results.flatMap((r) => r.vulnerabilities ?? []);
}

function sorted(m: Map<string, Set<string>>): [string, string[]][] {
  return [...m].map(([k, v]) => [k, [...v].sort()] as [string, string[]]).sort(([a], [b]) => a.localeCompare(b));
}

function scan(args: string[]): Report {
  const r = spawnSync(process.execPath, [bollard, ...args, '--format', 'json', '--quiet'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, BOLLARD_CACHE_DIR: cacheDir, NO_COLOR: '1' },
  });
  assert.equal(r.status, 0, `bollard ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

let work = '';
let cacheDir = '';
let db = '';
let records: FixtureRecord[] = [];

describe('Debian 12 matching against dpkg (root, test env)', () => {
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bollard-vuln-e2e-'));
    cacheDir = join(work, 'cache');
    db = join(work, 'bollard.db');
    const imp = spawnSync(process.execPath, [bollard, 'db', 'import', '--db', db, debianZip, kevJson], {
      encoding: 'utf8',
    });
    assert.equal(imp.status, 0, `db import failed: ${imp.stderr}`);
    const list = execFileSync('unzip', ['-Z1', debianZip], { encoding: 'utf8' }).trim().split('\n');
    records = list.map(
      (name) => JSON.parse(execFileSync('unzip', ['-p', debianZip, name], { encoding: 'utf8' })) as FixtureRecord,
    );
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the image reports exactly the records dpkg says are unfixed, with evidence', () => {
    const env = testEnv();
    const report = scan(['image', '--db', db, `oci-archive:${env.images.ociArchive}`]);
    const expected = expectedFindings(env.rootfs, records);
    const total = [...expected.values()].reduce((n, s) => n + s.size, 0);
    assert.ok(total >= 10, `the fixture should make the 12.15 root vulnerable (expected ${total})`);
    assert.deepEqual(sorted(findingsByPackage(report)), sorted(expected));
    const kev = new Set(
      (JSON.parse(readFileSync(kevJson, 'utf8')) as { vulnerabilities: { cveID: string }[] }).vulnerabilities.map(
        (v) => v.cveID,
      ),
    );
    for (const f of allFindings(report)) {
      assert.equal(f.status, 'fixed');
      assert.equal(f.evidence.comparator, 'deb');
      assert.equal(f.evidence.source, 'osv');
      assert.ok(f.fixedVersion, `${f.id} has a fixed version`);
      assert.equal(f.package.ecosystem, 'Debian:12');
      assert.equal(typeof f.package.layer, 'number', 'image findings name their layer');
      assert.match(f.evidence.reason, / < /);
      assert.equal(Boolean(f.kev), f.cve !== undefined && kev.has(f.cve), `${f.id}: KEV membership`);
    }
    assert.equal(
      report.db?.sources.some((s) => s.id === 'kev'),
      true,
    );
    assert.equal(
      report.summary.UNKNOWN +
        report.summary.LOW +
        report.summary.MEDIUM +
        report.summary.HIGH +
        report.summary.CRITICAL,
      allFindings(report).length,
    );
  });

  test('upgrading from bookworm-security removes exactly the findings it fixed', () => {
    const env = testEnv();
    const beforeReport = scan(['rootfs', '--db', db, env.rootfs]);
    const afterReport = scan(['rootfs', '--db', db, env.rootfsSecurity]);
    const beforeSet = findingsByPackage(beforeReport);
    const afterSet = findingsByPackage(afterReport);
    assert.deepEqual(sorted(beforeSet), sorted(expectedFindings(env.rootfs, records)));
    assert.deepEqual(sorted(afterSet), sorted(expectedFindings(env.rootfsSecurity, records)));
    // Nothing new appears, and what disappeared is exactly what dpkg says the upgrades fixed.
    let removed = 0;
    for (const [pkg, ids] of afterSet)
      for (const id of ids) assert.ok(beforeSet.get(pkg)?.has(id), `${pkg} ${id} is new`);
    for (const ids of beforeSet.values()) removed += ids.size;
    for (const ids of afterSet.values()) removed -= ids.size;
    assert.ok(removed > 0, 'the security upgrade fixed something');
  });
});
