// Acceptance 1, 3 and 4 of issue #8 against the loopback docker-registry (distribution 2.8, no
// referrers API): round trips through the CLI, then every tampering with its precise reason.
// Needs `scripts/test-env.sh up` (the registry).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseManifestDocument } from '../../src/oci/manifest.ts';
import { MediaType } from '../../src/oci/types.ts';
import { signImage, verifyImage } from '../../src/signing/cosign/index.ts';
import { buildPayload, SIGNATURE_ANNOTATION } from '../../src/signing/cosign/payload.ts';
import { keyId, loadPrivateKey, loadPublicKey } from '../../src/signing/keys/index.ts';
import { attachedTag } from '../../src/signing/oci.ts';
import type { KeyAuthority, SigningKey } from '../../src/signing/types.ts';
import type { digestOf } from '../../src/util/digest.ts';
import { freshRepo, limits, pushImage, pushIndex, registryClient } from './signing-registry.ts';

const CLI = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bollard-signing-e2e-'));
const client = registryClient();
after(async () => {
  await client.close();
  rmSync(work, { recursive: true, force: true });
});

function bollard(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, BOLLARD_PASSWORD: undefined, COSIGN_PASSWORD: undefined, NO_COLOR: '1', ...env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const PASS_A = 'correct horse battery staple';
const PASS_B = 'another passphrase';

function keygen(prefix: string, pass: string): void {
  const r = bollard(['keygen', '--output-key-prefix', join(work, prefix)], { BOLLARD_PASSWORD: pass });
  assert.equal(r.code, 0, r.stderr);
}

function signer(prefix: string, pass: string): SigningKey {
  const key = loadPrivateKey(readFileSync(join(work, `${prefix}.key`)), () => pass);
  return { key, keyId: keyId(key) };
}

function authority(prefix: string): KeyAuthority {
  const key = loadPublicKey(readFileSync(join(work, `${prefix}.pub`)));
  return { kind: 'key', name: prefix, key, keyId: keyId(key) };
}

before(() => {
  keygen('a', PASS_A);
  keygen('b', PASS_B);
});

describe('signing round trips on the loopback registry (needs test-env)', () => {
  test('keygen writes a cosign-format encrypted key (0600) and a public key', () => {
    const key = readFileSync(join(work, 'a.key'), 'utf8');
    assert.match(key, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const env = JSON.parse(Buffer.from(key.split('\n').slice(1, -2).join(''), 'base64').toString('utf8'));
    assert.deepEqual(env.kdf.params, { N: 32768, r: 8, p: 1 });
    assert.equal(env.cipher.name, 'nacl/secretbox');
    assert.match(readFileSync(join(work, 'a.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  });

  test('keygen → sign → verify; the signature names the digest, never the tag', async () => {
    const repo = freshRepo('roundtrip');
    const img = await pushImage(client, repo, 'v1', 'round trip');
    const s = bollard(['sign', '--key', join(work, 'a.key'), img.ref, '-a', 'env=prod'], { COSIGN_PASSWORD: PASS_A });
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, new RegExp(`sha256-${img.digest.slice(7)}\\.sig`));
    const v = bollard(['verify', '--key', join(work, 'a.pub'), img.ref, '-a', 'env=prod']);
    assert.equal(v.code, 0, v.stderr);
    const payloads = JSON.parse(v.stdout) as {
      critical: { image: Record<string, string>; identity: Record<string, string> };
    }[];
    assert.equal(payloads.length, 1);
    assert.equal(payloads[0]!.critical.image['docker-manifest-digest'], img.digest);
    assert.equal(payloads[0]!.critical.identity['docker-reference'], `${repo.registry}/${repo.repository}`);
    const json = bollard([
      'verify',
      '--key',
      join(work, 'a.pub'),
      `${repo.registry}/${repo.repository}@${img.digest}`,
      '--format',
      'json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).verified, true);
  });

  test('two signers append; verify succeeds with either key and fails with neither', async () => {
    const repo = freshRepo('twokeys');
    const img = await pushImage(client, repo, 'v1', 'two keys');
    assert.equal(bollard(['sign', '--key', join(work, 'a.key'), img.ref], { BOLLARD_PASSWORD: PASS_A }).code, 0);
    const s2 = bollard(['sign', '--key', join(work, 'b.key'), img.ref], { BOLLARD_PASSWORD: PASS_B });
    assert.equal(s2.code, 0, s2.stderr);
    assert.match(s2.stdout, /\(2 signatures\)/);
    for (const k of ['a', 'b']) {
      const v = bollard(['verify', '--key', join(work, `${k}.pub`), img.ref, '--format', 'json']);
      assert.equal(v.code, 0, v.stderr);
      const r = JSON.parse(v.stdout) as { signatures: { verified: boolean }[] };
      assert.deepEqual(r.signatures.map((x) => x.verified).sort(), [false, true]);
    }
    keygen('c', 'c');
    const none = bollard(['verify', '--key', join(work, 'c.pub'), img.ref]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /does not verify with key/);
  });

  test('--bundle attaches a Sigstore bundle via the referrers tag schema; verify accepts it alone', async () => {
    const repo = freshRepo('bundle');
    const img = await pushImage(client, repo, 'v1', 'bundle');
    const s = bollard(['sign', '--key', join(work, 'a.key'), img.ref, '--bundle'], { BOLLARD_PASSWORD: PASS_A });
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /via tag-schema/);
    const index = await client.getManifest(
      { ...repo, reference: `sha256-${img.digest.slice(7)}` },
      { accept: MediaType.ociIndex },
    );
    const doc = parseManifestDocument(index.raw, limits);
    assert.equal(doc.kind, 'index');
    const v = bollard([
      'verify',
      '--key',
      join(work, 'a.pub'),
      img.ref,
      '--scheme',
      'sigstore-bundle',
      '--format',
      'json',
    ]);
    assert.equal(v.code, 0, v.stderr);
    const r = JSON.parse(v.stdout) as {
      signatures: { scheme: string; verified: boolean; payload: { predicateType: string } }[];
    };
    assert.equal(r.signatures.length, 1);
    assert.equal(r.signatures[0]!.payload.predicateType, 'https://sigstore.dev/cosign/sign/v1');
  });

  test('multi-arch index: sign the index, and with --recursive every platform manifest', async () => {
    const repo = freshRepo('multiarch');
    const { index, children } = await pushIndex(client, repo, 'multi');
    const s = bollard(['sign', '--key', join(work, 'a.key'), index.ref, '--recursive', '--format', 'json'], {
      BOLLARD_PASSWORD: PASS_A,
    });
    assert.equal(s.code, 0, s.stderr);
    const r = JSON.parse(s.stdout) as { digest: string; signed: { digest: string; platform?: string }[] };
    assert.equal(r.digest, index.digest);
    assert.deepEqual(
      r.signed.map((x) => x.digest),
      [index.digest, ...children.map((c) => c.digest)],
    );
    assert.deepEqual(
      r.signed.map((x) => x.platform),
      [undefined, 'linux/amd64', 'linux/arm64'],
    );
    for (const ref of [index.ref, ...children.map((c) => `${repo.registry}/${repo.repository}@${c.digest}`)]) {
      const v = bollard(['verify', '--key', join(work, 'a.pub'), ref]);
      assert.equal(v.code, 0, `${ref}: ${v.stderr}`);
    }
  });

  test('attest an SBOM (CycloneDX) and verify it; a wrong key is rejected', async () => {
    const repo = freshRepo('attest');
    const img = await pushImage(client, repo, 'v1', 'attest');
    const sbom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      components: [{ type: 'library', name: 'zlib', version: '1.2.13' }],
    };
    writeFileSync(join(work, 'sbom.json'), JSON.stringify(sbom));
    const a = bollard(
      ['attest', '--key', join(work, 'a.key'), '--type', 'cyclonedx', '--predicate', join(work, 'sbom.json'), img.ref],
      {
        BOLLARD_PASSWORD: PASS_A,
      },
    );
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, new RegExp(`sha256-${img.digest.slice(7)}\\.att`));
    const v = bollard(['verify-attestation', '--key', join(work, 'a.pub'), '--type', 'cyclonedx', img.ref]);
    assert.equal(v.code, 0, v.stderr);
    const st = JSON.parse(v.stdout.trim().split('\n')[0]!) as {
      predicateType: string;
      predicate: typeof sbom;
      subject: { digest: { sha256: string } }[];
    };
    assert.equal(st.predicateType, 'https://cyclonedx.org/bom');
    assert.deepEqual(st.predicate, sbom);
    assert.equal(`sha256:${st.subject[0]!.digest.sha256}`, img.digest);
    const wrong = bollard(['verify-attestation', '--key', join(work, 'b.pub'), img.ref]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /does not verify with the given key/);
    const other = bollard(['verify-attestation', '--key', join(work, 'a.pub'), '--type', 'vuln', img.ref]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /no attestations found/);
  });

  test('sign-blob / verify-blob with a signature and with a bundle; an altered file fails', () => {
    writeFileSync(join(work, 'db.tar'), 'database bundle v1\n');
    const s = bollard(
      [
        'sign-blob',
        '--key',
        join(work, 'a.key'),
        '--bundle',
        join(work, 'db.bundle'),
        '--output-signature',
        join(work, 'db.sig'),
        join(work, 'db.tar'),
      ],
      {
        BOLLARD_PASSWORD: PASS_A,
      },
    );
    assert.equal(s.code, 0, s.stderr);
    assert.equal(
      JSON.parse(readFileSync(join(work, 'db.bundle'), 'utf8')).mediaType,
      'application/vnd.dev.sigstore.bundle.v0.3+json',
    );
    for (const how of [
      ['--signature', join(work, 'db.sig')],
      ['--bundle', join(work, 'db.bundle')],
    ]) {
      const ok = bollard(['verify-blob', '--key', join(work, 'a.pub'), ...how, join(work, 'db.tar')]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /Verified OK/);
    }
    writeFileSync(join(work, 'db2.tar'), 'database bundle v2\n');
    const bad = bollard([
      'verify-blob',
      '--key',
      join(work, 'a.pub'),
      '--signature',
      join(work, 'db.sig'),
      join(work, 'db2.tar'),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /does not verify \(wrong key, or the file was altered\)/);
    const badB = bollard([
      'verify-blob',
      '--key',
      join(work, 'a.pub'),
      '--bundle',
      join(work, 'db.bundle'),
      join(work, 'db2.tar'),
    ]);
    assert.equal(badB.code, 1);
    assert.match(badB.stderr, /file does not match the digest the bundle signs/);
  });
});

describe('every tampering fails with a precise reason (needs test-env)', () => {
  const A = (): SigningKey => signer('a', PASS_A);

  async function signed(
    label: string,
  ): Promise<{ repo: ReturnType<typeof freshRepo>; img: Awaited<ReturnType<typeof pushImage>> }> {
    const repo = freshRepo(label);
    const img = await pushImage(client, repo, 'v1', label);
    await signImage(img.ref, A(), { client, limits, annotations: { env: 'prod' } });
    return { repo, img };
  }

  async function rewriteSigLayer(
    repo: ReturnType<typeof freshRepo>,
    digest: typeof digestOf extends (...a: never[]) => infer R ? R : never,
    change: (payload: Buffer, sig: string) => { payload: Buffer; sig: string },
  ): Promise<void> {
    const tag = attachedTag(digest, 'sig');
    const m = await client.getManifest({ ...repo, reference: tag }, { accept: MediaType.ociManifest });
    const man = JSON.parse(m.raw.toString('utf8'));
    const layer = man.layers[0];
    const payload = await client.getBlobBuffer(repo, layer.digest, 1 << 20);
    const next = change(payload, layer.annotations[SIGNATURE_ANNOTATION]);
    const up = await client.putBlob(repo, next.payload);
    man.layers[0] = { ...layer, digest: up.digest, size: up.size, annotations: { [SIGNATURE_ANNOTATION]: next.sig } };
    await client.putManifest(repo, tag, Buffer.from(JSON.stringify(man)), MediaType.ociManifest);
  }

  const verify = (ref: string, extra: Partial<Parameters<typeof verifyImage>[1]> = {}) =>
    verifyImage(ref, { client, limits, authorities: [authority('a')], ...extra });

  test('changed manifest (tag re-pushed with other content): no signature for the new digest', async () => {
    const { repo, img } = await signed('changed');
    const changed = await pushImage(client, repo, 'v1', 'changed content');
    assert.notEqual(changed.digest, img.digest);
    const v = await verify(img.ref);
    assert.equal(v.verified, false);
    assert.equal(v.digest, changed.digest);
    assert.equal(v.signatures.length, 0);
  });

  test('re-pointed tag with the old signature copied over: the payload names the other digest', async () => {
    const { repo, img } = await signed('repoint');
    const evil = await pushImage(client, repo, undefined, 'evil');
    const evilRaw = (await client.getManifest({ ...repo, reference: evil.digest })).raw;
    await client.putManifest(repo, 'v1', evilRaw, MediaType.ociManifest);
    const sig = await client.getManifest(
      { ...repo, reference: attachedTag(img.digest, 'sig') },
      { accept: MediaType.ociManifest },
    );
    await client.putManifest(repo, attachedTag(evil.digest, 'sig'), sig.raw, MediaType.ociManifest);
    const v = await verify(img.ref);
    assert.equal(v.verified, false);
    assert.equal(
      v.signatures[0]!.reason,
      `the signature is for ${img.digest}, but ${repo.registry}/${repo.repository}:v1 resolves to ${evil.digest}`,
    );
  });

  test('swapped payload (signature kept): the signature no longer verifies', async () => {
    const { repo, img } = await signed('swapped');
    await rewriteSigLayer(repo, img.digest, (_p, sig) => ({
      payload: buildPayload(`${repo.registry}/${repo.repository}`, img.digest, { env: 'prod', approved: 'yes' }),
      sig,
    }));
    const v = await verify(img.ref);
    assert.equal(v.verified, false);
    assert.match(
      v.signatures[0]!.reason ?? '',
      /^the signature does not verify with key [0-9a-f]{16} \(wrong key, or the payload was altered\)$/,
    );
  });

  test('wrong key', async () => {
    const { img } = await signed('wrongkey');
    const v = await verify(img.ref, { authorities: [authority('b')] });
    assert.equal(v.verified, false);
    assert.match(
      v.signatures[0]!.reason ?? '',
      new RegExp(`does not verify with key ${authority('b').keyId.slice(0, 16)}`),
    );
  });

  test('truncated signature', async () => {
    const { repo, img } = await signed('truncated');
    await rewriteSigLayer(repo, img.digest, (payload, sig) => ({
      payload,
      sig: Buffer.from(sig, 'base64').subarray(0, 40).toString('base64'),
    }));
    const v = await verify(img.ref);
    assert.equal(v.verified, false);
    assert.match(
      v.signatures[0]!.reason ?? '',
      /^the signature is malformed \(40 bytes, not a complete ASN\.1 DER signature: truncated\?\)$/,
    );
  });

  test('annotation mismatch and missing annotation', async () => {
    const { img } = await signed('annotations');
    const v = await verify(img.ref, { annotations: { env: 'staging' } });
    assert.equal(v.signatures[0]!.reason, 'annotation env: signed value "prod", required "staging"');
    const w = await verify(img.ref, { annotations: { ticket: 'SEC-1' } });
    assert.equal(w.signatures[0]!.reason, 'annotation ticket is required (=SEC-1) but the signature has none');
    assert.equal((await verify(img.ref, { annotations: { env: 'prod' } })).verified, true);
  });

  test('identity mismatch: a signature copied to another repository', async () => {
    const { repo, img } = await signed('identity');
    const other = freshRepo('identity-copy');
    const raw = (await client.getManifest({ ...repo, reference: img.digest })).raw;
    const man = parseManifestDocument(raw, limits);
    assert.equal(man.kind, 'manifest');
    if (man.kind !== 'manifest') return;
    for (const d of [man.manifest.config, ...man.manifest.layers])
      await client.putBlob(other, await client.getBlobBuffer(repo, d.digest, 1 << 24));
    await client.putManifest(other, 'v1', raw, MediaType.ociManifest);
    const sigRaw = (
      await client.getManifest(
        { ...repo, reference: attachedTag(img.digest, 'sig') },
        { accept: MediaType.ociManifest },
      )
    ).raw;
    const sigMan = parseManifestDocument(sigRaw, limits);
    if (sigMan.kind !== 'manifest') throw new Error('not a manifest');
    for (const d of [sigMan.manifest.config, ...sigMan.manifest.layers])
      await client.putBlob(other, await client.getBlobBuffer(repo, d.digest, 1 << 24));
    await client.putManifest(other, attachedTag(img.digest, 'sig'), sigRaw, MediaType.ociManifest);
    const v = await verify(`${other.registry}/${other.repository}:v1`);
    assert.equal(v.verified, false);
    assert.equal(
      v.signatures[0]!.reason,
      `the signed identity (docker-reference) is "${repo.registry}/${repo.repository}", expected "${other.registry}/${other.repository}"`,
    );
    // The operator can accept the original identity explicitly (images promoted between registries).
    const ok = await verify(`${other.registry}/${other.repository}:v1`, {
      identity: `${repo.registry}/${repo.repository}`,
    });
    assert.equal(ok.verified, true);
  });

  test('a wrong passphrase fails cleanly and no key material reaches stdout or stderr', () => {
    const keyText = readFileSync(join(work, 'a.key'), 'utf8');
    const r = bollard(['sign', '--key', join(work, 'a.key'), `${freshRepo('x').registry}/none/none:v1`], {
      BOLLARD_PASSWORD: 'not it',
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `bollard: key ${join(work, 'a.key')}: cannot decrypt: wrong passphrase or corrupt key\n`);
    assert.equal(r.stdout, '');
    const body = keyText.split('\n').slice(1, -2).join('');
    for (const out of [r.stderr, r.stdout]) {
      assert.ok(!out.includes('not it'));
      assert.ok(!out.includes(body.slice(20, 60)));
    }
    const noPass = bollard(['sign', '--key', join(work, 'a.key'), 'x/y:z']);
    assert.equal(noPass.code, 2);
    assert.match(noPass.stderr, /set BOLLARD_PASSWORD or COSIGN_PASSWORD/);
  });

  test('debug logs of a successful sign carry no key material or passphrase', async () => {
    const repo = freshRepo('logs');
    const img = await pushImage(client, repo, 'v1', 'logs');
    const r = bollard(['sign', '--key', join(work, 'a.key'), img.ref, '--debug', '--log-format', 'json'], {
      BOLLARD_PASSWORD: PASS_A,
    });
    assert.equal(r.code, 0, r.stderr);
    const keyText = readFileSync(join(work, 'a.key'), 'utf8');
    const pkcs8 = signer('a', PASS_A).key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    for (const out of [r.stdout, r.stderr]) {
      assert.ok(!out.includes(PASS_A));
      assert.ok(!out.includes(keyText.split('\n')[1]!));
      assert.ok(!out.includes(pkcs8.slice(40, 80)));
    }
  });
});

describe('trust policy: bollard verify --policy explains each verdict (needs test-env)', () => {
  function report(critical: number, daysAgo: number): string {
    const at = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    return JSON.stringify({
      schemaVersion: '1.0',
      tool: { name: 'bollard', version: '0.1.0' },
      createdAt: at,
      summary: { CRITICAL: critical, HIGH: 3, MEDIUM: 0, LOW: 0, UNKNOWN: 0 },
      results: [],
    });
  }

  test('signed with a fresh clean scan: allowed; critical finding, stale scan, unsigned, unmatched: denied', async () => {
    const repo = freshRepo('policy');
    const policyFile = join(work, 'policy.yaml');
    writeFileSync(
      policyFile,
      `kind: TrustPolicy
defaults: { action: deny }
rules:
  - name: signed-and-scanned
    images: ["${repo.registry}/${repo.repository}"]
    signatures:
      authorities: [{ name: release, key: a.pub }]
    attestations:
      - { name: fresh-scan, type: vuln, maxAge: 7d, maxSeverity: HIGH }
`,
    );
    const sign = (ref: string) =>
      assert.equal(bollard(['sign', '--key', join(work, 'a.key'), ref], { BOLLARD_PASSWORD: PASS_A }).code, 0);
    const attest = (ref: string, critical: number, days: number) => {
      const f = join(work, `scan-${critical}-${days}.json`);
      writeFileSync(f, report(critical, days));
      const r = bollard(['attest', '--key', join(work, 'a.key'), '--type', 'vuln', '--predicate', f, ref], {
        BOLLARD_PASSWORD: PASS_A,
      });
      assert.equal(r.code, 0, r.stderr);
    };
    const good = await pushImage(client, repo, 'good', 'good');
    sign(good.ref);
    attest(good.ref, 0, 1);
    const ok = bollard(['verify', '--policy', policyFile, good.ref]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(
      ok.stdout,
      /^ALLOWED .* \(rule signed-and-scanned\)\n {2}pass signatures: signed by release .*\n {2}pass attestation fresh-scan: https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1 attestation by key /,
    );

    const crit = await pushImage(client, repo, 'critical', 'critical');
    sign(crit.ref);
    attest(crit.ref, 1, 1);
    const c = bollard(['verify', '--policy', policyFile, crit.ref, '--format', 'json']);
    assert.equal(c.code, 1);
    const cv = JSON.parse(c.stdout) as { allowed: boolean; checks: { name: string; status: string; reason: string }[] };
    assert.equal(cv.allowed, false);
    assert.deepEqual(cv.checks[1], {
      name: 'attestation fresh-scan',
      status: 'failed',
      reason: 'findings above HIGH: 1 CRITICAL',
    });

    const stale = await pushImage(client, repo, 'stale', 'stale');
    sign(stale.ref);
    attest(stale.ref, 0, 10);
    const s = bollard(['verify', '--policy', policyFile, stale.ref]);
    assert.equal(s.code, 1);
    assert.match(s.stdout, /FAIL attestation fresh-scan: made 10\.0d ago \(.*\), older than 7\.0d/);

    const unsigned = await pushImage(client, repo, 'unsigned', 'unsigned');
    const u = bollard(['verify', '--policy', policyFile, unsigned.ref]);
    assert.equal(u.code, 1);
    assert.match(u.stdout, /FAIL signatures: 0 of 1 required signers verified: release: no signatures found/);
    assert.match(
      u.stdout,
      /FAIL attestation fresh-scan: no verified https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1 attestation/,
    );

    const otherRepo = freshRepo('unmatched');
    const other = await pushImage(client, otherRepo, 'v1', 'other');
    const o = bollard(['verify', '--policy', policyFile, other.ref]);
    assert.equal(o.code, 1);
    assert.match(
      o.stdout,
      new RegExp(
        `FAIL default: no rule matches ${otherRepo.registry.replace(/\./g, '\\.')}/${otherRepo.repository}; the default is deny`,
      ),
    );
  });
});
