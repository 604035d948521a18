// Fixtures: the build information blobs of two real binaries (Debian 12's skopeo 1.9.3, built by
// Go 1.19.8 in GOPATH mode; tsgolint from this project's devDependencies, built by Go 1.26 in module
// mode with local replacements), cut out behind the first 64 bytes of their ELF headers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileTree, garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { defaultLimits } from '../../util/limits.ts';
import type { Package } from '../types.ts';
import {
  golangAnalyzer,
  goModStdlib,
  MIN_BINARY_BYTES,
  parseGoMod,
  parseGoSum,
  parseModinfo,
  readBuildInfo,
  stdlibVersion,
} from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');
const REAL_GO_BINARY = join(import.meta.dirname, '../../../node_modules/@oxlint-tsgolint/linux-x64/tsgolint');

const tempRoot = { path: '/nonexistent', file: (): string => assert.fail('no temp files'), dispose() {} };

/** The walker offers executables only (runAnalyzer's entries are 0644), so drive analyze() as it would. */
async function binary(path: string, content: Buffer): Promise<Package[]> {
  const warnings: string[] = [];
  const entry = { path, type: 'file' as const, mode: 0o755, uid: 0, gid: 0, size: content.length };
  assert.ok(golangAnalyzer.wants(path, entry) || content.length < MIN_BINARY_BYTES);
  const items = await golangAnalyzer.analyze(
    { path, entry, content },
    { layer: undefined, limits: defaultLimits, tempRoot, warn: (c) => void warnings.push(c) },
  );
  assert.deepEqual(warnings, []);
  return items.flatMap((i) => (i.kind === 'packages' ? i.packages : []));
}

describe('Go build information', () => {
  test('Debian skopeo (GOPATH build): only the standard library of its toolchain', async () => {
    const ps = await binary('usr/bin/skopeo', readFileSync(join(FIX, 'skopeo-debian12.buildinfo')));
    assert.deepEqual(
      ps.map((p) => [p.type, p.name, p.version, p.location.path]),
      [['golang', 'stdlib', 'v1.19.8', 'usr/bin/skopeo']],
    );
  });

  test('module build: main module, dependencies with sums, local replacements keep the required module', async () => {
    const ps = await binary('usr/local/bin/tsgolint', readFileSync(join(FIX, 'tsgolint.buildinfo')));
    const main = ps[0]!;
    assert.equal(main.name, 'github.com/typescript-eslint/tsgolint');
    assert.equal(main.version, 'v0.25.1-0.20261112163547-1ae4bbd516db+dirty');
    const regexp = ps.find((p) => p.name === 'github.com/dlclark/regexp2/v2')!;
    assert.equal(regexp.version, 'v2.8.4');
    assert.equal(regexp.integrity, 'h1:yfDDXTn4oxyLDC10/ieOBNDCCdIVWS9WbT6ddVXsPKI=');
    assert.equal(regexp.direct, false);
    // `=> ./shim/ast (devel)`: a local directory stands in for the required module.
    assert.equal(ps.find((p) => p.name === 'github.com/microsoft/typescript-go/shim/ast')?.version, 'v0.0.0');
    assert.equal(ps.filter((p) => p.name.startsWith('./')).length, 0);
    assert.deepEqual(ps.at(-1), {
      type: 'golang',
      name: 'stdlib',
      version: 'v1.26.10',
      licenses: [],
      location: { path: 'usr/local/bin/tsgolint' },
    });
    assert.ok(main.dependsOn?.includes('stdlib') && main.dependsOn.includes('github.com/dlclark/regexp2/v2'));
  });

  test('a whole real Go binary (22 MB) is read the same way as its cut-out blob', async () => {
    const whole = await binary('tsgolint', readFileSync(REAL_GO_BINARY));
    const cut = await binary('tsgolint', readFileSync(join(FIX, 'tsgolint.buildinfo')));
    assert.deepEqual(whole, cut);
    assert.ok(whole.length > 10);
  });

  test('modinfo lines: => replacements with versions, sentinels stripped', () => {
    const text = `${'0'.repeat(16)}path\tex.com/cmd\nmod\tex.com\tv1.0.0\th1:a=\ndep\tgolang.org/x/net\tv0.1.0\th1:b=\n=>\tgithub.com/fork/net\tv0.2.0\th1:c=\nbuild\tGOOS=linux\n${'1'.repeat(16)}`;
    const info = parseModinfo('go1.21.3', text);
    assert.equal(info.path, 'ex.com/cmd');
    assert.deepEqual(info.deps[0]?.replace, { path: 'github.com/fork/net', version: 'v0.2.0', sum: 'h1:c=' });
    assert.equal(info.settings.GOOS, 'linux');
  });

  test('toolchain versions as OSV writes the standard library', () => {
    assert.equal(stdlibVersion('go1.19.8'), 'v1.19.8');
    assert.equal(stdlibVersion('go1.21'), 'v1.21.0');
    assert.equal(stdlibVersion('go1.21rc2'), 'v1.21.0-rc.2');
    assert.equal(stdlibVersion('go1.22.1 X:boringcrypto'), 'v1.22.1');
    assert.equal(stdlibVersion('devel go1.23-abc'), undefined);
  });

  test('only executables large enough to be Go programs are wanted; garbage and truncated blobs yield nothing', async () => {
    const e = (mode: number, size: number) => ({ path: 'x', type: 'file' as const, mode, uid: 0, gid: 0, size });
    assert.equal(golangAnalyzer.wants('usr/bin/x', e(0o755, MIN_BINARY_BYTES)), true);
    assert.equal(golangAnalyzer.wants('usr/bin/x', e(0o644, MIN_BINARY_BYTES)), false);
    assert.equal(golangAnalyzer.wants('usr/bin/x', e(0o755, 1000)), false);
    assert.equal(golangAnalyzer.wants('src/app/go.mod', e(0o644, 100)), true);
    assert.deepEqual(await binary('a', garbage(1 << 20)), []);
    const blob = readFileSync(join(FIX, 'tsgolint.buildinfo'));
    assert.equal(readBuildInfo(blob.subarray(0, 64 + 40)), undefined, 'strings running past the end are refused');
    const lying = Buffer.from(blob);
    lying.writeUInt8(0xff, 64 + 32); // a length varint that never ends within 10 bytes
    lying.fill(0xff, 64 + 33, 64 + 44);
    assert.equal(readBuildInfo(lying), undefined);
  });
});

describe('go.mod', () => {
  const GOMOD = `module example.com/app

go 1.21

toolchain go1.21.5

require (
	github.com/gin-gonic/gin v1.9.0
	golang.org/x/net v0.7.0 // indirect
	"github.com/quoted/mod" v1.0.0
)

require github.com/single/line v0.3.1

replace golang.org/x/net => github.com/fork/net v0.8.0

replace github.com/single/line v0.3.1 => ../local/line

exclude (
	github.com/gin-gonic/gin v1.8.0
)
exclude github.com/old/excluded v0.1.0

require github.com/old/excluded v0.1.0
`;
  test('requires (block and single), indirect, replacements by module and by directory, excludes, stdlib from toolchain', async () => {
    const mod = parseGoMod(GOMOD);
    assert.equal(mod.module, 'example.com/app');
    assert.equal(mod.toolchain, 'go1.21.5');
    const r = await runAnalyzer(golangAnalyzer, new Map([['src/go.mod', GOMOD]]));
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.version, p.direct]),
      [
        ['github.com/gin-gonic/gin', 'v1.9.0', true],
        ['github.com/fork/net', 'v0.8.0', false],
        ['github.com/quoted/mod', 'v1.0.0', true],
        ['github.com/single/line', 'v0.3.1', true],
        ['stdlib', 'v1.21.5', undefined],
      ],
    );
    assert.deepEqual(mod.excludes, [
      { path: 'github.com/gin-gonic/gin', version: 'v1.8.0' },
      { path: 'github.com/old/excluded', version: 'v0.1.0' },
    ]);
    assert.deepEqual(r.warnings, []);
  });

  test('stdlib: the toolchain directive, else the go directive as a release', () => {
    const base = { requires: [], replaces: [], excludes: [] };
    assert.equal(goModStdlib({ ...base, go: '1.21', toolchain: 'go1.22.3' }), 'v1.22.3');
    assert.equal(goModStdlib({ ...base, go: '1.19' }), 'v1.19.0');
    assert.equal(goModStdlib({ ...base, go: '1.21.4' }), 'v1.21.4');
    assert.equal(goModStdlib({ ...base, go: '1.21rc2' }), 'v1.21.0-rc.2');
    assert.equal(goModStdlib({ ...base, go: '1.22', toolchain: 'default' }), 'v1.22.0');
    assert.equal(goModStdlib({ ...base, go: 'go1.22' }), undefined);
    assert.equal(goModStdlib(base), undefined);
  });
});

// Fixtures written by Debian's Go 1.19.8 from a local module proxy (see __fixtures__/gomod-gen.sh).
describe('go.mod with go.sum (written by go 1.19.8)', () => {
  const pkgs = (ps: Package[]) => ps.map((p) => [p.name, p.version, p.direct, p.integrity, p.location.path]);

  test('go 1.19 project: go.mod requirements with go.sum hashes, version and local replacements, stdlib', async () => {
    const r = await runAnalyzer(golangAnalyzer, fileTree(join(FIX, 'gomod-webapp')));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(pkgs(r.draft.packages), [
      // `=> ./greet`: the local directory stands in for the required module; go.sum has no hash for it.
      ['example.com/bollard/greet', 'v0.0.0-00010101000000-000000000000', true, undefined, 'go.mod'],
      ['golang.org/x/net', 'v0.7.0', true, 'h1:BEdF95bfToDaEPT2QZLcjkj5cQF8dn4EKt5SoUAkWqM=', 'go.mod'],
      ['golang.org/x/text', 'v0.7.0', true, 'h1:SvnmxFjOFpM58HhWhhkpF6r6f8ONsT7qQ3ETI6RsMYA=', 'go.mod'],
      // `gopkg.in/yaml.v3 v3.0.0 => gopkg.in/yaml.v3 v3.0.1`: the replacement is what is built.
      ['gopkg.in/yaml.v3', 'v3.0.1', true, 'h1:23ZJfZxqg3SAxuvbdaUZ9ZJ2YylNFG5V4DGZw4Q+ojY=', 'go.mod'],
      ['stdlib', 'v1.19.0', undefined, undefined, 'go.mod'],
      // The nested module of the local replacement is a module of its own.
      ['stdlib', 'v1.19.0', undefined, undefined, 'greet/go.mod'],
    ]);
    // gopkg.in/check.v1 appears in go.sum only by its go.mod (in the graph, no code built): no package.
    assert.equal(r.draft.packages.filter((p) => p.name === 'gopkg.in/check.v1').length, 0);
  });

  test('go 1.16 project: go.mod lists direct requirements only, go.sum adds the rest as indirect at the version built', async () => {
    const r = await runAnalyzer(golangAnalyzer, fileTree(join(FIX, 'gomod-legacy')));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(pkgs(r.draft.packages), [
      ['example.com/lib/a', 'v1.0.0', true, 'h1:mnt58539YAdjK3B9UsqYQ2Qg3NofZV9K6KVsE3zJUSk=', 'go.mod'],
      ['example.com/lib/c', 'v1.2.0', true, 'h1:O38jGmsXfQzkYWzcXWNzUEt1wwWtU4RraRm4tTlSQIU=', 'go.mod'],
      ['stdlib', 'v1.16.0', undefined, undefined, 'go.mod'],
      // a requires b v1.0.0, c requires b v1.1.0: minimal version selection built v1.1.0, the only
      // version whose code go.sum checks (v1.0.0 appears by its go.mod only).
      ['example.com/lib/b', 'v1.1.0', false, 'h1:MmR3gNvvg2gmmp7Lry3Wi2qpbNUjea76dl6zJz0uYf8=', 'go.sum'],
    ]);
  });

  test('a module whose code go.sum checks but go.mod does not require: dropped for go >= 1.17, indirect before', async () => {
    // What `go mod tidy` adds for Go 1.16 compatibility: the code of a test dependency of a dependency.
    const files = fileTree(join(FIX, 'gomod-webapp'));
    const sum = Buffer.concat([
      files.get('go.sum')!,
      Buffer.from(
        'gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405 h1:yhCVgyC4o1eVCa2tZl7eS0r+SDo693bJlVdllGtEeKM=\n',
      ),
    ]);
    const check = (ps: Package[]) =>
      ps.filter((p) => p.name === 'gopkg.in/check.v1').map((p) => [p.version, p.direct, p.location.path]);
    const modern = await runAnalyzer(
      golangAnalyzer,
      new Map([
        ['go.mod', files.get('go.mod')!],
        ['go.sum', sum],
      ]),
    );
    assert.deepEqual(check(modern.draft.packages), []);
    const old = files.get('go.mod')!.toString('utf8').replace('go 1.19', 'go 1.16');
    const legacy = await runAnalyzer(
      golangAnalyzer,
      new Map<string, string | Buffer>([
        ['go.mod', old],
        ['go.sum', sum],
      ]),
    );
    assert.deepEqual(check(legacy.draft.packages), [['v0.0.0-20161208181325-20d25e280405', false, 'go.sum']]);
    // Without a go line go assumes 1.16.
    const bare = await runAnalyzer(
      golangAnalyzer,
      new Map<string, string | Buffer>([
        ['go.mod', old.replace('go 1.16', '')],
        ['go.sum', sum],
      ]),
    );
    assert.equal(check(bare.draft.packages).length, 1);
  });

  test('go.sum alone: each module whose code it checks, at its highest version; /go.mod lines are the graph', async () => {
    const sum = readFileSync(join(FIX, 'gomod-legacy/go.sum'));
    const parsed = parseGoSum(sum.toString('utf8'), () => assert.fail('no malformed line'));
    assert.deepEqual([...(parsed.graph.get('example.com/lib/b') ?? [])], ['v1.0.0', 'v1.1.0']);
    assert.deepEqual([...(parsed.code.get('example.com/lib/b')?.keys() ?? [])], ['v1.1.0']);
    const extra = 'example.com/lib/c v1.0.0 h1:olderleftover=\n';
    const r = await runAnalyzer(golangAnalyzer, new Map([['app/go.sum', Buffer.concat([Buffer.from(extra), sum])]]));
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.version, p.direct, p.location.path]),
      [
        ['example.com/lib/c', 'v1.2.0', undefined, 'app/go.sum'],
        ['example.com/lib/a', 'v1.0.0', undefined, 'app/go.sum'],
        ['example.com/lib/b', 'v1.1.0', undefined, 'app/go.sum'],
      ],
    );
  });

  test('a go.mod and go.sum in different directories are not merged; vendor/ and the module cache are not read', async () => {
    const files = fileTree(join(FIX, 'gomod-legacy'));
    const moved = new Map([
      ['a/go.mod', files.get('go.mod')!],
      ['b/go.sum', files.get('go.sum')!],
      ['a/vendor/x/go.sum', files.get('go.sum')!],
      ['root/go/pkg/mod/x@v1/go.mod', files.get('go.mod')!],
    ]);
    const r = await runAnalyzer(golangAnalyzer, moved);
    assert.deepEqual(
      r.draft.packages.map((p) => p.location.path),
      ['a/go.mod', 'a/go.mod', 'a/go.mod', 'b/go.sum', 'b/go.sum', 'b/go.sum'],
    );
    assert.equal(
      r.draft.packages.find((p) => p.location.path === 'b/go.sum' && p.name === 'example.com/lib/a')?.direct,
      undefined,
    );
  });

  test('malformed go.sum lines are skipped and counted; the rest is read', async () => {
    const text = [
      'golang.org/x/net v0.7.0 h1:BEdF95bfToDaEPT2QZLcjkj5cQF8dn4EKt5SoUAkWqM=',
      'golang.org/x/net v0.7.0',
      'golang.org/x/text v0.7.0 sha256:abc',
      'golang.org/x/text 0.7.0 h1:abc=',
      'golang.org/x/sys v0.5.0 h1:a= extra',
      '\u0000 v1.0.0 h1:a=',
      '',
    ].join('\n');
    const r = await runAnalyzer(golangAnalyzer, new Map([['go.sum', text]]));
    assert.deepEqual(
      r.draft.packages.map((p) => p.name),
      ['golang.org/x/net'],
    );
    assert.equal(r.warnings.find((w) => w.code === 'GOSUM_RECORD_INVALID')?.count, 5);
    const none = await runAnalyzer(golangAnalyzer, new Map([['go.sum', garbage(4096)]]));
    assert.deepEqual(none.draft.packages, []);
  });
});
