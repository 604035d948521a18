import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { expectCode } from '../../../test/helpers/errors.ts';
import { generateKeyPair } from '../keys/index.ts';
import { globMatch, parsePolicy, predicateTime, severityCounts } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'bollard-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'release.pub'), generateKeyPair('x', { scrypt: { N: 1024, r: 8, p: 1 } }).publicKeyPem);

describe('trust policy files', () => {
  test('a full policy parses; paths are relative to the file', () => {
    const p = parsePolicy(
      `kind: TrustPolicy
defaults: { action: deny }
rules:
  - name: prod
    images: ["127.0.0.1:*/prod/**"]
    signatures:
      authorities: [{ name: release, key: release.pub }]
      annotations: { env: prod }
    attestations:
      - { type: vuln, maxAge: 7d, maxSeverity: high }
      - { type: cyclonedx }
  - name: base
    images: ["docker.io/library/*"]
    action: allow
`,
      join(dir, 'policy.yaml'),
    );
    assert.equal(p.defaultAction, 'deny');
    assert.equal(p.rules[0]!.signatures?.authorities[0]?.kind, 'key');
    assert.deepEqual(p.rules[0]!.signatures?.annotations, { env: 'prod' });
    assert.equal(p.rules[0]!.attestations[0]!.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
    assert.equal(p.rules[0]!.attestations[0]!.maxAgeMs, 7 * 86_400_000);
    assert.equal(p.rules[0]!.attestations[0]!.maxSeverity, 'HIGH');
    assert.equal(p.rules[0]!.attestations[1]!.authorities.length, 1);
    assert.equal(p.rules[1]!.action, 'allow');
  });

  test('mistakes are input errors that name the place', () => {
    const f = join(dir, 'bad.yaml');
    assert.throws(() => parsePolicy('rules: 3', f), expectCode('INPUT_INVALID', /rules: expected a list/));
    assert.throws(
      () => parsePolicy('rules: [{ images: [a/*] }]', f),
      expectCode('INPUT_INVALID', /rules\[0\]: a verify rule needs signatures/),
    );
    assert.throws(
      () => parsePolicy('rules: [{ images: [a/*], signatures: { authorities: [{ key: missing.pub }] } }]', f),
      expectCode('INPUT_INVALID', /signatures\.authorities\[0\]: cannot read key missing\.pub/),
    );
    assert.throws(
      () =>
        parsePolicy(
          'rules: [{ images: [a/*], signatures: { authorities: [{ keyless: { issuer: x, trustedRoot: r.json } }] } }]',
          f,
        ),
      expectCode('INPUT_INVALID'),
    );
    assert.throws(
      () =>
        parsePolicy(
          'rules: [{ images: [a/*], signatures: { threshold: 2, authorities: [{ key: release.pub }] } }]',
          join(dir, 'p.yaml'),
        ),
      expectCode('INPUT_INVALID', /threshold: expected 1\.\.1/),
    );
    assert.throws(
      () => parsePolicy('a: &a [*a]', f),
      (e: Error) => /policy/.test(e.message),
    );
  });

  test('globs: * stays in a path segment, ** crosses segments', () => {
    assert.ok(globMatch('127.0.0.1:*/prod/**', '127.0.0.1:5000/prod/team/app'));
    assert.ok(!globMatch('127.0.0.1:*/prod/*', '127.0.0.1:5000/prod/team/app'));
    assert.ok(globMatch('docker.io/library/*', 'docker.io/library/alpine'));
    assert.ok(!globMatch('docker.io/library/*', 'docker.io/libraryx/alpine'));
  });

  test('vulnerability predicates: Bollard report summary and Trivy results; times', () => {
    assert.deepEqual(severityCounts({ scanner: { result: { summary: { CRITICAL: 0, HIGH: 2 } } } }), {
      CRITICAL: 0,
      HIGH: 2,
    });
    assert.deepEqual(
      severityCounts({
        scanner: { result: { Results: [{ Vulnerabilities: [{ Severity: 'CRITICAL' }, { Severity: 'low' }] }] } },
      }),
      { CRITICAL: 1, LOW: 1 },
    );
    assert.equal(severityCounts({ scanner: { result: 'x' } }), undefined);
    assert.equal(
      predicateTime({ metadata: { scanFinishedOn: '2026-11-01T00:00:00Z' } })?.toISOString(),
      '2026-11-01T00:00:00.000Z',
    );
    assert.equal(
      predicateTime({ metadata: { timestamp: '2026-10-01T00:00:00Z' } })?.toISOString(),
      '2026-10-01T00:00:00.000Z',
    );
    assert.equal(predicateTime({}), undefined);
  });
});
