// The package as users get it: `npm pack` ships the compiled API and the CLI, the typed API works
// from dist/, and `npm install -g` of the tarball gives a working `bollard` command.
// Needs the npm registry for the dependencies of the installed tarball.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as Api from '../src/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = join(root, 'examples', 'debian-mini');
const work = mkdtempSync(join(tmpdir(), 'bollard-package-'));
after(() => rmSync(work, { recursive: true, force: true }));

const npm = (...args: string[]): string =>
  execFileSync('npm', args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

describe('the npm package', () => {
  let tarball = '';

  test('npm pack ships dist/ with types and the CLI, and no tests or fixtures', () => {
    const [info] = JSON.parse(npm('pack', '--json', '--pack-destination', work)) as {
      filename: string;
      files: { path: string }[];
    }[];
    assert.ok(info);
    tarball = join(work, info.filename);
    const files = info.files.map((f) => f.path);
    for (const f of [
      'bin/bollard',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'package.json',
      'README.md',
    ]) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    assert.deepEqual(
      files.filter((f) => /\.test\.|__fixtures__|\/testing\//.test(f)),
      [],
    );
  });

  test('the programmatic API from dist/: inventory and generateSbom', async () => {
    const api = (await import(join(root, 'dist', 'index.js'))) as typeof Api;
    const r = await api.inventory(example, { cacheDir: false });
    assert.equal(r.inventory.os?.family, 'debian');
    assert.ok(r.inventory.packages.length > 5);
    const bom = JSON.parse(await api.generateSbom(example, { format: 'spdx-json', cacheDir: false })) as {
      spdxVersion: string;
    };
    assert.equal(bom.spdxVersion, 'SPDX-2.3');
    assert.equal(api.parseReference('alpine').repository, 'library/alpine');
    const types = readFileSync(join(root, 'dist', 'index.d.ts'), 'utf8');
    assert.match(
      types,
      /export declare function inventory\(target: string, options\?: InventoryOptions\): Promise<InventoryResult>/,
    );
  });

  test('npm install -g of the tarball gives a working bollard command', () => {
    const prefix = join(work, 'global');
    npm('install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball);
    const out = execFileSync(join(prefix, 'bin', 'bollard'), ['sbom', example, '--format', 'cyclonedx', '--no-cache'], {
      encoding: 'utf8',
    });
    const bom = JSON.parse(out) as { specVersion: string; components: unknown[] };
    assert.equal(bom.specVersion, '1.6');
    assert.ok(bom.components.length > 5);
  });
});
