import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareMismatches, loadFacts } from '../testing/facts.ts';
import { maven, mavenCompare } from './index.ts';

const facts = loadFacts<[string, string, number]>('maven.json');

describe('maven versioning', () => {
  test(`maven agrees with ${facts.length} ComparableVersion facts`, () => {
    assert.equal(facts.length, 1956);
    for (const [a, b] of facts) assert.ok(maven.isValid(a) && maven.isValid(b), `${a} ${b}`);
    assert.deepEqual(compareMismatches(maven.compare, facts), []);
  });

  test('qualifier ranks and separators', () => {
    const order = [
      '1.0-alpha-1',
      '1.0-beta-1',
      '1.0-milestone-1',
      '1.0-rc-1',
      '1.0-SNAPSHOT',
      '1.0',
      '1.0-sp-1',
      '1.0-foo',
      '1.0.1',
    ];
    for (let i = 1; i < order.length; i++)
      assert.ok(mavenCompare(order[i - 1]!, order[i]!) < 0, `${order[i - 1]} < ${order[i]}`);
    assert.equal(mavenCompare('1.0-cr-1', '1.0-rc-1'), 0);
    assert.equal(mavenCompare('1.0.GA', '1.0'), 0);
    assert.equal(mavenCompare('1.0.0', '1'), 0);
  });

  test('range syntax', () => {
    const s = (v: string, r: string): boolean | undefined => maven.satisfies?.(v, r);
    assert.equal(s('1.5', '[1.0,2.0)'), true);
    assert.equal(s('2.0', '[1.0,2.0)'), false);
    assert.equal(s('2.0', '[1.0,2.0]'), true);
    assert.equal(s('1.0', '(1.0,2.0)'), false);
    assert.equal(s('0.9', '(,1.0],[1.2,)'), true);
    assert.equal(s('1.1', '(,1.0],[1.2,)'), false);
    assert.equal(s('5.0', '(,1.0],[1.2,)'), true);
    assert.equal(s('1.0', '[1.0]'), true);
    assert.equal(s('1.0.0', '[1.0]'), true);
    assert.equal(s('1.1', '[1.0]'), false);
    assert.equal(s('2.0-SNAPSHOT', '[1.0,2.0)'), true);
    assert.equal(s('1.0', '1.0'), true);
    for (const bad of ['[1.0', '(1.0)', '[2.0,1.0]', '[1,2,3]', '[1.0,2.0),', '', 'x]'])
      assert.equal(s('1.0', bad), false, bad);
  });
});
