// The README's promises stay true: its two opening commands are the ones CI and the example test
// run, and every relative link in README.md, docs/ and examples/ points at a file that exists.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The first line of each ```sh block, in order. */
function shellBlocks(md: string): string[] {
  return [...md.matchAll(/```sh\n([^\n]*)\n/g)].map((m) => m[1] ?? '');
}

describe('README.md', () => {
  test('opens with the install-and-run command, then the test command', () => {
    const [first, second] = shellBlocks(readme);
    assert.equal(
      first,
      'eval "$(scripts/install.sh)" && bin/bollard db import test/fixtures/vuln/osv/Debian/all.zip && bin/bollard image examples/debian-mini',
    );
    assert.equal(second, 'sudo scripts/test-env.sh up && npm test');
  });

  test('.ci/run runs the README test command verbatim', () => {
    const ci = readFileSync(join(repo, '.ci', 'run'), 'utf8');
    const m = /^TEST_COMMAND='([^']*)'$/m.exec(ci);
    assert.ok(m, '.ci/run has no TEST_COMMAND line');
    assert.equal(m[1], shellBlocks(readme)[1]);
    assert.match(ci, /eval "\$TEST_COMMAND"/);
  });

  test('the scripts the commands name exist and are executable', () => {
    for (const s of ['scripts/install.sh', 'scripts/install-node.sh', 'scripts/test-env.sh', 'bin/bollard']) {
      const p = join(repo, s);
      assert.ok(existsSync(p), s);
      assert.equal(readFileSync(p).subarray(0, 2).toString(), '#!', `${s} has no shebang`);
      assert.ok((statSync(p).mode & 0o111) !== 0, `${s} is not executable`);
    }
  });

  test('every command in the tour has its docs page', () => {
    for (const page of [
      'image',
      'db',
      'report',
      'filters',
      'risk',
      'sbom-scan',
      'languages',
      'secrets',
      'licenses',
      'config',
      'rbac',
      'netpol',
      'runtime',
      'signing',
      'sbom',
      'inventory',
      'version',
      'cache',
      'targets',
      'limits',
      'development',
    ]) {
      assert.ok(existsSync(join(repo, 'docs', `${page}.md`)), `docs/${page}.md`);
      assert.ok(readme.includes(`docs/${page}.md`), `README links docs/${page}.md`);
    }
  });

  test('relative links in README.md, docs/ and examples/ resolve', () => {
    const files = [
      'README.md',
      ...readdirSync(join(repo, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
      'examples/README.md',
    ];
    const broken: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(repo, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] ?? '').split('#')[0] ?? '';
        if (target === '' || /^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(repo, dirname(f), target))) broken.push(`${f} -> ${m[1]}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
