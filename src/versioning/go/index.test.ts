import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { compareMismatches, loadFacts } from '../testing/facts.ts';
import { canonical, go, goSemverCompare, pseudoVersionForm } from './index.ts';

const facts = loadFacts<[string, string, number]>('go-semver.json');
const canon = loadFacts<[string, string]>('go-semver-canonical.json');

describe('go versioning', () => {
  test(`goSemverCompare agrees with ${facts.length} golang.org/x/mod/semver facts`, () => {
    assert.equal(facts.length, 1024);
    assert.deepEqual(compareMismatches(goSemverCompare, facts), []);
  });

  test('go.compare agrees on valid versions, with and without the v (OSV spelling)', () => {
    const valid = facts.filter(([a, b]) => canonical(a) !== '' && canonical(b) !== '');
    assert.ok(valid.length > 500);
    assert.deepEqual(compareMismatches(go.compare, valid), []);
    const bare = valid.map(([a, b, s]): [string, string, number] => [a.slice(1), b.slice(1), s]);
    assert.deepEqual(compareMismatches(go.compare, bare), []);
  });

  test(`canonical agrees with ${canon.length} golang.org/x/mod/semver facts`, () => {
    assert.equal(canon.length, 32);
    assert.deepEqual(
      canon.filter(([v, c]) => canonical(v) !== c),
      [],
    );
  });

  test('+incompatible and the three pseudo-version forms', () => {
    assert.equal(go.compare('v2.0.0+incompatible', '2.0.0'), 0);
    assert.ok(go.compare('v2.0.0+incompatible', 'v2.0.1') < 0);
    assert.equal(pseudoVersionForm('v0.0.0-20191109021931-daa7c04131f5'), 'no-base');
    assert.equal(pseudoVersionForm('v1.2.4-0.20191109021931-daa7c04131f5'), 'release-base');
    assert.equal(pseudoVersionForm('1.2.4-0.20191109021931-daa7c04131f5'), 'release-base');
    assert.equal(pseudoVersionForm('v1.2.3-pre.0.20191109021931-daa7c04131f5+incompatible'), 'pre-base');
    assert.equal(pseudoVersionForm('v1.2.3'), undefined);
    assert.equal(pseudoVersionForm('v1.2.3-rc.1'), undefined);
    // A pseudo-version sorts after its base and before the next release.
    assert.ok(go.compare('v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.3') > 0);
    assert.ok(go.compare('v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.4') < 0);
    assert.ok(go.compare('v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0-20200101000000-000000000000') < 0);
  });

  test('invalid versions', () => {
    for (const v of ['', 'v', 'bad', 'v1-pre', 'v1.2-pre', '01.2.3', 'v1.2.3.4', 'v1.2.3-', 'vv1.2.3']) {
      assert.equal(go.isValid(v), false, v);
    }
    assert.throws(() => go.compare('v1.2-pre', 'v1.2.3'), expectCode('INPUT_INVALID'));
  });
});
