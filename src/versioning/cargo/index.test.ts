import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { compareMismatches, loadOwnFacts, satisfiesMismatches } from '../testing/facts.ts';
import { cargo } from './index.ts';

const facts = loadOwnFacts(import.meta.dirname);

describe('cargo versioning', () => {
  test(`cargo agrees with ${facts.compare.length} comparison facts`, () => {
    assert.ok(facts.compare.length >= 30);
    for (const [a, b] of facts.compare) assert.ok(cargo.isValid(a) && cargo.isValid(b), `${a} ${b}`);
    assert.deepEqual(compareMismatches(cargo.compare, facts.compare), []);
    // Each fact read the other way round gives the opposite sign.
    const reversed = facts.compare.map(([a, b, s]): [string, string, number] => [b, a, -s || 0]);
    assert.deepEqual(compareMismatches(cargo.compare, reversed), []);
  });

  test(`cargo agrees with ${facts.satisfies.length} constraint facts`, () => {
    assert.ok(facts.satisfies.length >= 15);
    assert.deepEqual(satisfiesMismatches(cargo, facts.satisfies), []);
  });

  test('invalid versions: rejected by isValid, compare throws INPUT_INVALID', () => {
    for (const v of ['', ' ', 'abc', '1..2', '1.0 beta', '\u0000', '9'.repeat(300)])
      assert.equal(cargo.isValid(v), false, JSON.stringify(v));
    assert.throws(() => cargo.compare('1.0.0', 'abc'), expectCode('INPUT_INVALID'));
  });
});
