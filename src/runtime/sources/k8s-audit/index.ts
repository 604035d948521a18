import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { BollardError } from '../../../util/errors.ts';
import { jsonDepth } from '../../../util/json.ts';
import { decodeRecord, defaultRecordLimits, type RecordLimits } from '../../events/record.ts';
import type { AnyEvent } from '../../events/types.ts';
import { createQueue } from '../queue.ts';
import { replaySource } from '../replay/index.ts';
import type { EventSource, SourceHooks, SourceStats } from '../types.ts';

export const id = 'k8s-audit';

/** An audit log file written by the API server's log backend (one JSON Event per line). */
export function auditLogSource(
  input: string | Readable,
  hooks: SourceHooks & { limits?: RecordLimits } = {},
): EventSource {
  const src = replaySource(input, { ...hooks, source: 'k8s_audit' });
  return { ...src, name: `${id}:file` };
}

export interface AuditWebhookOptions extends SourceHooks {
  /** Default 127.0.0.1; port 0 picks a free port (read it from `address()`). */
  host?: string;
  port?: number;
  /** Path the API server posts to (Falco's k8saudit plugin uses /k8s-audit). */
  path?: string;
  /** Largest request body, bytes. */
  maxBodyBytes?: number;
  /** Most events waiting for the engine; beyond it requests get 503 and the events count as lost. */
  queueCapacity?: number;
  limits?: RecordLimits;
}

export interface AuditWebhookSource extends EventSource {
  /** Resolves once listening, with the bound address. */
  listening(): Promise<AddressInfo>;
}

/**
 * The audit webhook endpoint: the API server's webhook backend POSTs `EventList` (or single
 * `Event`) JSON; each request is bounded, validated and answered 200 once queued.
 */
export function auditWebhookSource(opts: AuditWebhookOptions = {}): AuditWebhookSource {
  const lim = opts.limits ?? defaultRecordLimits;
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const path = opts.path ?? '/k8s-audit';
  const queue = createQueue<AnyEvent>(opts.queueCapacity ?? 100_000);
  const st: SourceStats = { events: 0, lost: 0, malformed: 0 };
  let requests = 0;
  const reply = (res: ServerResponse, code: number, body: string): void => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = (req.url ?? '').split('?')[0];
    if (url !== path) {
      reply(res, 404, '{"error":"not found"}');
      return;
    }
    if (req.method !== 'POST') {
      reply(res, 405, '{"error":"POST an audit EventList"}');
      return;
    }
    const n = ++requests;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      if (tooBig) return;
      size += c.length;
      if (size > maxBody) {
        tooBig = true;
        chunks.length = 0;
        st.malformed++;
        opts.onMalformed?.(`webhook request ${n}`, `body larger than ${maxBody} bytes`);
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: `body larger than ${maxBody} bytes` }), () => req.destroy());
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooBig) return;
      const text = Buffer.concat(chunks).toString('utf8');
      const fail = (msg: string): void => {
        st.malformed++;
        opts.onMalformed?.(`webhook request ${n}`, msg);
        reply(res, 400, JSON.stringify({ error: msg }));
      };
      if (jsonDepth(text) > lim.maxDepth) {
        fail(`JSON nests deeper than ${lim.maxDepth} levels`);
        return;
      }
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        fail(`not JSON: ${(e as Error).message}`);
        return;
      }
      const r = decodeRecord(v, lim);
      if (!r.ok) {
        fail(r.error);
        return;
      }
      let lost = 0;
      for (const e of r.events) {
        if (queue.push(e)) st.events++;
        else lost++;
      }
      if (lost > 0) {
        st.lost += lost;
        opts.onLost?.(lost, Date.now() * 1e6);
        reply(res, 503, JSON.stringify({ error: `queue full: ${lost} event(s) not accepted` }));
        return;
      }
      reply(res, 200, '{}');
    });
  };
  const server: Server = createServer(handle);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const ready = new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', (e) => reject(new BollardError('IO', `audit webhook cannot listen: ${e.message}`)));
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
  return {
    name: `${id}:webhook`,
    source: 'k8s_audit',
    listening: () => ready,
    stats: () => ({ ...st }),
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      queue.end();
    },
    events: () => queue,
  };
}
