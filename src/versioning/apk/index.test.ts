import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { compareMismatches, loadFacts } from '../testing/facts.ts';
import { apk, apkCompare, matchOp } from './index.ts';

const facts = loadFacts<[string, string, number]>('apk.json');
const ops = loadFacts<[string, string, string, boolean]>('apk-match-ops.json');
const validity = loadFacts<[string, boolean]>('apk-validity.json');

describe('apk versioning', () => {
  test(`apkCompare agrees with ${facts.length} apk-tools facts`, () => {
    assert.equal(facts.length, 738);
    assert.deepEqual(compareMismatches(apkCompare, facts), []);
  });

  test('apk.compare agrees where both versions are valid, and throws otherwise', () => {
    const valid = facts.filter(([a, b]) => apk.isValid(a) && apk.isValid(b));
    assert.ok(valid.length > 700, `${valid.length} valid`);
    assert.deepEqual(compareMismatches(apk.compare, valid), []);
    assert.throws(() => apk.compare('23_foo', '4_beta'), expectCode('INPUT_INVALID'));
  });

  test(`apk.isValid agrees with ${validity.length} apk-tools validity facts`, () => {
    assert.equal(validity.length, 31);
    const bad = validity.filter(([v, ok]) => apk.isValid(v) !== ok).map(([v, ok]) => `${v}: expected ${ok}`);
    assert.deepEqual(bad, []);
  });

  test(`matchOp agrees with ${ops.length} apk-tools operator facts`, () => {
    assert.equal(ops.length, 16);
    const bad = ops.filter(([v, op, ref, ok]) => matchOp(v, op, ref) !== ok).map((f) => JSON.stringify(f));
    assert.deepEqual(bad, []);
  });

  test('satisfies reads `OP REF` with the plain operators too', () => {
    assert.equal(apk.satisfies?.('1.36.1-r15', '< 1.36.1-r16'), true);
    assert.equal(apk.satisfies?.('1.36.1-r15', '>=1.36.1-r16'), false);
    assert.equal(apk.satisfies?.('1.36.1-r15', '=1.36.1-r15'), true);
    assert.equal(apk.satisfies?.('1.36.1-r15', '1.36.1-r15'), true);
    assert.equal(apk.satisfies?.('1.36.1-r15', '!1.36.1-r15'), false);
    assert.equal(apk.satisfies?.('1.36.1-r15', '!=1.36.2-r0'), true);
    assert.equal(apk.satisfies?.('3.6.9', '~3.6'), true);
    assert.equal(apk.satisfies?.('3.6.9', '<~3.6'), true);
    assert.equal(apk.satisfies?.('3.6.9', '?? 3.6'), false);
    assert.equal(apk.satisfies?.('not-a-version', '<1'), false);
  });

  test('Alpine package versions in the order of their security fixes', () => {
    assert.ok(apk.compare('1.2.4_git20230717-r4', '1.2.4_git20230717-r5') < 0);
    assert.ok(apk.compare('3.1.4-r1', '3.1.4-r5') < 0);
    assert.ok(apk.compare('1.36.1-r15', '1.36.1-r2') > 0);
    assert.ok(apk.compare('2.6_rc1-r0', '2.6-r0') < 0);
  });
});
