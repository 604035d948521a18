import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { expectCode } from '../../test/helpers/errors.ts';
import type { BollardError } from './errors.ts';
import { lineRange, parseYamlBounded, parseYamlDocuments } from './yaml.ts';
import {
  parseYamlSourceMapped,
  type YamlDocumentError,
  type YamlNodeId,
  type YamlPositionTree,
} from './yaml-sourcemap.ts';

describe('parseYamlDocuments on hostile input', () => {
  test('recursive aliases are refused instead of building a cyclic value', () => {
    for (const text of ['a: &a [*a]\n', 'a: &x\n  b: [1, {c: *x}]\n', 'a: &x [1]\nb: &x [*x]\n']) {
      assert.throws(
        () => parseYamlDocuments(text, { what: 't.yaml' }),
        expectCode('INPUT_INVALID', /refers to a node that contains it/),
      );
    }
    // An alias to an earlier sibling is fine, including one anchored by the same name.
    const [doc] = parseYamlDocuments('a: &x [1]\nb: [*x, *x]\n', { what: 't.yaml' });
    assert.deepEqual(doc?.value, { a: [1], b: [[1], [1]] });
  });

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

/** Every fixture manifest the Kubernetes readers are tested on. */
function manifestFixtures(): string[] {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const dirs = ['k8s/__fixtures__', 'misconfig/kubernetes/__fixtures__', 'netpol/__fixtures__'];
  return dirs
    .flatMap((d) => readdirSync(join(root, d), { recursive: true }).map((f) => join(root, d, String(f))))
    .filter((f) => /\.(ya?ml|json)$/.test(f) && statSync(f).isFile())
    .sort();
}

/**
 * Walk a `yaml` library node and the position tree side by side: the same keys, the same line
 * range for every node and the same line for every key.
 */
function assertSameLines(
  node: unknown,
  tree: YamlPositionTree,
  id: YamlNodeId,
  lc: LineCounter,
  where: string,
): number {
  let n = 1;
  const r = lineRange(node as Node, lc);
  if (r) assert.deepEqual(tree.lineRange(id), r, where);
  if (isMap(node)) {
    assert.equal(tree.kind(id), 'mapping', where);
    assert.equal(tree.size(id), node.items.length, where);
    for (const p of node.items) {
      if (!isScalar(p.key) || typeof p.key.value === 'symbol') continue; // `<<` is a Symbol there
      const key = String(p.key.value);
      const k = tree.keyNode(id, key);
      assert.ok(k >= 0, `${where}.${key}`);
      assert.equal(tree.lineRange(k).startLine, lineRange(p.key as Node, lc)?.startLine, `${where}.${key}`);
      n += assertSameLines(p.value, tree, tree.child(id, key), lc, `${where}.${key}`);
    }
  } else if (isSeq(node)) {
    assert.equal(tree.kind(id), 'sequence', where);
    assert.equal(tree.items(id).length, node.items.length, where);
    node.items.forEach((item, i) => {
      n += assertSameLines(item, tree, tree.child(id, i), lc, `${where}[${i}]`);
    });
  }
  return n;
}

const LINES_YAML = [
  '# a comment', // 1
  'base: &base', // 2
  '  cpu: 100m # trailing', // 3
  '  memory: "64Mi"', // 4
  'derived:', // 5
  '  <<: *base', // 6
  '  memory: 128Mi', // 7
  '"quoted key": 1', // 8
  "'it''s': 2", // 9
  'flow: {a: [1, 2,', // 10
  '    3], b: {c: d}}', // 11
  'literal: |', // 12
  '  one', // 13
  '  two', // 14
  '', // 15
  'folded: >-', // 16
  '  x', // 17
  'list:', // 18
  '  - a', // 19
  '  -', // 20
  '  - k: v', // 21
  '    k2: [x]', // 22
  '...', // 23
  '--- {inline: [1, 2]}', // 24
  '---', // 25
  '# only a comment', // 26
  '---', // 27
  '- x', // 28
].join('\n');

describe('parseYamlSourceMapped: values and exact lines', () => {
  test('block and flow collections, comments, block scalars, quoted and merge keys, --- and ...', () => {
    const docs = parseYamlSourceMapped(LINES_YAML, { what: 'x' });
    assert.deepEqual(
      docs.map((d) => [d.index, d.startLine, d.value]),
      [
        [
          0,
          2,
          {
            base: { cpu: '100m', memory: '64Mi' },
            derived: { cpu: '100m', memory: '128Mi' },
            'quoted key': 1,
            "it's": 2,
            flow: { a: [1, 2, 3], b: { c: 'd' } },
            literal: 'one\ntwo\n',
            folded: 'x',
            list: ['a', null, { k: 'v', k2: ['x'] }],
          },
        ],
        [1, 24, { inline: [1, 2] }],
        [2, 25, null],
        [3, 28, ['x']],
      ],
    );
    const [d] = docs;
    const { tree, root } = d!;
    const line = (path: (string | number)[]): number | undefined => tree.pathLine(root, path);
    assert.equal(line(['base', 'cpu']), 3);
    assert.equal(line(['base', 'memory']), 4);
    assert.equal(line(['derived', 'memory']), 7);
    assert.equal(line(['derived', '<<']), 6);
    assert.equal(line(['quoted key']), 8);
    assert.equal(line(["it's"]), 9);
    assert.equal(line(['flow', 'a', 2]), 11);
    assert.equal(line(['flow', 'b', 'c']), 11);
    assert.equal(line(['list', 1]), 20, 'an empty list item is on its dash line');
    assert.equal(line(['list', 2, 'k2', 0]), 22);
    // Merged keys are not written in `derived`: no line of their own, the nearest is the parent.
    assert.equal(line(['derived', 'cpu']), undefined);
    assert.equal(tree.nearestPathLine(root, ['derived', 'cpu']), 5);
    assert.equal(tree.nearestPathLine(root, ['nothing', 'here']), 2);
    assert.deepEqual(tree.lineRange(root), { startLine: 2, endLine: 22 });
    assert.deepEqual(tree.lineRange(tree.child(root, 'flow')), { startLine: 10, endLine: 11 });
    assert.deepEqual(tree.lineRange(tree.child(root, 'literal')), { startLine: 12, endLine: 14 });
    assert.deepEqual(tree.lineRange(tree.child(root, 'folded')), { startLine: 16, endLine: 17 });
    assert.equal(tree.kind(tree.child(tree.child(root, 'derived'), '<<')), 'alias');
    assert.equal(tree.size(tree.child(root, 'list')), 3);
    assert.equal(tree.pathLine(docs[1]!.root, ['inline', 1]), 24);
    assert.deepEqual(docs[3]!.tree.lineRange(docs[3]!.root), { startLine: 28, endLine: 28 });
    assert.equal(d!.lines.lineOf(LINES_YAML.indexOf('k2')), 22);
  });

  test('keys are matched by their JS key, not their spelling', () => {
    const [d] = parseYamlSourceMapped('0x10: hex\n"a\\u0062": escaped\n? |\n  block\n: k\n!!str 7: tagged\n', {
      what: 'x',
    });
    assert.deepEqual(d?.value, { '16': 'hex', ab: 'escaped', 'block\n': 'k', '7': 'tagged' });
    assert.equal(d?.tree.pathLine(d.root, ['16']), 1);
    assert.equal(d?.tree.pathLine(d.root, ['ab']), 2);
    assert.equal(d?.tree.pathLine(d.root, ['block\n']), 3);
    assert.equal(d?.tree.pathLine(d.root, ['7']), 6);
    assert.equal(d?.tree.pathLine(d.root, ['0x10']), undefined);
  });

  test('the same values and lines as parseYamlDocuments on every manifest fixture', () => {
    const files = manifestFixtures();
    assert.ok(files.length >= 8, `found ${files.length} fixtures`);
    let nodes = 0;
    for (const f of [...files, '(lines)']) {
      const text = f === '(lines)' ? LINES_YAML : readFileSync(f, 'utf8');
      let old: ReturnType<typeof parseYamlDocuments>;
      try {
        old = parseYamlDocuments(text, { what: f });
      } catch (e) {
        // What the old reader refuses, the new one refuses with the same code.
        assert.throws(() => parseYamlSourceMapped(text, { what: f }), expectCode((e as BollardError).code));
        continue;
      }
      const now = parseYamlSourceMapped(text, { what: f });
      assert.deepEqual(
        now.map((d) => d.value),
        old.map((d) => d.value),
        f,
      );
      assert.deepEqual(
        now.map((d) => d.startLine),
        old.map((d) => d.startLine),
        f,
      );
      old.forEach((d, i) => {
        const m = now[i]!;
        if (d.doc.contents) nodes += assertSameLines(d.doc.contents, m.tree, m.root, d.lineCounter, `${f}#${i}`);
      });
    }
    assert.ok(nodes > 500, `compared ${nodes} nodes`);
  });

  test('a flow collection closed at its key indentation (kubectl reads it) is read as before', () => {
    const text = 'spec:\n  args: [\n    "--a",\n    "--b",\n  ]\n  x: 1\n';
    const [d] = parseYamlSourceMapped(text, { what: 'x' });
    assert.deepEqual(d?.value, parseYamlBounded(text, { what: 'x' }));
    assert.equal(d?.tree.pathLine(d.root, ['spec', 'args', 1]), 4);
    assert.equal(d?.tree.pathLine(d.root, ['spec', 'x']), 6);
    assert.deepEqual(d?.tree.lineRange(d.tree.child(d.root, 'spec')), { startLine: 2, endLine: 6 });
  });
});

describe('parseYamlSourceMapped on hostile input', () => {
  const laughs = (levels: number): string => {
    const lines = [`l0: &l0 [${Array(9).fill('"lol"').join(',')}]`];
    for (let i = 1; i < levels; i++)
      lines.push(
        `l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(',')}]`,
      );
    return lines.join('\n');
  };
  test('billion laughs (9 levels of 9 aliases) is refused by counting through the aliases', () => {
    assert.throws(() => parseYamlSourceMapped(laughs(9), { what: 'x' }), expectCode('LIMIT_EXCEEDED', /billion/));
    // Either bound alone stops it: alias references and the nodes they add.
    assert.throws(
      () => parseYamlSourceMapped(laughs(9), { what: 'x', maxAliasCount: 1e12 }),
      expectCode('LIMIT_EXCEEDED', /extra nodes/),
    );
    assert.throws(
      () => parseYamlSourceMapped(laughs(9), { what: 'x', maxAliasNodes: 1e12 }),
      expectCode('LIMIT_EXCEEDED', /alias references/),
    );
    // Only 72 alias nodes are written (9^9 nodes once expanded): a count of alias nodes misses it.
    assert.equal((laughs(9).match(/\*/g) ?? []).length, 72);
  });
  test('ordinary anchors and merge keys pass', () => {
    const text = `base: &b {cpu: 1m, memory: 1Mi}\n${Array.from({ length: 50 }, (_, i) => `c${i}: {<<: *b, n: ${i}}`).join('\n')}\n`;
    const [d] = parseYamlSourceMapped(text, { what: 'x' });
    assert.ok(d);
    assert.deepEqual((d.value as Record<string, unknown>).c49, { cpu: '1m', memory: '1Mi', n: 49 });
  });
  test('recursive and unknown aliases are refused', () => {
    for (const text of ['a: &a [*a]\n', 'a: &a {b: *a}\n', 'a: &a [1, {b: [*a]}]\n']) {
      assert.throws(() => parseYamlSourceMapped(text, { what: 'x' }), expectCode('INPUT_INVALID', /recursive/));
    }
    assert.throws(() => parseYamlSourceMapped('a: *nope\n', { what: 'x' }), expectCode('INPUT_INVALID', /alias/));
  });
  test('a 20 MB document is refused before parsing', () => {
    const big = `a: ${'x'.repeat(20 * 1024 * 1024)}\n`;
    assert.throws(
      () => parseYamlSourceMapped(big, { what: 'big.yaml' }),
      expectCode('LIMIT_EXCEEDED', /over the limit/),
    );
  });
  test('100,000-deep flow and block nesting are refused, and a stack overflow is an error', () => {
    const deep = ['['.repeat(100_000), '{a: '.repeat(100_000), `${'- '.repeat(100_000)}x`, `${'? '.repeat(100_000)}x`];
    for (const text of deep) {
      assert.throws(() => parseYamlSourceMapped(text, { what: 'x' }), expectCode('LIMIT_EXCEEDED', /deeper than 64/));
    }
    const indented = `${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1`;
    assert.throws(() => parseYamlSourceMapped(indented, { what: 'x' }), expectCode('LIMIT_EXCEEDED'));
    // With the depth bound lifted, the parser's recursion overflows the stack: still one clear error.
    assert.throws(
      () => parseYamlSourceMapped('['.repeat(100_000), { what: 'x', maxDepth: 10_000_000 }),
      expectCode('LIMIT_EXCEEDED', /^x \(line 1\): document nests too deeply or is too large to parse$/),
    );
  });
  test('tags that construct objects and unknown tags are refused', () => {
    for (const text of [
      'x: !!python/object:os.system ls\n',
      'x: !!python/object/apply:os.system [ls]\n',
      'x: !!js/function "function () {}"\n',
      'x: !foo bar\n',
      '%TAG !p! tag:yaml.org,2002:python/\n---\nx: !p!object {}\n',
    ]) {
      assert.throws(
        () => parseYamlSourceMapped(text, { what: 'x' }),
        expectCode('INPUT_INVALID', /unsupported YAML tag/),
        text,
      );
    }
  });
  test('duplicate keys, syntax errors and document counts: one-line messages with positions', () => {
    assert.throws(
      () => parseYamlSourceMapped('a: 1\na: 2\n', { what: 'x' }),
      expectCode('INPUT_INVALID', /^x \(line 2, column 1\): duplicated mapping key$/),
    );
    assert.throws(
      () => parseYamlSourceMapped('a: [1, 2\n', { what: 'x' }),
      expectCode('INPUT_INVALID', /^x \(line \d+, column \d+\): [^\n]+$/),
    );
    assert.throws(
      () => parseYamlSourceMapped('a: 1\n---\nb: 2\n', { what: 'x', maxDocuments: 1 }),
      expectCode('LIMIT_EXCEEDED', /documents/),
    );
  });
  test('with onDocumentError, a bad document is reported and the others are read with their lines', () => {
    const text = [
      'ok: 0', // 1
      '---',
      'bad: [1, 2', // 3: never closed
      '---',
      'dup: 1', // 5
      'dup: 2', // 6
      '---',
      'ok: 3', // 8
      '---',
      laughs(9), // 10-18
      '---',
      `deep: ${'['.repeat(1000)}`, // 20
      '---',
      'ok: 6', // 22
    ].join('\n');
    const errors: YamlDocumentError[] = [];
    const docs = parseYamlSourceMapped(text, { what: 'x' }, (e) => errors.push(e));
    assert.deepEqual(
      docs.map((d) => [d.index, d.startLine, d.value]),
      [
        [0, 1, { ok: 0 }],
        [3, 8, { ok: 3 }],
        [6, 22, { ok: 6 }],
      ],
    );
    assert.deepEqual(
      errors.map((e) => [e.index, e.line, e.error.code]),
      [
        [1, 3, 'INPUT_INVALID'], // the document ends inside its `[`: its last line
        [2, 6, 'INPUT_INVALID'],
        [4, 10, 'LIMIT_EXCEEDED'],
        [5, 20, 'LIMIT_EXCEEDED'],
      ],
    );
    assert.equal(errors[1]?.reason, 'duplicated mapping key');
    assert.match(errors[1]!.error.message, /^x \(line 6, column 1\): duplicated mapping key$/);
    assert.equal(docs[1]?.tree.pathLine(docs[1].root, ['ok']), 8);
  });
});
