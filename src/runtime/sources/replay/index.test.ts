import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { expectCode } from '../../../../test/helpers/errors.ts';
import type { AnyEvent } from '../../events/types.ts';
import { createEngine } from '../../rules/engine.ts';
import { upstreamRules } from '../../rules/upstream.ts';
import { startRuntime } from '../../service.ts';
import { replaySource } from './index.ts';

const fixture = (n: string): string => fileURLToPath(new URL(`../../rules/__fixtures__/${n}`, import.meta.url));

async function collect(src: ReturnType<typeof replaySource>): Promise<AnyEvent[]> {
  const out: AnyEvent[] = [];
  for await (const e of src.events()) out.push(e);
  return out;
}

describe('replay source', () => {
  test('reads the sensor recording in order, deterministically', async () => {
    const a = await collect(replaySource(fixture('sensor-attacks.jsonl'), { source: 'syscall' }));
    const b = await collect(replaySource(fixture('sensor-attacks.jsonl'), { source: 'syscall' }));
    assert.equal(a.length, 9);
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((e) => e.ts),
      a.map((e) => e.ts).sort((x, y) => x - y),
    );
  });

  test('malformed records are skipped and reported with their line, never fatal (acceptance 4)', async () => {
    const lines = [
      '{"source":"syscall","type":"execve","ts":1,"proc":{"pid":1,"name":"sh"},"args":{}}',
      'not json',
      '{"source":"syscall","type":"execve","ts":"yesterday","proc":{"pid":1,"name":"sh"}}',
      '{"source":"syscall","type":"Bad Type","ts":1,"proc":{"pid":1,"name":"sh"}}',
      '{"source":"syscall","type":"openat","ts":2,"proc":{"pid":1}}',
      `{"source":"syscall","type":"openat","ts":2,"proc":{"pid":1,"name":"x"},"args":{"a":${'['.repeat(100)}${']'.repeat(100)}}}`,
      'x'.repeat(2000),
      '{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get"}',
      '{"source":"syscall","type":"openat","ts":3,"proc":{"pid":2,"name":"cat","args":["a"]},"args":{"flags":"O_RDONLY"},"user":{"uid":0}}',
    ];
    const bad: string[] = [];
    const src = replaySource(Readable.from([`${lines.join('\n')}\n`]), {
      source: 'syscall',
      what: 'rec.jsonl',
      limits: { maxLineBytes: 1000, maxDepth: 64, maxStringChars: 100, maxItems: 10 },
      onMalformed: (where, msg) => bad.push(`${where}: ${msg}`),
    });
    const evs = await collect(src);
    assert.equal(evs.length, 2);
    assert.deepEqual(bad, [
      'rec.jsonl:2: not JSON: Unexpected token \'o\', "not json" is not valid JSON',
      'rec.jsonl:3: ts must be a number',
      'rec.jsonl:4: type "Bad Type" is not an event type',
      'rec.jsonl:5: proc.name is missing',
      'rec.jsonl:6: JSON nests deeper than 64 levels',
      'rec.jsonl:7: line is longer than 1000 bytes',
      'rec.jsonl:8: a k8s_audit event in a syscall replay',
    ]);
    assert.equal(src.stats().malformed, 7);
  });

  test('a missing file is a clear error', async () => {
    await assert.rejects(
      collect(replaySource('/nonexistent/rec.jsonl', { source: 'syscall' })),
      expectCode('TARGET_NOT_FOUND', /cannot read/),
    );
  });

  test('the pipeline replays audit events through the engine into alerts', async () => {
    const engine = createEngine([upstreamRules('k8s_audit_rules.yaml')]);
    const rules: string[] = [];
    const run = startRuntime({
      engine,
      source: replaySource(fixture('k8s-audit-attacks.jsonl'), { source: 'k8s_audit' }),
      sinks: [],
      onAlert: (a) => rules.push(a.rule),
    });
    const m = await run.done;
    assert.equal(m.events, 5);
    assert.equal(m.alerts, 5);
    assert.deepEqual(rules, [
      'Create Privileged Pod',
      'ClusterRole With Wildcard Created',
      'Attach/Exec Pod',
      'Create/Modify Configmap With Private Credentials',
      'Create NodePort Service',
    ]);
  });
});
