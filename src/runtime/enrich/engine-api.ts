import { Pool } from 'undici';
import { parseDaemonHost } from '../../artifact/daemon/index.ts';
import { BollardError, toBollardError } from '../../util/errors.ts';
import { jsonDepth } from '../../util/json.ts';

/**
 * A small Docker Engine API client for the runtime (podman's API service answers it): container
 * inspect, the event stream, and stop/pause/kill for responders. Bodies are bounded; every call
 * has a timeout.
 */
export interface EngineApi {
  readonly display: string;
  getJson(path: string, what: string): Promise<unknown>;
  post(path: string, what: string): Promise<number>;
  /** A streaming GET (the /events endpoint); lines are parsed by the caller. */
  stream(path: string, signal: AbortSignal): Promise<AsyncIterable<Buffer>>;
  close(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

export function engineApi(host: string, timeoutMs = 5000): EngineApi {
  const ep = parseDaemonHost(host);
  // A pool: the /events stream holds one connection for its whole life.
  const client = new Pool(ep.origin, {
    connections: 8,
    ...(ep.socketPath ? { socketPath: ep.socketPath } : {}),
    headersTimeout: timeoutMs,
    bodyTimeout: 0,
    connectTimeout: timeoutMs,
  });
  const fail = (e: unknown, what: string): BollardError => {
    const b = toBollardError(e, what);
    if (b.code === 'NETWORK' || b.code === 'TARGET_NOT_FOUND')
      return new BollardError('DAEMON_UNAVAILABLE', `no container engine answering on ${ep.display}: ${b.message}`, {
        cause: e,
      });
    return b;
  };
  return {
    display: ep.display,
    async getJson(path, what) {
      let r: Awaited<ReturnType<typeof client.request>>;
      try {
        r = await client.request({ path, method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      } catch (e) {
        throw fail(e, what);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of r.body) {
        size += (c as Buffer).length;
        if (size > MAX_BODY) {
          r.body.destroy();
          throw new BollardError('LIMIT_EXCEEDED', `${what}: engine answer larger than ${MAX_BODY} bytes`);
        }
        chunks.push(c as Buffer);
      }
      if (r.statusCode === 404) throw new BollardError('TARGET_NOT_FOUND', `${what}: not found in the engine`);
      if (r.statusCode !== 200)
        throw new BollardError('DAEMON_UNAVAILABLE', `${what}: engine answered HTTP ${r.statusCode}`);
      const text = Buffer.concat(chunks).toString('utf8');
      if (jsonDepth(text) > 64) throw new BollardError('LIMIT_EXCEEDED', `${what}: engine answer nests too deep`);
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        throw new BollardError('DAEMON_UNAVAILABLE', `${what}: engine answer is not JSON`, { cause: e });
      }
    },
    async post(path, what) {
      try {
        const r = await client.request({ path, method: 'POST', headersTimeout: timeoutMs * 4, bodyTimeout: timeoutMs });
        await r.body.dump();
        return r.statusCode;
      } catch (e) {
        throw fail(e, what);
      }
    },
    async stream(path, signal) {
      try {
        const r = await client.request({ path, method: 'GET', signal, headersTimeout: timeoutMs, bodyTimeout: 0 });
        if (r.statusCode !== 200) {
          await r.body.dump();
          throw new BollardError('DAEMON_UNAVAILABLE', `${path}: engine answered HTTP ${r.statusCode}`);
        }
        return r.body as AsyncIterable<Buffer>;
      } catch (e) {
        throw fail(e, path);
      }
    },
    async close() {
      await client.close().catch(() => undefined);
    },
  };
}
