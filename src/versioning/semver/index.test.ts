import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { loadFacts } from '../testing/facts.ts';
import { type NpmSemverOptions, npmCompare, npmSatisfies, osvSemver, semver } from './index.ts';

type UpstreamOptions = { loose?: unknown; includePrerelease?: unknown };
type CompareFact = [string, string, number, UpstreamOptions?];
type RangeFact = [string, unknown, boolean, UpstreamOptions?];

const facts = loadFacts<CompareFact>('semver.json');
const include = loadFacts<RangeFact>('semver-range-include.json');
const exclude = loadFacts<RangeFact>('semver-range-exclude.json');

/** The facts carry npm's option objects as written upstream (`{loose: 420}` is truthy). */
function options(o: { loose?: unknown; includePrerelease?: unknown } | undefined): NpmSemverOptions {
  return { loose: Boolean(o?.loose), includePrerelease: Boolean(o?.includePrerelease) };
}

describe('semver (npm) versioning', () => {
  test(`npmCompare agrees with ${facts.length} node-semver comparison facts`, () => {
    assert.equal(facts.length, 99);
    const bad = facts.filter(([a, b, s, o]) => Math.sign(npmCompare(a, b, options(o))) !== s);
    assert.deepEqual(bad, []);
  });

  test('semver.compare agrees with every comparison fact that needs no option', () => {
    const plain = facts.filter(([, , , o]) => o === undefined);
    assert.equal(plain.length, 41);
    assert.deepEqual(
      plain.filter(([a, b, s]) => Math.sign(semver.compare(a, b)) !== s),
      [],
    );
  });

  test(`npmSatisfies agrees with ${include.length} range-include and ${exclude.length} range-exclude facts`, () => {
    assert.equal(include.length, 126);
    assert.equal(exclude.length, 98);
    const bad = [...include, ...exclude].filter(([r, v, s, o]) => npmSatisfies(v, r, options(o)) !== s);
    assert.deepEqual(bad, []);
  });

  test('semver.satisfies is npm without options', () => {
    const plain = [...include, ...exclude].filter(([, v, , o]) => o === undefined && typeof v === 'string');
    assert.ok(plain.length > 150);
    assert.deepEqual(
      plain.filter(([r, v, s]) => semver.satisfies?.(v as string, r) !== s),
      [],
    );
  });

  test('osvSemver: SemVer 2.0 with an optional v, build metadata ignored', () => {
    assert.equal(osvSemver.compare('v1.2.3', '1.2.3'), 0);
    assert.equal(osvSemver.compare('1.2.3+build.5', '1.2.3'), 0);
    assert.ok(osvSemver.compare('1.0.0-alpha.1', '1.0.0-alpha.beta') < 0);
    assert.ok(osvSemver.compare('1.0.0-rc.1', '1.0.0') < 0);
    for (const v of ['1.2', '01.2.3', '=1.2.3', 'vv1.2.3', '1.2.3-01', '1.2.3 '])
      assert.equal(osvSemver.isValid(v), false, v);
    assert.throws(() => osvSemver.compare('1.2', '1.2.3'), expectCode('INPUT_INVALID'));
  });
});
