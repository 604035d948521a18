import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SPDX } from '@cyclonedx/cyclonedx-library';
import {
  canonicalExceptionId,
  canonicalLicenseId,
  classifyLicense,
  distinctLicenses,
  formatLicenseExpression,
  licenseRefsFor,
  parseLicenseExpression,
} from './license.ts';
import { SPDX_EXCEPTION_IDS, SPDX_LICENSE_IDS } from './spdx-ids.ts';

function nested(n: number): string {
  return `${'('.repeat(n)}MIT${')'.repeat(n)}`;
}

const norm = (s: string): string | undefined => {
  const n = parseLicenseExpression(s);
  return n ? formatLicenseExpression(n) : undefined;
};

describe('SPDX identifiers', () => {
  test('the vendored list holds licences and exceptions apart', () => {
    assert.ok(SPDX_LICENSE_IDS.length > 700, `${SPDX_LICENSE_IDS.length} licences`);
    assert.ok(SPDX_EXCEPTION_IDS.length > 80, `${SPDX_EXCEPTION_IDS.length} exceptions`);
    for (const id of [
      'MIT',
      'Apache-2.0',
      'GPL-2.0-or-later',
      'GPL-2.0+',
      'Zlib',
      'GPL-2.0-with-classpath-exception',
    ]) {
      assert.equal(canonicalLicenseId(id), id);
      assert.equal(canonicalExceptionId(id), undefined, id);
    }
    for (const id of [
      'Classpath-exception-2.0',
      'LLVM-exception',
      'Linux-syscall-note',
      'GPL-CC-1.0',
      'LLGPL',
      'SHL-2.0',
    ]) {
      assert.equal(canonicalExceptionId(id), id);
      assert.equal(canonicalLicenseId(id), undefined, id);
    }
  });

  test('every vendored id is one the CycloneDX schema accepts as license.id', () => {
    for (const id of [...SPDX_LICENSE_IDS, ...SPDX_EXCEPTION_IDS]) assert.ok(SPDX.isSupportedSpdxId(id), id);
  });

  test('ids match case-insensitively and come back in canonical case', () => {
    assert.equal(canonicalLicenseId('mit'), 'MIT');
    assert.equal(canonicalLicenseId('bsd-3-clause'), 'BSD-3-Clause');
    assert.equal(canonicalLicenseId('zlib'), 'Zlib');
    assert.equal(canonicalExceptionId('classpath-EXCEPTION-2.0'), 'Classpath-exception-2.0');
    // Debian short names are not SPDX ids.
    for (const s of ['GPL-2', 'GPL-2+', 'Expat', 'public-domain', 'LGPL-2+'])
      assert.equal(canonicalLicenseId(s), undefined, s);
  });
});

describe('parseLicenseExpression', () => {
  test('accepts AND, OR, WITH, +, parentheses, LicenseRef and DocumentRef', () => {
    const cases: [string, string][] = [
      ['MIT', 'MIT'],
      ['MIT OR Apache-2.0', 'MIT OR Apache-2.0'],
      ['mit or apache-2.0', 'MIT OR Apache-2.0'],
      ['GPL-2.0-or-later WITH Classpath-exception-2.0', 'GPL-2.0-or-later WITH Classpath-exception-2.0'],
      ['(MIT OR Apache-2.0) AND BSD-3-Clause', '(MIT OR Apache-2.0) AND BSD-3-Clause'],
      ['MIT AND (Apache-2.0 OR (BSD-2-Clause AND ISC))', 'MIT AND (Apache-2.0 OR (BSD-2-Clause AND ISC))'],
      ['Apache-2.0+', 'Apache-2.0+'],
      ['GPL-2.0+', 'GPL-2.0+'],
      ['LicenseRef-foo.bar-1', 'LicenseRef-foo.bar-1'],
      ['DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2', 'DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2'],
      ['LicenseRef-x WITH LLVM-exception', 'LicenseRef-x WITH LLVM-exception'],
      ['  ( MIT )  ', 'MIT'],
      ['MIT AND BSD-2-Clause AND GPL-2.0-or-later', 'MIT AND BSD-2-Clause AND GPL-2.0-or-later'],
    ];
    for (const [input, expected] of cases) assert.equal(norm(input), expected, input);
  });

  test('WITH binds tighter than AND, AND tighter than OR', () => {
    assert.equal(norm('MIT OR Apache-2.0 AND ISC'), 'MIT OR (Apache-2.0 AND ISC)');
    assert.equal(norm('MIT AND Apache-2.0 OR ISC'), '(MIT AND Apache-2.0) OR ISC');
    const n = parseLicenseExpression('GPL-3.0-only WITH GCC-exception-3.1 OR MIT');
    assert.equal(n?.kind, 'or');
    assert.equal(n?.kind === 'or' ? n.args[0]?.kind : undefined, 'with');
  });

  test('rejects what is not an SPDX expression', () => {
    const bad = [
      '',
      '   ',
      'GPL-2',
      'GPL-2+',
      'MIT OR',
      'OR MIT',
      '(MIT',
      'MIT)',
      'MIT AND AND ISC',
      'MIT WITH MIT',
      'Classpath-exception-2.0',
      '(MIT OR Apache-2.0) WITH LLVM-exception',
      'LicenseRef-',
      'LicenseRef-a_b',
      'MIT OR Apache-2.0, BSD',
      'GPLv2+ and LGPLv2+',
      'BSD-3-clause or GPL-2',
    ];
    for (const s of bad) assert.equal(parseLicenseExpression(s), undefined, JSON.stringify(s));
  });

  test('bounds nesting and length (licence strings come from image content)', () => {
    assert.equal(norm(nested(32)), 'MIT');
    assert.equal(parseLicenseExpression(nested(33)), undefined);
    assert.equal(parseLicenseExpression(nested(100_000)), undefined);
    const long = Array.from({ length: 800 }, () => 'MIT').join(' AND ');
    assert.ok(long.length > 4096);
    assert.equal(parseLicenseExpression(long), undefined);
  });
});

describe('classifyLicense and LicenseRefs', () => {
  test('a single listed id, a compound expression, or a name', () => {
    assert.deepEqual(classifyLicense(' zlib '), { kind: 'id', id: 'Zlib' });
    assert.deepEqual(classifyLicense('GPL-2.0+'), { kind: 'id', id: 'GPL-2.0+' });
    const e = classifyLicense('MIT or Apache-2.0');
    assert.equal(e.kind, 'expression');
    assert.equal(e.kind === 'expression' ? e.expression : '', 'MIT OR Apache-2.0');
    assert.equal(classifyLicense('Apache-2.0+').kind, 'expression');
    assert.deepEqual(classifyLicense('GPL-3+ with Bison exception'), {
      kind: 'name',
      name: 'GPL-3+ with Bison exception',
    });
  });

  test('distinctLicenses trims, drops empties and keeps the first of duplicates', () => {
    assert.deepEqual(distinctLicenses([' MIT', 'MIT ', '', '  ', 'GPL-2+', 'MIT']), ['MIT', 'GPL-2+']);
  });

  test('LicenseRefs are readable, valid and unique whatever the order', () => {
    const names = ['GPL-2+', 'public-domain', 'a b', 'a-b', '包', 'BSD-3-clause or GPL-2'];
    const refs = licenseRefsFor(names);
    assert.equal(refs.get('GPL-2+'), 'LicenseRef-GPL-2-plus');
    assert.equal(refs.get('public-domain'), 'LicenseRef-public-domain');
    assert.equal(refs.get('包'), 'LicenseRef-unnamed');
    assert.equal(refs.get('BSD-3-clause or GPL-2'), 'LicenseRef-BSD-3-clause-or-GPL-2');
    assert.notEqual(refs.get('a b'), refs.get('a-b'));
    assert.match(refs.get('a b') ?? '', /^LicenseRef-a-b-[0-9a-f]{8}$/);
    assert.equal(new Set(refs.values()).size, names.length);
    for (const ref of refs.values()) assert.ok(parseLicenseExpression(ref), ref);
    assert.deepEqual(licenseRefsFor(names.toReversed()), refs);
  });
});
