// NuGet packages.lock.json (version 1) and a .deps.json in the layouts the .NET SDK writes (the SDK is
// not installed on this machine).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { dotnetAnalyzer } from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');

describe('.NET (NuGet)', () => {
  test('packages.lock.json: one package per name and version across frameworks; projects left out', async () => {
    const r = await runAnalyzer(
      dotnetAnalyzer,
      new Map([['src/packages.lock.json', readFileSync(join(FIX, 'packages.lock.json'))]]),
    );
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.draft.packages.map((p) => [p.type, p.name, p.version, p.direct, (p.dependsOn ?? []).join()]),
      [
        ['nuget', 'Newtonsoft.Json', '12.0.1', true, ''],
        ['nuget', 'System.Text.Encodings.Web', '4.5.0', false, 'System.Runtime'],
      ],
    );
  });
  test('*.deps.json: package libraries only', async () => {
    const r = await runAnalyzer(
      dotnetAnalyzer,
      new Map([['app/app.deps.json', readFileSync(join(FIX, 'app.deps.json'))]]),
    );
    assert.deepEqual(
      r.draft.packages.map((p) => `${p.name}@${p.version}`),
      ['Newtonsoft.Json@12.0.1'],
    );
    assert.match(r.draft.packages[0]?.integrity ?? '', /^sha512-/);
  });
});
