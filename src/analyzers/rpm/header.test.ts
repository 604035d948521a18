import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultLimits, resolveLimits } from '../../util/limits.ts';
import { headerString, headerStringArray, parseHeader, RPM_TYPE, RPMTAG } from './header.ts';
import { packageFromHeader, parseSourceRpm } from './index.ts';
import { collectWarnings, prng, randomBytes } from './testing/collect.ts';
import { buildHeader, entryAt, type TestEntry } from './testing/header.ts';

const { STRING, STRING_ARRAY, INT32, I18NSTRING, BIN } = RPM_TYPE;
const PATH = 'var/lib/rpm/Packages';

function base(extra: TestEntry[] = []): TestEntry[] {
  return [
    { tag: RPMTAG.HEADERIMMUTABLE, type: BIN, value: Buffer.alloc(16) },
    { tag: RPMTAG.NAME, type: STRING, value: 'openssl-libs' },
    { tag: RPMTAG.VERSION, type: STRING, value: '3.0.7' },
    { tag: RPMTAG.RELEASE, type: STRING, value: '27.el9' },
    { tag: RPMTAG.EPOCH, type: INT32, value: [1] },
    { tag: RPMTAG.ARCH, type: STRING, value: 'x86_64' },
    { tag: RPMTAG.SOURCERPM, type: STRING, value: 'openssl-3.0.7-27.el9.src.rpm' },
    ...extra,
  ];
}

function files(dirindexes: number[], basenames: string[], dirnames: string[]): TestEntry[] {
  return [
    { tag: RPMTAG.DIRINDEXES, type: INT32, value: dirindexes },
    { tag: RPMTAG.BASENAMES, type: STRING_ARRAY, value: basenames },
    { tag: RPMTAG.DIRNAMES, type: STRING_ARRAY, value: dirnames },
  ];
}

function toPackage(blob: Buffer, limits = defaultLimits) {
  const w = collectWarnings(PATH);
  const pkg = packageFromHeader({ id: 7, blob }, { path: PATH, limits, warn: w.warn });
  return { pkg, warnings: w.warnings.map((x) => x.message), codes: w.warnings.map((x) => x.code) };
}

describe('rpm header blobs (synthetic headers)', () => {
  test('all fields, compressed file names, requires without rpmlib() and file deps', () => {
    const blob = buildHeader(
      base([
        { tag: RPMTAG.LICENSE, type: STRING, value: 'Apache-2.0' },
        { tag: RPMTAG.VENDOR, type: STRING, value: 'Red Hat, Inc.' },
        { tag: RPMTAG.PACKAGER, type: STRING, value: 'Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>' },
        { tag: RPMTAG.MODULARITYLABEL, type: STRING, value: 'nodejs:18:8090020231024105237:a75119d5' },
        {
          tag: RPMTAG.REQUIRENAME,
          type: STRING_ARRAY,
          value: ['/bin/sh', 'ca-certificates', 'libc.so.6()(64bit)', 'rpmlib(PayloadIsZstd)', 'ca-certificates'],
        },
        { tag: RPMTAG.DIRINDEXES, type: INT32, value: [0, 1, 1] },
        { tag: RPMTAG.BASENAMES, type: STRING_ARRAY, value: ['pki', 'libssl.so.3', 'libcrypto.so.3'] },
        { tag: RPMTAG.DIRNAMES, type: STRING_ARRAY, value: ['/etc/', '/usr/lib64/'] },
      ]),
    );
    const { pkg, warnings } = toPackage(blob);
    assert.deepEqual(warnings, []);
    assert.deepEqual(pkg, {
      type: 'rpm',
      name: 'openssl-libs',
      version: '1:3.0.7-27.el9',
      epoch: 1,
      arch: 'x86_64',
      source: { name: 'openssl', version: '3.0.7-27.el9' },
      licenses: ['Apache-2.0'],
      vendor: 'Red Hat, Inc.',
      maintainer: 'Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>',
      modularityLabel: 'nodejs:18:8090020231024105237:a75119d5',
      files: ['etc/pki', 'usr/lib64/libssl.so.3', 'usr/lib64/libcrypto.so.3'],
      dependsOn: ['ca-certificates', 'libc.so.6()(64bit)'],
      location: { path: PATH },
    });
  });

  test('old FILENAMES, I18NSTRING values and a leading package-file magic are understood', () => {
    const blob = buildHeader([
      { tag: RPMTAG.NAME, type: STRING, value: 'old' },
      { tag: RPMTAG.VERSION, type: STRING, value: '1' },
      { tag: RPMTAG.LICENSE, type: I18NSTRING, value: ['GPL', 'GPL (de)'] },
      { tag: RPMTAG.OLDFILENAMES, type: STRING_ARRAY, value: ['/', '/bin/old', '/etc/old.conf'] },
    ]);
    const withMagic = Buffer.concat([Buffer.from('8eade80100000000', 'hex'), blob]);
    for (const b of [blob, withMagic]) {
      const { pkg, warnings } = toPackage(b);
      assert.deepEqual(warnings, []);
      assert.equal(pkg?.version, '1'); // no release, no epoch
      assert.deepEqual(pkg?.licenses, ['GPL']);
      assert.deepEqual(pkg?.files, ['bin/old', 'etc/old.conf']); // "/" itself is not a file entry
      assert.equal(pkg?.source, undefined);
      assert.equal(pkg?.dependsOn, undefined);
    }
  });

  test('a later entry for the same tag wins (rpm dribble entries after the region)', () => {
    const blob = buildHeader(base([{ tag: RPMTAG.NAME, type: STRING, value: 'replaced' }]));
    const parsed = parseHeader(blob);
    assert.ok(parsed.ok);
    assert.equal(headerString(parsed.value, RPMTAG.NAME), 'replaced');
  });

  test('gpg-pubkey records are left out without a warning', () => {
    const { pkg, warnings } = toPackage(
      buildHeader([
        { tag: RPMTAG.NAME, type: STRING, value: 'gpg-pubkey' },
        { tag: RPMTAG.VERSION, type: STRING, value: 'fd431d51' },
        { tag: RPMTAG.RELEASE, type: STRING, value: '4ae0493b' },
      ]),
    );
    assert.equal(pkg, undefined);
    assert.deepEqual(warnings, []);
  });

  test('intros that do not fit: short blobs, index counts that overflow, data lengths past the end', () => {
    const good = buildHeader(base());
    const cases: [string, Buffer][] = [
      ['truncated', Buffer.alloc(5)],
      ['truncated', good.subarray(0, good.length - 1)],
      ['truncated', good.subarray(0, 20)],
    ];
    for (const [il, expected] of [
      [0xffffffff, 'too-many-entries'],
      [0x10000, 'too-many-entries'],
      [0x0fffffff, 'too-many-entries'],
      [0xffff, 'truncated'],
    ] as const) {
      const b = Buffer.from(good);
      b.writeUInt32BE(il, 0);
      cases.push([expected, b]);
    }
    for (const [dl, expected] of [
      [0xffffffff, 'data-too-large'],
      [0x0fffffff, 'truncated'],
    ] as const) {
      const b = Buffer.from(good);
      b.writeUInt32BE(dl, 4);
      cases.push([expected, b]);
    }
    for (const [expected, b] of cases) {
      const parsed = parseHeader(b);
      assert.deepEqual(parsed, { ok: false, error: expected });
      const { pkg, warnings } = toPackage(b);
      assert.equal(pkg, undefined);
      assert.deepEqual(warnings, ['rpm header blob does not fit its own intro']);
    }
  });

  test('entries whose offset or count run past the data are dropped and reported', () => {
    const good = buildHeader(base());
    const dl = good.readUInt32BE(4);
    const patch = (i: number, field: 4 | 8 | 12, v: number): Buffer => {
      const b = Buffer.from(good);
      b.writeUInt32BE(v, entryAt(i) + field);
      return b;
    };
    // NAME (entry 1) offset past the end, and NAME with an unknown type: no name, no package.
    for (const b of [patch(1, 8, dl + 5), patch(1, 8, 0xfffffff0), patch(1, 4, 42), patch(1, 12, 2)]) {
      const { pkg, warnings } = toPackage(b);
      assert.equal(pkg, undefined);
      assert.deepEqual(warnings, [
        'rpm header has index entries outside its data',
        'rpm header has no readable name or version',
      ]);
    }
    // EPOCH (entry 4, INT32) with counts whose byte size overflows 32 bits: dropped, the package stays.
    for (const count of [0x40000000, 0xffffffff, 0x3fffffff]) {
      const { pkg, warnings } = toPackage(patch(4, 12, count));
      assert.equal(pkg?.version, '3.0.7-27.el9');
      assert.equal(pkg?.epoch, undefined);
      assert.deepEqual(warnings, ['rpm header has index entries outside its data']);
    }
  });

  test('strings without their NUL are not read past the data', () => {
    const blob = buildHeader([
      { tag: RPMTAG.VERSION, type: STRING, value: '1' },
      { tag: RPMTAG.NAME, type: STRING, value: 'unterminated' },
    ]);
    const cut = Buffer.from(blob.subarray(0, blob.length - 1));
    cut.writeUInt32BE(cut.readUInt32BE(4) - 1, 4);
    const parsed = parseHeader(cut);
    assert.ok(parsed.ok);
    assert.equal(headerString(parsed.value, RPMTAG.NAME), undefined);
    assert.equal(headerString(parsed.value, RPMTAG.VERSION), '1');
    const arr = buildHeader([{ tag: RPMTAG.BASENAMES, type: STRING_ARRAY, value: ['a', 'b'] }]);
    arr.writeUInt32BE(3, entryAt(0) + 12); // three strings claimed, two present
    const p2 = parseHeader(arr);
    assert.ok(p2.ok);
    assert.equal(headerStringArray(p2.value, RPMTAG.BASENAMES), undefined);
  });

  test('file lists: inconsistent tags, indexes past DIRNAMES, over-long paths', () => {
    const mismatch = toPackage(buildHeader(base(files([0], ['a', 'b'], ['/x/']))));
    assert.deepEqual(mismatch.pkg?.files, []);
    assert.deepEqual(mismatch.warnings, ['rpm header file list tags disagree']);

    const past = toPackage(buildHeader(base(files([0, 5, 0xffffffff], ['a', 'b', 'c'], ['/x/']))));
    assert.deepEqual(past.pkg?.files, ['x/a']);
    assert.deepEqual(past.warnings, ['rpm header file entries skipped']);

    const long = toPackage(
      buildHeader(base(files([0, 1], ['a', 'b'], ['/x/', `/${'y'.repeat(50)}/`]))),
      resolveLimits({ maxPathBytes: 20 }),
    );
    assert.deepEqual(long.pkg?.files, ['x/a']);
    assert.deepEqual(long.warnings, ['rpm header file entries skipped']);
  });

  test('a small header cannot expand into a huge file list', () => {
    const n = 20_000;
    const blob = buildHeader(
      base([
        { tag: RPMTAG.DIRINDEXES, type: INT32, value: Array.from({ length: n }, () => 0) },
        { tag: RPMTAG.BASENAMES, type: STRING_ARRAY, value: Array.from({ length: n }, () => 'a') },
        { tag: RPMTAG.DIRNAMES, type: STRING_ARRAY, value: [`/${'d'.repeat(4000)}/`] },
      ]),
    );
    const { pkg, codes } = toPackage(blob);
    const total = pkg?.files?.reduce((s, f) => s + f.length, 0) ?? 0;
    assert.ok(total <= 4 * blob.length + 1024 * 1024, `${total} bytes of paths from a ${blob.length}-byte header`);
    assert.ok((pkg?.files?.length ?? 0) < n);
    assert.deepEqual(codes, ['rpm-files-truncated']);
  });

  test('random blobs never throw (seeded, 3000 inputs)', () => {
    const rand = prng(42);
    for (let i = 0; i < 3000; i++) {
      const b = randomBytes(rand, Math.floor(rand() * 400));
      // Make plausible intros common so that the index parser is exercised, not just the length check.
      if (b.length >= 8 && rand() < 0.7) {
        b.writeUInt32BE(Math.floor(rand() * 20), 0);
        b.writeUInt32BE(Math.floor(rand() * 200), 4);
      }
      toPackage(b);
    }
  });
});

describe('source RPM names', () => {
  test('name-version-release.src.rpm', () => {
    assert.deepEqual(parseSourceRpm('glibc-2.34-60.el9.src.rpm'), { name: 'glibc', version: '2.34-60.el9' });
    assert.deepEqual(parseSourceRpm('python-pip-21.2.3-7.el9.src.rpm'), {
      name: 'python-pip',
      version: '21.2.3-7.el9',
    });
    assert.deepEqual(parseSourceRpm('kernel-5.14.0-362.8.1.el9_3.nosrc.rpm'), {
      name: 'kernel',
      version: '5.14.0-362.8.1.el9_3',
    });
    assert.deepEqual(parseSourceRpm('x-1-2.src.rpm'), { name: 'x', version: '1-2' });
  });

  test('shapes that are not source RPM names', () => {
    for (const s of [
      '',
      '(none)',
      'glibc-2.34-60.el9',
      'a-b.src.rpm',
      '-1-2.src.rpm',
      'a--2.src.rpm',
      'a-1-.src.rpm',
      '.src.rpm',
    ]) {
      assert.equal(parseSourceRpm(s), undefined, s);
    }
  });
});
