import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { engineApi } from '../enrich/engine-api.ts';
import type { RuntimeEvent } from '../events/types.ts';
import type { Alert } from '../rules/engine.ts';
import { createResponder } from './index.ts';

const ID = 'c18ae6cdae5d45a8cb1355dcc176869fbd54d9cd3ecc5313775317d469577187';
const event: RuntimeEvent = {
  source: 'syscall',
  type: 'execve',
  ts: 1,
  args: {},
  proc: { pid: 4242, name: 'nc' },
  container: { id: ID.slice(0, 12), fullId: ID },
};
const alert = (over: Partial<Alert> = {}): Alert => ({
  rule: 'Netcat Remote Code Execution in Container',
  priority: 'WARNING',
  source: 'syscall',
  tags: [],
  ts: 1,
  output: 'o',
  outputFields: {},
  hostname: undefined,
  event,
  ...over,
});

describe('responders (off by default, dry-run)', () => {
  test('kill by rule name; dry-run only reports', () => {
    const killed: number[] = [];
    const r = createResponder(
      { action: 'kill', rules: ['Netcat Remote Code Execution in Container'], dryRun: false },
      { kill: (p) => killed.push(p) },
    );
    r.handle(alert());
    r.handle(alert({ rule: 'Other' }));
    assert.deepEqual(killed, [4242]);
    const dry = createResponder(
      { action: 'kill', minPriority: 'ERROR', dryRun: true },
      { kill: (p) => killed.push(p) },
    );
    dry.handle(alert({ priority: 'CRITICAL' }));
    dry.handle(alert({ priority: 'WARNING' }));
    assert.deepEqual(killed, [4242], 'nothing killed in dry-run');
    assert.deepEqual(
      dry.records.map((x) => [x.action, x.target, x.dryRun, x.message]),
      [['kill', 'pid 4242', true, 'would kill']],
    );
  });

  test('a responder without rules or priority matches nothing', () => {
    const killed: number[] = [];
    const r = createResponder({ action: 'kill', dryRun: false }, { kill: (p) => killed.push(p) });
    r.handle(alert({ priority: 'EMERGENCY' }));
    assert.deepEqual(killed, []);
  });

  test('stop and pause go through the engine API, once per container', async () => {
    const calls: string[] = [];
    const server = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res.writeHead(204);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const api = engineApi(`tcp://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const stop = createResponder({ action: 'stop', minPriority: 'WARNING', dryRun: false }, { api });
      stop.handle(alert());
      stop.handle(alert());
      const pause = createResponder(
        { action: 'pause', rules: ['Netcat Remote Code Execution in Container'], dryRun: false },
        { api },
      );
      pause.handle(alert());
      await stop.settle();
      await pause.settle();
      assert.deepEqual(calls.sort(), [`POST /containers/${ID}/pause`, `POST /containers/${ID}/stop?t=2`]);
      assert.equal(stop.records[0]?.ok, true);
    } finally {
      await api.close();
      server.close();
    }
  });
});
