import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertGolden } from '../__fixtures__/golden.ts';
import { goldenReport, noDbReport } from '../__fixtures__/report.ts';
import { formatTable, renderTable } from './format.ts';
import { writeTable } from './index.ts';

describe('table writer', () => {
  test('golden: header with DB age and sources, per-result totals, grouped rows, footer', () => {
    assertGolden('table.txt', writeTable(goldenReport(), { color: false }));
  });

  test('golden without a database: "not evaluated" in the header, the result and the footer', () => {
    const out = writeTable(noDbReport(), { color: false });
    assertGolden('table-nodb.txt', out);
    assert.equal(out.match(/not evaluated: no vulnerability database/g)?.length, 3);
    assert.doesNotMatch(out, /Total: 0/);
  });

  test('rows: sorted by risk, packages by their highest risk, package name and version once per package', () => {
    const lines = writeTable(goldenReport(), { color: false }).split('\n');
    const start = lines.findIndex((l) => l.startsWith('Package '));
    const rows = lines.slice(start + 2, start + 10);
    assert.match(
      rows[0] ?? '',
      /^libc6\s+CVE-2023-4911\s+HIGH\s+fixed\s+2\.36-9\+deb12u1\s+2\.36-9\+deb12u3\s+92\s+yes \(due 2023-12-12\)\s+85\.1%/,
    );
    assert.match(rows[1] ?? '', /^\s+CVE-2023-6246\s+HIGH\s+fixed\s+2\.36-9\+deb12u4\s+61\s+1\.2%/);
    assert.match(rows[2] ?? '', /^zlib1g\s+CVE-2023-45853\s+CRITICAL\s+will_not_fix\s+1:1\.2\.13\.dfsg-1\s+55\s/);
    const risks = rows.map((r) => Number(/\s(\d+)\s{2}/.exec(r.slice(60))?.[1]));
    assert.deepEqual(
      risks,
      risks.toSorted((a, b) => b - a),
    );
    // Suppressed findings are not rows; they are counted and listed in the footer.
    assert.ok(!rows.some((r) => r.includes('CVE-2024-2961') || r.includes('CVE-2022-4899')));
  });

  test('colour only when asked: severities styled, widths unchanged', () => {
    const plain = writeTable(goldenReport(), { color: false });
    const color = writeTable(goldenReport(), { color: true });
    assert.ok(!plain.includes('\u001b['));
    assert.ok(color.includes('\u001b[1m\u001b[31mCRITICAL'), 'CRITICAL in bold red');
    assert.ok(color.includes('\u001b[33mMEDIUM'), 'MEDIUM in yellow');
    assert.equal(color.replaceAll(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''), plain);
  });

  test('width: the Title column is cut so table lines fit', () => {
    const out = writeTable(goldenReport(), { color: false, width: 150 });
    const lines = out.split('\n');
    const start = lines.findIndex((l) => l.startsWith('Package '));
    const table = lines.slice(start, lines.indexOf('', start));
    assert.ok(table.length >= 4);
    for (const l of table) assert.ok([...l].length <= 150, `too wide (${[...l].length}): ${l}`);
    assert.match(out, /glibc: buffer o[^\n]*…/);
  });
});

describe('table formatter', () => {
  test('pads by code points, trims trailing space, keeps the last column unpadded', () => {
    assert.equal(
      formatTable(
        ['A', 'BB'],
        [
          ['ü', 'x'],
          ['long', ''],
        ],
      ),
      'A     BB\n────  ──\nü     x\nlong\n',
    );
  });

  test('style is applied inside the padding and only to body cells', () => {
    const out = renderTable(['X', 'Y'], [['a', 'b']], { style: (_r, c, t) => (c === 0 ? `[${t}]` : t) });
    assert.equal(out, 'X  Y\n─  ─\n[a]  b\n');
  });
});
