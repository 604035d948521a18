import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type AnalyzerRun, fileTree, garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { TEST_ENV_FILE, testEnv } from '../../../test/helpers/env.ts';
import type { OSInfo } from '../types.ts';
import { mergeOS, osAnalyzer, parseEnvFile, releaseFor } from './index.ts';

const FIXTURES = join(import.meta.dirname, '__fixtures__');

const run = (files: Map<string, Buffer>): Promise<AnalyzerRun> => runAnalyzer(osAnalyzer, files);

describe('OS detection on the real debootstrap bookworm root (needs /var/lib/bollard-test/rootfs-bookworm)', () => {
  test('Debian 12 with the point release of etc/debian_version', async () => {
    const root = existsSync(TEST_ENV_FILE) ? testEnv().rootfs : '/var/lib/bollard-test/rootfs-bookworm';
    const debianVersion = join(root, 'etc/debian_version');
    if (!existsSync(debianVersion)) {
      throw new Error(`no debootstrap bookworm root at ${root}: run "sudo scripts/test-env.sh up" first`);
    }
    const files = new Map<string, Buffer>();
    // etc/os-release is a symlink to ../usr/lib/os-release there; reading it follows the link, as the applier does.
    for (const p of ['etc/os-release', 'usr/lib/os-release', 'etc/debian_version']) {
      files.set(p, readFileSync(join(root, p)));
    }
    const pointRelease = readFileSync(debianVersion, 'utf8').trim();
    assert.match(pointRelease, /^12\.\d+$/);
    const { os, warnings } = await run(files);
    assert.deepEqual(warnings, []);
    assert.deepEqual(os, {
      family: 'debian',
      release: '12',
      version: pointRelease,
      codename: 'bookworm',
      name: 'Debian GNU/Linux 12 (bookworm)',
    });
  });
});

/** What each fixture image must be detected as. */
const EXPECTED: Record<string, OSInfo> = {
  'ubuntu-22.04': {
    family: 'ubuntu',
    release: '22.04',
    version: '22.04.3',
    codename: 'jammy',
    name: 'Ubuntu 22.04.3 LTS',
    idLike: ['debian'],
  },
  'alpine-3.19': { family: 'alpine', release: '3.19', version: '3.19.1', name: 'Alpine Linux v3.19' },
  'alpine-edge': { family: 'alpine', release: 'edge', version: '3.20.0_alpha20240329', name: 'Alpine Linux edge' },
  'rhel-9': {
    family: 'rhel',
    release: '9',
    version: '9.3',
    codename: 'Plow',
    name: 'Red Hat Enterprise Linux 9.3 (Plow)',
    idLike: ['fedora'],
  },
  'centos-7': {
    family: 'centos',
    release: '7',
    version: '7.9.2009',
    codename: 'Core',
    name: 'CentOS Linux 7 (Core)',
    idLike: ['rhel', 'fedora'],
  },
  'centos-6': {
    family: 'centos',
    release: '6',
    version: '6.10',
    codename: 'Final',
    name: 'CentOS release 6.10 (Final)',
  },
  'rocky-9': {
    family: 'rocky',
    release: '9',
    version: '9.3',
    codename: 'Blue Onyx',
    name: 'Rocky Linux 9.3 (Blue Onyx)',
    idLike: ['rhel', 'centos', 'fedora'],
  },
  'ol-8': { family: 'ol', release: '8', version: '8.9', name: 'Oracle Linux Server 8.9', idLike: ['fedora'] },
  'ol-7-no-os-release': { family: 'ol', release: '7', version: '7.9', name: 'Oracle Linux Server release 7.9' },
  'fedora-39': {
    family: 'fedora',
    release: '39',
    version: '39',
    codename: 'Thirty Nine',
    name: 'Fedora Linux 39 (Container Image)',
  },
  'amzn-2': {
    family: 'amzn',
    release: '2',
    version: '2',
    name: 'Amazon Linux 2',
    idLike: ['centos', 'rhel', 'fedora'],
  },
  'amzn-2023': {
    family: 'amzn',
    release: '2023',
    version: '2023.3.20240108',
    name: 'Amazon Linux 2023',
    idLike: ['fedora'],
  },
  'amzn-1': {
    family: 'amzn',
    release: '1',
    version: '2018.03',
    name: 'Amazon Linux AMI 2018.03',
    idLike: ['rhel', 'fedora'],
  },
  'sles-15': {
    family: 'sles',
    release: '15.5',
    version: '15.5',
    name: 'SUSE Linux Enterprise Server 15 SP5',
    idLike: ['suse'],
  },
  'sles-11': { family: 'sles', release: '11.4', version: '11.4', name: 'SUSE Linux Enterprise Server 11' },
  'opensuse-leap-15': {
    family: 'opensuse-leap',
    release: '15.5',
    version: '15.5',
    name: 'openSUSE Leap 15.5',
    idLike: ['suse', 'opensuse'],
  },
  'opensuse-tumbleweed': {
    family: 'opensuse-tumbleweed',
    release: 'rolling',
    version: '20240101',
    name: 'openSUSE Tumbleweed',
    idLike: ['opensuse', 'suse'],
  },
  'photon-5': { family: 'photon', release: '5.0', version: '5.0', name: 'VMware Photon OS/Linux' },
  wolfi: { family: 'wolfi', release: 'rolling', version: '20230201', name: 'Wolfi' },
  chainguard: { family: 'chainguard', release: 'rolling', version: '20230214', name: 'Chainguard' },
  'distroless-debian12': { family: 'debian', release: '12', version: '12', codename: 'bookworm', name: 'Distroless' },
  'debian-trixie-sid': {
    family: 'debian',
    release: 'sid',
    version: 'trixie/sid',
    codename: 'trixie',
    name: 'Debian GNU/Linux trixie/sid',
  },
};

describe('OS detection from release files', () => {
  test('every fixture image has an expectation', () => {
    assert.deepEqual(readdirSync(FIXTURES).toSorted(), Object.keys(EXPECTED).toSorted());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(name, async () => {
      const { os, warnings } = await run(fileTree(join(FIXTURES, name)));
      assert.deepEqual(warnings, []);
      assert.deepEqual(os, expected);
    });
  }

  test('Ubuntu: debian_version ("bookworm/sid") is another family and never wins', async () => {
    const { items } = await run(fileTree(join(FIXTURES, 'ubuntu-22.04')));
    const deb = items.find((i) => i.path === 'etc/debian_version');
    assert.ok(deb?.kind === 'os' && deb.os.family === 'debian' && deb.os.release === 'sid');
  });

  test('Oracle Linux: redhat-release names RHEL, oracle-release outranks it', async () => {
    const { items } = await run(fileTree(join(FIXTURES, 'ol-8')));
    const rh = items.find((i) => i.path === 'etc/redhat-release');
    assert.ok(rh?.kind === 'os' && rh.os.family === 'rhel');
  });

  test('etc/os-release outranks usr/lib/os-release', () => {
    const a = { family: 'debian', release: '12', version: '12', name: 'etc' };
    const b = { family: 'debian', release: '11', version: '11', name: 'usr' };
    assert.equal(
      mergeOS([
        { os: b, priority: 90, path: 'usr/lib/os-release' },
        { os: a, priority: 100, path: 'etc/os-release' },
      ])?.name,
      'etc',
    );
    assert.equal(mergeOS([]), undefined);
  });

  test('release for matching', () => {
    assert.equal(releaseFor('debian', '12.15'), '12');
    assert.equal(releaseFor('alpine', '3.19.1'), '3.19');
    assert.equal(releaseFor('alpine', '3.20_alpha20240329'), 'edge');
    assert.equal(releaseFor('rhel', '9.3'), '9');
    assert.equal(releaseFor('ubuntu', '22.04.3'), '22.04');
    assert.equal(releaseFor('amzn', '2023.3.20240108'), '2023');
    assert.equal(releaseFor('amzn', '2018.03'), '1');
    assert.equal(releaseFor('wolfi', '20230201'), 'rolling');
  });
});

describe('os-release syntax', () => {
  const TRICKY = [
    '# a comment, then a blank line',
    '',
    "NAME='Single Quoted $HOME and \\ backslash'",
    'PRETTY_NAME="Escapes: \\"q\\" \\\\ \\$ \\` end"',
    'ID=plain',
    'VERSION=concat"enated"\' parts\'',
    'ID_LIKE="a b"   ',
    'VERSION_ID=1.2\\ 3',
    'VERSION_CODENAME=',
    '   HOME_URL="https://example.org/"',
    'BUILD_ID="first"',
    'BUILD_ID="second"',
    '',
  ].join('\n');

  test('quotes, escapes, comments and concatenation parse as a POSIX shell sources them (checked with sh)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bollard-os-release-'));
    try {
      const files = [TRICKY, ...Object.keys(EXPECTED).flatMap((n) => osReleaseTexts(join(FIXTURES, n)))];
      for (const [i, text] of files.entries()) {
        const path = join(dir, `os-release-${i}`);
        writeFileSync(path, text);
        const parsed = parseEnvFile(text);
        assert.equal(parsed.malformed, 0);
        const keys = [...parsed.values.keys()];
        // The file is meant to be sourceable: let the system shell say what each variable holds.
        const script = `. "$1"; shift; for k in "$@"; do eval "printf '%s\\0' \\"\\$$k\\""; done`;
        const out = execFileSync('sh', ['-c', script, 'sh', path, ...keys], { encoding: 'utf8', env: {} });
        const shell = out.split('\0').slice(0, -1);
        assert.deepEqual(
          keys.map((k) => parsed.values.get(k)),
          shell,
          `file ${i}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const v = parseEnvFile(TRICKY).values;
    assert.equal(v.get('NAME'), 'Single Quoted $HOME and \\ backslash');
    assert.equal(v.get('PRETTY_NAME'), 'Escapes: "q" \\ $ ` end');
    assert.equal(v.get('VERSION'), 'concatenated parts');
    assert.equal(v.get('ID_LIKE'), 'a b');
    assert.equal(v.get('VERSION_ID'), '1.2 3');
    assert.equal(v.get('BUILD_ID'), 'second');
  });

  test('CRLF line endings read the same as LF', () => {
    const lf = parseEnvFile(TRICKY);
    const crlf = parseEnvFile(TRICKY.replaceAll('\n', '\r\n'));
    assert.deepEqual(crlf, lf);
  });

  test('lines that are not assignments are counted, not fatal', () => {
    const r = parseEnvFile('ID=ok\nthis is not an assignment\n=nokey\nBAD KEY=x\nUNTERMINATED="abc\nVERSION_ID=1\n');
    assert.deepEqual(
      [...r.values],
      [
        ['ID', 'ok'],
        ['VERSION_ID', '1'],
      ],
    );
    assert.equal(r.malformed, 4);
  });
});

function osReleaseTexts(dir: string): string[] {
  return ['etc/os-release', 'usr/lib/os-release', 'etc/lsb-release']
    .map((p) => join(dir, p))
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p, 'utf8'));
}

describe('OS detection on hostile input', () => {
  test('binary garbage and NULs give no OS and a warning', async () => {
    const r1 = await run(new Map([['etc/os-release', garbage(4096, 'bollard-os')]]));
    assert.equal(r1.os, undefined);
    assert.deepEqual(
      r1.warnings.map((w) => w.code),
      ['OS_FILE_INVALID'],
    );
    const r2 = await run(new Map([['etc/os-release', Buffer.from('ID=debian\0\nVERSION_ID=12\n')]]));
    assert.equal(r2.os, undefined);
    const r3 = await run(new Map([['etc/debian_version', Buffer.from('not a version\n')]]));
    assert.equal(r3.os, undefined);
    assert.equal(r3.warnings[0]?.code, 'OS_FILE_INVALID');
  });

  test('a 10 MB single line is over the size limit; the parsers stay linear on it anyway', async () => {
    const big = `ID=${'x'.repeat(10 * 1024 * 1024)}`;
    const r = await run(new Map([['etc/os-release', Buffer.from(big)]]));
    assert.equal(r.os, undefined);
    assert.deepEqual(
      r.warnings.map((w) => [w.code, w.sample]),
      [['OS_FILE_TOO_LARGE', 'etc/os-release']],
    );
    assert.equal(parseEnvFile(big).values.get('ID')?.length, 10 * 1024 * 1024);
    assert.equal(parseEnvFile(`"${'y'.repeat(10 * 1024 * 1024)}`).malformed, 1);
  });

  test('an os-release without ID is "linux", per the specification', async () => {
    const { os } = await run(new Map([['etc/os-release', Buffer.from('VERSION_ID=1\n')]]));
    assert.deepEqual(os, { family: 'linux', release: '1', version: '1', name: 'Linux' });
  });

  test('only the release files are wanted', () => {
    const entry = { path: '', type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: 1 };
    for (const p of ['etc/os-release', 'usr/lib/os-release', 'etc/debian_version', 'etc/SuSE-release']) {
      assert.ok(osAnalyzer.wants(p, { ...entry, path: p }), p);
    }
    for (const p of ['etc/os-release.d/x', 'opt/etc/os-release', 'usr/lib/os-release/x', 'etc/hostname']) {
      assert.ok(!osAnalyzer.wants(p, { ...entry, path: p }), p);
    }
  });
});
