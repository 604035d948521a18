import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { parseToml } from './toml.ts';

const b = { what: 'x.toml', maxBytes: 1 << 20, maxDepth: 8 };

describe('bounded TOML reader', () => {
  test('tables, arrays of tables, dotted and quoted keys, every string form, inline tables', () => {
    const doc = parseToml(
      [
        'version = 4 # comment',
        'title = "a \\"q\\" \\u00e9"',
        "lit = 'C:\\path'",
        'multi = """',
        'line1 \\',
        '   line2"""',
        "raw = '''",
        "x'y'''",
        'date = 1979-05-27 07:32:00Z',
        'site."google.com" = true',
        '[[package]]',
        'name = "a"',
        'deps = [',
        '  "b 1.0", # trailing comment',
        '  "c",',
        ']',
        '[package.meta]',
        'x = { y = 1, z = [1.5, -2, 0x10] }',
        '[[package]]',
        'name = "b"',
        '',
      ].join('\n'),
      b,
    );
    assert.equal(doc.version, 4);
    assert.equal(doc.title, 'a "q" é');
    assert.equal(doc.lit, 'C:\\path');
    assert.equal(doc.multi, 'line1 line2');
    assert.equal(doc.raw, "x'y");
    assert.equal(doc.date, '1979-05-27 07:32:00Z');
    assert.deepEqual({ ...(doc.site as object) }, { 'google.com': true });
    const pkgs = doc.package as Record<string, unknown>[];
    assert.equal(pkgs.length, 2);
    assert.deepEqual(pkgs[0]?.deps, ['b 1.0', 'c']);
    assert.deepEqual(JSON.parse(JSON.stringify(pkgs[0]?.meta)), { x: { y: 1, z: [1.5, -2, 16] } });
  });

  test('malformed, duplicate, too deep or too large input is refused with a code', () => {
    assert.throws(() => parseToml('a = "unterminated', b), expectCode('INPUT_INVALID', /line 1/));
    assert.throws(() => parseToml('a = 1\na = 2', b), expectCode('INPUT_INVALID', /duplicate key/));
    assert.throws(() => parseToml(`a = ${'['.repeat(20)}`, b), expectCode('LIMIT_EXCEEDED'));
    assert.throws(() => parseToml('a = 1', { ...b, maxBytes: 2 }), expectCode('LIMIT_EXCEEDED'));
    assert.throws(() => parseToml('a = nope', b), expectCode('INPUT_INVALID'));
    // Keys that would reach Object.prototype are plain keys of a null-prototype table.
    const doc = parseToml('__proto__ = 1\n[constructor]\nx = 2', b);
    assert.equal(Object.getPrototypeOf(doc), null);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});
