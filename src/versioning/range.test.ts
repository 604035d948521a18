import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expectCode } from '../../test/helpers/errors.ts';
import { SEMVER_VERSIONING, versionings } from './api.ts';
import { apk } from './apk/index.ts';
import { deb } from './deb/index.ts';
import { go } from './go/index.ts';
import { pep440 } from './pep440/index.ts';
import { ignoredEvents, matchAffected, mayCompareEqual, versionsOutsideRanges } from './range.ts';
import { semver } from './semver/index.ts';
import { loadFacts, loadOwnFacts } from './testing/facts.ts';
import type { AffectedRange, RangeEvent, Versioning } from './types.ts';

const eco = (events: RangeEvent[]): AffectedRange => ({ type: 'ECOSYSTEM', events });
const entry = (ranges: AffectedRange[], versions: string[] = []) => ({ ranges, versions });

describe('matchAffected (OSV evaluation)', () => {
  test('introduced-only: everything from introduced on, introduced itself included', () => {
    const e = entry([eco([{ introduced: '1.2.0' }])]);
    assert.equal(matchAffected(pep440, '1.1.9', e), undefined);
    const m = matchAffected(pep440, '1.2.0', e);
    assert.deepEqual(m, {
      affected: true,
      via: 'range',
      rangeIndex: 0,
      rangeType: 'ECOSYSTEM',
      events: [{ introduced: '1.2.0' }],
      comparator: 'pep440',
    });
    assert.equal(matchAffected(pep440, '99', e)?.affected, true);
  });

  test('introduced 0 with fixed: the fix is exclusive and reported', () => {
    const e = entry([eco([{ introduced: '0' }, { fixed: '3.0.14-1~deb12u1' }])]);
    const m = matchAffected(deb, '3.0.11-1~deb12u2', e, 'Debian:12');
    assert.equal(m?.fixed, '3.0.14-1~deb12u1');
    assert.deepEqual(m?.events, [{ introduced: '0' }, { fixed: '3.0.14-1~deb12u1' }]);
    assert.equal(matchAffected(deb, '3.0.14-1~deb12u1', e), undefined);
    assert.equal(matchAffected(deb, '3.0.15-1', e), undefined);
  });

  test('last_affected is inclusive and has no fix', () => {
    const e = entry([eco([{ introduced: '1.0' }, { last_affected: '1.4' }])]);
    const m = matchAffected(pep440, '1.4', e);
    assert.equal(m?.affected, true);
    assert.equal(m?.fixed, undefined);
    assert.deepEqual(m?.events, [{ introduced: '1.0' }, { last_affected: '1.4' }]);
    assert.equal(matchAffected(pep440, '1.4.1', e), undefined);
  });

  test('limit is exclusive and bounds the whole range', () => {
    const e = entry([eco([{ introduced: '0' }, { limit: '2.0.0' }])]);
    assert.equal(matchAffected(semver, '1.9.9', e)?.affected, true);
    assert.equal(matchAffected(semver, '2.0.0', e), undefined);
    assert.equal(matchAffected(semver, '3.0.0', e), undefined);
  });

  test('several introduced/fixed pairs in one range, written unsorted', () => {
    const e = entry([
      eco([
        { fixed: '2.5.1' },
        { introduced: '3.0.0' },
        { fixed: '1.4.2' },
        { introduced: '2.0.0' },
        { introduced: '1.0.0' },
        { fixed: '3.1.0' },
      ]),
    ]);
    const cases: [string, string | undefined][] = [
      ['0.9.0', undefined],
      ['1.0.0', '1.4.2'],
      ['1.4.1', '1.4.2'],
      ['1.4.2', undefined],
      ['1.9.0', undefined],
      ['2.0.0', '2.5.1'],
      ['2.5.1', undefined],
      ['3.0.5', '3.1.0'],
      ['3.1.0', undefined],
    ];
    for (const [v, fixed] of cases) {
      const m = matchAffected(semver, v, e, 'npm');
      assert.equal(m?.affected === true, fixed !== undefined, v);
      assert.equal(m?.fixed, fixed, v);
    }
    assert.deepEqual(matchAffected(semver, '2.1.0', e)?.events, [{ introduced: '2.0.0' }, { fixed: '2.5.1' }]);
  });

  test('versions list first: same string, or equal by compare', () => {
    const e = entry([eco([{ introduced: '5.0' }])], ['1.0', '2.0.0']);
    assert.deepEqual(matchAffected(pep440, '1.0', e), {
      affected: true,
      via: 'versions',
      events: [],
      comparator: 'pep440',
    });
    assert.equal(matchAffected(pep440, '1.0.0', e)?.via, 'versions');
    assert.equal(matchAffected(pep440, '2', e)?.via, 'versions');
    assert.equal(matchAffected(pep440, '1.5', e), undefined);
    assert.equal(matchAffected(pep440, '5.1', e)?.via, 'range');
  });

  test('SEMVER ranges compare with SemVer 2.0, ECOSYSTEM ranges with the ecosystem', () => {
    // PEP 440 reads `1.0.0-post1` as a post-release after 1.0.0; SemVer 2.0 as a pre-release before it.
    const events: RangeEvent[] = [{ introduced: '0' }, { fixed: '1.0.0-post1' }];
    const asEcosystem = matchAffected(pep440, '1.0.0', entry([{ type: 'ECOSYSTEM', events }]), 'PyPI');
    assert.equal(asEcosystem?.comparator, 'pep440');
    assert.equal(asEcosystem?.fixed, '1.0.0-post1');
    assert.equal(matchAffected(pep440, '1.0.0', entry([{ type: 'SEMVER', events }]), 'PyPI'), undefined);
    const m = matchAffected(pep440, '0.9.0', entry([{ type: 'SEMVER', events }]));
    assert.equal(m?.comparator, SEMVER_VERSIONING.id);
    assert.equal(m?.rangeType, 'SEMVER');
    // SEMVER_VERSIONING tolerates a leading v.
    assert.equal(matchAffected(semver, 'v0.9.0', entry([{ type: 'SEMVER', events }]), 'npm')?.affected, true);
    // A PEP 440 version that is not SemVer 2.0 cannot be placed in a SEMVER range.
    assert.throws(() => matchAffected(pep440, '1.0', entry([{ type: 'SEMVER', events }])), expectCode('INPUT_INVALID'));
  });

  test('Go: ECOSYSTEM and SEMVER agree, versions with or without v, +incompatible ignored', () => {
    const ranges: AffectedRange[] = [
      { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.1.0+incompatible' }] },
    ];
    const m = matchAffected(go, 'v2.0.5+incompatible', entry(ranges), 'Go');
    assert.equal(m?.comparator, 'go');
    assert.equal(m?.fixed, '2.1.0+incompatible');
    assert.equal(matchAffected(go, 'v2.1.0', entry(ranges), 'Go'), undefined);
    assert.equal(matchAffected(go, 'v0.0.0-20191109021931-daa7c04131f5', entry(ranges), 'Go')?.affected, true);
  });

  test('GIT ranges are never evaluated; another range can still match', () => {
    const git: AffectedRange = { type: 'GIT', events: [{ introduced: '0' }, { fixed: 'deadbeef' }] };
    assert.equal(matchAffected(semver, '1.0.0', entry([git])), undefined);
    const m = matchAffected(semver, '1.0.0', entry([git, eco([{ introduced: '0' }, { fixed: '1.0.1' }])]));
    assert.equal(m?.rangeIndex, 1);
    assert.equal(m?.rangeType, 'ECOSYSTEM');
  });

  test('an installed version the module cannot read is INPUT_INVALID', () => {
    assert.throws(
      () => matchAffected(deb, 'not a version', entry([eco([{ introduced: '0' }])])),
      expectCode('INPUT_INVALID'),
    );
    assert.throws(() => matchAffected(apk, '1.0bc', entry([eco([{ introduced: '0' }])])), expectCode('INPUT_INVALID'));
  });

  test('hostile events: unreadable fixed is dropped (stays affected), unreadable introduced counts as 0', () => {
    const badFixed = entry([eco([{ introduced: '1.0.0' }, { fixed: '!!!' }])]);
    assert.equal(matchAffected(semver, '5.0.0', badFixed)?.affected, true);
    assert.equal(matchAffected(semver, '0.5.0', badFixed), undefined);
    const badIntroduced = entry([eco([{ introduced: 'garbage' }, { fixed: '2.0.0' }])]);
    assert.equal(matchAffected(semver, '0.1.0', badIntroduced)?.fixed, '2.0.0');
    assert.equal(matchAffected(semver, '2.0.0', badIntroduced), undefined);
    const malformed = [
      { introduced: '0', fixed: '1.0.0' },
      { unknown: '1' },
      { fixed: 7 },
      null,
      'x',
      { introduced: '0' },
    ];
    const hostile = entry([eco(malformed as unknown as RangeEvent[])]);
    assert.equal(matchAffected(semver, '9.9.9', hostile)?.affected, true);
    assert.deepEqual(
      ignoredEvents(semver, hostile).map((i) => i.reason),
      ['malformed', 'malformed', 'malformed', 'malformed', 'malformed'],
    );
    assert.deepEqual(ignoredEvents(semver, badFixed), [
      { rangeIndex: 0, event: { fixed: '!!!' }, reason: 'invalid-version' },
    ]);
    // Non-array events and ranges do not throw.
    assert.equal(
      matchAffected(semver, '1.0.0', {
        ranges: [{ type: 'ECOSYSTEM', events: 'x' as unknown as RangeEvent[] }],
        versions: [],
      }),
      undefined,
    );
  });

  test('a range without introduced never matches; introduced equal to fixed is empty', () => {
    assert.equal(matchAffected(semver, '1.0.0', entry([eco([{ fixed: '2.0.0' }])])), undefined);
    assert.equal(
      matchAffected(semver, '1.0.0', entry([eco([{ introduced: '1.0.0' }, { fixed: '1.0.0' }])])),
      undefined,
    );
  });
});

describe('mayCompareEqual (the versions-list prefilter)', () => {
  const byId = new Map<string, Versioning>(versionings.map((v) => [v.id, v]));
  const upstream: [string, string][] = [
    ['apk.json', 'apk'],
    ['dpkg.json', 'deb'],
    ['go-semver.json', 'go'],
    ['maven.json', 'maven'],
    ['pep440.json', 'pep440'],
    ['rpm.json', 'rpm'],
    ['semver.json', 'semver'],
  ];
  const pairs = (v: Versioning, facts: [string, string, number][]): [string, string][] =>
    facts
      .filter(([a, b]) => v.isValid(a) && v.isValid(b) && v.compare(a, b) === 0)
      .map(([a, b]) => [a, b] as [string, string]);

  test('holds for every pair a module compares equal, in every fact file', () => {
    let checked = 0;
    const misses: string[] = [];
    const check = (v: Versioning, facts: [string, string, number][]): void => {
      for (const [a, b] of pairs(v, facts)) {
        checked++;
        if (!mayCompareEqual(a, b) || !mayCompareEqual(b, a)) misses.push(`${v.id}: ${a} = ${b}`);
      }
    };
    for (const [file, id] of upstream) check(byId.get(id) as Versioning, loadFacts<[string, string, number]>(file));
    for (const id of ['cargo', 'gem', 'composer', 'nuget']) {
      check(byId.get(id) as Versioning, loadOwnFacts(join(import.meta.dirname, id)).compare);
    }
    assert.deepEqual(misses, []);
    assert.ok(checked > 500, `only ${checked} equal pairs checked`);
  });

  test('equal spellings pass, different numbers do not', () => {
    for (const [a, b] of [
      ['1.0', '1.0.0'],
      ['0:1.2-1', '1.2-1'],
      ['1.05', '1.5'],
      ['1.0.0+build.5', '1.0.0'],
      ['v1.2.3', '1.2.3'],
      ['1.0+5', '1.0.5'],
    ])
      assert.ok(mayCompareEqual(a as string, b as string), `${a} ${b}`);
    for (const [a, b] of [
      ['1.0', '1.1'],
      ['1.2.3', '1.2.30'],
      ['10', '1.0'],
      ['2.0-1', '2.0-2'],
    ])
      assert.ok(!mayCompareEqual(a as string, b as string), `${a} ${b}`);
  });

  test('the versions list still matches equal spellings (PEP 440 1.0 = 1.0.0)', () => {
    const e = { ranges: [], versions: ['0.9', '1.0', '1.1'] };
    assert.equal(matchAffected(pep440, '1.0.0', e)?.via, 'versions');
    assert.equal(matchAffected(pep440, '1.0.1', e), undefined);
  });
});

describe('versionsOutsideRanges (what a stored versions list keeps)', () => {
  test('keeps only versions no range covers, and those no module can read', () => {
    const e = {
      ranges: [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '1.0.0' }, { fixed: '2.0.0' }] }],
      versions: ['1.0.0', '1.5.0', '2.0.0', '3.1.0', 'not a version'],
    };
    assert.deepEqual(versionsOutsideRanges(semver, e, 'npm'), ['2.0.0', '3.1.0', 'not a version']);
    // Matching through the pruned entry gives the same answers as through the whole one.
    const pruned = { ranges: e.ranges, versions: versionsOutsideRanges(semver, e, 'npm') };
    for (const v of ['0.9.0', '1.0.0', '1.5.0', '1.9.9', '2.0.0', '3.1.0', '3.2.0'])
      assert.equal(matchAffected(semver, v, pruned, 'npm')?.affected, matchAffected(semver, v, e, 'npm')?.affected, v);
  });

  test('GIT-only ranges and unknown ecosystems keep the whole list', () => {
    const git = { ranges: [{ type: 'GIT' as const, events: [{ introduced: 'abc' }] }], versions: ['1.0', '1.1'] };
    assert.deepEqual(versionsOutsideRanges(pep440, git, 'PyPI'), ['1.0', '1.1']);
    assert.deepEqual(versionsOutsideRanges(undefined, git), ['1.0', '1.1']);
  });
});
