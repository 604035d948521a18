import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fsCommand } from '../../cli/fs.ts';
import type { Report } from '../../report/types.ts';
import { inventoryProject, SkipList } from './project.ts';

const analyzers = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'bollard-fs-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A monorepo with lockfiles of several ecosystems, a .gitignore, and directories to skip. */
function project(): string {
  const root = join(work, `p${readdirSync(work).length}`);
  const put = (p: string, from: string): void => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    cpSync(join(analyzers, from), join(root, p));
  };
  put('web/package-lock.json', 'npm/__fixtures__/npm-v3/package-lock.json');
  put('api/poetry.lock', 'python/__fixtures__/poetry.lock');
  put('svc/Cargo.lock', 'rust/__fixtures__/Cargo.lock');
  put('legacy/yarn.lock', 'npm/__fixtures__/yarn-v1/yarn.lock');
  put('examples/demo/Gemfile.lock', 'ruby/__fixtures__/Gemfile.lock');
  put('build/out/composer.lock', 'php/__fixtures__/composer.lock');
  put('.git/packed/package-lock.json', 'npm/__fixtures__/npm-v1/package-lock.json');
  writeFileSync(join(root, '.gitignore'), '# build output\n/build/\n*.tmp\n');
  return root;
}

describe('bollard fs: project directories', () => {
  test('every lockfile is found; .gitignore, --skip-dirs and --skip-files are honoured; .git is never entered', async () => {
    const root = project();
    const inv = await inventoryProject(root, { skipDirs: ['examples'], skipFiles: ['legacy/yarn.lock'] });
    const files = [...new Set(inv.inventory.packages.map((p) => p.location.path))].sort();
    assert.deepEqual(files, ['api/poetry.lock', 'svc/Cargo.lock', 'web/package-lock.json']);
    assert.equal(inv.target.path, root);
    assert.ok(inv.inventory.packages.every((p) => p.purl?.startsWith('pkg:')));
    assert.equal(inv.inventory.os, undefined);
    // build/ (.gitignore), examples/ (--skip-dirs), legacy/yarn.lock (--skip-files) and .git/.
    assert.equal(
      inv.warnings.find((w) => w.code === 'SKIPPED_BY_RULE')?.message,
      '4 entries were left out by the skip lists and .gitignore',
    );
    const all = await inventoryProject(root, { gitignore: false });
    assert.ok(all.inventory.packages.some((p) => p.location.path === 'build/out/composer.lock'));
    assert.ok(!all.inventory.packages.some((p) => p.location.path.startsWith('.git/')));
  });

  test('gitignore-style patterns: anchoring, directories only, **, negation', () => {
    const s = new SkipList();
    s.addLines('node_modules/\n/dist\n**/fixtures/**\n*.lock\n!keep.lock\n');
    assert.equal(s.skips('a/b/node_modules', true), true);
    assert.equal(s.skips('a/b/node_modules', false), false, 'a trailing slash matches directories only');
    assert.equal(s.skips('dist', true), true);
    assert.equal(s.skips('src/dist', true), false, 'a leading slash anchors at the root');
    assert.equal(s.skips('x/fixtures/y/z.json', false), true);
    assert.equal(s.skips('app/poetry.lock', false), true);
    assert.equal(s.skips('app/keep.lock', false), false, 'the last matching rule wins');
  });

  test('fs command: the vulnerability report of a project directory (JSON)', async () => {
    const root = project();
    const db = join(work, 'fs.db');
    const osv = join(analyzers, 'lang/__fixtures__/osv');
    execFileSync(join(analyzers, '../../bin/bollard'), [
      'db',
      'build',
      '-q',
      '-o',
      db,
      ...readdirSync(osv).map((e) => join(osv, e)),
    ]);
    const out = join(work, 'report.json');
    const cmd = fsCommand();
    cmd.exitOverride();
    await cmd.parseAsync([root, '--db', db, '-f', 'json', '-o', out, '-q', '--skip-dirs', 'examples,legacy'], {
      from: 'user',
    });
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    const targets = report.results.filter((r) => r.class === 'lang-pkgs').map((r) => r.target);
    assert.deepEqual(targets.sort(), ['api/poetry.lock', 'svc/Cargo.lock', 'web/package-lock.json']);
    const ids = report.results.flatMap((r) => (r.vulnerabilities ?? []).map((v) => `${v.package.name} ${v.id}`));
    assert.ok(ids.includes('lodash GHSA-35jh-r3h4-6jhm'), 'lodash 4.17.4 in the npm lockfile');
    assert.ok(ids.includes('smallvec RUSTSEC-2021-0003'), 'smallvec 1.6.0 in Cargo.lock');
  });
});
