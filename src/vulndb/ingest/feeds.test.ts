import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseYamlBounded } from '../../util/yaml.ts';
import { secdbItems, secdbSourceId } from './alpine-secdb/index.ts';
import { createSkipCounter, csvRows } from './common.ts';
import { supportItems } from './debian-security-support/index.ts';
import { trackerItems } from './debian-tracker/index.ts';
import { epssFromCsv } from './epss/index.ts';
import { kevFromCsv, kevFromJson } from './kev/index.ts';

const fx = (dir: string, n: string): string =>
  readFileSync(new URL(`./${dir}/__fixtures__/${n}`, import.meta.url), 'utf8');

describe('Debian security tracker JSON', () => {
  test('statuses map to fixed / not_affected / affected / will_not_fix / end_of_life / undetermined', () => {
    const doc = {
      pkg: {
        'CVE-2024-0001': {
          description: 'd',
          releases: {
            bookworm: { status: 'resolved', fixed_version: '1.2-1', urgency: 'medium**' },
            bullseye: { status: 'resolved', fixed_version: '0', urgency: 'not yet assigned' },
            trixie: { status: 'open', urgency: 'low' },
            buster: { status: 'open', nodsa: 'Minor issue', nodsa_reason: 'postponed', urgency: 'low' },
            sid: { status: 'undetermined' },
            forky: { status: 'open', urgency: 'end-of-life' },
            hamm: { status: 'open' },
          },
        },
        'CVE-2024-0002': { releases: [] },
      },
    };
    const skips = createSkipCounter();
    const items = [...trackerItems(doc, skips)];
    assert.equal(items.length, 2);
    const by = Object.fromEntries((items[0]?.affected ?? []).map((e) => [e.ecosystem, e]));
    assert.equal(by['Debian:12']?.status, 'fixed');
    assert.equal(by['Debian:12']?.severity, 'medium');
    assert.deepEqual(by['Debian:12']?.ranges, [
      { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-1' }] },
    ]);
    assert.equal(by['Debian:11']?.status, 'not_affected');
    assert.equal(by['Debian:11']?.severity, undefined);
    assert.equal(by['Debian:13']?.status, 'affected');
    assert.equal(by['Debian:10']?.status, 'will_not_fix');
    assert.equal(by['Debian:10']?.note, 'postponed: Minor issue');
    assert.equal(by['Debian:unstable']?.status, 'undetermined');
    assert.equal(by['Debian:14']?.status, 'end_of_life');
    assert.deepEqual(skips.counts, { 'unknown-release': 1 });
  });

  test('the real sample export parses without skips beyond unknown old releases', () => {
    const skips = createSkipCounter();
    const items = [...trackerItems(JSON.parse(fx('debian-tracker', 'tracker.json')), skips)];
    assert.equal(items.length, 7);
    const chromium = items.find((i) => i.advisory.id === 'CVE-2022-0456');
    assert.equal(chromium?.affected.find((e) => e.ecosystem === 'Debian:12')?.status, 'fixed');
    assert.deepEqual(
      Object.keys(skips.counts).filter((k) => k !== 'unknown-release'),
      [],
    );
  });
});

describe('Alpine secdb', () => {
  test('secfixes become fixed ranges per CVE for Alpine:v3.x; key 0 is not_affected', () => {
    const doc = parseYamlBounded(fx('alpine-secdb', 'main.yaml'), { what: 'secdb' });
    assert.equal(secdbSourceId(doc, 'main.yaml'), 'alpine-secdb:v3.10/main');
    const skips = createSkipCounter();
    const items = [...secdbItems(doc, 's', skips)];
    const ansible = items
      .filter((i) => i.affected.package === 'ansible')
      .map((i) => [i.advisory.id, i.affected.ranges[0]?.events[1]]);
    assert.deepEqual(ansible.slice(0, 3), [
      ['CVE-2019-10206', { fixed: '2.8.4-r0' }],
      ['CVE-2019-10217', { fixed: '2.8.4-r0' }],
      ['CVE-2019-10156', { fixed: '2.8.2-r0' }],
    ]);
    assert.equal(items[0]?.affected.ecosystem, 'Alpine:v3.10');
    const zero = [
      ...secdbItems(
        {
          distroversion: 'v3.19',
          packages: [{ pkg: { name: 'x', secfixes: { '0': ['CVE-2020-1'], '1.0-r1': [12345, null] } } }, { nope: 1 }],
        },
        's',
        skips,
      ),
    ];
    assert.deepEqual(
      zero.map((i) => i.affected.status),
      ['not_affected'],
    );
    assert.deepEqual(skips.counts, { 'malformed-id': 2, 'malformed-package': 1 });
  });
});

describe('KEV and EPSS', () => {
  test('KEV JSON and CSV give the same entries', () => {
    const skips = createSkipCounter();
    const json = [...kevFromJson(JSON.parse(fx('kev', 'kev.json')), skips)];
    const csv = [...kevFromCsv(fx('kev', 'kev.csv'), skips)];
    assert.equal(json.length, 3);
    assert.deepEqual(csv, json);
    assert.deepEqual(json[0], {
      cve: 'CVE-2025-48384',
      dateAdded: '2025-08-25',
      dueDate: '2025-09-15',
      knownRansomware: false,
      vendor: 'Git',
      product: 'Git',
    });
    const bad = [...kevFromJson({ vulnerabilities: [{ cveID: 'nope' }, 7] }, skips)];
    assert.equal(bad.length, 0);
    assert.deepEqual(skips.counts, { 'malformed-entry': 2 });
  });

  test('EPSS CSV with its model/score-date comment; out-of-range rows are counted', () => {
    const skips = createSkipCounter();
    const rows = [...epssFromCsv(fx('epss', 'epss_scores.csv'), skips)];
    assert.equal(rows.length, 4);
    assert.deepEqual(rows[0], {
      cve: 'CVE-2021-44228',
      score: 0.94358,
      percentile: 0.99963,
      date: '2025-11-20T12:55:00Z',
    });
    assert.deepEqual(skips.counts, { 'malformed-row': 2 });
  });

  test('CSV reader: quotes, doubled quotes, CRLF', () => {
    assert.deepEqual(
      [...csvRows('a,"b,c","d""e"\r\nf,,g\n')],
      [
        ['a', 'b,c', 'd"e'],
        ['f', '', 'g'],
      ],
    );
  });
});

describe('debian-security-support lists', () => {
  test('ended lists give end_of_life entries; limited gives will_not_fix with its text', () => {
    const skips = createSkipCounter();
    const ended = [
      ...supportItems(
        fx('debian-security-support', 'security-support-ended.deb12'),
        'security-support-ended.deb12',
        '12',
        's',
        skips,
      ),
    ];
    assert.equal(ended[0]?.affected.package, 'wpewebkit');
    assert.equal(ended[0]?.affected.ecosystem, 'Debian:12');
    assert.equal(ended[0]?.affected.status, 'end_of_life');
    assert.match(ended[0]?.affected.note ?? '', /ended 2023-05-09 \(last supported 2.38.6-1\)/);
    const limited = [
      ...supportItems(
        fx('debian-security-support', 'security-support-limited'),
        'security-support-limited',
        '12',
        's',
        skips,
      ),
    ];
    assert.equal(limited.find((i) => i.affected.package === 'binutils')?.affected.status, 'will_not_fix');
    assert.ok(limited.some((i) => i.affected.package === 'golang.*'));
    assert.deepEqual(skips.counts, {});
  });
});
