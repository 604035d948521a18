import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileTree, garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import type { Package } from '../types.ts';
import { normalizePythonName, pythonAnalyzer } from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');
const SITE = join(FIX, 'dist-packages');
const ids = (ps: Package[]): string[] => ps.map((p) => `${p.name}@${p.version}`).sort();

async function one(name: string, as = `app/${name}`): Promise<Package[]> {
  const r = await runAnalyzer(pythonAnalyzer, new Map([[as, readFileSync(join(FIX, name))]]));
  assert.deepEqual(r.warnings, []);
  return r.draft.packages;
}

describe('installed Python distributions (Debian 12 python3-* packages)', () => {
  test('the package set equals what importlib.metadata lists for the same directory', async () => {
    const files = new Map(
      [...fileTree(SITE)].map(([p, b]) => [`usr/lib/python3/dist-packages/${p}`, b] as [string, Buffer]),
    );
    const r = await runAnalyzer(pythonAnalyzer, files);
    assert.deepEqual(r.warnings, []);
    // The real interpreter reads the same files (python3 is part of the machine the tests run on).
    const script =
      'import importlib.metadata as m, json, sys\n' +
      'print(json.dumps(sorted(f"{d.metadata[\'Name\']}@{d.version}" for d in m.distributions(path=[sys.argv[1]]))))';
    const fromPython = JSON.parse(execFileSync('python3', ['-c', script, SITE], { encoding: 'utf8' })) as string[];
    assert.equal(fromPython.length, 6);
    const normalised = fromPython.map((s) => {
      const [n, v] = s.split('@') as [string, string];
      return `${normalizePythonName(n)}@${v}`;
    });
    assert.deepEqual(ids(r.draft.packages), normalised.sort());
  });

  test('licences, dependencies and locations as the metadata states them', async () => {
    const files = new Map(
      [...fileTree(SITE)].map(([p, b]) => [`usr/lib/python3/dist-packages/${p}`, b] as [string, Buffer]),
    );
    const { draft } = await runAnalyzer(pythonAnalyzer, files);
    const urllib3 = draft.packages.find((p) => p.name === 'urllib3')!;
    assert.deepEqual(urllib3.licenses, ['MIT']);
    assert.equal(urllib3.location.path, 'usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO');
    const cn = draft.packages.find((p) => p.name === 'charset-normalizer')!;
    assert.equal(cn.location.path, 'usr/lib/python3/dist-packages/charset_normalizer-3.0.1.dist-info/METADATA');
    assert.equal(cn.type, 'pypi');
  });
});

describe('Python lockfiles', () => {
  test('poetry.lock: packages, PEP 503 names, dev group, dependency names', async () => {
    const ps = await one('poetry.lock');
    assert.deepEqual(ids(ps), ['certifi@2022.9.24', 'django@3.2.10', 'pytest@7.1.2']);
    assert.equal(ps.find((p) => p.name === 'pytest')?.dev, true);
    assert.equal(ps.find((p) => p.name === 'django')?.dev, false);
    assert.deepEqual(ps.find((p) => p.name === 'django')?.dependsOn, ['asgiref', 'pytz', 'sqlparse']);
  });
  test("poetry.lock written by Debian 12's Poetry 1.3.2 (lock-version 2.0, categories) from path dependencies", async () => {
    // `poetry lock --no-update` in poetry-1.3.2/app, whose dependencies are the local projects in libs/.
    const ps = await one('poetry-1.3.2/app/poetry.lock');
    assert.deepEqual(
      ps.map((p) => [p.name, p.version, p.dev, (p.dependsOn ?? []).join()]),
      [
        ['bollard-devtool', '3.0.1', true, ''],
        ['bollard-helper', '1.4.0', false, 'bollard-util'],
        ['bollard-util', '0.2.0', false, ''],
      ],
    );
  });
  test('uv.lock: the project itself is left out; direct and dev from its tables', async () => {
    const ps = await one('uv.lock');
    assert.deepEqual(ids(ps), ['jinja2@3.1.2', 'markupsafe@2.1.3', 'pytest@7.1.2']);
    assert.deepEqual(
      ps.map((p) => [p.name, p.direct, p.dev === true]),
      [
        ['jinja2', true, false],
        ['markupsafe', false, false],
        ['pytest', true, true],
      ],
    );
  });
  test('Pipfile.lock: default and develop; entries without a version are not packages', async () => {
    const ps = await one('Pipfile.lock');
    assert.deepEqual(ids(ps), ['black@22.3.0', 'pyyaml@5.3.1']);
    assert.equal(ps.find((p) => p.name === 'black')?.dev, true);
  });
  test('requirements*.txt: pinned versions only, hashes, extras and markers understood', async () => {
    const ps = await one('requirements-prod.txt');
    assert.deepEqual(ids(ps), ['flask@2.0.1', 'requests@2.25.1', 'werkzeug@2.0.2']);
  });
  test('hostile input: garbage lockfiles and metadata are counted, never fatal', async () => {
    const r = await runAnalyzer(
      pythonAnalyzer,
      new Map<string, string | Buffer>([
        ['a/poetry.lock', garbage(4096)],
        [
          'b/uv.lock',
          '[[package]]\nname = "x"\nversion = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
        ],
        ['c/Pipfile.lock', '{"default": {"x": {"version": 3}}}'],
        ['site-packages/x-1.dist-info/METADATA', garbage(512)],
        ['d/poetry.lock', '[[package]]\nname = "ok"\nversion = "1.0"\n[[package]]\nname = "bad name"\nversion = "1"\n'],
      ]),
    );
    assert.deepEqual(ids(r.draft.packages), ['ok@1.0']);
    assert.deepEqual(r.warnings.map((w) => [w.code, w.count]).sort(), [
      ['PYTHON_LOCKFILE_INVALID', 2],
      ['PYTHON_METADATA_INVALID', 1],
      ['PYTHON_RECORD_INVALID', 1],
    ]);
  });
});
