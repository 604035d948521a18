// Acceptance #7.2: the secret scanner on real trees that hold no live credentials yields at most a
// handful of findings, each explained here. Needs `scripts/test-env.sh up` (the Debian root) and the
// Node packages of this machine: the project's node_modules and the system npm's
// (/usr/lib/node_modules, Debian's Node 20 install), a few hundred packages together.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inventoryTarget } from '../../src/scan/service.ts';
import { collectSecrets, createSecretAnalyzer, createSecretScanner } from '../../src/secrets/index.ts';
import type { SecretFinding } from '../../src/secrets/types.ts';
import { testEnv } from '../helpers/env.ts';

const PROJECT_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
const SYSTEM_MODULES = '/usr/lib/node_modules';

async function scanDir(dir: string): Promise<{ findings: SecretFinding[]; files: number }> {
  const scanner = createSecretScanner();
  const collector = createSecretAnalyzer(scanner);
  const inv = await inventoryTarget(`dir:${dir}`, { cacheDir: false, analyzers: [collector.analyzer] });
  return { findings: collectSecrets(inv, collector, scanner), files: collector.stats().files };
}

/** Packages in a node_modules tree: every directory holding a package.json below a node_modules. */
function countPackages(root: string): number {
  let n = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > 12) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name.startsWith('@')) walk(p, depth + 1);
      else {
        if (existsSync(join(p, 'package.json'))) n++;
        if (existsSync(join(p, 'node_modules'))) walk(join(p, 'node_modules'), depth + 1);
      }
    }
  };
  walk(root, 0);
  return n;
}

const rows = (fs: SecretFinding[]): string[] => fs.map((f) => `${f.ruleId} ${f.file}:${f.startLine}`).sort();

describe('secret scanner false positives (acceptance #7.2; needs test-env)', () => {
  test('a real Debian 12 root, /usr and /etc: no findings', async () => {
    const root = testEnv().rootfs;
    for (const dir of ['usr', 'etc']) {
      const { findings, files } = await scanDir(join(root, dir));
      assert.ok(files > (dir === 'usr' ? 1000 : 50), `${dir}: only ${files} text files scanned`);
      assert.deepEqual(rows(findings), [], dir);
    }
  });

  test('real node_modules trees of a few hundred packages: two findings, both documentation examples', async () => {
    assert.ok(existsSync(SYSTEM_MODULES), `${SYSTEM_MODULES} (Debian's npm) is required for this test`);
    const packages = countPackages(PROJECT_MODULES) + countPackages(SYSTEM_MODULES);
    assert.ok(packages >= 250, `only ${packages} packages`);
    const project = await scanDir(PROJECT_MODULES);
    const system = await scanDir(SYSTEM_MODULES);
    assert.ok(project.files + system.files > 6000, `${project.files + system.files} files`);
    assert.deepEqual(rows(project.findings), [
      // README example: `const PASSWORD = 'correct-horse-battery-staple'` (xkcd's passphrase, for scrypt).
      // A quoted passphrase with entropy above the gate is exactly what the generic rule is for.
      'generic-password @noble/ciphers/README.md:286',
    ]);
    assert.deepEqual(rows(system.findings), [
      // README example: `password: 'bm90IG15IHJlYWwgcGFzc3dvcmQ='`, base64 of "not my real password".
      'generic-password npm/node_modules/@npmcli/arborist/README.md:47',
    ]);
  });
});
