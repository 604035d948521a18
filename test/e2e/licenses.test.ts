// Acceptance #7.4: licences from real package metadata normalise to SPDX — Debian machine-readable
// copyright files of a real Debian 12 root, npm `license` fields of real packages — and a forbidden
// licence fails the build with --exit-code. Needs `scripts/test-env.sh up` (the Debian root).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { licensesFromCopyright } from '../../src/analyzers/dpkg/copyright.ts';
import { normalizeLicense } from '../../src/licenses/index.ts';
import type { Report } from '../../src/report/types.ts';
import { testEnv } from '../helpers/env.ts';

const BIN = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
const MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bollard-licenses-e2e-'));
after(() => rmSync(work, { recursive: true, force: true }));

function bollard(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, NO_COLOR: '1', BOLLARD_CACHE_DIR: join(work, 'cache') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('licences from real metadata (acceptance #7.4; needs test-env)', () => {
  test('Debian machine-readable copyright files normalise to the expected SPDX expressions', () => {
    const doc = join(testEnv().rootfs, 'usr/share/doc');
    const of = (pkg: string): (string | undefined)[] =>
      licensesFromCopyright(readFileSync(join(doc, pkg, 'copyright'), 'utf8')).map((l) => normalizeLicense(l).spdx);
    assert.deepEqual(of('coreutils'), [
      'GPL-3.0-or-later',
      'GPL-3.0-or-later AND BSD-4-Clause-UC',
      'BSD-4-Clause-UC',
      'GPL-3.0-or-later AND ISC',
      'ISC',
      'FSFULLR',
      'GFDL-1.3-no-invariants-only',
    ]);
    assert.deepEqual(of('tar'), [
      'GPL-3.0-or-later',
      'GPL-3.0-or-later WITH Bison-exception-2.2',
      'LGPL-3.0-or-later',
      'GPL-2.0-or-later',
    ]);
    assert.deepEqual(of('apt'), ['GPL-2.0-or-later', 'GPL-2.0-only', 'BSD-3-Clause', 'MIT']);
    assert.deepEqual(of('zlib1g'), ['Zlib']);
    // Across the whole root, most stated licences normalise; the rest are Debian-local names.
    let total = 0;
    let known = 0;
    for (const pkg of readdirSync(doc)) {
      const f = join(doc, pkg, 'copyright');
      if (!existsSync(f)) continue;
      for (const l of licensesFromCopyright(readFileSync(f, 'utf8'))) {
        total++;
        if (!normalizeLicense(l).unknown) known++;
      }
    }
    assert.ok(total > 300, `${total} licence strings`);
    assert.ok(known / total > 0.75, `${known} of ${total} normalised`);
  });

  test('npm "license" fields of the project’s packages normalise (all but the free-text ones)', () => {
    const unknown: string[] = [];
    let total = 0;
    const visit = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const p = join(dir, e.name);
        if (e.name.startsWith('@')) {
          visit(p);
          continue;
        }
        const pj = join(p, 'package.json');
        if (existsSync(pj)) {
          const lic = (JSON.parse(readFileSync(pj, 'utf8')) as { license?: unknown }).license;
          if (typeof lic === 'string') {
            total++;
            if (normalizeLicense(lic).unknown) unknown.push(`${e.name}: ${lic}`);
          }
        }
        if (existsSync(join(p, 'node_modules'))) visit(join(p, 'node_modules'));
      }
    };
    visit(MODULES);
    assert.ok(total > 100, `${total} packages`);
    assert.deepEqual(unknown, []);
    assert.equal(
      normalizeLicense(JSON.parse(readFileSync(join(MODULES, 'typescript/package.json'), 'utf8')).license).spdx,
      'Apache-2.0',
    );
    assert.equal(
      normalizeLicense(JSON.parse(readFileSync(join(MODULES, 'yaml/package.json'), 'utf8')).license).spdx,
      'ISC',
    );
  });

  test('a forbidden licence fails the build with --exit-code; an allowing policy passes', () => {
    const root = testEnv().rootfs;
    const forbid = join(work, 'forbid.yaml');
    writeFileSync(forbid, 'forbidden: [strong-copyleft]\nallowed: [permissive, weak-copyleft]\nunknown: unlisted\n');
    const r = bollard(
      'rootfs',
      root,
      '--scanners',
      'license',
      '--license-policy',
      forbid,
      '--exit-code',
      '3',
      '-f',
      'json',
    );
    assert.equal(r.code, 3, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    const deb = report.results.find((x) => x.class === 'license' && x.type === 'deb');
    assert.ok(deb?.licenses);
    const bash = deb.licenses.filter((l) => l.package === 'bash' && l.declared === 'GPL-3+');
    assert.deepEqual(
      bash.map((l) => [l.spdx, l.category, l.policy, l.severity]),
      [['GPL-3.0-or-later', 'strong-copyleft', 'forbidden', 'CRITICAL']],
    );
    const allow = join(work, 'allow.yaml');
    writeFileSync(allow, 'allowed: [permissive, weak-copyleft, strong-copyleft]\nunknown: restricted\n');
    const ok = bollard(
      'rootfs',
      root,
      '--scanners',
      'license',
      '--license-policy',
      allow,
      '--exit-code',
      '3',
      '-f',
      'json',
    );
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('SPDX-License-Identifier headers of a directory’s source files are reported and judged', () => {
    const src = join(work, 'src');
    mkdirSync(join(src, 'lib'), { recursive: true });
    writeFileSync(join(src, 'main.c'), '// SPDX-License-Identifier: GPL-2.0-only\nint main(void) { return 0; }\n');
    writeFileSync(
      join(src, 'lib', 'util.py'),
      '#!/usr/bin/env python3\n# SPDX-License-Identifier: MIT OR Apache-2.0\n',
    );
    writeFileSync(join(src, 'lib', 'agpl.ts'), '/* SPDX-License-Identifier: AGPL-3.0-or-later */\n');
    writeFileSync(join(src, 'README.md'), 'SPDX-License-Identifier: MIT (not a source file)\n');
    const policy = join(work, 'headers.yaml');
    writeFileSync(policy, 'forbidden: [network-copyleft]\n');
    const r = bollard(
      'rootfs',
      src,
      '--scanners',
      'license',
      '--license-policy',
      policy,
      '--exit-code',
      '4',
      '-f',
      'json',
    );
    assert.equal(r.code, 4, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    const files = report.results.find((x) => x.class === 'license-file');
    assert.deepEqual(
      files?.licenses?.map((l) => [l.file, l.line, l.spdx, l.category, l.policy]),
      [
        ['lib/agpl.ts', 1, 'AGPL-3.0-or-later', 'network-copyleft', 'forbidden'],
        ['lib/util.py', 2, 'MIT OR Apache-2.0', 'permissive', 'unlisted'],
        ['main.c', 1, 'GPL-2.0-only', 'strong-copyleft', 'unlisted'],
      ],
    );
  });
});
