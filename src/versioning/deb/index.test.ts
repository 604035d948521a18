import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { compareMismatches, loadFacts } from '../testing/facts.ts';
import { deb, verrevcmp } from './index.ts';

const facts = loadFacts<[string, string, number]>('dpkg.json');

describe('deb versioning', () => {
  test(`deb agrees with ${facts.length} dpkg facts`, () => {
    assert.equal(facts.length, 43);
    for (const [a, b] of facts) assert.ok(deb.isValid(a) && deb.isValid(b), `${a} and ${b} are valid`);
    assert.deepEqual(compareMismatches(deb.compare, facts), []);
  });

  test('epochs, tilde and revisions as Debian policy orders them', () => {
    assert.ok(deb.compare('1:1.0', '2.0') > 0);
    assert.ok(deb.compare('3.0.11-1~deb12u2', '3.0.11-1') < 0);
    assert.ok(deb.compare('3.0.11-1~deb12u2', '3.0.14-1~deb12u1') < 0);
    assert.ok(deb.compare('2.36.1-8+deb11u1', '2.36.1-8') > 0);
    assert.equal(deb.compare('00:1.0-1', '1.0-1'), 0);
    assert.equal(verrevcmp('a', 'B'), 1); // letters compare by ASCII: 'B' < 'a'
  });

  test('invalid versions: rejected by isValid, compare throws INPUT_INVALID', () => {
    for (const v of ['', 'a1.0', '1.0-', 'x:1.0', '1.0 beta', '-1', '1.0-a-b:c', '1.0-r_1', '1'.repeat(300)]) {
      assert.equal(deb.isValid(v), false, v);
    }
    assert.throws(() => deb.compare('1.0', 'abc'), expectCode('INPUT_INVALID'));
  });
});
