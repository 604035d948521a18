// `bollard config` as a user runs it: bin/bollard in a child process on files written here, the
// report's target, exact lines in JSON and SARIF, severity filter, exit codes and bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { validateReportSchema, validateSarif210 } from '../../test/schemas/validate.ts';

const BIN = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bollard-config-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function bollard(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, NO_COLOR: '1', BOLLARD_CACHE_DIR: join(work, 'cache') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const DOCKERFILE = [
  'FROM debian:latest',
  'RUN apt-get update && \\',
  '    apt-get install -y curl',
  'USER root',
  '',
].join('\n');

// Line 16 (second document) holds `privileged: true`.
const MANIFESTS = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: settings',
  '---',
  'apiVersion: v1',
  'kind: Pod',
  'metadata:',
  '  name: web',
  '  namespace: shop',
  'spec:',
  '  containers:',
  '    - name: app',
  `      image: registry.example/web@sha256:${'a'.repeat(64)}`,
  '      securityContext:',
  '        privileged: true',
  '',
].join('\n');

interface Misconfig {
  id: string;
  aliases?: string[];
  status: string;
  severity: string;
  file?: string;
  startLine?: number;
}

describe('bollard config', () => {
  const project = join(work, 'project');
  spawnSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(project, 'pod.yaml'), MANIFESTS);

  test('JSON report: a filesystem target, exact lines, every check with a status, valid against the schema', () => {
    const r = bollard('config', project, '-f', 'json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      target: { kind: string; path: string };
      results: { target: string; misconfigurations?: Misconfig[] }[];
      coverage: unknown[];
    };
    assert.deepEqual(validateReportSchema(report).errors, []);
    assert.equal(report.target.kind, 'filesystem');
    const all = report.results.flatMap((x) => (x.misconfigurations ?? []).map((m) => ({ ...m, target: x.target })));
    const failed = all.filter((m) => m.status === 'failed');
    const privileged = failed.find((m) => m.id === 'privileged' || m.aliases?.includes('privileged'));
    assert.ok(privileged, `no privileged finding in ${failed.map((f) => f.id).join(' ')}`);
    assert.equal(privileged.startLine, 16);
    const latest = failed.find((m) => m.id === 'DL3007' || m.aliases?.includes('DL3007'));
    assert.ok(latest, `no DL3007 finding in ${failed.map((f) => f.id).join(' ')}`);
    assert.equal(latest.startLine, 1);
    // Checks that ran and passed are reported as passed, not dropped.
    assert.ok(all.some((m) => m.status === 'passed'));
    assert.ok(report.coverage.length > 0);
  });

  test('SARIF carries the same lines as regions', () => {
    const r = bollard('config', join(project, 'pod.yaml'), '-f', 'sarif');
    assert.equal(r.code, 0, r.stderr);
    const sarif = JSON.parse(r.stdout) as {
      runs: { results: { ruleId: string; locations: { physicalLocation: { region?: { startLine: number } } }[] }[] }[];
    };
    assert.deepEqual(validateSarif210(sarif).errors, []);
    const hit = sarif.runs[0]?.results.find((x) => x.ruleId.includes('privileged'));
    assert.ok(hit, 'privileged result in SARIF');
    assert.equal(hit.locations[0]?.physicalLocation.region?.startLine, 16);
  });

  test('--severity filters failed findings; --exit-code fails the build only when one is left', () => {
    const all = bollard('config', project, '-f', 'json', '--exit-code', '3');
    assert.equal(all.code, 3, all.stderr);
    const none = bollard(
      'config',
      join(project, 'Dockerfile'),
      '-f',
      'json',
      '--severity',
      'CRITICAL',
      '--exit-code',
      '3',
    );
    const report = JSON.parse(none.stdout) as { results: { misconfigurations?: Misconfig[] }[] };
    const failed = report.results.flatMap((x) => x.misconfigurations ?? []).filter((m) => m.status === 'failed');
    assert.ok(failed.every((m) => m.severity === 'CRITICAL'));
    assert.equal(none.code, failed.length > 0 ? 3 : 0);
  });

  test('usage errors and missing paths: one line, non-zero exit', () => {
    const badFormat = bollard('config', project, '-f', 'xml');
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr.trim(), /^bollard: .*unknown format "xml"/);
    assert.equal(badFormat.stderr.trim().split('\n').length, 1);
    const missing = bollard('config', join(work, 'nope.yaml'));
    assert.notEqual(missing.code, 0);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  });
});
