// Acceptance 2 of issue #8: interoperability with an independent implementation of cosign's key
// format and tag scheme (the project's shared recipes, copied to test/fixtures/cosign-interop).
// Needs `scripts/test-env.sh up` (the registry) and the npm registry once (tweetnacl for the scripts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { keyId, loadPrivateKey, loadPublicKey } from '../../src/signing/keys/index.ts';
import { freshRepo, pushImage, registryClient } from './signing-registry.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/cosign-interop/', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
const TOOLS = join(tmpdir(), 'bollard-cosign-interop-tweetnacl-1.0.3');
const work = mkdtempSync(join(tmpdir(), 'bollard-interop-'));
const client = registryClient();
const PASS = 'interop passphrase';

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, BOLLARD_PASSWORD: undefined, ...env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const script = (name: string, ...args: string[]) => run(process.execPath, [join(TOOLS, name), ...args]);
const bollard = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [CLI, ...args], env);

before(() => {
  mkdirSync(TOOLS, { recursive: true });
  if (!existsSync(join(TOOLS, 'node_modules', 'tweetnacl', 'package.json'))) {
    const r = spawnSync(
      'npm',
      ['install', '--prefix', TOOLS, '--no-audit', '--no-fund', '--no-save', 'tweetnacl@1.0.3'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, `npm install tweetnacl@1.0.3 for the interop scripts failed: ${r.stderr}`);
  }
  for (const f of ['package.json', 'gen-sigstore-key.mjs', 'cosign-sign.mjs', 'cosign-verify.mjs'])
    copyFileSync(join(FIXTURES, f), join(TOOLS, f));
  writeFileSync(join(work, 'pass.txt'), PASS);
});
after(async () => {
  await client.close();
  rmSync(work, { recursive: true, force: true });
});

describe('cosign interoperability with the independent recipe scripts (needs test-env)', () => {
  test('a key written by the independent keygen loads in Bollard; a Bollard key loads in the independent signer', () => {
    const g = script('gen-sigstore-key.mjs', join(work, 'ext'), join(work, 'pass.txt'));
    assert.equal(g.code, 0, g.stderr);
    const priv = loadPrivateKey(readFileSync(join(work, 'ext.key')), () => PASS);
    assert.equal(keyId(priv), keyId(loadPublicKey(readFileSync(join(work, 'ext.pub')))));
    const k = bollard(['keygen', '--output-key-prefix', join(work, 'bol')], { BOLLARD_PASSWORD: PASS });
    assert.equal(k.code, 0, k.stderr);
  });

  test('an image signed by the independent signer verifies with bollard verify', async () => {
    const repo = freshRepo('interop-in');
    const img = await pushImage(client, repo, 'v1', 'signed elsewhere');
    const s = script(
      'cosign-sign.mjs',
      repo.registry,
      repo.repository,
      'v1',
      join(work, 'ext.key'),
      join(work, 'pass.txt'),
    );
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).image, `${repo.registry}/${repo.repository}@${img.digest}`);
    const v = bollard(['verify', '--key', join(work, 'ext.pub'), img.ref, '--format', 'json']);
    assert.equal(v.code, 0, v.stderr);
    const r = JSON.parse(v.stdout) as { verified: boolean; signatures: { scheme: string; verified: boolean }[] };
    assert.deepEqual(
      r.signatures.map((x) => [x.scheme, x.verified]),
      [['cosign-tag', true]],
    );
    const wrong = bollard(['verify', '--key', join(work, 'bol.pub'), img.ref]);
    assert.equal(wrong.code, 1);
  });

  test('an image signed by bollard sign verifies with the independent verifier (and not with another key)', async () => {
    const repo = freshRepo('interop-out');
    const img = await pushImage(client, repo, 'v1', 'signed by bollard');
    const s = bollard(['sign', '--key', join(work, 'bol.key'), img.ref, '-a', 'origin=bollard'], {
      COSIGN_PASSWORD: PASS,
    });
    assert.equal(s.code, 0, s.stderr);
    const v = script('cosign-verify.mjs', repo.registry, repo.repository, 'v1', join(work, 'bol.pub'));
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.deepEqual(JSON.parse(v.stdout), { verified: true, digest: img.digest });
    const no = script('cosign-verify.mjs', repo.registry, repo.repository, 'v1', join(work, 'ext.pub'));
    assert.equal(no.code, 1);
    assert.equal(JSON.parse(no.stdout).verified, false);
  });

  test('after the independent signer rewrites the signature image, Bollard appends to it and both verify', async () => {
    const repo = freshRepo('interop-mixed');
    const img = await pushImage(client, repo, 'v1', 'two tools');
    assert.equal(bollard(['sign', '--key', join(work, 'bol.key'), img.ref], { BOLLARD_PASSWORD: PASS }).code, 0);
    // The recipe writes a fresh one-layer manifest (it does not append): cosign-compatible tools must
    // see the latest writer's signature. Bollard then appends to it.
    assert.equal(
      script('cosign-sign.mjs', repo.registry, repo.repository, 'v1', join(work, 'bol.key'), join(work, 'pass.txt'))
        .code,
      0,
    );
    assert.equal(
      bollard(['sign', '--key', join(work, 'bol.key'), img.ref, '-a', 'second=yes'], { BOLLARD_PASSWORD: PASS }).code,
      0,
    );
    assert.equal(script('cosign-verify.mjs', repo.registry, repo.repository, 'v1', join(work, 'bol.pub')).code, 0);
    const v = bollard(['verify', '--key', join(work, 'bol.pub'), img.ref, '--format', 'json']);
    const r = JSON.parse(v.stdout) as { signatures: { verified: boolean }[] };
    assert.deepEqual(
      r.signatures.map((x) => x.verified),
      [true, true],
    );
  });
});
