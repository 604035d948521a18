// rack-2.2.22.gemspec: as Debian 12's ruby-rack installs it; Gemfile.lock: Bundler 2.3 layout
// (bundler is not installed on this machine, so the lockfile is written by hand in its format).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { rubyAnalyzer } from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');

describe('Ruby', () => {
  test('Gemfile.lock: GEM and GIT specs, platform variants merged, direct from DEPENDENCIES', async () => {
    const r = await runAnalyzer(rubyAnalyzer, new Map([['app/Gemfile.lock', readFileSync(join(FIX, 'Gemfile.lock'))]]));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.version, p.direct, (p.dependsOn ?? []).join(',')]),
      [
        ['widget', '0.3.0', true, 'rack'],
        ['mini_portile2', '2.8.0', false, ''],
        ['nokogiri', '1.13.3', true, 'mini_portile2,racc'],
        ['racc', '1.6.0', false, ''],
        ['rack', '2.2.3', true, ''],
      ],
    );
  });
  test('installed gemspec (Debian ruby-rack): read, never run', async () => {
    const path = 'usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec';
    const r = await runAnalyzer(rubyAnalyzer, new Map([[path, readFileSync(join(FIX, 'rack-2.2.22.gemspec'))]]));
    assert.deepEqual(r.draft.packages, [
      { type: 'gem', name: 'rack', version: '2.2.22', licenses: ['MIT'], location: { path } },
    ]);
  });
  test('garbage is counted, never fatal', async () => {
    const r = await runAnalyzer(
      rubyAnalyzer,
      new Map([
        ['a/specifications/x.gemspec', garbage(500)],
        ['b/Gemfile.lock', garbage(500)],
      ]),
    );
    assert.deepEqual(r.draft.packages, []);
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['GEMSPEC_INVALID'],
    );
  });
});
