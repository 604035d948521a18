import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { compareMismatches, loadOwnFacts, satisfiesMismatches } from '../testing/facts.ts';
import { composer } from './index.ts';

const facts = loadOwnFacts(import.meta.dirname);

describe('composer versioning', () => {
  test(`composer agrees with ${facts.compare.length} comparison facts`, () => {
    assert.ok(facts.compare.length >= 30);
    for (const [a, b] of facts.compare) assert.ok(composer.isValid(a) && composer.isValid(b), `${a} ${b}`);
    assert.deepEqual(compareMismatches(composer.compare, facts.compare), []);
    // Each fact read the other way round gives the opposite sign.
    const reversed = facts.compare.map(([a, b, s]): [string, string, number] => [b, a, -s || 0]);
    assert.deepEqual(compareMismatches(composer.compare, reversed), []);
  });

  test(`composer agrees with ${facts.satisfies.length} constraint facts`, () => {
    assert.ok(facts.satisfies.length >= 15);
    assert.deepEqual(satisfiesMismatches(composer, facts.satisfies), []);
  });

  test('invalid versions: rejected by isValid, compare throws INPUT_INVALID', () => {
    for (const v of ['', ' ', 'abc', '1..2', '1.0 beta', '\u0000', '9'.repeat(300)])
      assert.equal(composer.isValid(v), false, JSON.stringify(v));
    assert.throws(() => composer.compare('1.0.0', 'abc'), expectCode('INPUT_INVALID'));
  });
});
