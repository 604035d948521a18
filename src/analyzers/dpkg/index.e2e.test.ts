import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type AnalyzerRun, bookwormRoot, fileTree, garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { defaultLimits, type Limits } from '../../util/limits.ts';
import type { Package } from '../types.ts';
import { dpkgAnalyzer, dpkgFileKind, licensesFromCopyright, parseDeb822, parseDpkgStatus } from './index.ts';

const run = (files: Map<string, Buffer>, limits?: Limits): Promise<AnalyzerRun> =>
  runAnalyzer(dpkgAnalyzer, files, limits);

const FIXTURES = join(import.meta.dirname, '__fixtures__');

function pkg(packages: Package[], name: string, arch?: string): Package {
  const found = packages.filter((p) => p.name === name && (arch === undefined || p.arch === arch));
  assert.equal(found.length, 1, `exactly one package ${name}${arch ? `:${arch}` : ''}`);
  return found[0]!;
}

function dpkgQuery(admindir: string, ...args: string[]): string {
  return execFileSync('dpkg-query', [`--admindir=${admindir}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `dpkg-query -L` as relative paths: the root `/.` and the diversion notes dropped. */
function dpkgQueryFiles(admindir: string, pkgName: string): string[] {
  return dpkgQuery(admindir, '-L', pkgName)
    .split('\n')
    .filter((l) => l.startsWith('/') && l !== '/.')
    .map((l) => l.slice(1));
}

/** States whose files are on disk: what the analyzer keeps (see status.ts). */
const ON_DISK = new Set(['installed', 'unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending']);

/** A dpkg-query --showformat: `${Field}` per field, tab-separated, one package per line. */
function showFormat(...fields: string[]): string {
  return `${fields.map((f) => `\${${f}}`).join('\t')}\n`;
}
const ROW_FORMAT = showFormat(
  'Package',
  'Version',
  'source:Package',
  'source:Version',
  'Architecture',
  'db:Status-Status',
);
const NAME_FORMAT = showFormat('Package');

function queryRows(admindir: string): string[] {
  return dpkgQuery(admindir, '-W', '-f', ROW_FORMAT)
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .filter((f) => ON_DISK.has(f[5]!))
    .map((f) => f.slice(0, 5).join('\t'))
    .toSorted();
}

function ourRows(packages: Package[]): string[] {
  return packages.map((p) => [p.name, p.version, p.source?.name, p.source?.version, p.arch].join('\t')).toSorted();
}
describe('dpkg analyzer on the real debootstrap bookworm root (needs /var/lib/bollard-test/rootfs-bookworm and dpkg-query)', () => {
  test('packages, file lists and licences equal what dpkg-query and the copyright files say', async () => {
    const root = bookwormRoot();
    const admindir = join(root, 'var/lib/dpkg');
    const files = new Map<string, Buffer>();
    files.set('var/lib/dpkg/status', readFileSync(join(admindir, 'status')));
    for (const name of readdirSync(join(admindir, 'info'))) {
      files.set(`var/lib/dpkg/info/${name}`, readFileSync(join(admindir, 'info', name)));
    }
    for (const name of readdirSync(join(root, 'usr/share/doc'))) {
      const p = join(root, 'usr/share/doc', name, 'copyright');
      if (existsSync(p)) files.set(`usr/share/doc/${name}/copyright`, readFileSync(p));
    }
    const { draft, warnings } = await run(files);
    assert.deepEqual(warnings, []);

    // ${Package} rather than ${binary:Package}: the latter appends `:amd64` to Multi-Arch: same packages,
    // while a package's name (and its purl) is the bare name; the architecture is compared separately.
    const expected = queryRows(admindir);
    assert.ok(expected.length > 50, `a minbase root has dozens of packages, dpkg-query listed ${expected.length}`);
    assert.deepEqual(ourRows(draft.packages), expected);

    // Every package's file list equals dpkg-query -L, multi-arch ones (`libc6:amd64.list`) included.
    for (const p of draft.packages) {
      assert.deepEqual(p.files ?? [], dpkgQueryFiles(admindir, `${p.name}:${p.arch}`), `files of ${p.name}`);
    }

    // Licences: the `License:` first lines of each DEP-5 file (read here with a plain regex), and the
    // common-licenses references of the others.
    let dep5 = 0;
    for (const p of draft.packages) {
      const path = join(root, 'usr/share/doc', p.name, 'copyright');
      if (!existsSync(path)) continue;
      const text = readFileSync(path, 'utf8');
      if (!text.startsWith('Format:')) continue;
      dep5++;
      const names = new Set<string>();
      for (const m of text.matchAll(/^License:[ \t]*(.*)$/gm)) {
        const n = m[1]!.trim().replace(/\s+/g, ' ');
        if (n) names.add(n);
      }
      assert.deepEqual(p.licenses.toSorted(), [...names].toSorted(), `licences of ${p.name}`);
    }
    assert.ok(dep5 > 50, `most bookworm packages have DEP-5 copyright files (${dep5})`);
    assert.deepEqual(pkg(draft.packages, 'libc6').licenses.toSorted(), ['GPL-2', 'LGPL-2.1']);
    assert.deepEqual(pkg(draft.packages, 'base-files').licenses, ['GPL']);
    assert.deepEqual(pkg(draft.packages, 'gcc-12-base').licenses.toSorted(), [
      'Artistic',
      'GFDL-1.2',
      'GPL',
      'GPL-2',
      'GPL-3',
      'LGPL',
    ]);
    // libcrypt1 only points at the directory ("/usr/share/common-licenses/ ."): no licence, not "unknown".
    assert.deepEqual(pkg(draft.packages, 'libcrypt1').licenses, []);

    const bash = pkg(draft.packages, 'bash');
    assert.deepEqual(bash.source, { name: 'bash', version: '5.2.15-2' });
    assert.equal(bash.maintainer, 'Matthias Klose <doko@debian.org>');
    assert.deepEqual(bash.dependsOn, ['libc6', 'libtinfo6', 'base-files', 'debianutils']);
    const bsdutils = pkg(draft.packages, 'bsdutils');
    assert.equal(bsdutils.epoch, 1);
    assert.equal(bsdutils.version, '1:2.38.1-5+deb12u3');
    assert.equal(bsdutils.location.path, 'var/lib/dpkg/status');
  });
});

describe('dpkg status database', () => {
  test('keeps the states whose files are on disk: dpkg-query -W without config-files and half-installed', async () => {
    const admindir = mkdtempSync(join(tmpdir(), 'bollard-dpkg-states-'));
    try {
      cpSync(join(FIXTURES, 'states'), admindir, { recursive: true });
      const db = readFileSync(join(admindir, 'status'));
      const { draft, warnings } = await run(new Map([['var/lib/dpkg/status', db]]));
      assert.deepEqual(warnings, []);
      assert.deepEqual(ourRows(draft.packages), queryRows(admindir));
      // dpkg-query -W itself lists config-files and half-installed packages too (only not-installed is hidden).
      const all = dpkgQuery(admindir, '-W', '-f', NAME_FORMAT).split('\n').filter(Boolean).toSorted();
      assert.deepEqual(all, ['conf', 'halfconf', 'halfinst', 'held', 'inst', 'removing', 'trigaw', 'trigpend', 'unp']);
    } finally {
      rmSync(admindir, { recursive: true, force: true });
    }
    const { draft } = await run(new Map([['var/lib/dpkg/status', readFileSync(join(FIXTURES, 'states/status'))]]));
    assert.deepEqual(draft.packages.map((p) => p.name).toSorted(), [
      'halfconf',
      'held',
      'inst',
      'removing',
      'trigaw',
      'trigpend',
      'unp',
    ]);
    const inst = pkg(draft.packages, 'inst');
    assert.deepEqual(inst.dependsOn, ['dpkg', 'libc6', 'debconf', 'debconf-2.0', 'perl']);
    assert.equal(inst.maintainer, 'Bollard Fixtures <fixtures@example.org>');
    assert.equal(inst.epoch, undefined);
    assert.deepEqual(inst.licenses, []);
    const held = pkg(draft.packages, 'held');
    assert.equal(held.epoch, 1);
    assert.equal(held.arch, 'all');
    assert.deepEqual(held.source, { name: 'held-src', version: '1:8.0-1' });
    assert.deepEqual(pkg(draft.packages, 'unp').source, { name: 'unp-src', version: '4.0-1' });
    assert.deepEqual(pkg(draft.packages, 'halfconf').source, { name: 'halfconf-src', version: '5.0-0.1' });
  });

  test('distroless status.d: one stanza per file without Status, md5sums give the files', async () => {
    const { draft, warnings } = await run(fileTree(join(FIXTURES, 'distroless')));
    assert.deepEqual(warnings, []);
    assert.deepEqual(ourRows(draft.packages), [
      'base-files\t12.4+deb12u15\tbase-files\t12.4+deb12u15\tamd64',
      'gcc-12-base\t12.2.0-14+deb12u1\tgcc-12\t12.2.0-14+deb12u1\tamd64',
      'libgcc-s1\t12.2.0-14+deb12u1\tgcc-12\t12.2.0-14+deb12u1\tamd64',
      'zlib1g\t1:1.2.13.dfsg-1\tzlib\t1:1.2.13.dfsg-1\tamd64',
    ]);
    const zlib = pkg(draft.packages, 'zlib1g');
    assert.equal(zlib.location.path, 'var/lib/dpkg/status.d/zlib1g');
    assert.deepEqual(zlib.files, [
      'lib/x86_64-linux-gnu/libz.so.1.2.13',
      'usr/share/doc/zlib1g/changelog.Debian.gz',
      'usr/share/doc/zlib1g/changelog.gz',
      'usr/share/doc/zlib1g/copyright',
    ]);
    assert.deepEqual(zlib.licenses, ['Zlib']);
    assert.equal(zlib.epoch, 1);
    assert.deepEqual(pkg(draft.packages, 'libgcc-s1').files, [
      'lib/x86_64-linux-gnu/libgcc_s.so.1',
      'usr/share/lintian/overrides/libgcc-s1',
    ]);
    // No md5sums for base-files: no file list rather than an empty one.
    assert.equal(pkg(draft.packages, 'base-files').files, undefined);
  });

  test('multi-arch .list files attach to the package of their architecture (compared with dpkg-query -L)', async () => {
    const dir = join(FIXTURES, 'multiarch');
    const { draft, warnings, items } = await run(fileTree(dir));
    assert.deepEqual(warnings, []);
    const admindir = join(dir, 'var/lib/dpkg');
    const amd64 = pkg(draft.packages, 'libc6', 'amd64');
    const i386 = pkg(draft.packages, 'libc6', 'i386');
    assert.deepEqual(amd64.files, dpkgQueryFiles(admindir, 'libc6:amd64'));
    assert.deepEqual(i386.files, dpkgQueryFiles(admindir, 'libc6:i386'));
    assert.ok(i386.files?.includes('lib/ld-linux.so.2'));
    assert.ok(!amd64.files?.includes('lib/ld-linux.so.2'));
    assert.deepEqual(pkg(draft.packages, 'dash').files, dpkgQueryFiles(admindir, 'dash'));
    const owned = items.filter((i) => i.kind === 'owned-files');
    assert.deepEqual(owned.map((i) => [i.packageName, i.arch]).toSorted(), [
      ['dash', undefined],
      ['gone', undefined],
      ['libc6', 'amd64'],
      ['libc6', 'i386'],
    ]);
    // `gone.list` has no stanza: it is attached to nothing.
    assert.ok(draft.packages.every((p) => !p.files?.includes('usr/bin/gone')));
  });
});

function read(name: string): string {
  return readFileSync(join(FIXTURES, 'copyright', name), 'utf8');
}

describe('dpkg copyright files', () => {
  test('DEP-5: every License short name, deduplicated, expressions kept as written', () => {
    assert.deepEqual(licensesFromCopyright(read('dep5')), [
      'GPL-2+',
      'BSD-3-clause',
      'GPL-2+ or Artistic',
      'Artistic',
      'Expat',
    ]);
    assert.deepEqual(licensesFromCopyright(read('dep5').replaceAll('\n', '\r\n')), [
      'GPL-2+',
      'BSD-3-clause',
      'GPL-2+ or Artistic',
      'Artistic',
      'Expat',
    ]);
  });

  test('free-form files: the licences named through /usr/share/common-licenses/<NAME>', () => {
    assert.deepEqual(licensesFromCopyright(read('legacy')), ['LGPL-2.1', 'GPL-2', 'GFDL-1.3']);
    assert.deepEqual(licensesFromCopyright(read('none')), []);
  });

  test('copyright items name the package of the doc directory; no licence → an empty list', async () => {
    const { items } = await run(
      new Map([
        ['usr/share/doc/foo/copyright', readFileSync(join(FIXTURES, 'copyright/dep5'))],
        ['usr/share/doc/bar/copyright', readFileSync(join(FIXTURES, 'copyright/none'))],
      ]),
    );
    assert.deepEqual(items, [
      {
        kind: 'license',
        analyzer: 'dpkg',
        path: 'usr/share/doc/foo/copyright',
        packageName: 'foo',
        licenses: ['GPL-2+', 'BSD-3-clause', 'GPL-2+ or Artistic', 'Artistic', 'Expat'],
      },
      { kind: 'license', analyzer: 'dpkg', path: 'usr/share/doc/bar/copyright', packageName: 'bar', licenses: [] },
    ]);
  });
});

describe('dpkg analyzer: which paths it wants', () => {
  test('status, status.d entries, info lists and doc copyright files only', () => {
    const yes = [
      'var/lib/dpkg/status',
      'var/lib/dpkg/status.d/libc6',
      'var/lib/dpkg/status.d/libc6.md5sums',
      'var/lib/dpkg/info/libc6:amd64.list',
      'var/lib/dpkg/info/bash.list',
      'usr/share/doc/bash/copyright',
    ];
    const no = [
      'var/lib/dpkg/status-old',
      'var/lib/dpkg/status.d/',
      'var/lib/dpkg/status.d/sub/libc6',
      'var/lib/dpkg/info/bash.md5sums',
      'var/lib/dpkg/info/.list',
      'var/lib/dpkg/info/sub/bash.list',
      'usr/share/doc/copyright',
      'usr/share/doc//copyright',
      'usr/share/doc/bash/examples/copyright',
      'usr/share/doc/bash/copyright.gz',
      'opt/var/lib/dpkg/status',
    ];
    for (const p of yes) assert.ok(dpkgFileKind(p), p);
    for (const p of no) assert.equal(dpkgFileKind(p), undefined, p);
  });
});

function status(text: string | Buffer): Map<string, Buffer> {
  return new Map([['var/lib/dpkg/status', Buffer.isBuffer(text) ? text : Buffer.from(text)]]);
}

describe('dpkg analyzer on hostile input', () => {
  const GOOD = 'Package: good\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n';

  test('binary garbage yields no packages and a counted warning, never an exception', async () => {
    const { draft, warnings } = await run(status(garbage(256 * 1024)));
    assert.deepEqual(draft.packages, []);
    assert.ok(warnings.length > 0 && warnings.every((w) => w.code.startsWith('DPKG_')));
    const list = await run(new Map([['var/lib/dpkg/info/x.list', garbage(64 * 1024)]]));
    assert.ok(list.warnings.some((w) => w.code === 'DPKG_FILE_LIST_INVALID'));
    const copyright = await run(new Map([['usr/share/doc/x/copyright', garbage(64 * 1024)]]));
    assert.deepEqual(copyright.items[0]?.kind === 'license' && copyright.items[0].licenses, []);
  });

  test('a 10 MB single line is read in one pass and rejected as a record, not fatal', async () => {
    const big = 'a'.repeat(10 * 1024 * 1024);
    const r1 = await run(status(`Package: ${big}`));
    assert.deepEqual(r1.draft.packages, []);
    assert.equal(r1.warnings[0]?.code, 'DPKG_STANZA_INVALID');
    const r2 = await run(
      status(`${GOOD}\n${big}\n\n${GOOD.replace('good', 'good2')}\nPackage: m\nVersion: 1\nMaintainer: ${big}\n`),
    );
    assert.deepEqual(
      r2.draft.packages.map((p) => p.name),
      ['good', 'good2'],
    );
    assert.deepEqual(
      r2.warnings.map((w) => [w.code, w.count]),
      [['DPKG_STANZA_INVALID', 2]],
    );
    const r3 = await run(new Map([['var/lib/dpkg/info/x.list', Buffer.from(`/${big}\n/usr/bin/x\n`)]]));
    assert.deepEqual(r3.items[0]?.kind === 'owned-files' && r3.items[0].files, ['usr/bin/x']);
    assert.equal(r3.warnings[0]?.code, 'DPKG_FILE_LIST_INVALID');
    const r4 = await run(new Map([['usr/share/doc/x/copyright', Buffer.from(`/usr/share/common-licenses/${big}`)]]));
    assert.deepEqual(r4.items[0]?.kind === 'license' && r4.items[0].licenses, []);
    const r5 = await run(
      new Map([['usr/share/doc/x/copyright', Buffer.from(`Format: x\n\nFiles: *\nLicense: ${big}\n\nLicense: MIT\n`)]]),
    );
    assert.deepEqual(r5.items[0]?.kind === 'license' && r5.items[0].licenses, ['MIT']);
  });

  test('stanzas without Package are skipped and counted; the others are kept', async () => {
    const text = `${GOOD}\nStatus: install ok installed\nVersion: 1.0\n\nDescription: orphan\n\n${GOOD.replace('good', 'other')}`;
    const { draft, warnings } = await run(status(text));
    assert.deepEqual(
      draft.packages.map((p) => p.name),
      ['good', 'other'],
    );
    assert.deepEqual(
      warnings.map((w) => [w.code, w.count]),
      [['DPKG_STANZA_INVALID', 2]],
    );
  });

  test('CRLF line endings read the same as LF', async () => {
    const lf = readFileSync(join(FIXTURES, 'states/status'), 'utf8');
    const a = await run(status(lf));
    const b = await run(status(lf.replaceAll('\n', '\r\n')));
    assert.deepEqual(b.draft.packages, a.draft.packages);
    assert.deepEqual(b.warnings, []);
    const list = await run(new Map([['var/lib/dpkg/info/x.list', Buffer.from('/.\r\n/usr\r\n/usr/bin/x\r\n')]]));
    assert.deepEqual(list.items[0]?.kind === 'owned-files' && list.items[0].files, ['usr', 'usr/bin/x']);
  });

  test('NULs: a name, version or path with a NUL is not a record', async () => {
    const text = `${GOOD}\nPackage: bad\0name\nVersion: 1.0\n\nPackage: badver\nVersion: 1.0\0\n`;
    const { draft, warnings } = await run(status(text));
    assert.deepEqual(
      draft.packages.map((p) => p.name),
      ['good'],
    );
    assert.deepEqual(
      warnings.map((w) => [w.code, w.count]),
      [['DPKG_STANZA_INVALID', 2]],
    );
    const list = await run(new Map([['var/lib/dpkg/info/x.list', Buffer.from('/usr/bin/a\0b\n/usr/bin/c\n')]]));
    assert.deepEqual(list.items[0]?.kind === 'owned-files' && list.items[0].files, ['usr/bin/c']);
  });

  test('unreadable Status and malformed lines skip the record; files over the limit are skipped', async () => {
    const text = `${GOOD}\nPackage: weird\nStatus: install ok flying\nVersion: 1\n\nPackage: dup\nVersion: 1\nVersion: 2\n`;
    const { draft, warnings } = await run(status(text));
    assert.deepEqual(
      draft.packages.map((p) => [p.name, p.version]),
      [['good', '1.0']],
    );
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['DPKG_STATUS_UNKNOWN', 'DPKG_STANZA_INVALID'],
    );
    const small = { ...defaultLimits, maxFileBytes: 16 };
    const over = await run(status(GOOD), small);
    assert.deepEqual(over.items, []);
    assert.deepEqual(
      over.warnings.map((w) => [w.code, w.sample]),
      [['DPKG_FILE_TOO_LARGE', 'var/lib/dpkg/status']],
    );
  });
});

describe('deb822 reader', () => {
  test('continuation lines, case-insensitive names, comments and a byte-order mark', () => {
    const [a, b] = parseDeb822(
      '\uFEFFPackage: a\nDescription: one\n two\n .\n three\n# note\nPACKAGE-X: y\n\n\n \t\nPackage: b\n',
    );
    assert.equal(a?.fields.get('package'), 'a');
    assert.equal(a?.fields.get('description'), 'one\ntwo\n.\nthree');
    assert.equal(a?.fields.get('package-x'), 'y');
    assert.equal(a?.malformed, 0);
    assert.equal(b?.fields.get('package'), 'b');
    assert.equal(b?.line, 11);
  });

  test('parseDpkgStatus reports problems with the file and line', () => {
    const r = parseDpkgStatus('Version: 1\n\nPackage: ok\nVersion: 1\n', 'var/lib/dpkg/status');
    assert.equal(r.packages.length, 1);
    assert.deepEqual(r.problems, [
      {
        code: 'DPKG_STANZA_INVALID',
        message: 'dpkg stanza skipped: no Package field',
        sample: 'var/lib/dpkg/status:1',
      },
    ]);
  });
});
