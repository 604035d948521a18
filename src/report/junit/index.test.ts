import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertGolden } from '../__fixtures__/golden.ts';
import { goldenReport, HOSTILE, hostileReport, noDbReport } from '../__fixtures__/report.ts';
import { writeJunit, xmlEscape } from './index.ts';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    const v = ENTITY[e];
    if (v === undefined) throw new Error(`unknown entity &${e};`);
    return v;
  });
}

/**
 * A strict little XML 1.0 parser for the writer's output: declaration, elements, attributes in double
 * quotes, text; no raw `<` or `&` outside markup, every tag closed, one root. Throws when not well-formed.
 */
function parseXml(xml: string): XmlElement {
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml))
    throw new Error('character not allowed in XML');
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('missing XML declaration');
  i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    if (xml[i] === '<') {
      if (xml[i + 1] === '/') {
        const m = /^<\/([A-Za-z_][\w.-]*)>/.exec(xml.slice(i));
        if (!m) throw new Error(`bad end tag at ${i}`);
        const el = stack.pop();
        if (!el || el.name !== m[1]) throw new Error(`mismatched </${m[1]}> at ${i}`);
        i += m[0].length;
        continue;
      }
      const m = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/.exec(xml.slice(i));
      if (!m?.[1]) throw new Error(`bad start tag at ${i}: ${xml.slice(i, i + 40)}`);
      const attrs: Record<string, string> = {};
      for (const a of (m[2] ?? '').matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
        if (!a[1] || a[1] in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        if (/&(?!(#\d+|#x[0-9a-f]+|[a-z]+);)/i.test(a[2] ?? '')) throw new Error('raw & in attribute');
        attrs[a[1]] = decode(a[2] ?? '');
      }
      const el: XmlElement = { name: m[1], attrs, children: [], text: '' };
      const parent = stack.at(-1);
      if (parent) parent.children.push(el);
      else if (root) throw new Error('second root element');
      else root = el;
      if (m[3] !== '/') stack.push(el);
      i += m[0].length;
      continue;
    }
    const next = xml.indexOf('<', i);
    const text = xml.slice(i, next === -1 ? xml.length : next);
    if (/&(?!(#\d+|#x[0-9a-f]+|[a-z]+);)/i.test(text) || text.includes('>'))
      throw new Error(`raw & or > in text at ${i}`);
    const parent = stack.at(-1);
    if (parent) parent.text += decode(text);
    else if (text.trim() !== '') throw new Error('text outside the root');
    i = next === -1 ? xml.length : next;
  }
  if (stack.length > 0 || !root) throw new Error('unclosed elements');
  return root;
}

function all(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

describe('JUnit writer', () => {
  test('golden output is well-formed XML', () => {
    const xml = writeJunit(goldenReport());
    assertGolden('report.junit.xml', xml);
    assert.equal(parseXml(xml).name, 'testsuites');
  });

  test('the checker rejects what is not well-formed', () => {
    assert.throws(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a><b></a>'));
    assert.throws(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a>x & y</a>'));
    assert.throws(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a b="1" b="2"/>'));
    assert.throws(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a>\u0001</a>'));
  });

  test('suites and cases: failures for findings, skipped for suppressed, checks pass/fail/skip/error', () => {
    const root = parseXml(writeJunit(goldenReport()));
    const suites = all(root, 'testsuite');
    assert.deepEqual(
      suites.map((s) => s.attrs.name),
      ['debian 12.15 (os packages)', 'Dockerfile', 'coverage'],
    );
    const [os, df] = suites;
    assert.equal(os?.attrs.tests, '10');
    assert.equal(os?.attrs.failures, '8');
    assert.equal(os?.attrs.skipped, '2');
    assert.equal(df?.attrs.tests, '8');
    assert.equal(df?.attrs.failures, '3');
    assert.equal(df?.attrs.skipped, '2', 'the skipped check and the inline-suppressed one');
    assert.equal(df?.attrs.errors, '1');
    const first = os?.children.find((c) => c.name === 'testcase');
    assert.equal(first?.attrs.name, 'CVE-2023-4911 libc6@2.36-9+deb12u1');
    const failure = first?.children.find((c) => c.name === 'failure');
    assert.equal(failure?.attrs.message, 'CVE-2023-4911 HIGH libc6');
    assert.match(failure?.text ?? '', /known exploited \(KEV\), due 2023-12-12/);
    const vex = all(os as XmlElement, 'testcase').find((c) => c.attrs.name?.startsWith('CVE-2024-2961'));
    assert.match(vex?.children[0]?.attrs.message ?? '', /^suppressed by VEX vex\/bookworm\.openvex\.json/);
    const skipped = all(df as XmlElement, 'testcase').find((c) => c.attrs.name?.startsWith('BD-DF-020'));
    assert.equal(
      skipped?.children[0]?.attrs.message,
      'needs the built image configuration (scan the image to evaluate)',
    );
    const passed = all(df as XmlElement, 'testcase').find((c) => c.attrs.name?.startsWith('BD-DF-002'));
    assert.deepEqual(passed?.children, []);
    assert.equal(root.attrs.tests, String(suites.reduce((n, s) => n + Number(s.attrs.tests), 0)));
  });

  test('no database: the vulnerability suite is skipped with the reason, not empty', () => {
    const root = parseXml(writeJunit(noDbReport()));
    const os = all(root, 'testsuite')[0];
    assert.equal(os?.attrs.tests, '1');
    assert.equal(os?.attrs.skipped, '1');
    assert.match(all(os as XmlElement, 'skipped')[0]?.attrs.message ?? '', /not evaluated: no vulnerability database/);
  });

  test('hostile strings are escaped, not interpreted: same number of test cases, text round-trips', () => {
    const root = parseXml(writeJunit(hostileReport()));
    const cases = all(root, 'testcase');
    assert.ok(!cases.some((c) => c.attrs.name === 'pwned'));
    assert.equal(all(root, 'testsuite')[0]?.attrs.tests, '2');
    assert.ok(cases.some((c) => c.attrs.classname?.includes('<script>alert("pkg")</script>&amp;red')));
    assert.equal(xmlEscape('a\u0000b\u001b[31mc<&>"\''), 'abc&lt;&amp;&gt;&quot;&apos;');
    assert.equal(xmlEscape('\ud800x'), 'x', 'lone surrogate removed');
    assert.ok(HOSTILE.reason.includes('</testcase>'));
  });
});
