import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OSInfo, Package } from '../analyzers/types.ts';
import { buildVulnDb } from '../vulndb/import.ts';
import { openVulnDb, type VulnDb } from '../vulndb/query.ts';
import { scoreCvss } from './cvss.ts';
import { detectVulnerabilities } from './match.ts';
import { riskScore } from './risk.ts';
import { chooseSeverity } from './severity.ts';

const V31_CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const V31_MED = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N'; // 4.2

/** Records written for these tests (own ids), in OSV's shape. */
const records = [
  {
    id: 'TEST-DEB-1',
    aliases: ['CVE-2099-0001'],
    modified: '2026-01-01T00:00:00Z',
    severity: [{ type: 'CVSS_V3', score: V31_CRIT }],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'foo' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-2' }] }],
      },
    ],
  },
  {
    // The same CVE from a second record without a fix: reported once, keeping the fix.
    id: 'TEST-DEB-1B',
    aliases: ['CVE-2099-0001'],
    modified: '2026-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'foo' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      },
    ],
  },
  {
    id: 'TEST-DEB-2',
    aliases: ['CVE-2099-0002'],
    modified: '2026-01-01T00:00:00Z',
    severity: [{ type: 'CVSS_V3', score: V31_MED }],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'foo' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '1.0-1' }] }],
      },
    ],
  },
  {
    // Fixed before the installed version: not a finding (with an epoch, `1:0.9-1`, it would be).
    id: 'TEST-DEB-3',
    modified: '2026-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'foo' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.9-1' }] }],
      },
    ],
  },
  {
    id: 'GHSA-test-0001-0001',
    aliases: ['CVE-2099-0003'],
    modified: '2026-01-01T00:00:00Z',
    database_specific: { severity: 'HIGH' },
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lodash' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
      },
    ],
  },
  {
    id: 'PYSEC-TEST-1',
    modified: '2026-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'Django_Rest.Framework' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '3.0' }, { fixed: '3.15.2' }] }],
      },
    ],
  },
];

const debian: OSInfo = { family: 'debian', release: '12', version: '12.15', name: 'Debian GNU/Linux 12 (bookworm)' };

function pkg(p: Partial<Package> & Pick<Package, 'type' | 'name' | 'version'>): Package {
  return { licenses: [], location: { path: 'var/lib/dpkg/status', layer: 0 }, ...p };
}

let dir = '';
let db: VulnDb;

describe('detectVulnerabilities', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bollard-detect-'));
    const feed = join(dir, 'osv');
    mkdirSync(feed);
    for (const r of records) writeFileSync(join(feed, `${r.id}.json`), JSON.stringify(r));
    writeFileSync(
      join(dir, 'kev.json'),
      JSON.stringify({
        title: 'test',
        catalogVersion: '1',
        dateReleased: '2026-01-01T00:00:00Z',
        count: 1,
        vulnerabilities: [
          {
            cveID: 'CVE-2099-0001',
            vendorProject: 'x',
            product: 'foo',
            dateAdded: '2026-01-02',
            dueDate: '2026-01-23',
            knownRansomwareCampaignUse: 'Known',
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'epss.csv'),
      '#model_version:v2025.03.14,score_date:2026-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-2099-0001,0.9,0.99\nCVE-2099-0002,0.01,0.2\n',
    );
    await buildVulnDb(join(dir, 'db'), [feed, join(dir, 'kev.json'), join(dir, 'epss.csv')]);
    db = openVulnDb(join(dir, 'db'));
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a binary package matches by its source, with evidence, KEV, EPSS and risk order', () => {
    const r = detectVulnerabilities(
      {
        os: debian,
        packages: [pkg({ type: 'deb', name: 'libfoo1', version: '1.0-1', source: { name: 'foo', version: '1.0-1' } })],
      },
      db,
    );
    const [os] = r.results;
    assert.equal(os?.class, 'os-pkgs');
    const f = os?.vulnerabilities ?? [];
    assert.deepEqual(
      f.map((x) => [x.id, x.status, x.fixedVersion, x.severity]),
      [
        ['TEST-DEB-1', 'fixed', '1.0-2', 'CRITICAL'],
        ['TEST-DEB-2', 'affected', undefined, 'MEDIUM'],
      ],
    );
    const first = f[0];
    assert.ok(first);
    assert.deepEqual(first.aliases.sort(), ['CVE-2099-0001', 'TEST-DEB-1B']);
    assert.equal(first.cve, 'CVE-2099-0001');
    assert.equal(first.package.matchedName, 'foo');
    assert.equal(first.package.layer, 0);
    assert.equal(first.evidence.comparator, 'deb');
    assert.deepEqual(first.evidence.events, [{ introduced: '0' }, { fixed: '1.0-2' }]);
    assert.equal(first.evidence.reason, '1.0-1 < 1.0-2 (fixed) in [introduced 0, fixed 1.0-2]');
    assert.deepEqual(first.kev, { dateAdded: '2026-01-02', dueDate: '2026-01-23', knownRansomware: true });
    assert.equal(first.epss?.percentile, 0.99);
    assert.equal(first.severitySource, 'cvss-v3');
    assert.ok(first.risk > (f[1]?.risk ?? 100));
    assert.equal(f[1]?.evidence.reason, '1.0-1 in [introduced 0, last_affected 1.0-1], no fixed version');
    assert.equal(r.unmatched.length, 0);
  });

  test('language packages match by ecosystem; PyPI names are normalised', () => {
    const r = detectVulnerabilities(
      {
        os: undefined,
        packages: [
          pkg({ type: 'npm', name: 'lodash', version: '4.17.20', location: { path: 'app/package-lock.json' } }),
          pkg({ type: 'npm', name: 'lodash', version: '4.17.21', location: { path: 'other/package-lock.json' } }),
          pkg({ type: 'pypi', name: 'django-rest-framework', version: '3.14.0', location: { path: 'site-packages' } }),
          pkg({ type: 'gem', name: 'rails', version: '7.0.0', location: { path: 'Gemfile.lock' } }),
          pkg({ type: 'npm', name: 'broken', version: 'not a version', location: { path: 'app/package-lock.json' } }),
        ],
      },
      db,
    );
    const byTarget = Object.fromEntries(r.results.map((x) => [x.target, x.vulnerabilities?.map((v) => v.id)]));
    assert.deepEqual(byTarget, {
      'Gemfile.lock': [],
      'app/package-lock.json': ['GHSA-test-0001-0001'],
      'other/package-lock.json': [],
      'site-packages': ['PYSEC-TEST-1'],
    });
    const ghsa = r.results.find((x) => x.target === 'app/package-lock.json')?.vulnerabilities?.[0];
    assert.equal(ghsa?.severity, 'HIGH');
    assert.equal(ghsa?.severitySource, 'ghsa');
    assert.equal(ghsa?.evidence.rangeType, 'SEMVER');
    assert.deepEqual(r.unmatched.map((u) => [u.reason, u.ecosystem, u.count]).sort(), [
      ['no-data-for-ecosystem', 'RubyGems', 1],
      ['unparsable-version', 'npm', 1],
    ]);
  });

  test('what cannot be evaluated is counted, never reported as clean', () => {
    const alpine = detectVulnerabilities(
      {
        os: { family: 'alpine', release: '3.20', version: '3.20.1', name: 'Alpine' },
        packages: [pkg({ type: 'apk', name: 'musl', version: '1.2.5-r0' })],
      },
      db,
    );
    assert.deepEqual(alpine.unmatched, [
      { reason: 'no-data-for-ecosystem', ecosystem: 'Alpine:v3.20', count: 1, samples: ['musl@1.2.5-r0'] },
    ]);
    const unknown = detectVulnerabilities(
      {
        os: { family: 'plan9', release: '4', version: '4', name: 'Plan 9' },
        packages: [pkg({ type: 'deb', name: 'x', version: '1' })],
      },
      db,
    );
    assert.equal(unknown.unmatched[0]?.reason, 'unsupported-os');
    assert.equal(unknown.packagesEvaluated, 0);
  });
});

describe('severity and risk', () => {
  test('CVSS scores are computed from valid vectors only', () => {
    assert.equal(scoreCvss(V31_CRIT)?.score, 9.8);
    assert.equal(scoreCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')?.score, 9.3);
    assert.equal(scoreCvss('AV:N/AC:L/Au:N/C:P/I:P/A:P')?.severity, 'HIGH');
    for (const bad of [
      '',
      'CVSS:3.1/AV:N',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q',
      'x'.repeat(600),
      'CVSS:9.9/AV:N',
    ]) {
      assert.equal(scoreCvss(bad), undefined, bad.slice(0, 40));
    }
  });
  test('v4 and v3 vectors outrank ratings; ratings outrank v2', () => {
    assert.equal(
      chooseSeverity(
        [
          { type: 'CVSS_V3', value: V31_MED },
          { type: 'ghsa', value: 'CRITICAL' },
        ],
        undefined,
      ).severity,
      'MEDIUM',
    );
    assert.equal(chooseSeverity([{ type: 'CVSS_V2', value: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' }], 'low*').severity, 'LOW');
    assert.deepEqual(chooseSeverity([], 'not yet assigned'), { severity: 'UNKNOWN', severitySource: 'none', cvss: [] });
  });
  test('KEV and EPSS lift a finding above a same-severity one; a fix lifts it too', () => {
    const base = { severity: 'HIGH' as const, cvss: [], fixedVersion: '1' };
    const exploited = riskScore({
      ...base,
      kev: { dateAdded: '', dueDate: '', knownRansomware: false },
      epss: { score: 0.9, percentile: 0.99 },
    });
    const plain = riskScore(base);
    const unfixed = riskScore({ severity: 'HIGH', cvss: [] });
    assert.ok(exploited > plain && plain > unfixed, `${exploited} > ${plain} > ${unfixed}`);
    assert.ok(riskScore({ severity: 'CRITICAL', cvss: [] }) <= 100);
  });
});

describe('resultTargetOf', () => {
  test('installed packages group by the directory that holds them; lockfiles and binaries stand alone', async () => {
    const { resultTargetOf } = await import('./match.ts');
    assert.equal(resultTargetOf('app/node_modules/lodash/package.json'), 'app/node_modules');
    assert.equal(resultTargetOf('app/node_modules/a/node_modules/b/package.json'), 'app/node_modules');
    assert.equal(
      resultTargetOf('usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA'),
      'usr/lib/python3/dist-packages',
    );
    assert.equal(resultTargetOf('usr/lib/python3/dist-packages/six.egg-info'), 'usr/lib/python3/dist-packages');
    assert.equal(resultTargetOf('usr/share/java/slf4j-api.jar'), 'usr/share/java');
    assert.equal(resultTargetOf('app/package-lock.json'), 'app/package-lock.json');
    assert.equal(resultTargetOf('usr/bin/skopeo'), 'usr/bin/skopeo');
  });
});
