import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { expectCode } from '../../test/helpers/errors.ts';
import { alnum, checksummedToken } from './__fixtures__/credentials.ts';
import { parseSecretConfig, scannerConfigFrom } from './config.ts';
import { buildKeywordMatcher } from './prefilter.ts';
import { redactSecret } from './redact.ts';
import { createSecretScanner } from './scanner.ts';
import { validCrc32Base62, validJwt } from './validators.ts';

const scanner = createSecretScanner();
const ids = (text: string, path = 'x.txt'): string[] => scanner.scan(Buffer.from(text), path).map((m) => m.ruleId);

describe('keyword prefilter (Aho-Corasick)', () => {
  test('agrees with a naive case-insensitive search, first and last positions included', () => {
    const keywords = ['ghp_', 'hp_', 'password', 'pass', 'sk_live_', '-----begin', 'q~', 'a'];
    const m = buildKeywordMatcher(keywords);
    for (let round = 0; round < 200; round++) {
      const alphabet = 'GHPghp_ASWORDasword-BEGIN~qQk lve';
      const text = Array.from(randomBytes(300), (b) => alphabet[b % alphabet.length]).join('');
      const first = new Int32Array(keywords.length).fill(-1);
      const last = new Int32Array(keywords.length);
      m.scan(Buffer.from(text, 'latin1'), first, last);
      const lower = text.toLowerCase();
      keywords.forEach((k, i) => {
        const f = lower.indexOf(k);
        assert.equal(first[i], f < 0 ? -1 : f + k.length - 1, `${k} first in ${text}`);
        if (f >= 0) assert.equal(last[i], lower.lastIndexOf(k) + k.length - 1, `${k} last`);
      });
    }
  });
});

describe('secret scanner', () => {
  test('checksums: a GitHub or npm token with a wrong CRC32 is not a token', () => {
    const good = checksummedToken('ghp_');
    assert.ok(validCrc32Base62(good));
    const bad = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
    assert.equal(validCrc32Base62(bad), false);
    assert.deepEqual(ids(`t=${good}`), ['github-pat']);
    assert.deepEqual(ids(`t=${bad}`), []);
  });

  test('entropy gates generic rules: a quoted low-entropy value is not a password', () => {
    assert.deepEqual(ids('db_password = "aaaaaaaaaaaa"'), []);
    assert.deepEqual(ids(`db_password = "${alnum(16)}"`), ['generic-password']);
  });

  test('placeholders and documentation examples are allowed', () => {
    assert.deepEqual(ids('aws_access_key_id = AKIAIOSFODNN7EXAMPLE'), []);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference, as written in configs
    assert.deepEqual(ids('url = postgres://user:${DB_PASSWORD}@db/app'), []);
    assert.deepEqual(ids('password: "<your-password-here>"'), []);
    assert.deepEqual(ids('PWD=/home/user/projects'), []);
  });

  test('a PEM header without a body (parser code, docs) is not a key', () => {
    assert.deepEqual(ids('if (pem.startsWith("-----BEGIN RSA PRIVATE KEY-----")) parse(pem);'), []);
    assert.deepEqual(ids('-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----'), []);
  });

  test('overlapping matches: the specific rule wins over the generic one', () => {
    assert.deepEqual(ids(`GITHUB_TOKEN=${checksummedToken('ghp_')}`), ['github-pat']);
  });

  test('JWTs must decode to a header with alg', () => {
    const h = Buffer.from('{"alg":"RS256"}').toString('base64url');
    const p = Buffer.from('{"sub":"x"}').toString('base64url');
    assert.ok(validJwt(`${h}.${p}.${alnum(40)}`));
    assert.equal(validJwt(`eyJub3Rqc29u.${p}.${alnum(40)}`), false);
  });

  test('redaction: a short prefix (never more than a quarter) and a 64-bit hash', () => {
    assert.deepEqual(redactSecret('abcdefgh'), { match: 'ab…', hash: redactSecret('abcdefgh').hash });
    assert.match(redactSecret('abcdefgh').hash, /^sha256:[0-9a-f]{16}$/);
    assert.equal(redactSecret('x'.repeat(40), 12).match, `${'x'.repeat(10)}…`);
    assert.equal(redactSecret('secret-body', 4, '-----BEGIN KEY-----').match, '-----BEGIN KEY-----…');
  });

  test('findings per file are bounded: a file of ten thousand tokens yields at most 64 per rule', () => {
    const text = Array.from({ length: 10_000 }, () => checksummedToken('ghp_')).join('\n');
    assert.equal(scanner.scan(Buffer.from(text), 'x').length, 64);
  });

  test('Kubernetes Secrets: data values are decoded; each is a finding at its key line', () => {
    const yaml = `apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\ndata:\n  user: ${Buffer.from('admin').toString('base64')}\n  password: ${Buffer.from(alnum(20)).toString('base64')}\nstringData:\n  token: ${checksummedToken('ghp_')}\n`;
    const found = scanner.scan(Buffer.from(yaml), 'k8s/secret.yaml');
    assert.deepEqual(
      found.map((m) => [m.ruleId, m.startLine, m.resource?.key, m.resource?.namespace]),
      [
        ['kubernetes-secret', 5, 'user', 'prod'],
        ['kubernetes-secret', 6, 'password', 'prod'],
        ['github-pat', 8, 'token', 'prod'],
      ],
    );
    // A Helm template does not parse as YAML: nothing to decode, no crash.
    assert.deepEqual(ids('kind: Secret\ndata:\n  x: {{ .Values.x | b64enc }}\n  {{- end }}', 't.yaml'), []);
  });
});

describe('secret configuration (YAML)', () => {
  const token = `acme_${alnum(32).toLowerCase()}`;
  test('custom rules, disabled rules, global and per-rule allow-lists', () => {
    const cfg = parseSecretConfig(`
rules:
  - id: acme-token
    title: ACME token
    severity: high
    keywords: [ACME_]
    regex: 'acme_[a-z0-9]{32}'
disable-rules: [jwt]
allow:
  paths: ['^vendor/']
rule-allow:
  generic-password: { stopwords: [hunter] }
`);
    const s = createSecretScanner(scannerConfigFrom(cfg));
    assert.deepEqual(
      s.scan(`k=${token}`, 'app/x').map((m) => [m.ruleId, m.severity]),
      [['acme-token', 'HIGH']],
    );
    assert.deepEqual(s.scan(`k=${token}`, 'vendor/x'), []);
    assert.equal(
      s.rules.some((r) => r.id === 'jwt'),
      false,
    );
    assert.deepEqual(s.scan('password = "hunter2hunter2X9"', 'a'), []);
    assert.notEqual(s.fingerprint, scanner.fingerprint);
  });

  test('malformed configurations are refused with INPUT_INVALID', () => {
    assert.throws(() => parseSecretConfig('rules: [{id: x}]'), expectCode('INPUT_INVALID', /regex is required/));
    const badRegex = parseSecretConfig("rules: [{id: x, regex: '('}]");
    assert.throws(
      () => createSecretScanner(scannerConfigFrom(badRegex)),
      expectCode('INPUT_INVALID', /invalid regular/),
    );
    assert.throws(() => parseSecretConfig('colour: red'), expectCode('INPUT_INVALID', /unknown key/));
    assert.throws(
      () => scannerConfigFrom(parseSecretConfig('disable-rules: [no-such-rule]')),
      expectCode('INPUT_INVALID', /unknown rule/),
    );
    assert.throws(
      () => parseSecretConfig('rules: [{id: x, regex: a, severity: dire}]'),
      expectCode('INPUT_INVALID', /severity/),
    );
  });
});
