import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { compareMismatches, loadFacts } from '../testing/facts.ts';
import { rpm, rpmvercmp } from './index.ts';

const facts = loadFacts<[string, string, number]>('rpm.json');

describe('rpm versioning', () => {
  test(`rpmvercmp agrees with ${facts.length} rpm facts`, () => {
    assert.equal(facts.length, 91);
    assert.deepEqual(compareMismatches(rpmvercmp, facts), []);
  });

  test('rpm.compare agrees with every rpm fact whose versions are valid package versions', () => {
    const valid = facts.filter(([a, b]) => rpm.isValid(a) && rpm.isValid(b));
    // `+a`, `_`, `a+` and the like are rpmvercmp inputs, not versions rpmbuild accepts.
    assert.ok(valid.length >= 70, `${valid.length} valid`);
    assert.deepEqual(compareMismatches(rpm.compare, valid), []);
  });

  test('epoch:version-release', () => {
    assert.ok(rpm.compare('1:1.0-1.el9', '2.0-1.el9') > 0);
    assert.equal(rpm.compare('0:1.0-1', '1.0-1'), 0);
    assert.ok(rpm.compare('1.0-1.el9', '1.0-1.el9_2') < 0);
    assert.ok(rpm.compare('3.0.7-16.el9_2', '3.0.7-18.el9_2') < 0);
    assert.ok(rpm.compare('1.0', '1.0-1') < 0, 'a missing release sorts first');
    assert.ok(rpm.compare('2.9.13-3.el9~beta', '2.9.13-3.el9') < 0);
  });

  test('invalid versions: rejected by isValid, compare throws INPUT_INVALID', () => {
    for (const v of ['', 'x:1', '1.0 1', '1.0-', '1/2', '___', '1'.repeat(300)]) assert.equal(rpm.isValid(v), false, v);
    assert.throws(() => rpm.compare('1.0', ''), expectCode('INPUT_INVALID'));
  });
});
