import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateReportSchema } from '../../../test/schemas/validate.ts';
import { assertGolden } from '../__fixtures__/golden.ts';
import { goldenReport, HOSTILE, hostileReport, noDbReport } from '../__fixtures__/report.ts';
import type { Report } from '../types.ts';
import { writeJson } from './index.ts';

describe('JSON writer', () => {
  test('golden output, valid against docs/report-schema.json', () => {
    const out = writeJson(goldenReport());
    assertGolden('report.json', out);
    const r = validateReportSchema(JSON.parse(out));
    assert.ok(r.valid, r.errors.slice(0, 5).join('; '));
  });

  test('the schema rejects what the Report type rejects', () => {
    const bad = JSON.parse(writeJson(goldenReport())) as Record<string, unknown>;
    assert.equal(validateReportSchema({ ...bad, schemaVersion: '2.0' }).valid, false);
    assert.equal(validateReportSchema({ ...bad, extra: true }).valid, false);
    const { summary: _s, ...noSummary } = bad;
    assert.equal(validateReportSchema(noSummary).valid, false);
    const r = goldenReport();
    const f = r.results[0]?.vulnerabilities?.[0];
    assert.ok(f);
    (f as unknown as Record<string, unknown>).severity = 'SEVERE';
    assert.equal(validateReportSchema(JSON.parse(writeJson(r))).valid, false);
  });

  test('without a database and with hostile strings: still valid, strings kept exactly', () => {
    for (const report of [noDbReport(), hostileReport()]) {
      const r = validateReportSchema(JSON.parse(writeJson(report)));
      assert.ok(r.valid, r.errors.slice(0, 5).join('; '));
    }
    const back = JSON.parse(writeJson(hostileReport())) as Report;
    assert.equal(back.results[0]?.vulnerabilities?.[0]?.package.name, HOSTILE.name);
    assert.equal(back.results[0]?.vulnerabilities?.[0]?.title, HOSTILE.title);
    // Bidi overrides are written as escapes, not raw characters.
    assert.ok(writeJson(hostileReport()).includes('\\u202e'));
  });

  test('findings in risk order whatever order the detectors produced', () => {
    const back = JSON.parse(writeJson(goldenReport())) as Report;
    const risks = back.results[0]?.vulnerabilities?.map((f) => f.risk) ?? [];
    assert.deepEqual(
      risks,
      risks.toSorted((a, b) => b - a),
    );
    assert.equal(back.results[0]?.vulnerabilities?.[0]?.id, 'CVE-2023-4911');
  });
});
