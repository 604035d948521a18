// scripts/test.ts and its plan: which files run, how flags and filters are passed on, and that the
// runner's exit code and node:test summary come through (on a throw-away tree, via BOLLARD_TEST_ROOT).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findTestFiles, isServiceTest, planTests } from '../../scripts/lib/test-plan.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const tree = mkdtempSync(join(tmpdir(), 'bollard-test-runner-'));
after(() => rmSync(tree, { recursive: true, force: true }));

function put(rel: string, text: string): void {
  mkdirSync(dirname(join(tree, rel)), { recursive: true });
  writeFileSync(join(tree, rel), text);
}

const PASS = "import { test } from 'node:test';\ntest('passes', () => {});\n";
const FAIL =
  "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('fails', () => { assert.equal(1, 2); });\n";
put('src/a/one.test.ts', PASS);
put('src/a/two.e2e.test.ts', PASS);
put('src/a/__fixtures__/ignored.test.ts', FAIL);
put('src/a/helper.ts', 'export const x = 1;\n');
put('test/e2e/svc.test.ts', FAIL);
put('test/unit/three.test.ts', PASS);
put('node_modules/pkg/dep.test.ts', FAIL);

describe('test plan', () => {
  test('finds *.test.ts under src/ and test/, skipping fixtures and dependencies', () => {
    assert.deepEqual(findTestFiles(tree), [
      'src/a/one.test.ts',
      'src/a/two.e2e.test.ts',
      'test/e2e/svc.test.ts',
      'test/unit/three.test.ts',
    ]);
  });

  test('service tests are test/e2e/** and *.e2e.test.ts', () => {
    assert.equal(isServiceTest('test/e2e/x/y.test.ts'), true);
    assert.equal(isServiceTest('src/artifact/daemon/daemon.e2e.test.ts'), true);
    assert.equal(isServiceTest('src/layer/tar.test.ts'), false);
    assert.equal(isServiceTest('test/e2e-like/x.test.ts'), false);
  });

  test('--unit and --e2e select; other flags go to node, with their separate values', () => {
    const unit = planTests(tree, ['--unit', '--test-name-pattern', 'whiteout', '--test-only']);
    assert.equal(unit.selection, 'unit');
    assert.deepEqual(unit.files, ['src/a/one.test.ts', 'test/unit/three.test.ts']);
    assert.deepEqual(unit.nodeArgs, ['--test-name-pattern', 'whiteout', '--test-only']);
    const e2e = planTests(tree, ['--e2e', '--test-reporter=tap']);
    assert.deepEqual(e2e.files, ['src/a/two.e2e.test.ts', 'test/e2e/svc.test.ts']);
    assert.deepEqual(e2e.nodeArgs, ['--test-reporter=tap']);
  });

  test('positional filters: a directory, a file, a substring; unmatched filters are reported', () => {
    assert.deepEqual(planTests(tree, ['src/a']).files, ['src/a/one.test.ts', 'src/a/two.e2e.test.ts']);
    assert.deepEqual(planTests(tree, [join(tree, 'test/unit/three.test.ts')]).files, ['test/unit/three.test.ts']);
    assert.deepEqual(planTests(tree, ['three', 'svc']).files, ['test/e2e/svc.test.ts', 'test/unit/three.test.ts']);
    const p = planTests(tree, ['--unit', 'svc', 'one']);
    assert.deepEqual(p.files, ['src/a/one.test.ts']);
    assert.deepEqual(p.unmatched, ['svc']);
  });

  test('everything after -- is a filter', () => {
    const p = planTests(tree, ['--', '--unit']);
    assert.equal(p.selection, 'all');
    assert.deepEqual(p.unmatched, ['--unit']);
  });

  test('the repository itself: every test file is found and this one is a unit test', () => {
    const files = findTestFiles(repo);
    assert.ok(files.includes('test/scripts/test-runner.test.ts'));
    assert.ok(!files.some((f) => f.includes('node_modules') || f.includes('__fixtures__')));
  });
});

describe('scripts/test.ts', () => {
  const runner = join(repo, 'scripts', 'test.ts');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [runner, ...args], {
      encoding: 'utf8',
      env: { ...process.env, BOLLARD_TEST_ROOT: tree, NODE_TEST_CONTEXT: undefined, BOLLARD_TEST_CONCURRENCY: '2' },
    });

  test('--unit runs only the unit files and exits 0 with the node:test summary', () => {
    const r = run('--unit');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ℹ tests 2$/m);
    assert.match(r.stdout, /^ℹ pass 2$/m);
    assert.match(r.stdout, /^ℹ fail 0$/m);
    assert.match(r.stderr, /\[test\] 2 files \(unit\), concurrency 2/);
  });

  test('a failing test makes the run fail, and the summary says so', () => {
    const r = run();
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^ℹ tests 4$/m);
    assert.match(r.stdout, /^ℹ fail 1$/m);
  });

  test('a filter that matches nothing is an error, not an empty green run', () => {
    const r = run('--unit', 'no-such-test');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no unit test file matches: no-such-test/);
  });
});
