import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeZip } from '../../testing/zip-writer.ts';
import { createSkipCounter, feedLimits } from '../common.ts';
import { type OsvParsed, osvFromZip, parseOsvRecord, parseOsvText, pep503 } from './index.ts';

const fx = (n: string): Buffer => readFileSync(new URL(`./__fixtures__/${n}`, import.meta.url));
const limits = feedLimits();

function parseJson(value: unknown) {
  const skips = createSkipCounter();
  return { r: parseOsvRecord(value, 'test', skips), skips: skips.counts };
}

function record(r: OsvParsed | undefined) {
  assert.ok(r && r.kind === 'record', 'expected a stored record');
  return r;
}

describe('OSV records', () => {
  test('a GHSA npm record: aliases, CVSS and GHSA severity, CWEs, two packages', () => {
    const skips = createSkipCounter();
    const r = record(parseOsvText(fx('GHSA-35jh-r3h4-6jhm.json'), 'x', false, limits, skips));
    assert.equal(r.advisory.id, 'GHSA-35jh-r3h4-6jhm');
    assert.deepEqual(r.advisory.aliases, ['CVE-2021-23337']);
    assert.deepEqual(r.advisory.severity, [
      { type: 'CVSS_V3', value: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
      { type: 'ghsa', value: 'HIGH' },
    ]);
    assert.deepEqual(r.advisory.cwes, ['CWE-77', 'CWE-94']);
    assert.deepEqual(
      r.affected.map((a) => [a.ecosystem, a.package, a.severity]),
      [
        ['npm', 'lodash', 'HIGH'],
        ['npm', 'lodash-es', 'HIGH'],
      ],
    );
    assert.deepEqual(r.affected[0]?.ranges, [
      { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.21' }] },
    ]);
    assert.equal('details' in r.advisory, false);
    assert.deepEqual(skips.counts, {});
  });

  test('Go SEMVER ranges and a Debian record keep their ecosystem names and versions as given', () => {
    const skips = createSkipCounter();
    const go = record(parseOsvText(fx('GO-2020-0001.json'), 'x', false, limits, skips));
    assert.deepEqual(go.affected[0]?.ranges, [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.6.0' }] }]);
    assert.equal(go.affected[0]?.package, 'github.com/gin-gonic/gin');
    const dsa = record(parseOsvText(fx('DSA-3029-1.json'), 'x', false, limits, skips));
    assert.equal(dsa.affected[0]?.ecosystem, 'Debian:7');
    assert.equal(dsa.affected[0]?.package, 'nginx');
  });

  test('an OSV record in YAML', () => {
    const r = record(parseOsvText(fx('RUSTSEC-2099-0001.yaml'), 'x.yaml', true, limits, createSkipCounter()));
    assert.equal(r.advisory.modified, '2025-01-02T03:04:05Z');
    assert.deepEqual(r.affected[0]?.ranges[0]?.events, [{ introduced: '0' }, { fixed: '1.2.3' }]);
  });

  test('PyPI names are normalised per PEP 503', () => {
    assert.equal(pep503('Zope.Foo__Bar--baz'), 'zope-foo-bar-baz');
    const { r } = parseJson({
      id: 'PYSEC-X',
      affected: [{ package: { ecosystem: 'PyPI', name: 'Django_Rest.Framework' }, versions: ['1.0'] }],
    });
    assert.equal(record(r).affected[0]?.package, 'django-rest-framework');
  });

  test('withdrawn records are excluded and counted', () => {
    const skips = createSkipCounter();
    const r = parseOsvText(fx('GO-2022-0617.json'), 'x', false, limits, skips);
    assert.equal(r?.kind, 'withdrawn');
    assert.deepEqual(skips.counts, { withdrawn: 1 });
  });

  test('unknown ecosystems: a record with only unknown ones is counted, known entries of a mixed one are kept', () => {
    const only = parseJson({ id: 'X-1', affected: [{ package: { ecosystem: 'Hex', name: 'plug' }, versions: ['1'] }] });
    assert.equal(only.r, undefined);
    assert.deepEqual(only.skips, { 'unknown-ecosystem': 1 });
    const mixed = parseJson({
      id: 'X-2',
      affected: [
        { package: { ecosystem: 'Hex', name: 'plug' }, versions: ['1'] },
        { package: { ecosystem: 'npm', name: 'left-pad' }, versions: ['1.0.0'] },
      ],
    });
    assert.deepEqual(
      record(mixed.r).affected.map((a) => a.package),
      ['left-pad'],
    );
    assert.deepEqual(mixed.skips, { 'affected:unknown-ecosystem': 1 });
  });

  test('impossible ranges are skipped and counted', () => {
    const pkg = { ecosystem: 'npm', name: 'a' };
    const cases: unknown[] = [
      [{ type: 'ECOSYSTEM', events: ['0'] }],
      [{ type: 'ECOSYSTEM', events: [{ fixed: '1.0' }] }],
      [{ type: 'ECOSYSTEM', events: [{ introduced: 0 }] }],
      [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }],
      [{ type: 'WEIRD', events: [{ introduced: '0' }] }],
      { type: 'ECOSYSTEM' },
    ];
    for (const ranges of cases) {
      const { r, skips } = parseJson({ id: 'X-3', affected: [{ package: pkg, ranges }] });
      assert.equal(r, undefined, JSON.stringify(ranges));
      assert.deepEqual(skips, { 'impossible-range': 1 });
    }
  });

  test('malformed documents are skipped and counted by reason, never thrown', () => {
    const cases: [string, string][] = [
      ['{"id": "X", "affected": [', 'malformed-json'],
      ['[1, 2]', 'not-an-object'],
      ['{"affected": []}', 'missing-id'],
      ['{"id": 7}', 'missing-id'],
      ['{"id": "X", "affected": {"package": 1}}', 'malformed-affected'],
      [`${'['.repeat(200)}${']'.repeat(200)}`, 'too-deep'],
    ];
    for (const [text, reason] of cases) {
      const skips = createSkipCounter();
      assert.equal(parseOsvText(Buffer.from(text), 'x', false, limits, skips), undefined, text);
      assert.deepEqual(skips.counts, { [reason]: 1 }, text);
    }
    const skips = createSkipCounter();
    assert.equal(parseOsvText(Buffer.from('id: [unclosed\n  - x: {'), 'x.yaml', true, limits, skips), undefined);
    assert.deepEqual(skips.counts, { 'malformed-yaml': 1 });
    const yamlBomb =
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nid: X\n';
    const s2 = createSkipCounter();
    assert.equal(parseOsvText(Buffer.from(yamlBomb), 'bomb.yaml', true, limits, s2), undefined);
    assert.deepEqual(s2.counts, { 'malformed-yaml': 1 });
  });
});

describe('OSV zips', () => {
  test('reads every record of an all.zip, counting malformed and withdrawn ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bollard-osv-'));
    try {
      const zip = join(dir, 'all.zip');
      writeFileSync(
        zip,
        makeZip([
          { name: 'GHSA-35jh-r3h4-6jhm.json', data: fx('GHSA-35jh-r3h4-6jhm.json') },
          { name: 'GO-2022-0617.json', data: fx('GO-2022-0617.json') },
          { name: 'broken.json', data: '{"id":' },
          { name: 'README.txt', data: 'hello' },
        ]),
      );
      const skips = createSkipCounter();
      const out: OsvParsed[] = [];
      for await (const r of osvFromZip(zip, limits, skips)) out.push(r);
      assert.deepEqual(
        out.map((r) => (r.kind === 'record' ? r.advisory.id : `withdrawn:${r.id}`)),
        ['GHSA-35jh-r3h4-6jhm', 'withdrawn:GO-2022-0617'],
      );
      assert.deepEqual(skips.counts, { withdrawn: 1, 'malformed-json': 1, 'not-a-record': 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
