import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../test/helpers/errors.ts';
import type { Package } from '../analyzers/types.ts';
import {
  categoryOf,
  countForbidden,
  evaluatePolicy,
  licenseHeaderIn,
  normalizeLicense,
  packageLicenseFindings,
  parseLicensePolicy,
} from './index.ts';

describe('licence normalisation', () => {
  // declared (as metadata states it) → SPDX expression; undefined = kept as-is and flagged unknown.
  const cases: [string, string | undefined][] = [
    // SPDX expressions, canonical case, deprecated GNU ids modernised
    ['MIT', 'MIT'],
    ['apache-2.0', 'Apache-2.0'],
    ['(MIT OR Apache-2.0)', 'MIT OR Apache-2.0'],
    ['GPL-2.0+', 'GPL-2.0-or-later'],
    ['GPL-2.0', 'GPL-2.0-only'],
    ['LGPL-2.1-or-later AND BSD-3-Clause', 'LGPL-2.1-or-later AND BSD-3-Clause'],
    ['Apache-2.0 WITH LLVM-exception', 'Apache-2.0 WITH LLVM-exception'],
    // Debian machine-readable copyright short names and expressions
    ['GPL-2+', 'GPL-2.0-or-later'],
    ['GPL-2', 'GPL-2.0-only'],
    ['LGPL-2.1+', 'LGPL-2.1-or-later'],
    ['Expat', 'MIT'],
    ['BSD-3-clause', 'BSD-3-Clause'],
    ['GPL-2+ or Artistic', 'GPL-2.0-or-later OR Artistic-1.0-Perl'],
    ['GPL-3+ and BSD-4-clause-UC', 'GPL-3.0-or-later AND BSD-4-Clause-UC'],
    ['GPL-3+ with Bison exception', 'GPL-3.0-or-later WITH Bison-exception-2.2'],
    ['GPL-3+ with autoconf exception', 'GPL-3.0-or-later WITH Autoconf-exception-3.0'],
    ['GFDL-NIV-1.3', 'GFDL-1.3-no-invariants-only'],
    ['ISC and/or LGPL-2.1+', 'ISC OR LGPL-2.1-or-later'],
    ['GPL-2+, LGPL-2.1+', 'GPL-2.0-or-later AND LGPL-2.1-or-later'],
    ['GPL', 'GPL-1.0-or-later'],
    // npm "license" fields in the wild
    ['Apache 2.0', 'Apache-2.0'],
    ['MIT/X11', 'MIT'],
    ['BSD-3', 'BSD-3-Clause'],
    ['UNLICENSED', 'LicenseRef-Proprietary'],
    ['SEE LICENSE IN LICENSE.md', undefined],
    // PyPI trove classifiers
    ['License :: OSI Approved :: MIT License', 'MIT'],
    ['License :: OSI Approved :: Apache Software License', 'Apache-2.0'],
    ['License :: OSI Approved :: BSD License', undefined],
    ['License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)', 'GPL-2.0-or-later'],
    ['License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)', 'LGPL-3.0-only'],
    ['License :: OSI Approved :: GNU Affero General Public License v3', 'AGPL-3.0-only'],
    ['License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)', 'MPL-2.0'],
    ['License :: OSI Approved :: Python Software Foundation License', 'PSF-2.0'],
    ['License :: Other/Proprietary License', 'LicenseRef-Proprietary'],
    // kept as written
    ['public-domain', undefined],
    ['MIT-like', undefined],
    ['', undefined],
  ];
  for (const [declared, spdx] of cases) {
    test(`${JSON.stringify(declared)} → ${spdx ?? 'unknown'}`, () => {
      const n = normalizeLicense(declared);
      assert.equal(n.spdx, spdx);
      assert.equal(n.unknown, spdx === undefined);
      assert.equal(n.declared, declared);
    });
  }
});

describe('licence categories', () => {
  const cat = (s: string): string => {
    const n = normalizeLicense(s).node;
    return n ? categoryOf(n) : 'unknown';
  };
  test('single licences', () => {
    assert.equal(cat('MIT'), 'permissive');
    assert.equal(cat('BSD-3-Clause'), 'permissive');
    assert.equal(cat('LGPL-2.1-or-later'), 'weak-copyleft');
    assert.equal(cat('MPL-2.0'), 'weak-copyleft');
    assert.equal(cat('GPL-3.0-only'), 'strong-copyleft');
    assert.equal(cat('AGPL-3.0-or-later'), 'network-copyleft');
    assert.equal(cat('SSPL-1.0'), 'network-copyleft');
    assert.equal(cat('BUSL-1.1'), 'proprietary');
    assert.equal(cat('CC-BY-NC-4.0'), 'proprietary');
    assert.equal(cat('UNLICENSED'), 'proprietary');
  });
  test('AND takes the most restrictive, OR the least, a linking exception weakens GPL', () => {
    assert.equal(cat('MIT AND GPL-2.0-only'), 'strong-copyleft');
    assert.equal(cat('MIT OR GPL-2.0-only'), 'permissive');
    assert.equal(cat('GPL-2.0-only WITH Classpath-exception-2.0'), 'weak-copyleft');
  });
});

describe('licence policy', () => {
  const policy = parseLicensePolicy(
    'forbidden: [network-copyleft, SSPL-1.0]\nrestricted: [strong-copyleft]\nallowed: [permissive, weak-copyleft, GPL-2.0-only WITH Classpath-exception-2.0]\n',
  );
  const verdict = (s: string): string => evaluatePolicy(policy, normalizeLicense(s).node);
  test('ids and categories; AND worst, OR best; unknown is restricted by default', () => {
    assert.equal(verdict('AGPL-3.0-only'), 'forbidden');
    assert.equal(verdict('GPL-3.0-or-later'), 'restricted');
    assert.equal(verdict('MIT'), 'allowed');
    assert.equal(verdict('MIT AND AGPL-3.0-only'), 'forbidden');
    assert.equal(verdict('MIT OR AGPL-3.0-only'), 'allowed');
    assert.equal(verdict('public-domain'), 'restricted');
  });
  test('a forbidden licence counts for --exit-code; ignored packages are left out', () => {
    const pkg = (name: string, licenses: string[]): Package => ({
      type: 'npm',
      name,
      version: '1.0.0',
      licenses,
      location: { path: `node_modules/${name}/package.json` },
    });
    const p = parseLicensePolicy('forbidden: [AGPL-3.0-only]\nignore-packages: [tolerated]\n');
    const fs = packageLicenseFindings(
      [pkg('a', ['MIT']), pkg('b', ['AGPL-3.0-only']), pkg('tolerated', ['AGPL-3.0'])],
      p,
    );
    assert.deepEqual(
      fs.map((f) => [f.package, f.spdx, f.policy, f.severity]),
      [
        ['a', 'MIT', 'unlisted', 'MEDIUM'],
        ['b', 'AGPL-3.0-only', 'forbidden', 'CRITICAL'],
      ],
    );
    assert.equal(countForbidden(fs), 1);
  });
  test('a package without a licence is one unknown finding', () => {
    const fs = packageLicenseFindings([
      { type: 'deb', name: 'x', version: '1', licenses: [], location: { path: 'var/lib/dpkg/status' } },
    ]);
    assert.deepEqual(
      fs.map((f) => [f.declared, f.unknown, f.category, f.severity]),
      [['', true, 'unknown', 'UNKNOWN']],
    );
  });
  test('malformed policies are refused with INPUT_INVALID', () => {
    assert.throws(() => parseLicensePolicy('forbidden: AGPL'), expectCode('INPUT_INVALID'));
    assert.throws(() => parseLicensePolicy('forbidden: [Not-A-Licence]'), expectCode('INPUT_INVALID', /neither/));
    assert.throws(() => parseLicensePolicy('denied: [MIT]'), expectCode('INPUT_INVALID', /unknown key/));
    assert.throws(() => parseLicensePolicy('- MIT'), expectCode('INPUT_INVALID'));
  });
});

describe('SPDX-License-Identifier headers', () => {
  test('C, script and HTML comment styles, with the line', () => {
    assert.deepEqual(licenseHeaderIn('// SPDX-License-Identifier: GPL-2.0-only\nint x;'), {
      line: 1,
      expression: 'GPL-2.0-only',
    });
    assert.deepEqual(licenseHeaderIn('#!/bin/sh\n# SPDX-License-Identifier: MIT OR Apache-2.0\n'), {
      line: 2,
      expression: 'MIT OR Apache-2.0',
    });
    assert.deepEqual(licenseHeaderIn('/* SPDX-License-Identifier: (GPL-2.0+ OR MIT) */\n'), {
      line: 1,
      expression: '(GPL-2.0+ OR MIT)',
    });
    assert.deepEqual(licenseHeaderIn('<!-- SPDX-License-Identifier: CC-BY-4.0 -->'), {
      line: 1,
      expression: 'CC-BY-4.0',
    });
    assert.equal(licenseHeaderIn('no header here'), undefined);
  });
});
