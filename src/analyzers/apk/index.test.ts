import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type AnalyzerRun, garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import type { Package } from '../types.ts';
import { apkAnalyzer, dependencyName } from './index.ts';

const run = (files: Map<string, string | Buffer>): Promise<AnalyzerRun> => runAnalyzer(apkAnalyzer, files);

const INSTALLED = readFileSync(join(import.meta.dirname, '__fixtures__/alpine-3.19/lib/apk/db/installed'), 'utf8');

const db = (text: string | Buffer): Map<string, string | Buffer> => new Map([['lib/apk/db/installed', text]]);

function pkg(packages: Package[], name: string): Package {
  const found = packages.filter((p) => p.name === name);
  assert.equal(found.length, 1, `exactly one package ${name}`);
  return found[0]!;
}

describe('apk installed database (Alpine 3.19)', () => {
  test('every package with version, arch, origin and licence as recorded', async () => {
    const { draft, warnings } = await run(db(INSTALLED));
    assert.deepEqual(warnings, []);
    // The P:/V: pairs as they appear in the file, read here with a plain regex.
    const recorded = [...INSTALLED.matchAll(/^P:(.*)\nV:(.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    assert.equal(recorded.length, 12);
    assert.deepEqual(
      draft.packages.map((p) => `${p.name} ${p.version}`),
      recorded,
    );
    assert.deepEqual(
      draft.packages.map((p) => [p.name, p.arch, p.source?.name, p.source?.version, p.licenses.join('|')]),
      [
        ['alpine-baselayout-data', 'x86_64', 'alpine-baselayout', '3.4.3-r2', 'GPL-2.0-only'],
        ['musl', 'x86_64', 'musl', '1.2.4_git20230717-r4', 'MIT'],
        ['busybox', 'x86_64', 'busybox', '1.36.1-r15', 'GPL-2.0-only'],
        ['busybox-binsh', 'x86_64', 'busybox', '1.36.1-r15', 'GPL-2.0-only'],
        ['alpine-baselayout', 'x86_64', 'alpine-baselayout', '3.4.3-r2', 'GPL-2.0-only'],
        ['ca-certificates-bundle', 'x86_64', 'ca-certificates', '20230506-r0', 'MPL-2.0 AND MIT'],
        ['libcrypto3', 'x86_64', 'openssl', '3.1.4-r2', 'Apache-2.0'],
        ['libssl3', 'x86_64', 'openssl', '3.1.4-r2', 'Apache-2.0'],
        ['zlib', 'x86_64', 'zlib', '1.3.1-r0', 'Zlib'],
        ['scanelf', 'x86_64', 'pax-utils', '1.3.7-r2', 'GPL-2.0-only'],
        ['musl-utils', 'x86_64', 'musl', '1.2.4_git20230717-r4', 'MIT AND BSD-2-Clause AND GPL-2.0-or-later'],
        ['apk-tools', 'x86_64', 'apk-tools', '2.14.0-r5', 'GPL-2.0-only'],
      ],
    );
    const musl = pkg(draft.packages, 'musl');
    assert.equal(musl.type, 'apk');
    assert.equal(musl.maintainer, 'Timo Teräs <timo.teras@iki.fi>');
    assert.equal(musl.epoch, undefined);
    assert.deepEqual(musl.location, { path: 'lib/apk/db/installed' });
  });

  test('files are F: directory + R: name; directories alone are not files (as apk info -L lists them)', async () => {
    const { draft } = await run(db(INSTALLED));
    assert.deepEqual(pkg(draft.packages, 'musl').files, ['lib/ld-musl-x86_64.so.1', 'lib/libc.musl-x86_64.so.1']);
    assert.deepEqual(pkg(draft.packages, 'alpine-baselayout').files, ['etc/motd', 'etc/crontabs/root']);
    assert.deepEqual(pkg(draft.packages, 'busybox').files, [
      'bin/busybox',
      'etc/securetty',
      'etc/udhcpd.conf',
      'etc/logrotate.d/acpid',
      'etc/network/if-up.d/dad',
      'usr/share/udhcpc/default.script',
    ]);
  });

  test('dependencies resolve so:, cmd: and virtual names to the installed provider; constraints dropped', async () => {
    const { draft } = await run(db(INSTALLED));
    const deps = (n: string): string[] | undefined => pkg(draft.packages, n).dependsOn;
    assert.deepEqual(deps('busybox'), ['musl']);
    assert.deepEqual(deps('busybox-binsh'), ['busybox']);
    assert.deepEqual(deps('libssl3'), ['musl', 'libcrypto3']);
    assert.deepEqual(deps('alpine-baselayout'), ['alpine-baselayout-data', 'busybox-binsh']);
    assert.deepEqual(deps('musl-utils'), ['scanelf', 'musl']);
    assert.deepEqual(deps('apk-tools'), ['musl', 'ca-certificates-bundle', 'libcrypto3', 'libssl3', 'zlib']);
    assert.equal(deps('musl'), undefined);
  });

  test('dependency tokens', () => {
    assert.equal(dependencyName('so:libc.musl-x86_64.so.1=1'), 'so:libc.musl-x86_64.so.1');
    assert.equal(dependencyName('musl>=1.2.3_git20230424'), 'musl');
    assert.equal(dependencyName('foo~1.2'), 'foo');
    assert.equal(dependencyName('!busybox-extras'), undefined);
    assert.equal(dependencyName(''), undefined);
  });

  test('a dependency nothing installed provides is kept as recorded; conflicts are not dependencies', async () => {
    const text = 'P:a\nV:1.0-r0\nD:so:libmissing.so.1 !b c<2\n';
    const { draft } = await run(db(text));
    assert.deepEqual(draft.packages[0]?.dependsOn, ['so:libmissing.so.1', 'c']);
  });

  test('Wolfi keeps the database under usr/lib; when both survive, apk reads lib/', async () => {
    const wolfi = 'P:glibc\nV:2.39-r1\nA:x86_64\nL:LGPL-2.1-or-later\n';
    const one = await run(new Map([['usr/lib/apk/db/installed', wolfi]]));
    assert.deepEqual(
      one.draft.packages.map((p) => p.name),
      ['glibc'],
    );
    const both = await run(
      new Map([
        ['lib/apk/db/installed', 'P:musl\nV:1.2.4-r0\n'],
        ['usr/lib/apk/db/installed', wolfi],
      ]),
    );
    assert.deepEqual(
      both.draft.packages.map((p) => p.name),
      ['musl'],
    );
    assert.deepEqual(
      both.warnings.map((w) => w.code),
      ['APK_DATABASE_DUPLICATE'],
    );
  });
});

describe('apk analyzer on hostile input', () => {
  test('binary garbage yields no packages and counted warnings', async () => {
    const { draft, warnings } = await run(db(garbage(256 * 1024, 'bollard-apk')));
    assert.deepEqual(draft.packages, []);
    assert.ok(warnings.length === 1 && warnings[0]!.code === 'APK_STANZA_INVALID' && warnings[0]!.count > 0);
  });

  test('a 10 MB single line is one malformed stanza; the next stanza is kept', async () => {
    const big = `P:${'a'.repeat(10 * 1024 * 1024)}`;
    const r1 = await run(db(big));
    assert.deepEqual(r1.draft.packages, []);
    assert.deepEqual(
      r1.warnings.map((w) => [w.code, w.count]),
      [['APK_STANZA_INVALID', 1]],
    );
    const r2 = await run(
      db(`P:x\nV:1-r0\nF:${'/'.repeat(10 * 1024 * 1024)}x\nR:y\n\nP:l\nV:1-r0\nL:${big}\n\nP:ok\nV:1-r0\n`),
    );
    assert.deepEqual(
      r2.draft.packages.map((p) => p.name),
      ['ok'],
    );
  });

  test('stanzas without P: or V: are skipped and counted; unknown keys are ignored', async () => {
    const text = `V:1.0-r0\nA:x86_64\n\nP:noversion\n\nP:ok\nV:1.0-r0\nX:future key\nz:another\n`;
    const { draft, warnings } = await run(db(text));
    assert.deepEqual(
      draft.packages.map((p) => p.name),
      ['ok'],
    );
    assert.deepEqual(
      warnings.map((w) => [w.code, w.count, w.sample]),
      [['APK_STANZA_INVALID', 2, 'lib/apk/db/installed:1']],
    );
  });

  test('CRLF line endings read the same as LF', async () => {
    const a = await run(db(INSTALLED));
    const b = await run(db(INSTALLED.replaceAll('\n', '\r\n')));
    assert.deepEqual(b.draft.packages, a.draft.packages);
    assert.deepEqual(b.warnings, []);
  });

  test('NULs and lines that are not KEY:value make the stanza malformed', async () => {
    const text =
      'P:bad\0name\nV:1-r0\n\nP:ok\nV:1-r0\n\nP:alsobad\nV:1-r0\nnot a line\n\nP:badfile\nV:1-r0\nF:usr\nR:a/b\n';
    const { draft, warnings } = await run(db(text));
    assert.deepEqual(
      draft.packages.map((p) => p.name),
      ['ok'],
    );
    assert.equal(warnings[0]?.count, 3);
  });

  test('R: in the root directory (F: empty) and before any F:', async () => {
    const { draft } = await run(db('P:root\nV:1-r0\nR:early\nF:\nR:bin\nF:/usr/lib/\nR:x.so\n'));
    assert.deepEqual(draft.packages[0]?.files, ['early', 'bin', 'usr/lib/x.so']);
  });

  test('only the two database paths are wanted', () => {
    const entry = { path: '', type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: 1 };
    for (const p of ['lib/apk/db/installed', 'usr/lib/apk/db/installed']) assert.ok(apkAnalyzer.wants(p, entry), p);
    for (const p of ['lib/apk/db/installed.old', 'var/lib/apk/installed', 'lib/apk/db/scripts.tar']) {
      assert.ok(!apkAnalyzer.wants(p, entry), p);
    }
  });
});
