import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expectCode } from '../../../../test/helpers/errors.ts';
import { finding, LODASH, OPENSSL } from '../__fixtures__/findings.ts';
import { globMatch } from './glob.ts';
import { entryMatches, isExpired, loadIgnoreFile, parseExpiry, parseIgnoreFile } from './index.ts';

const fixture = (name: string): string => join(import.meta.dirname, '__fixtures__', name);

describe('ignore file formats', () => {
  test('Bollard YAML: ids, purl and path globs, reasons, date and date-time expiries, lines', () => {
    const f = loadIgnoreFile(fixture('bollardignore.yaml'));
    assert.ok(f);
    assert.equal(f.format, 'bollard');
    assert.deepEqual(
      f.entries.map((e) => [e.id, e.purl, e.path, e.reason, e.expires, e.line]),
      [
        ['CVE-2023-1234', undefined, undefined, 'not reachable (TLS client only)', undefined, 3],
        ['cve-2024-0001', 'pkg:deb/debian/openssl*', undefined, 'patched in our fork', '2027-01-31', 5],
        ['GHSA-aaaa-bbbb-cccc', 'lodash', undefined, undefined, '2025-06-30T12:00:00Z', 9],
        ['CVE-2024-9999', undefined, 'app/node_modules/*', undefined, undefined, 12],
      ],
    );
    assert.equal(f.entries[1]?.expiresAt, Date.UTC(2027, 0, 31));
    assert.equal(f.entries[2]?.expiresAt, Date.UTC(2025, 5, 30, 12));
  });

  test('.trivyignore text: ids, exp: suffix, comments as reasons, line numbers', () => {
    const f = loadIgnoreFile(fixture('trivyignore'));
    assert.ok(f);
    assert.equal(f.format, 'trivyignore');
    assert.deepEqual(
      f.entries.map((e) => [e.id, e.expires, e.reason, e.line]),
      [
        ['CVE-2023-1234', undefined, undefined, 2],
        ['CVE-2024-0001', '2027-01-31', undefined, 3],
        ['GHSA-aaaa-bbbb-cccc', '2025-06-30', 'waiting for upstream', 6],
      ],
    );
  });

  test("Trivy's YAML ignore file: one entry per purl, statement as reason, expired_at", () => {
    const f = loadIgnoreFile(fixture('trivyignore.yaml'));
    assert.ok(f);
    assert.equal(f.format, 'trivy-yaml');
    assert.deepEqual(
      f.entries.map((e) => [e.id, e.purl, e.reason, e.expires]),
      [
        ['CVE-2023-1234', undefined, 'not reachable', undefined],
        ['CVE-2024-0001', 'pkg:deb/debian/openssl*', undefined, '2027-01-31'],
        ['CVE-2024-0001', 'pkg:deb/debian/libssl3*', undefined, '2027-01-31'],
      ],
    );
  });

  test('empty files and comment-only files hold no entries; a missing default file is not an error', () => {
    assert.deepEqual(parseIgnoreFile('', 'x').entries, []);
    assert.deepEqual(parseIgnoreFile('# nothing yet\n', 'x').entries, []);
    assert.deepEqual(parseIgnoreFile('ignores:\n', 'x').entries, []);
    assert.equal(loadIgnoreFile('/nonexistent/.bollardignore', { required: false }), undefined);
    assert.throws(() => loadIgnoreFile('/nonexistent/.bollardignore'), expectCode('TARGET_NOT_FOUND'));
  });
});

describe('ignore file errors carry the line', () => {
  const bad =
    (text: string): (() => void) =>
    () =>
      parseIgnoreFile(text, '.bollardignore');
  test('missing id, invalid dates, misspelt keys, wrong shapes', () => {
    assert.throws(bad('ignores:\n  - id: CVE-1\n  - reason: x\n'), expectCode('INPUT_INVALID', /line 3.*no id/));
    assert.throws(
      bad('ignores:\n  - id: CVE-1\n    expires: 2027-02-30\n'),
      expectCode('INPUT_INVALID', /line 2.*invalid expiry date "2027-02-30"/),
    );
    assert.throws(
      bad('ignores:\n  - id: CVE-1\n    expires: next week\n'),
      expectCode('INPUT_INVALID', /invalid expiry/),
    );
    assert.throws(
      bad('ignores:\n  - id: CVE-1\n    expire: 2027-01-01\n'),
      expectCode('INPUT_INVALID', /unknown key "expire"/),
    );
    assert.throws(bad('ignores:\n  - CVE-1\n'), expectCode('INPUT_INVALID', /line 2/));
    assert.throws(bad('ignores: CVE-1\n'), expectCode('INPUT_INVALID', /must be a list/));
    assert.throws(bad('ignores:\n  - id: 12\n'), expectCode('INPUT_INVALID', /no id/));
    assert.throws(bad('rules:\n  - id: CVE-1\n'), expectCode('INPUT_INVALID', /"ignores:"/));
    assert.throws(
      bad('ignores:\n  - id: CVE-1\n    purl: [a]\n'),
      expectCode('INPUT_INVALID', /"purl" must be a string/),
    );
  });

  test('.trivyignore: invalid exp date and stray tokens name the line', () => {
    assert.throws(bad('CVE-1\nCVE-2 exp:2027-13-01\n'), expectCode('INPUT_INVALID', /line 2.*invalid expiry/));
    assert.throws(bad('CVE-1\n\nCVE-2 maybe\n'), expectCode('INPUT_INVALID', /line 3.*unexpected "maybe"/));
    assert.throws(bad('exp:2027-01-01\n'), expectCode('INPUT_INVALID', /line 1.*no id/));
  });

  test('broken YAML that is clearly YAML reports the YAML error, not a text-format one', () => {
    assert.throws(bad('ignores:\n  - id: CVE-1\n   reason: [unclosed\n'), expectCode('INPUT_INVALID', /line/));
  });

  test('hostile input: alias bombs, deep nesting, huge files and too many entries are refused', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 6; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      );
    bomb.push('ignores: []');
    assert.throws(bad(bomb.join('\n')), expectCode('LIMIT_EXCEEDED'));
    assert.throws(bad(`ignores: ${'['.repeat(200)}${']'.repeat(200)}\n`), expectCode('LIMIT_EXCEEDED'));
    assert.throws(() => parseIgnoreFile('CVE-1\n'.repeat(100), 'x', { maxBytes: 100 }), expectCode('LIMIT_EXCEEDED'));
    assert.throws(() => parseIgnoreFile('CVE-1\n'.repeat(20), 'x', { maxEntries: 10 }), expectCode('LIMIT_EXCEEDED'));
    assert.throws(bad('ignores:\n  - id: !!js/function "x"\n'), expectCode('INPUT_INVALID'));
  });

  test('a file over the size limit is refused before it is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bollard-ignore-test-'));
    try {
      const p = join(dir, '.bollardignore');
      writeFileSync(p, 'CVE-1\n'.repeat(1000));
      assert.throws(() => loadIgnoreFile(p, { maxBytes: 1024 }), expectCode('LIMIT_EXCEEDED'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('expiry and matching', () => {
  test('a date expires at 00:00 UTC of that day; date-times honour their zone', () => {
    assert.equal(parseExpiry('2027-01-31'), Date.UTC(2027, 0, 31));
    assert.equal(parseExpiry('2027-01-31T10:00:00+02:00'), Date.UTC(2027, 0, 31, 8));
    assert.equal(parseExpiry('2027-01-31 10:00'), Date.UTC(2027, 0, 31, 10));
    assert.equal(parseExpiry('2024-02-29'), Date.UTC(2024, 1, 29));
    for (const s of ['2023-02-29', '2027-1-31', '31/01/2027', '2027-01-31T25:00', '2027-01-31T10:00+24:00', '']) {
      assert.equal(parseExpiry(s), undefined, s);
    }
    const e = { id: 'CVE-1', line: 1, expiresAt: Date.UTC(2027, 0, 31) };
    assert.equal(isExpired(e, new Date(Date.UTC(2027, 0, 30, 23, 59, 59, 999))), false);
    assert.equal(isExpired(e, new Date(Date.UTC(2027, 0, 31))), true);
    assert.equal(isExpired({ id: 'CVE-1', line: 1 }, new Date(8.64e15)), false);
  });

  test('ids match the record id or any alias, case-insensitively', () => {
    const e = { id: 'cve-2024-0001', line: 1 };
    assert.equal(
      entryMatches(e, finding({ id: 'DSA-5555-1', aliases: ['CVE-2024-0001'], cve: 'CVE-2024-0001' })),
      true,
    );
    assert.equal(entryMatches(e, finding({ id: 'CVE-2024-0001', aliases: [] })), true);
    assert.equal(entryMatches(e, finding({ id: 'CVE-2024-0002', aliases: ['GHSA-1'], cve: 'CVE-2024-0002' })), false);
  });

  test('purl globs match the purl, the purl without qualifiers, the decoded purl or a package name', () => {
    const m = (purl: string, pkg: Parameters<typeof finding>[0]): boolean =>
      entryMatches({ id: 'CVE-2024-0001', purl, line: 1 }, finding(pkg));
    assert.equal(m('pkg:deb/debian/openssl*', { package: OPENSSL }), true);
    assert.equal(m('pkg:deb/debian/openssl@3.0.11-1~deb12u2', { package: OPENSSL }), true);
    assert.equal(m('pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', { package: OPENSSL }), true);
    assert.equal(m('pkg:deb/debian/openssl@3.0.11-1~deb12u1', { package: OPENSSL }), false);
    assert.equal(m('pkg:deb/debian/libssl3*', { package: OPENSSL }), false);
    // The binary package libssl3 matched through its source openssl: a name glob on either works.
    assert.equal(m('openssl', {}), true);
    assert.equal(m('libssl?', {}), true);
    assert.equal(m('pkg:npm/lodash@*', { package: LODASH }), true);
    assert.equal(m('pkg:deb/*', { package: LODASH }), false);
    const plus = {
      package: { purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64', name: 'bash', matchedName: 'bash' },
    };
    assert.equal(m('pkg:deb/debian/bash@5.2.15-2+b13', plus), true);
    assert.equal(m('pkg:deb/debian/bash@5.2.15-2%2Bb13', plus), true);
  });

  test('path globs need a package path', () => {
    const e = { id: 'CVE-2024-0001', path: 'app/node_modules/*', line: 1 };
    assert.equal(entryMatches(e, finding({ package: LODASH })), true);
    assert.equal(entryMatches(e, finding({})), false);
    assert.equal(entryMatches(e, finding({ package: { path: undefined } })), false);
  });

  test('globMatch: * spans anything, ? one character, no exponential blow-up', () => {
    assert.equal(globMatch('a*c', 'abbbc'), true);
    assert.equal(globMatch('a*c', 'abbbd'), false);
    assert.equal(globMatch('a?c', 'abc'), true);
    assert.equal(globMatch('a?c', 'ac'), false);
    assert.equal(globMatch('*', ''), true);
    assert.equal(globMatch('', ''), true);
    assert.equal(globMatch('a.b', 'axb'), false);
    assert.equal(globMatch('**a', 'bba'), true);
    // Pathological for backtracking regexes; linear here (the test is that it returns at all).
    assert.equal(globMatch(`${'*a'.repeat(30)}b`, 'a'.repeat(5000)), false);
  });
});
