import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { compareMismatches, loadFacts } from '../testing/facts.ts';
import { pep440 } from './index.ts';

const facts = loadFacts<[string, string, number]>('pep440.json');

describe('pep440 versioning', () => {
  test(`pep440 agrees with ${facts.length} PEP 440 ordering facts`, () => {
    assert.equal(facts.length, 8464);
    for (const [a, b] of facts) assert.ok(pep440.isValid(a) && pep440.isValid(b), `${a} ${b}`);
    assert.deepEqual(compareMismatches(pep440.compare, facts), []);
  });

  test('specifiers, pre-releases included', () => {
    const s = (v: string, c: string): boolean | undefined => pep440.satisfies?.(v, c);
    assert.equal(s('1.4.5', '~=1.4.2'), true);
    assert.equal(s('1.5.0', '~=1.4.2'), false);
    assert.equal(s('2.0', '>=1.0,<2.0'), false);
    assert.equal(s('1.9.9', '>=1.0,<2.0'), true);
    assert.equal(s('1.3.1', '==1.3.*'), true);
    assert.equal(s('1.3', '!=1.3'), false);
    assert.equal(s('2.0a1', '<3'), true);
    assert.equal(s('1.0', 'garbage'), false);
  });

  test('invalid versions', () => {
    for (const v of ['', 'abc', '1.0.x', '1..0', '1.0 beta', '1.0+', '1'.repeat(300)])
      assert.equal(pep440.isValid(v), false, v);
    assert.throws(() => pep440.compare('1.0', 'abc'), expectCode('INPUT_INVALID'));
  });
});
