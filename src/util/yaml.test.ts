import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../test/helpers/errors.ts';
import { lineRange, parseYamlBounded, parseYamlDocuments } from './yaml.ts';

describe('parseYamlDocuments on hostile input', () => {
  test('billion laughs is refused by the alias cap', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [k, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
    ] as const) {
      lines.push(`${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    assert.throws(() => parseYamlDocuments(lines.join('\n'), { what: 'laughs.yaml' }), expectCode('LIMIT_EXCEEDED'));
  });
  test('deep flow and block nesting are refused before building values', () => {
    assert.throws(() => parseYamlDocuments('['.repeat(100_000), { what: 'x' }), expectCode('LIMIT_EXCEEDED'));
    const block = `${Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1`;
    assert.throws(() => parseYamlDocuments(block, { what: 'x' }), expectCode('LIMIT_EXCEEDED'));
  });
  test('tags that construct objects are refused', () => {
    assert.throws(
      () => parseYamlBounded('x: !!python/object:os.system ls\n', { what: 'x' }),
      expectCode('INPUT_INVALID'),
    );
    assert.throws(() => parseYamlBounded('x: !!js/function "f(){}"\n', { what: 'x' }), expectCode('INPUT_INVALID'));
  });
  test('duplicate keys, syntax errors and oversize input are clear errors', () => {
    assert.throws(() => parseYamlBounded('a: 1\na: 2\n', { what: 'x' }), expectCode('INPUT_INVALID'));
    assert.throws(() => parseYamlBounded('a: [1, 2\n', { what: 'x' }), expectCode('INPUT_INVALID'));
    assert.throws(() => parseYamlBounded('a: 1\n', { what: 'x', maxBytes: 2 }), expectCode('LIMIT_EXCEEDED'));
    assert.throws(() => parseYamlBounded('a: 1\n---\nb: 2\n', { what: 'x' }), expectCode('LIMIT_EXCEEDED'));
  });
});

describe('parseYamlDocuments on ordinary input', () => {
  test('multi-document streams keep their start lines', () => {
    const docs = parseYamlDocuments("# c\na: it's fine\nb: [1, {c: 2}]\n---\nkind: Pod\nmetadata:\n  name: p\n", {
      what: 'x',
    });
    assert.deepEqual(
      docs.map((d) => d.value),
      [
        { a: "it's fine", b: [1, { c: 2 }] },
        { kind: 'Pod', metadata: { name: 'p' } },
      ],
    );
    assert.deepEqual(
      docs.map((d) => d.startLine),
      [2, 5],
    );
    const meta = docs[1]?.doc.get('metadata', true) as Parameters<typeof lineRange>[0];
    assert.deepEqual(lineRange(meta, docs[1]!.lineCounter), { startLine: 7, endLine: 7 });
  });
  test('a few aliases and merge keys are fine', () => {
    assert.deepEqual(parseYamlBounded('base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n', { what: 'x' }), {
      base: { x: 1 },
      d: { x: 1, y: 2 },
    });
  });
});
