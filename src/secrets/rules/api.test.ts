import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { credentialSamples, generateKeys } from '../__fixtures__/credentials.ts';
import { createSecretScanner } from '../scanner.ts';
import { builtinSecretRules, RULE_PACKS } from './api.ts';

// Contract of every built-in rule pack, and of every rule: each finds a credential built to its
// provider's format (keys from openssl, ssh-keygen and gpg), by itself and at the right line.
describe('secret rule packs', () => {
  const rules = builtinSecretRules();

  test('at least 80 rules, unique kebab-case ids, every pack non-empty', () => {
    assert.ok(rules.length >= 80, `${rules.length} rules`);
    assert.equal(new Set(rules.map((r) => r.id)).size, rules.length);
    for (const r of rules) assert.match(r.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/, r.id);
    for (const p of RULE_PACKS) assert.ok(p.rules.length > 0, p.id);
  });

  test('every rule has lower-case keywords for the prefilter, a compiling pattern and a title', () => {
    for (const r of rules) {
      assert.ok(r.keywords.length > 0, `${r.id}: no keywords`);
      for (const k of r.keywords) assert.equal(k, k.toLowerCase(), `${r.id}: keyword ${k}`);
      assert.doesNotThrow(() => new RegExp(r.pattern, `g${r.flags ?? ''}`), r.id);
      assert.ok(r.title.length > 0, r.id);
    }
  });

  test('every rule finds its own credential, alone, at its line', () => {
    const scanner = createSecretScanner();
    const samples = credentialSamples(generateKeys());
    assert.deepEqual(new Set(samples.map((s) => s.ruleId)), new Set(rules.map((r) => r.id)));
    for (const s of samples) {
      const found = scanner.scan(Buffer.from(`# sample\n\n${s.text}\n`), `app/${s.file ?? `${s.ruleId}.txt`}`);
      assert.deepEqual(
        found.map((m) => [m.ruleId, m.startLine]),
        [[s.ruleId, 2 + (s.line ?? 1)]],
        s.ruleId,
      );
    }
  });
});
