import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RAW_CONTROL } from './__fixtures__/golden.ts';
import { goldenReport, HOSTILE, hostileReport, noDbReport, reportInventory } from './__fixtures__/report.ts';
import { findReportWriter, reportFormatNames, reportWriters } from './api.ts';
import type { WriteContext } from './writer.ts';

const CTX: WriteContext = { color: false, inventory: reportInventory() };

describe('report writer registry', () => {
  test('lists the six formats of issue #3 once each, and finds them by id and alias', () => {
    assert.deepEqual(
      reportWriters.map((w) => w.id),
      ['table', 'json', 'sarif', 'cyclonedx', 'junit', 'html'],
    );
    for (const w of reportWriters) assert.equal(findReportWriter(w.id.toUpperCase()), w);
    assert.equal(findReportWriter(' cdx ')?.id, 'cyclonedx');
    assert.equal(findReportWriter('cyclonedx-json')?.id, 'cyclonedx');
    assert.equal(findReportWriter('spdx'), undefined);
    assert.deepEqual(reportFormatNames().slice(0, 6), ['table', 'json', 'sarif', 'cyclonedx', 'junit', 'html']);
  });
});

describe('contract: every registered writer', () => {
  for (const w of reportWriters) {
    test(`${w.id}: non-empty, newline-terminated, deterministic, independent of input order`, () => {
      const a = w.write(goldenReport(), CTX);
      assert.ok(a.length > 200, 'output too short');
      assert.ok(a.endsWith('\n'));
      assert.equal(w.write(goldenReport(), CTX), a, 'two runs differ');
      const shuffled = goldenReport();
      for (const r of shuffled.results) {
        r.vulnerabilities?.reverse();
        r.misconfigurations?.reverse();
      }
      assert.equal(w.write(shuffled, CTX), a, 'finding order leaks into the output');
      assert.ok(w.mediaType.length > 0 && w.fileExtension.startsWith('.'));
    });

    test(`${w.id}: hostile strings never reach the output raw`, () => {
      const out = w.write(hostileReport(), { color: false });
      assert.doesNotMatch(out, RAW_CONTROL, 'raw control character, escape sequence or bidi override');
      assert.ok(!out.includes('\u001b'), 'terminal escape');
      if (w.id === 'junit' || w.id === 'html') {
        // Markup formats: no element a hostile string could have opened.
        assert.ok(!out.includes('<script>alert'), 'script element from a package name');
        assert.ok(!out.includes('<img src=x'), 'img element from a version');
        assert.ok(!out.includes('<svg onload'), 'svg element from a path');
      } else if (w.id !== 'table') {
        // JSON formats carry the strings as JSON string data (escaped by the serialiser), and still parse.
        assert.doesNotThrow(() => JSON.parse(out));
      }
      // The names still appear in some escaped or cleaned form: escaping must not drop the finding.
      assert.match(out, /CVE-2099-0001/);
      assert.ok(HOSTILE.name.length > 0);
    });

    test(`${w.id}: without a database it says "not evaluated", never "no vulnerabilities"`, () => {
      const out = w.write(noDbReport(), CTX);
      if (w.id === 'json') {
        // JSON says it structurally: no `db` (the schema documents absence as "not evaluated").
        assert.equal((JSON.parse(out) as { db?: unknown }).db, undefined);
      } else {
        assert.match(out, /not evaluated|not-evaluated/i);
      }
      assert.doesNotMatch(out, /no vulnerabilities/i);
    });
  }
});
