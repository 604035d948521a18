import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateSarif210 } from '../../../test/schemas/validate.ts';
import { assertGolden } from '../__fixtures__/golden.ts';
import { goldenReport, hostileReport, noDbReport } from '../__fixtures__/report.ts';
import { writeSarif } from './index.ts';

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; endLine?: number } };
  }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; justification?: string }[];
}
interface SarifRule {
  id: string;
  helpUri?: string;
  help: { text: string; markdown: string };
  properties: { 'security-severity'?: string; tags: string[] };
  shortDescription: { text: string };
}
interface SarifLog {
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; informationUri: string; rules: SarifRule[] } };
    results: SarifResult[];
    invocations: { toolExecutionNotifications?: { message: { text: string } }[] }[];
  }[];
}

function parse(text: string): SarifLog {
  return JSON.parse(text) as SarifLog;
}

function assertValid(text: string, what: string): void {
  const r = validateSarif210(JSON.parse(text));
  assert.ok(r.valid, `${what}: ${r.errors.slice(0, 5).join('; ')}`);
}

describe('SARIF writer', () => {
  test('golden output, valid against the OASIS SARIF 2.1.0 schema', () => {
    const text = writeSarif(goldenReport());
    assertGolden('report.sarif', text);
    assertValid(text, 'golden');
  });

  test('the schema check can fail: a result without a message is refused', () => {
    const log = parse(writeSarif(goldenReport())) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    delete log.runs[0]?.results[0]?.message;
    assert.equal(validateSarif210(log).valid, false);
  });

  test('no database and hostile strings stay valid; the gap is a tool notification', () => {
    for (const [what, r] of [
      ['no db', noDbReport()],
      ['hostile', hostileReport()],
    ] as const) {
      assertValid(writeSarif(r), what);
    }
    const notes = parse(writeSarif(noDbReport())).runs[0]?.invocations[0]?.toolExecutionNotifications ?? [];
    assert.ok(notes.some((n) => /not evaluated: no vulnerability database/.test(n.message.text)));
    assert.equal(parse(writeSarif(noDbReport())).runs[0]?.results.length, 0);
  });

  test('rules: one per id, security-severity from CVSS or the mapped rating, tags', () => {
    const run = parse(writeSarif(goldenReport())).runs[0];
    assert.ok(run);
    assert.equal(run.tool.driver.name, 'Bollard');
    assert.equal(run.tool.driver.version, '0.1.0');
    const ids = run.tool.driver.rules.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    // 9 distinct vulnerability ids (CVE-2022-27943 twice) + 4 failed checks (one inline-suppressed).
    assert.equal(ids.length, 13);
    const rule = (id: string): SarifRule | undefined => run.tool.driver.rules.find((r) => r.id === id);
    assert.equal(rule('CVE-2023-45853')?.properties['security-severity'], '9.8');
    assert.equal(
      rule('CVE-2022-41409')?.properties['security-severity'],
      undefined,
      'UNKNOWN without CVSS has no score',
    );
    assert.equal(rule('CVE-2017-18018')?.properties['security-severity'], '2.0', 'LOW mapped');
    assert.equal(rule('BD-DF-001')?.properties['security-severity'], '8.0', 'HIGH check mapped');
    assert.equal(rule('CVE-2023-4911')?.helpUri, 'https://osv.dev/vulnerability/CVE-2023-4911');
    assert.deepEqual(rule('CVE-2023-4911')?.properties.tags, ['vulnerability', 'security', 'HIGH']);
    assert.match(rule('CVE-2022-27943')?.help.markdown ?? '', /gcc-12-base[\s\S]*libgcc-s1/);
    assert.equal(rule('BD-DF-001')?.helpUri, 'https://docs.docker.com/reference/dockerfile/#user');
    for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex]?.id, r.ruleId);
  });

  test('results: level by severity, package database under the image name, exact lines for checks, suppressions', () => {
    const run = parse(writeSarif(goldenReport())).runs[0];
    assert.ok(run);
    const byRule = (id: string): SarifResult[] => run.results.filter((r) => r.ruleId === id);
    const kev = byRule('CVE-2023-4911')[0];
    assert.equal(kev?.level, 'error');
    assert.equal(kev?.locations[0]?.physicalLocation.artifactLocation.uri, 'bollard-test/bookworm/var/lib/dpkg/status');
    assert.equal(kev?.locations[0]?.physicalLocation.region.startLine, 1);
    assert.match(kev?.message.text ?? '', /Known exploited \(CISA KEV\): yes, due 2023-12-12/);
    assert.equal(byRule('CVE-2023-50495')[0]?.level, 'warning');
    assert.equal(byRule('CVE-2017-18018')[0]?.level, 'note');
    const root = byRule('BD-DF-001')[0];
    assert.equal(root?.locations[0]?.physicalLocation.artifactLocation.uri, 'Dockerfile');
    assert.deepEqual(root?.locations[0]?.physicalLocation.region, { startLine: 14, endLine: 14 });
    assert.deepEqual(byRule('BD-DF-007')[0]?.locations[0]?.physicalLocation.region, { startLine: 8, endLine: 10 });
    assert.equal(byRule('CVE-2024-2961')[0]?.suppressions?.[0]?.kind, 'external');
    assert.match(
      byRule('CVE-2024-2961')[0]?.suppressions?.[0]?.justification ?? '',
      /vulnerable_code_not_in_execute_path/,
    );
    assert.match(byRule('CVE-2022-4899')[0]?.suppressions?.[0]?.justification ?? '', /^ignore file \.bollardignore/);
    assert.equal(byRule('BD-DF-009')[0]?.suppressions?.[0]?.kind, 'inSource');
    assert.equal(byRule('CVE-2023-6246')[0]?.suppressions, undefined);
    // Passed, skipped and errored checks are not results.
    assert.equal(byRule('BD-DF-002').length + byRule('BD-DF-020').length + byRule('BD-POL-001').length, 0);
    const fps = run.results.map((r) => r.partialFingerprints['bollard/v1']);
    assert.equal(new Set(fps).size, fps.length, 'fingerprints are unique per finding');
  });

  test('hostile paths cannot climb out or inject: URIs are encoded segments without ..', () => {
    const run = parse(writeSarif(hostileReport())).runs[0];
    for (const r of run?.results ?? []) {
      const uri = r.locations[0]?.physicalLocation.artifactLocation.uri ?? '';
      assert.ok(!uri.split('/').includes('..'), uri);
      assert.doesNotMatch(uri, /[<>" ]/);
    }
    for (const rule of run?.tool.driver.rules ?? []) assert.doesNotMatch(rule.help.markdown, /<script>|<img|<svg/);
  });
});
