// composer.lock and vendor/composer/installed.json written by Debian 12's Composer 2.5.5 from a path
// repository of local packages (see __fixtures__/README.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { phpAnalyzer } from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');

describe('PHP (Composer)', () => {
  test('composer.lock: packages and packages-dev, licences, dependencies without platform requirements', async () => {
    const r = await runAnalyzer(
      phpAnalyzer,
      new Map([['app/composer.lock', readFileSync(join(FIX, 'composer.lock'))]]),
    );
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.version, p.dev, p.licenses.join(), (p.dependsOn ?? []).join()]),
      [
        ['guzzlehttp/psr7', '1.8.2', false, 'MIT', 'psr/http-message'],
        ['psr/http-message', '1.0.1', false, 'MIT', ''],
        ['phpunit/phpunit', '9.5.10', true, 'BSD-3-Clause', ''],
      ],
    );
  });
  test('installed.json (Composer 2): dev packages named by dev-package-names; lockfiles inside vendor/ ignored', async () => {
    const r = await runAnalyzer(
      phpAnalyzer,
      new Map([
        ['app/vendor/composer/installed.json', readFileSync(join(FIX, 'installed.json'))],
        ['app/vendor/guzzlehttp/psr7/composer.lock', readFileSync(join(FIX, 'composer.lock'))],
      ]),
    );
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.dev]),
      [
        ['guzzlehttp/psr7', false],
        ['phpunit/phpunit', true],
        ['psr/http-message', false],
      ],
    );
  });
});
