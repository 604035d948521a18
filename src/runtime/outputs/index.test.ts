import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import type { RuntimeEvent } from '../events/types.ts';
import type { Alert } from '../rules/engine.ts';
import { createGate, falcoJson, formatAlert, streamSink, webhookSink } from './index.ts';

const event: RuntimeEvent = {
  source: 'syscall',
  type: 'execve',
  // 1795860000123456768: a double holds it exactly (a multiple of 256).
  ts: 1_795_860_000 * 1e9 + 123_456_768,
  args: {},
  proc: { pid: 1, name: 'sh' },
};
const alert = (over: Partial<Alert> = {}): Alert => ({
  rule: 'R',
  priority: 'WARNING',
  source: 'syscall',
  tags: ['t'],
  ts: event.ts,
  output: 'something happened | proc=sh',
  outputFields: { 'proc.name': 'sh', 'user.uid': 0, 'fd.name': null },
  hostname: undefined,
  event,
  ...over,
});

describe('outputs', () => {
  test('Falco JSON and text shapes', () => {
    const j = falcoJson(alert(), 'node-1');
    assert.deepEqual(j, {
      hostname: 'node-1',
      output: `${new Date(Math.floor(event.ts / 1e6)).toISOString().slice(11, 19)}.123456768: Warning something happened | proc=sh`,
      output_fields: { 'evt.time': event.ts, 'proc.name': 'sh', 'user.uid': 0, 'fd.name': null },
      priority: 'Warning',
      rule: 'R',
      source: 'syscall',
      tags: ['t'],
      time: `${new Date(Math.floor(event.ts / 1e6)).toISOString().slice(0, 19)}.123456768Z`,
    });
    assert.match(
      formatAlert(alert({ priority: 'INFORMATIONAL' }), 'text', 'h'),
      /^\d\d:\d\d:\d\d\.123456768: Informational something happened/,
    );
  });

  test('a stream sink writes one line per alert', () => {
    const out = new PassThrough();
    const s = streamSink('t', out, 'json', 'h');
    s.write(alert());
    s.write(alert({ rule: 'S' }));
    const lines = String(out.read()).trim().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { rule: string }).rule),
      ['R', 'S'],
    );
  });

  test('the gate deduplicates within its window and rate-limits with a token bucket', () => {
    let now = 0;
    const g = createGate({ dedupWindowMs: 1000, rate: 2, burst: 2, now: () => now });
    assert.equal(g.pass(alert()), true);
    assert.equal(g.pass(alert()), false, 'duplicate');
    assert.equal(g.pass(alert({ output: 'other' })), true);
    assert.equal(g.pass(alert({ output: 'third' })), false, 'bucket empty');
    now = 1500;
    assert.equal(g.pass(alert()), true, 'window over, bucket refilled');
    assert.deepEqual(g.suppressed, { rate: 1, duplicate: 1 });
  });

  test('the webhook sink POSTs Falco JSON like falcosidekick expects; failures are counted', async () => {
    const got: { ct: string | undefined; body: unknown }[] = [];
    let fail = false;
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => {
        b += c.toString();
      });
      req.on('end', () => {
        got.push({ ct: req.headers['content-type'], body: JSON.parse(b) as unknown });
        res.writeHead(fail ? 500 : 200);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const s = webhookSink(`http://127.0.0.1:${port}/`, 'node-1');
    s.write(alert());
    await s.close();
    fail = true;
    s.write(alert({ rule: 'S' }));
    await s.close();
    server.close();
    assert.equal(got.length, 2);
    assert.equal(got[0]?.ct, 'application/json');
    assert.deepEqual(Object.keys(got[0]?.body as object).sort(), [
      'hostname',
      'output',
      'output_fields',
      'priority',
      'rule',
      'source',
      'tags',
      'time',
    ]);
    assert.equal(s.failed, 1);
    const dead = webhookSink('http://127.0.0.1:1/', 'h', { timeoutMs: 500 });
    dead.write(alert());
    await dead.close();
    assert.equal(dead.failed, 1, 'a refused connection is counted, not thrown');
  });
});
