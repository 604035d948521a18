// Fixtures were written by the package managers themselves (npm 11.19 with --lockfile-version 1/2/3,
// yarn 1.22.22, yarn 4 (Berry), pnpm 6.35.1 on Node 18.20.8 (lockfile 5.3; pnpm 6 fails on Node >= 20 with
// ERR_INVALID_THIS), pnpm 7 (lockfile 5.4), pnpm 8 (6.0), pnpm 9 (9.0)) for one project:
// dependencies lodash 4.17.4, minimist 0.0.8, debug 2.6.8, @sindresorhus/is 0.7.0; devDependencies chalk 2.4.2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileTree, garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import type { Package } from '../types.ts';
import { isInstalledManifest, npmAnalyzer, parsePnpmKey } from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');
const read = (p: string): Buffer => readFileSync(join(FIX, p));

const ALL = [
  '@sindresorhus/is@0.7.0',
  'ansi-styles@3.2.1',
  'chalk@2.4.2',
  'color-convert@1.9.3',
  'color-name@1.1.3',
  'debug@2.6.8',
  'escape-string-regexp@1.0.5',
  'has-flag@3.0.0',
  'lodash@4.17.4',
  'minimist@0.0.8',
  'ms@2.0.0',
  'supports-color@5.5.0',
];
const DIRECT = ['@sindresorhus/is', 'chalk', 'debug', 'lodash', 'minimist'];
const DEV = [
  'ansi-styles',
  'chalk',
  'color-convert',
  'color-name',
  'escape-string-regexp',
  'has-flag',
  'supports-color',
];

const ids = (ps: Package[]): string[] => ps.map((p) => `${p.name}@${p.version}`).sort();
const names = (ps: Package[], f: (p: Package) => boolean): string[] =>
  ps
    .filter(f)
    .map((p) => p.name)
    .sort();

async function lock(path: string): Promise<Package[]> {
  const r = await runAnalyzer(npmAnalyzer, new Map([[`app/${path.split('/').pop()}`, read(path)]]));
  assert.deepEqual(r.warnings, []);
  return r.draft.packages;
}

describe('npm lockfiles written by npm, yarn and pnpm', () => {
  for (const v of ['1', '2', '3']) {
    test(`package-lock.json v${v}: every package, dev flags, dependency names`, async () => {
      const ps = await lock(`npm-v${v}/package-lock.json`);
      assert.equal(JSON.parse(read(`npm-v${v}/package-lock.json`).toString()).lockfileVersion, Number(v));
      assert.deepEqual(ids(ps), ALL);
      assert.deepEqual(
        names(ps, (p) => p.dev === true),
        DEV,
      );
      // v1 does not record what the root depends on; v2 and v3 do.
      if (v !== '1')
        assert.deepEqual(
          names(ps, (p) => p.direct === true),
          DIRECT,
        );
      const chalk = ps.find((p) => p.name === 'chalk')!;
      assert.deepEqual(chalk.dependsOn?.toSorted(), ['ansi-styles', 'escape-string-regexp', 'supports-color']);
      assert.match(chalk.integrity ?? '', /^sha512-/);
      assert.deepEqual(chalk.location, { path: 'app/package-lock.json' });
    });
  }
  for (const dir of ['yarn-v1', 'yarn-berry']) {
    test(`yarn.lock (${dir}): every package with its dependencies`, async () => {
      const ps = await lock(`${dir}/yarn.lock`);
      assert.deepEqual(ids(ps), ALL);
      assert.deepEqual(ps.find((p) => p.name === 'debug')?.dependsOn, ['ms']);
    });
  }
  for (const v of ['5.3', '5.4', '6.0', '9.0']) {
    test(`pnpm-lock.yaml ${v}: every package, direct and dev`, async () => {
      const text = read(`pnpm-${v}/pnpm-lock.yaml`).toString();
      assert.match(text, new RegExp(`^lockfileVersion: '?${v.replace('.', '\\.')}'?$`, 'm'));
      const ps = await lock(`pnpm-${v}/pnpm-lock.yaml`);
      assert.deepEqual(ids(ps), ALL);
      assert.deepEqual(
        names(ps, (p) => p.direct === true),
        DIRECT,
      );
      assert.deepEqual(
        names(ps, (p) => p.dev === true),
        DEV,
      );
      assert.deepEqual(ps.find((p) => p.name === 'supports-color')?.dependsOn, ['has-flag']);
    });
  }
  test('pnpm keys of every lockfile generation', () => {
    assert.deepEqual(parsePnpmKey('/@babel/core/7.1.0_supports-color@5.5.0', 5), {
      name: '@babel/core',
      version: '7.1.0',
    });
    assert.deepEqual(parsePnpmKey('/@babel/core@7.1.0(supports-color@5.5.0)', 6), {
      name: '@babel/core',
      version: '7.1.0',
    });
    assert.deepEqual(parsePnpmKey('ms@2.0.0', 9), { name: 'ms', version: '2.0.0' });
    assert.equal(parsePnpmKey('/nonsense', 5), undefined);
  });
});

describe('installed node_modules', () => {
  test('the package set equals `npm ls --all --json` of the same tree', async () => {
    const tree = fileTree(join(FIX, 'installed'));
    const files = new Map([...tree].filter(([p]) => p.startsWith('node_modules/')));
    const r = await runAnalyzer(npmAnalyzer, files);
    assert.deepEqual(r.warnings, []);
    const fromNpm = new Set<string>();
    const walk = (deps: Record<string, { version: string; dependencies?: object }> | undefined): void => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        fromNpm.add(`${name}@${d.version}`);
        walk(d.dependencies as typeof deps);
      }
    };
    walk(JSON.parse(read('installed/npm-ls.json').toString()).dependencies);
    assert.deepEqual(ids(r.draft.packages), [...fromNpm].sort());
    const lodash = r.draft.packages.find((p) => p.name === 'lodash')!;
    assert.deepEqual(lodash.licenses, ['MIT']);
    assert.equal(lodash.location.path, 'node_modules/lodash/package.json');
  });

  test('next to its lockfile, the installed tree wins and takes the lockfile facts', async () => {
    const r = await runAnalyzer(npmAnalyzer, fileTree(join(FIX, 'installed')));
    assert.deepEqual(ids(r.draft.packages), ALL);
    assert.ok(r.draft.packages.every((p) => p.location.path.startsWith('node_modules/')));
    assert.deepEqual(
      names(r.draft.packages, (p) => p.direct === true),
      DIRECT,
    );
    assert.deepEqual(
      names(r.draft.packages, (p) => p.dev === true),
      DEV,
    );
  });

  test('only the manifest of an installed package is wanted', () => {
    assert.equal(isInstalledManifest('app/node_modules/lodash/package.json'), true);
    assert.equal(isInstalledManifest('node_modules/@types/node/package.json'), true);
    assert.equal(isInstalledManifest('a/node_modules/x/node_modules/y/package.json'), true);
    assert.equal(isInstalledManifest('app/node_modules/lodash/fp/package.json'), false);
    assert.equal(isInstalledManifest('app/package.json'), false);
    assert.equal(isInstalledManifest('my_node_modules/x/package.json'), false);
    assert.equal(isInstalledManifest('node_modules/.bin/package.json'), false);
  });
});

describe('hostile npm input', () => {
  test('garbage, wrong shapes and bad names are skipped and counted, never fatal', async () => {
    const files = new Map<string, string | Buffer>([
      ['a/package-lock.json', garbage(2048)],
      ['b/yarn.lock', garbage(2048)],
      ['c/pnpm-lock.yaml', 'packages: [1, 2'],
      [
        'd/package-lock.json',
        JSON.stringify({
          lockfileVersion: 3,
          packages: { 'node_modules/x': { version: 'a b' }, 'node_modules/ok': { version: '1.0.0' } },
        }),
      ],
      ['node_modules/evil/package.json', JSON.stringify({ name: 'evil\u0000', version: '1.0.0' })],
      ['e/package-lock.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ]);
    const r = await runAnalyzer(npmAnalyzer, files);
    assert.deepEqual(ids(r.draft.packages), ['ok@1.0.0']);
    const codes = r.warnings.map((w) => w.code).sort();
    assert.deepEqual(codes, ['NPM_LOCKFILE_INVALID', 'NPM_MANIFEST_INVALID', 'NPM_RECORD_INVALID']);
    // Garbage in yarn's line format simply holds no blocks; the JSON, YAML and depth failures are counted.
    assert.equal(r.warnings.find((w) => w.code === 'NPM_LOCKFILE_INVALID')?.count, 3);
  });
});
