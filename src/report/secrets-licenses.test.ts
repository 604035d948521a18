import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateReportSchema, validateSarif210 } from '../../test/schemas/validate.ts';
import { assertGolden } from './__fixtures__/golden.ts';
import { reportInventory } from './__fixtures__/report.ts';
import { secretsLicensesReport } from './__fixtures__/secrets-licenses.ts';
import { writeCycloneDxReport } from './cyclonedx/index.ts';
import { writeHtml } from './html/index.ts';
import { writeJson } from './json/index.ts';
import { writeJunit } from './junit/index.ts';
import { writeSarif } from './sarif/index.ts';
import { writeTable } from './table/index.ts';

// Secret and licence results (#7) in every writer, against golden files.
describe('secret and licence results in every writer', () => {
  const report = secretsLicensesReport();
  const ctx = { inventory: reportInventory(), color: false };

  test('json: golden, valid against docs/report-schema.json', () => {
    const out = writeJson(report);
    assertGolden('report-secrets-licenses.json', out);
    const r = validateReportSchema(JSON.parse(out));
    assert.ok(r.valid, r.errors.join('\n'));
  });

  test('the schema refuses a secret finding that carries more than a redacted match', () => {
    const bad = JSON.parse(writeJson(report)) as { results: { secrets?: { match: string }[] }[] };
    const s = bad.results.find((r) => r.secrets)?.secrets?.[0];
    assert.ok(s);
    s.match = 'x'.repeat(65);
    assert.equal(validateReportSchema(bad).valid, false);
  });

  test('table: golden; secrets show rule, location, layer and the redacted match; licences their verdict', () => {
    const out = writeTable(report, ctx);
    assertGolden('table-secrets-licenses.txt', out);
    assert.match(out, /root\/\.aws\/credentials:2 +1 7f6e5d4c3b2a +AKIA… sha256:57baa8db3f602a9d/);
    assert.match(out, /bash +5\.2\.15-2\+b7 +GPL-3\+ +GPL-3\.0-or-later +strong-copyleft +forbidden +CRITICAL/);
  });

  test('sarif: golden, valid SARIF 2.1.0; secrets and forbidden/restricted licences are results', () => {
    const out = writeSarif(report);
    assertGolden('report-secrets-licenses.sarif', out);
    const log = JSON.parse(out) as { runs: { results: { ruleId: string }[] }[] };
    const r = validateSarif210(log);
    assert.ok(r.valid, r.errors.join('\n'));
    const ids = log.runs[0]!.results.map((x) => x.ruleId);
    for (const id of [
      'secret/aws-access-key-id',
      'secret/private-key-openssh',
      'secret/npm-access-token',
      'secret/github-pat',
    ])
      assert.ok(ids.includes(id), id);
    assert.equal(ids.filter((i) => i === 'license/forbidden').length, 2);
    assert.equal(ids.filter((i) => i === 'license/restricted').length, 1);
  });

  test('junit: golden; secrets fail, forbidden and restricted licences fail, allowed ones pass', () => {
    const out = writeJunit(report);
    assertGolden('report-secrets-licenses.junit.xml', out);
    assert.match(out, /<testsuite name="root\/\.aws\/credentials \(secrets\)" tests="1" failures="1"/);
    assert.match(out, /<testsuite name="deb packages \(licences\)" tests="3" failures="2"/);
  });

  test('html: golden', () => {
    assertGolden('report-secrets-licenses.html', writeHtml(report));
  });

  test('cyclonedx: secrets and licences are not vulnerabilities: the VEX document is the one without them', () => {
    const base = {
      ...report,
      results: report.results.filter((r) => r.class !== 'secret' && !r.class.startsWith('license')),
    };
    // The serial number is derived from the whole report; everything else must be identical.
    const strip = (text: string): unknown => ({ ...(JSON.parse(text) as object), serialNumber: undefined });
    assert.deepEqual(strip(writeCycloneDxReport(report, ctx)), strip(writeCycloneDxReport(base, ctx)));
  });
});
