import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { finding, LODASH, OPENSSL } from './__fixtures__/findings.ts';
import { applyFilters } from './apply.ts';
import { loadIgnoreFile, parseIgnoreFile } from './ignorefile/index.ts';
import { loadVex } from './vex/index.ts';

const ignoreFixture = join(import.meta.dirname, 'ignorefile', '__fixtures__', 'bollardignore.yaml');
const vexFixture = join(import.meta.dirname, 'vex', '__fixtures__', 'openvex.json');
const IMAGE = 'pkg:oci/app@sha256%3Aabc?arch=amd64&repository_url=registry.example%2Fapp';

describe('applyFilters', () => {
  test('severity and ignore-unfixed drop findings; the input is not modified', () => {
    const input = [
      finding({ id: 'A', severity: 'CRITICAL' }),
      finding({ id: 'B', severity: 'LOW' }),
      finding({ id: 'C', severity: 'HIGH', status: 'affected', fixedVersion: undefined }),
      finding({ id: 'D', severity: 'HIGH', status: 'will_not_fix', fixedVersion: undefined }),
      finding({ id: 'E', severity: 'HIGH', status: 'end_of_life', fixedVersion: undefined }),
      finding({ id: 'F', severity: 'CRITICAL', status: 'fixed' }),
    ];
    const copy = structuredClone(input);
    const r = applyFilters(input, { severities: ['CRITICAL', 'HIGH'], ignoreUnfixed: true });
    assert.deepEqual(
      r.findings.map((f) => f.id),
      ['A', 'F'],
    );
    assert.deepEqual(r.stats, { droppedBySeverity: 1, droppedUnfixed: 3, suppressedByIgnore: 0, suppressedByVex: 0 });
    assert.deepEqual(input, copy);
    assert.equal(applyFilters(input, {}).findings.length, 6);
    assert.equal(applyFilters(input, { severities: [] }).findings.length, 6);
  });

  test('the ignore file suppresses (kept, marked) until its expiry; expired entries are reported', () => {
    const ignore = loadIgnoreFile(ignoreFixture);
    assert.ok(ignore);
    const input = [
      finding({ id: 'CVE-2023-1234', cve: 'CVE-2023-1234' }),
      finding({ id: 'DSA-5555-1', aliases: ['CVE-2024-0001'], cve: 'CVE-2024-0001', package: OPENSSL }),
      finding({ id: 'GHSA-aaaa-bbbb-cccc', cve: undefined, package: LODASH }),
      finding({ id: 'CVE-2030-0001', cve: 'CVE-2030-0001' }),
    ];
    const before = applyFilters(input, { ignore, now: new Date('2025-06-30T11:59:59Z') });
    assert.deepEqual(
      before.findings.map((f) => f.suppressed),
      [
        { by: 'ignorefile', file: ignoreFixture, reason: 'not reachable (TLS client only)' },
        { by: 'ignorefile', file: ignoreFixture, reason: 'patched in our fork', expires: '2027-01-31' },
        { by: 'ignorefile', file: ignoreFixture, expires: '2025-06-30T12:00:00Z' },
        undefined,
      ],
    );
    assert.deepEqual(before.expiredIgnores, []);

    // At the expiry instant the GHSA entry stops suppressing and is reported.
    const at = applyFilters(input, { ignore, now: new Date('2025-06-30T12:00:00Z') });
    assert.equal(at.findings[2]?.suppressed, undefined);
    assert.deepEqual(at.expiredIgnores, [
      { id: 'GHSA-aaaa-bbbb-cccc', purl: 'lodash', expires: '2025-06-30T12:00:00Z', file: ignoreFixture },
    ]);
    // A date expires at the start of that day.
    const late = applyFilters(input, { ignore, now: new Date('2027-01-31T00:00:00Z') });
    assert.equal(late.findings[1]?.suppressed, undefined);
    assert.equal(late.expiredIgnores.length, 2);
    const dayBefore = applyFilters(input, { ignore, now: new Date('2027-01-30T23:59:59Z') });
    assert.equal(dayBefore.findings[1]?.suppressed?.by, 'ignorefile');
  });

  test('the purl glob of an entry restricts it to matching packages', () => {
    const ignore = parseIgnoreFile('ignores:\n  - id: CVE-2024-0001\n    purl: pkg:deb/debian/openssl*\n', 'x');
    const r = applyFilters([finding({ package: OPENSSL }), finding({ package: LODASH })], { ignore });
    assert.equal(r.findings[0]?.suppressed?.by, 'ignorefile');
    assert.equal(r.findings[1]?.suppressed, undefined);
  });

  test('VEX not_affected and fixed suppress with status and justification kept; affected does not', () => {
    const vex = [loadVex(vexFixture)];
    const input = [
      finding({ package: OPENSSL }),
      finding({ id: 'CVE-2024-0002', cve: 'CVE-2024-0002', package: LODASH }),
      finding({
        id: 'CVE-2024-0003',
        cve: 'CVE-2024-0003',
        package: { purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1' },
      }),
    ];
    const r = applyFilters(input, { vex, targets: [IMAGE] });
    assert.deepEqual(r.findings[0]?.suppressed, {
      by: 'vex',
      file: vexFixture,
      vexStatus: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      reason: 'the image never calls the affected API',
    });
    assert.deepEqual(r.findings[1]?.suppressed, { by: 'vex', file: vexFixture, vexStatus: 'fixed' });
    assert.equal(r.findings[2]?.suppressed, undefined);
    assert.equal(r.stats.suppressedByVex, 2);
    // Without the image identity the subcomponent statement does not apply.
    assert.equal(applyFilters(input, { vex }).findings[0]?.suppressed, undefined);
  });

  test('an ignore-file match wins over VEX; an already suppressed finding is left alone; severity drops suppressed ones too', () => {
    const ignore = parseIgnoreFile('CVE-2024-0001 # accepted\n', '.trivyignore');
    const vex = [loadVex(vexFixture)];
    const pre = finding({ id: 'X', suppressed: { by: 'vex', file: 'earlier.json', vexStatus: 'fixed' } });
    const r = applyFilters([finding({ package: OPENSSL }), pre, finding({ severity: 'LOW' })], {
      ignore,
      vex,
      targets: [IMAGE],
      severities: ['HIGH'],
    });
    assert.equal(r.findings.length, 2);
    assert.deepEqual(r.findings[0]?.suppressed, { by: 'ignorefile', file: '.trivyignore', reason: 'accepted' });
    assert.equal(r.findings[1], pre);
  });
});
