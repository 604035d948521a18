/**
 * `bollard runtime replay` and `bollard runtime rules` through the command object (the lead wires
 * runtimeCommand() into main.ts): flags, files, formats, and errors as a user sees them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.ts';
import { runtimeCommand } from '../../src/cli/runtime.ts';
import { expectCode } from '../helpers/errors.ts';

const fixture = (n: string): string =>
  fileURLToPath(new URL(`../../src/runtime/rules/__fixtures__/${n}`, import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bollard-rt-cli-'));

async function runtime(args: string[]): Promise<void> {
  const cmd = runtimeCommand();
  cmd.exitOverride();
  for (const c of cmd.commands) c.exitOverride();
  await cmd.parseAsync(args, { from: 'user' });
}

/** `runtime rules ... --output FILE`, read back (stdout belongs to the test runner). */
async function rules(args: string[]): Promise<string> {
  const out = join(work, `rules-${Math.random().toString(36).slice(2)}.txt`);
  await runtime(['rules', ...args, '--output', out]);
  return readFileSync(out, 'utf8');
}

describe('bollard runtime replay / rules', () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  test('replay of audit events writes Falco JSON lines to --output', async () => {
    const out = join(work, 'alerts.jsonl');
    await runtime(['replay', fixture('k8s-audit-attacks.jsonl'), '--source', 'k8s_audit', '--output', out, '-q']);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => l.rule),
      [
        'Create Privileged Pod',
        'ClusterRole With Wildcard Created',
        'Attach/Exec Pod',
        'Create/Modify Configmap With Private Credentials',
        'Create NodePort Service',
      ],
    );
    assert.equal(lines[0]?.source, 'k8s_audit');
    assert.equal(lines[0]?.priority, 'Warning');
  });

  test('through the whole CLI, flags after `replay` belong to replay', async () => {
    const out = join(work, 'alerts-cli.jsonl');
    const code = await runCli([
      'runtime',
      'replay',
      '--source',
      'k8s_audit',
      fixture('k8s-audit-attacks.jsonl'),
      '-o',
      out,
      '-q',
    ]);
    assert.equal(code, 0);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 5);
  });

  test('--rules applies files in order (a later file appends to an upstream list) and --min-priority filters', async () => {
    const extra = join(work, 'local.yaml');
    writeFileSync(
      extra,
      '- list: k8s_audit_privileged_images\n  items: [busybox, docker.io/library/nginx]\n  append: true\n',
    );
    const out = join(work, 'alerts2.jsonl');
    await runtime([
      'replay',
      fixture('k8s-audit-attacks.jsonl'),
      '--source',
      'k8s_audit',
      '--rules',
      fileURLToPath(new URL('../../src/runtime/rules/upstream/k8s_audit_rules.yaml', import.meta.url)),
      '--rules',
      extra,
      '--min-priority',
      'warning',
      '--format',
      'text',
      '--output',
      out,
      '-q',
    ]);
    const text = readFileSync(out, 'utf8');
    assert.doesNotMatch(
      text,
      /Pod started with privileged container/,
      'every image of the pod is now an allowed privileged image (`in` on a list field: all values)',
    );
    assert.doesNotMatch(text, /Attach\/Exec/, 'NOTICE is below --min-priority warning');
    assert.match(text, /^\d\d:\d\d:\d\d\.\d{9}: Warning Created Role\/ClusterRole with wildcard/m);
  });

  test('replay of the sensor recording', async () => {
    const out = join(work, 'alerts3.jsonl');
    await runtime(['replay', fixture('sensor-attacks.jsonl'), '--output', out, '-q']);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 9);
  });

  test('rules lists loaded and disabled rules with the missing field', async () => {
    const text = await rules([]);
    assert.match(
      text,
      /^disabled\s+syscall\s+NOTICE\s+Contact K8S API Server From Container\s+needs field Bollard does not provide: fd\.sip\.name$/m,
    );
    assert.match(text, /^71 loaded, 2 disabled$/m);
    const j = JSON.parse(await rules(['--format', 'json'])) as {
      rules: { rule: string; status: string; missingFields: string[] }[];
    };
    assert.equal(j.rules.length, 73);
    assert.deepEqual(
      j.rules.filter((r) => r.status === 'disabled').map((r) => [r.rule, r.missingFields]),
      [
        ['Contact K8S API Server From Container', ['fd.sip.name']],
        ['Disallowed SSH Connection Non Standard Port', ['fd.name_changed']],
      ],
    );
    assert.match(await rules(['--fields']), /^syscall\s+proc\.aname\[index\]\s+string/m);
  });

  test('a malformed rules file is a one-line error with file, line and rule', async () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, '- rule: Broken\n  desc: d\n  condition: proc.name = (\n  output: o\n  priority: INFO\n');
    await assert.rejects(
      rules(['--rules', bad]),
      expectCode(
        'INPUT_INVALID',
        new RegExp(
          `^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: rule "Broken": condition: expected a value after =`,
        ),
      ),
    );
    await assert.rejects(runtime(['replay', join(work, 'missing.jsonl'), '-q']), expectCode('TARGET_NOT_FOUND'));
    await assert.rejects(
      runtime(['replay', fixture('sensor-attacks.jsonl'), '--min-priority', 'loud']),
      expectCode('USAGE', /unknown priority "loud"/),
    );
  });
});
