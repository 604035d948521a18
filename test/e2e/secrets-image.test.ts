// Acceptance #7.1: real credentials of every supported kind, in files of an image's layers (one of
// them deleted and one overwritten by a later layer), in ENV, LABEL and history, are each found with
// the right rule, file, line and layer, through the real pipeline (OCI layout → layer walk →
// applier); and no output carries a secret.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultAnalyzers } from '../../src/analyzers/api.ts';
import { inventoryTarget } from '../../src/scan/service.ts';
import type { InventoryResult } from '../../src/scan/types.ts';
import {
  alnum,
  type CredentialSample,
  checksummedToken,
  credentialSamples,
  generateKeys,
  password,
} from '../../src/secrets/__fixtures__/credentials.ts';
import { collectSecrets, createSecretAnalyzer, createSecretScanner, secretResults } from '../../src/secrets/index.ts';
import type { SecretFinding } from '../../src/secrets/types.ts';
import { buildTar, compress, sha256, type TestEntry } from '../helpers/layers.ts';
import { writeOciLayout } from '../helpers/oci.ts';

const work = mkdtempSync(join(tmpdir(), 'bollard-secrets-e2e-'));
after(() => rmSync(work, { recursive: true, force: true }));

const HEADER = '# sample\n\n';
const ghToken = checksummedToken('ghp_');
const envPassword = password();
const labelToken = `glpat-${alnum(20)}`;
const historyBearer = alnum(48);
const deletedStripe = `sk_live_${alnum(64)}`;
const overwrittenSlack = `T0ABCDEFGH/B0IJKLMNOP/${alnum(24)}`;
const innerNpm = checksummedToken('npm_');
const layer1Token = checksummedToken('gho_');

let samples: CredentialSample[] = [];
let target = '';
let inv: InventoryResult;
let findings: SecretFinding[] = [];

function fileOf(s: CredentialSample): string {
  return `app/secrets/${s.file ?? `${s.ruleId}.txt`}`;
}

before(async () => {
  samples = credentialSamples(generateKeys());
  const layer0: TestEntry[] = [
    ...samples.map((s) => ({ name: fileOf(s), content: `${HEADER}${s.text}\n` })),
    { name: 'app/deleted/.env', content: `# removed in the next layer\nSTRIPE=${deletedStripe}\n` },
    { name: 'app/config.yml', content: `notify:\n  slack: https://hooks.slack.com/services/${overwrittenSlack}\n` },
    {
      name: 'app/k8s/secret.yaml',
      content: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry\ntype: Opaque\ndata:\n  npm-token: ${Buffer.from(innerNpm).toString('base64')}\n`,
    },
    { name: 'usr/bin/tool', content: Buffer.concat([Buffer.from('\x7fELF\0\0'), Buffer.from(`token ${ghToken}`)]) },
  ];
  const layer1: TestEntry[] = [
    { name: 'app/deleted/.wh..env', content: '' },
    { name: 'app/config.yml', content: 'notify:\n  slack: disabled\n' },
    { name: 'home/ci/.git-credentials', content: `https://x-access-token:${layer1Token}@github.com\n` },
  ];
  const tars = await Promise.all([buildTar(layer0), buildTar(layer1)]);
  const blobs = tars.map((t) => compress(t, 'gzip'));
  target = writeOciLayout(
    join(work, 'layout'),
    blobs.map((blob, i) => ({ blob, diffId: sha256(tars[i]!) })),
    {
      config: {
        config: {
          Env: ['PATH=/usr/local/bin:/usr/bin', `GITHUB_TOKEN=${ghToken}`, `DB_PASSWORD=${envPassword}`],
          Labels: { 'org.opencontainers.image.title': 'demo', 'ci.token': labelToken },
        },
        history: [
          { created_by: 'COPY app /app # buildkit' },
          { created_by: 'ENV GITHUB_TOKEN=<redacted by builder>', empty_layer: true },
          { created_by: `RUN curl -H "Authorization: Bearer ${historyBearer}" https://api.internal.net/setup` },
        ],
      },
    },
  );
  const scanner = createSecretScanner();
  const collector = createSecretAnalyzer(scanner);
  inv = await inventoryTarget(target, { cacheDir: false, analyzers: [...defaultAnalyzers(), collector.analyzer] });
  findings = collectSecrets(inv, collector, scanner);
});

describe('secrets in an image (acceptance #7.1)', () => {
  test('every built-in rule has a credential in the image, and each is found by its rule at its line in layer 0', () => {
    const rules = createSecretScanner().rules.map((r) => r.id);
    assert.ok(rules.length >= 80, `${rules.length} rules`);
    assert.deepEqual(new Set(samples.map((s) => s.ruleId)), new Set(rules));
    for (const s of samples) {
      const inFile = findings.filter((f) => f.file === fileOf(s));
      assert.equal(inFile.length, 1, `${s.ruleId}: ${JSON.stringify(inFile.map((f) => f.ruleId))}`);
      const f = inFile[0]!;
      assert.equal(f.ruleId, s.ruleId);
      assert.equal(f.startLine, 2 + (s.line ?? 1), s.ruleId);
      assert.equal(f.layer?.index, 0, s.ruleId);
      assert.equal(f.source, s.ruleId === 'kubernetes-secret' ? 'kubernetes-secret' : 'file');
    }
  });

  test('a file deleted by a later layer is reported in the layer that holds it', () => {
    const f = findings.filter((x) => x.file === 'app/deleted/.env');
    assert.deepEqual(
      f.map((x) => [x.ruleId, x.startLine, x.layer?.index]),
      [['stripe-secret-key', 2, 0]],
    );
    assert.equal(f[0]!.layer?.diffId, inv.target.image?.layers[0]?.diffId);
  });

  test('a file overwritten by a later layer keeps its finding in the lower layer; the new version has none', () => {
    const f = findings.filter((x) => x.file === 'app/config.yml');
    assert.deepEqual(
      f.map((x) => [x.ruleId, x.startLine, x.layer?.index]),
      [['slack-webhook-url', 2, 0]],
    );
  });

  test('a later layer’s own file is attributed to that layer', () => {
    const f = findings.filter((x) => x.file === 'home/ci/.git-credentials');
    assert.deepEqual(
      f.map((x) => [x.ruleId, x.startLine, x.layer?.index]),
      [['github-oauth-token', 1, 1]],
    );
  });

  test('a Kubernetes Secret manifest is decoded: the npm token inside a data value is found at the key’s line', () => {
    const f = findings.filter((x) => x.file === 'app/k8s/secret.yaml');
    assert.deepEqual(
      f.map((x) => [x.ruleId, x.startLine, x.source, x.resource?.name, x.resource?.key]),
      [['npm-access-token', 7, 'kubernetes-secret', 'registry', 'npm-token']],
    );
  });

  test('ENV, LABEL and history entries are scanned, with their position and (for history) their layer', () => {
    const cfg = findings.filter((x) => x.source !== 'file' && x.source !== 'kubernetes-secret');
    const rows = cfg.map((x) => [x.source, x.file, x.ruleId, x.startLine, x.layer?.index]);
    assert.deepEqual(
      rows.sort((a, b) => String(a).localeCompare(String(b))),
      [
        ['env', 'ENV', 'generic-env-secret', 3, undefined],
        ['env', 'ENV', 'github-pat', 2, undefined],
        ['history', 'history', 'authorization-bearer', 3, 1],
        ['label', 'LABEL', 'gitlab-pat', 2, undefined],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
  });

  test('binary files are not scanned (the ELF file holds a token)', () => {
    assert.equal(findings.filter((x) => x.file === 'usr/bin/tool').length, 0);
  });

  test('no finding, and no report result, carries a secret: only a short prefix and a hash', () => {
    const doc = JSON.stringify({ findings, results: secretResults(findings) });
    const secrets = [
      ...samples.map((s) => s.secret),
      ghToken,
      envPassword,
      labelToken,
      historyBearer,
      deletedStripe,
      overwrittenSlack,
      innerNpm,
      layer1Token,
    ];
    for (const s of secrets) {
      // A rule may show the provider's prefix (at most 12 characters, and never more than a quarter
      // of the secret); any 12-character window after it would be a leak.
      for (let i = 12; i + 12 <= s.length; i += 6) {
        assert.ok(!doc.includes(s.slice(i, i + 12)), `secret fragment leaked: ${s.slice(i, i + 12)}`);
      }
    }
    for (const f of findings) assert.match(f.hash, /^sha256:[0-9a-f]{16}$/);
  });
});

describe('bollard image --scanners secret (the CLI)', () => {
  const BIN = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
  const bollard = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      env: { ...process.env, NO_COLOR: '1', BOLLARD_CACHE_DIR: join(work, 'cli-cache') },
    });

  test('JSON report: every secret, none in clear; --exit-code fails the build', () => {
    const r = bollard('image', target, '--scanners', 'secret', '-f', 'json', '--exit-code', '5');
    assert.equal(r.status, 5, r.stderr);
    const report = JSON.parse(r.stdout) as { results: { class: string; secrets?: SecretFinding[] }[] };
    const all = report.results.filter((x) => x.class === 'secret').flatMap((x) => x.secrets ?? []);
    assert.equal(all.length, findings.length);
    // Not in the findings, and not in the image config the report repeats (ENV, LABEL, history).
    for (const secret of [
      ...samples.map((x) => x.secret),
      ghToken,
      envPassword,
      labelToken,
      historyBearer,
      deletedStripe,
    ])
      for (let i = 12; i + 12 <= secret.length; i += 6)
        assert.ok(!r.stdout.includes(secret.slice(i, i + 12)), `leaked: ${secret.slice(i, i + 12)}`);
  });

  test('--secret-config disables rules and allows paths; a bad file is a one-line error', () => {
    const cfg = join(work, 'secret.yaml');
    writeFileSync(cfg, "disable-rules: [stripe-secret-key]\nallow:\n  paths: ['^app/secrets/']\n");
    const r = bollard('image', target, '--scanners', 'secret', '-f', 'json', '--secret-config', cfg);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { results: { class: string; secrets?: SecretFinding[] }[] };
    const files = new Set(report.results.flatMap((x) => x.secrets ?? []).map((f) => f.file));
    assert.ok(!files.has('app/deleted/.env'));
    assert.ok(![...files].some((f) => f.startsWith('app/secrets/')));
    assert.ok(files.has('home/ci/.git-credentials'));
    writeFileSync(cfg, 'rules: [{id: Bad Id}]\n');
    const bad = bollard('image', target, '--scanners', 'secret', '--secret-config', cfg);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^bollard: .*secret\.yaml: rules\[0\]: id must be/m);
  });
});
