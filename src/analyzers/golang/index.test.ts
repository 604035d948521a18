// Fixtures: the build information blobs of two real binaries (Debian 12's skopeo 1.9.3, built by
// Go 1.19.8 in GOPATH mode; tsgolint from this project's devDependencies, built by Go 1.26 in module
// mode with local replacements), cut out behind the first 64 bytes of their ELF headers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { defaultLimits } from '../../util/limits.ts';
import type { Package } from '../types.ts';
import { golangAnalyzer, MIN_BINARY_BYTES, parseGoMod, parseModinfo, readBuildInfo, stdlibVersion } from './index.ts';

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
`;
  test('requires (block and single), indirect, replacements by module and by directory', async () => {
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
      ],
    );
  });
});
