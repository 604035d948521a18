// Public Sigstore test vectors (sigstore-conformance, see ../__fixtures__/README.md): they verify,
// and tampered copies fail with a precise reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { verifyBlobBundle } from '../blob/index.ts';
import { keyId, loadPublicKey } from '../keys/index.ts';
import type { KeyAuthority, KeylessAuthority } from '../types.ts';
import { parseBundle, parseTrustedRoot, verifyBundle } from './index.ts';

const fx = (p: string): Buffer => readFileSync(new URL(`../__fixtures__/conformance/${p}`, import.meta.url));
const A_TXT = fx('a.txt');
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

function keyed(withRoot: boolean): KeyAuthority {
  const key = loadPublicKey(fx('intoto-canonical-log-entry/key.pub'));
  return {
    kind: 'key',
    name: 'key.pub',
    key,
    keyId: keyId(key),
    ...(withRoot ? { trustedRoot: parseTrustedRoot(fx('intoto-canonical-log-entry/trusted_root.json')) } : {}),
  };
}

function keyless(over: Partial<KeylessAuthority> = {}): KeylessAuthority {
  return {
    kind: 'keyless',
    name: 'beacon',
    trustedRoot: parseTrustedRoot(fx('keyless-d/trusted_root.json')),
    identity: IDENTITY,
    issuer: ISSUER,
    ...over,
  };
}

/** The keyless vector without its mock-TSA timestamp (see the fixtures README for why). */
/** The parts of the published bundle JSON the tests edit. */
interface Json {
  verificationMaterial: {
    tlogEntries: [{ integratedTime: string; inclusionPromise?: unknown; canonicalizedBody: string }];
    timestampVerificationData: { rfc3161Timestamps: unknown[] };
  };
  dsseEnvelope: { payload: string; signatures: [{ sig: string }] };
}

function keylessBundle(edit: (j: Json) => void = () => {}) {
  const j = JSON.parse(fx('keyless-d/d.txt.good.sigstore').toString('utf8')) as Json;
  j.verificationMaterial.timestampVerificationData.rfc3161Timestamps = [];
  edit(j);
  return parseBundle(JSON.stringify(j));
}

const keyedJson = (): Json =>
  JSON.parse(fx('intoto-canonical-log-entry/bundle.sigstore.json').toString('utf8')) as Json;

describe('keyed bundle vector (sigstore-conformance intoto-canonical-log-entry)', () => {
  test('verifies with its key and trusted root, log entry included', () => {
    const r = verifyBlobBundle(fx('intoto-canonical-log-entry/bundle.sigstore.json'), A_TXT, [keyed(true)]);
    assert.deepEqual(r, {
      verified: true,
      signer: `key ${keyed(true).keyId.slice(0, 16)}`,
      transparencyLog: 'verified',
      predicateType: 'https://example.com/test',
      subjectChecked: true,
    });
  });

  test('verifies offline without a trusted root, saying the log was not checked', () => {
    const r = verifyBlobBundle(fx('intoto-canonical-log-entry/bundle.sigstore.json'), A_TXT, [keyed(false)]);
    assert.equal(r.verified, true);
    assert.equal(r.transparencyLog, 'not checked');
  });

  test('tampered copies fail: other file, flipped signature, altered statement, altered log entry, wrong key', () => {
    const other = verifyBlobBundle(fx('intoto-canonical-log-entry/bundle.sigstore.json'), Buffer.from('not a.txt'), [
      keyed(true),
    ]);
    assert.match(other.reason ?? '', /^the statement's subject \(sha256:a0cfc712/);

    const sig = keyedJson();
    const s = Buffer.from(sig.dsseEnvelope.signatures[0].sig, 'base64');
    s[s.length - 3]! ^= 0x01;
    sig.dsseEnvelope.signatures[0].sig = s.toString('base64');
    assert.match(
      verifyBlobBundle(JSON.stringify(sig), A_TXT, [keyed(false)]).reason ?? '',
      /^signature does not verify with the key/,
    );

    const st = keyedJson();
    const statement = JSON.parse(Buffer.from(st.dsseEnvelope.payload, 'base64').toString('utf8'));
    statement.predicateType = 'https://example.com/evil';
    st.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    assert.match(
      verifyBlobBundle(JSON.stringify(st), A_TXT, [keyed(false)]).reason ?? '',
      /^signature does not verify/,
    );
    assert.match(
      verifyBlobBundle(JSON.stringify(st), A_TXT, [keyed(true)]).reason ?? '',
      /transparency log entry rejected|signature does not verify/,
    );

    const log = keyedJson();
    const entry = log.verificationMaterial.tlogEntries[0];
    entry.canonicalizedBody = Buffer.from(
      Buffer.from(entry.canonicalizedBody, 'base64')
        .toString('utf8')
        .replace('"sha256","value":"ce3e', '"sha256","value":"ce3f'),
    ).toString('base64');
    assert.match(
      verifyBlobBundle(JSON.stringify(log), A_TXT, [keyed(true)]).reason ?? '',
      /^transparency log entry rejected/,
    );

    const wrongKey = loadPublicKey(readFileSync(new URL('../__fixtures__/other.pub', import.meta.url)));
    const w = verifyBlobBundle(fx('intoto-canonical-log-entry/bundle.sigstore.json'), A_TXT, [
      { kind: 'key', name: 'other', key: wrongKey, keyId: keyId(wrongKey) },
    ]);
    assert.match(w.reason ?? '', /^signature does not verify with the key \(wrong key/);
  });
});

describe('keyless bundle vector (sigstore-conformance d.txt, Fulcio-style certificate, Rekor entry)', () => {
  test('verifies offline against its trusted root with identity and issuer constraints', () => {
    const r = verifyBundle(keylessBundle(), [keyless()]);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.signer, IDENTITY);
    assert.deepEqual(r.identity, { subjectAlternativeName: IDENTITY, issuer: ISSUER });
    assert.equal(r.transparencyLog, 'verified');
    assert.equal(
      verifyBundle(keylessBundle(), [
        keyless({ identity: undefined, identityRegexp: 'https://github\\.com/sigstore-conformance/.*' }),
      ]).ok,
      true,
    );
  });

  test('mismatched identity or issuer fails with the certificate values', () => {
    const a = verifyBundle(keylessBundle(), [
      keyless({ identity: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' }),
    ]);
    assert.equal(a.ok, false);
    assert.equal(
      !a.ok && a.reason,
      `certificate identity "${IDENTITY}" is not "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"`,
    );
    const b = verifyBundle(keylessBundle(), [keyless({ issuer: 'https://accounts.google.com' })]);
    assert.equal(!b.ok && b.reason, `certificate issuer "${ISSUER}" is not "https://accounts.google.com"`);
    const c = verifyBundle(keylessBundle(), [
      keyless({ identity: undefined, identityRegexp: 'https://github\\.com/acme/.*' }),
    ]);
    assert.match(!c.ok ? c.reason : '', /does not match \/https:\/\/github\\.com\/acme\/\.\*\//);
  });

  test('an expired certificate (signed after its 10-minute validity) is refused', () => {
    // The certificate is valid 2023-02-01 00:00-00:10; the log entry now says 01:00.
    const r = verifyBundle(
      keylessBundle((j) => {
        j.verificationMaterial.tlogEntries[0].integratedTime = String(1675209600 + 3600);
      }),
      [keyless()],
    );
    assert.equal(r.ok, false);
    assert.equal(
      !r.ok && r.reason,
      'certificate expired: valid 2023-02-01T00:00:00.000Z to 2023-02-01T00:10:00.000Z, but the log entry says it signed at 2023-02-01T01:00:00.000Z',
    );
    // Without the signed promise the forged time is not even taken as a timestamp.
    const s = verifyBundle(
      keylessBundle((j) => {
        delete j.verificationMaterial.tlogEntries[0].inclusionPromise;
      }),
      [keyless()],
    );
    assert.equal(!s.ok && s.reason, 'timestamp not trusted: expected 1 timestamps, got 0');
  });

  test('tampered statement and a key authority on a keyless bundle fail', () => {
    const t = verifyBundle(
      keylessBundle((j) => {
        const p = Buffer.from(j.dsseEnvelope.payload, 'base64').toString('utf8').replace('d.txt', 'e.txt');
        j.dsseEnvelope.payload = Buffer.from(p).toString('base64');
      }),
      [keyless()],
    );
    assert.equal(t.ok, false);
    assert.match(!t.ok ? t.reason : '', /transparency log entry rejected|signature does not verify/);
    const k = verifyBundle(keylessBundle(), [keyed(false)]);
    assert.equal(!k.ok && k.reason, 'the bundle is keyless (certificate), not signed by a key');
  });

  test('hostile bundles are refused as input errors, not crashes', () => {
    assert.throws(
      () => parseBundle('{"mediaType": 1}'),
      (e: Error) => /not a valid Sigstore bundle/.test(e.message),
    );
    assert.throws(
      () => parseBundle('['.repeat(100)),
      (e: Error) => /nests deeper/.test(e.message),
    );
    assert.throws(
      () => parseTrustedRoot('{}'),
      (e: Error) => /not a Sigstore trusted root/.test(e.message),
    );
  });
});
