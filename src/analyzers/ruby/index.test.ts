// rack-2.2.22.gemspec: as Debian 12's ruby-rack installs it. bundler-2.3.27/Gemfile.lock: written by
// Debian 12's Bundler 2.3.27 (`bundle lock --local`, against the gems Debian installed system-wide:
// ruby-rack, ruby-rack-test, rake, minitest) for the Gemfile beside it, with a `path` gem. Gemfile.lock:
// Bundler 2.3 layout written by hand, kept for what an offline Bundler cannot write (a GIT source,
// platform-specific variants).
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
  test('Gemfile.lock written by Bundler 2.3.27: GEM and PATH specs, direct from DEPENDENCIES', async () => {
    const r = await runAnalyzer(
      rubyAnalyzer,
      new Map([['app/Gemfile.lock', readFileSync(join(FIX, 'bundler-2.3.27/Gemfile.lock'))]]),
    );
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.version, p.direct, (p.dependsOn ?? []).join(','), p.location.path]),
      [
        ['localgem', '0.1.0', true, 'rack', 'app/Gemfile.lock'],
        ['minitest', '5.15.0', true, '', 'app/Gemfile.lock'],
        ['rack', '2.2.22', true, '', 'app/Gemfile.lock'],
        ['rack-test', '2.0.2', true, 'rack', 'app/Gemfile.lock'],
        ['rake', '13.0.6', true, '', 'app/Gemfile.lock'],
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
