import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createEngine } from '../../rules/engine.ts';
import { upstreamRules } from '../../rules/upstream.ts';
import { startRuntime } from '../../service.ts';
import { auditLogSource, auditWebhookSource } from './index.ts';

const fixture = (n: string): string => fileURLToPath(new URL(`../../rules/__fixtures__/${n}`, import.meta.url));

describe('kubernetes audit source', () => {
  test('the webhook endpoint accepts EventLists over real HTTP; the engine fires the upstream rules', async () => {
    const malformed: string[] = [];
    const src = auditWebhookSource({ maxBodyBytes: 64 * 1024, onMalformed: (w, m) => malformed.push(`${w}: ${m}`) });
    const addr = await src.listening();
    const engine = createEngine([upstreamRules('k8s_audit_rules.yaml')]);
    const rules: string[] = [];
    const run = startRuntime({ engine, source: src, sinks: [], onAlert: (a) => rules.push(a.rule) });
    const url = `http://127.0.0.1:${addr.port}/k8s-audit`;
    const items = readFileSync(fixture('k8s-audit-attacks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    const post = async (body: string, path = '/k8s-audit') => {
      const r = await request(`http://127.0.0.1:${addr.port}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      return { status: r.statusCode, body: await r.body.text() };
    };
    assert.equal(
      (await post(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: items.slice(0, 3) })))
        .status,
      200,
    );
    assert.equal(
      (await post(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: items.slice(3) }))).status,
      200,
    );
    // Hostile and wrong requests are refused with a status, counted, and never stop the source.
    assert.equal((await post('{not json')).status, 400);
    assert.equal((await post(JSON.stringify({ kind: 'EventList', items: [{ kind: 'Event' }] }))).status, 400);
    assert.equal((await post(`${'['.repeat(200)}${']'.repeat(200)}`)).status, 400);
    assert.equal((await post('{}', '/other')).status, 404);
    const big = await post(JSON.stringify({ kind: 'EventList', items: [], pad: 'x'.repeat(70 * 1024) })).catch(() => ({
      status: 0,
    }));
    assert.notEqual(big.status, 200);
    assert.equal((await request(url)).statusCode, 405);
    await new Promise((r) => setTimeout(r, 50));
    await src.close();
    const m = await run.done;
    assert.deepEqual(rules, [
      'Create Privileged Pod',
      'ClusterRole With Wildcard Created',
      'Attach/Exec Pod',
      'Create/Modify Configmap With Private Credentials',
      'Create NodePort Service',
    ]);
    assert.equal(m.events, 5);
    assert.equal(src.stats().malformed, 4, malformed.join('\n'));
  });

  test('an audit log file (JSON lines) is read as the k8s_audit source', async () => {
    const engine = createEngine([upstreamRules('k8s_audit_rules.yaml')]);
    const run = startRuntime({ engine, source: auditLogSource(fixture('k8s-audit-benign.jsonl')), sinks: [] });
    const m = await run.done;
    assert.equal(m.events, 3);
    assert.equal(m.alerts, 0);
  });
});
