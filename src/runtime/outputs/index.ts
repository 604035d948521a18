import { createWriteStream, type WriteStream } from 'node:fs';
import { request } from 'undici';
import { BollardError } from '../../util/errors.ts';
import { formatEvtTime, formatIsoNs } from '../events/fields.ts';
import type { Alert } from '../rules/engine.ts';
import type { Priority } from '../rules/loader.ts';

/**
 * Alert outputs: Falco's JSON shape (time, rule, priority, output, output_fields, source, tags,
 * hostname) or Falco's text line, written to a stream, a file, or an HTTP webhook such as
 * falcosidekick; plus a gate for rate limiting and deduplication in front of them.
 */

export type OutputFormat = 'json' | 'text';

const PRIORITY_WORD: Record<Priority, string> = {
  EMERGENCY: 'Emergency',
  ALERT: 'Alert',
  CRITICAL: 'Critical',
  ERROR: 'Error',
  WARNING: 'Warning',
  NOTICE: 'Notice',
  INFORMATIONAL: 'Informational',
  DEBUG: 'Debug',
};

/** Falco's priority spelling in outputs (`Warning`, `Informational`...). */
export function priorityWord(p: Priority): string {
  return PRIORITY_WORD[p];
}

/** The `output` string as Falco prints it: `HH:MM:SS.nnnnnnnnn: Priority text`. */
export function outputLine(a: Alert): string {
  return `${formatEvtTime(a.ts)}: ${PRIORITY_WORD[a.priority]} ${a.output}`;
}

/** The JSON object Falco writes with `json_output: true` (same keys, same value shapes). */
export function falcoJson(a: Alert, defaultHostname: string): Record<string, unknown> {
  return {
    hostname: a.hostname ?? defaultHostname,
    output: outputLine(a),
    output_fields: { 'evt.time': a.ts, ...a.outputFields },
    priority: PRIORITY_WORD[a.priority],
    rule: a.rule,
    source: a.source,
    tags: a.tags,
    time: formatIsoNs(a.ts),
  };
}

export function formatAlert(a: Alert, format: OutputFormat, defaultHostname: string): string {
  return format === 'json' ? JSON.stringify(falcoJson(a, defaultHostname)) : outputLine(a);
}

export interface AlertSink {
  readonly name: string;
  write(a: Alert): void;
  /** Flush and release (waits for in-flight webhook posts). */
  close(): Promise<void>;
  /** Alerts this sink could not deliver (webhook failures, full queue). */
  readonly failed: number;
}

/** Lines to a writable stream (stdout or an opened file). */
export function streamSink(
  name: string,
  out: NodeJS.WritableStream,
  format: OutputFormat,
  hostname: string,
  ownsStream = false,
): AlertSink {
  return {
    name,
    failed: 0,
    write(a) {
      out.write(`${formatAlert(a, format, hostname)}\n`);
    },
    async close() {
      if (!ownsStream) return;
      await new Promise<void>((r) => (out as WriteStream).end(() => r()));
    },
  };
}

/** Append alert lines to a file (created 0600 if absent). */
export function fileSink(path: string, format: OutputFormat, hostname: string): AlertSink {
  const ws = createWriteStream(path, { flags: 'a', mode: 0o600 });
  ws.on('error', () => {
    // Reported through close(); the sensor keeps running with its other outputs.
  });
  return streamSink(`file:${path}`, ws, format, hostname, true);
}

export interface WebhookOptions {
  /** Per-request timeout, ms (default 5000). */
  timeoutMs?: number;
  /** Most posts in flight or waiting (default 1000); beyond it alerts count as failed. */
  maxPending?: number;
  headers?: Record<string, string>;
}

/**
 * POST each alert as Falco JSON to a URL (falcosidekick listens on `http://host:2801/`). Posts run
 * in the background; failures and overflow are counted, never thrown into the sensor.
 */
export function webhookSink(url: string, hostname: string, opts: WebhookOptions = {}): AlertSink {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BollardError('USAGE', `webhook URL is not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new BollardError('USAGE', `webhook URL must be http(s): ${url}`);
  const timeout = opts.timeoutMs ?? 5000;
  const maxPending = opts.maxPending ?? 1000;
  const pending = new Set<Promise<void>>();
  let failed = 0;
  return {
    name: `webhook:${u.origin}`,
    get failed() {
      return failed;
    },
    write(a) {
      if (pending.size >= maxPending) {
        failed++;
        return;
      }
      const body = JSON.stringify(falcoJson(a, hostname));
      const p = request(u, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'bollard-runtime', ...opts.headers },
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      })
        .then(async (r) => {
          await r.body.dump();
          if (r.statusCode < 200 || r.statusCode >= 300) failed++;
        })
        .catch(() => {
          failed++;
        })
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async close() {
      await Promise.all(pending);
    },
  };
}

export interface GateOptions {
  /** Alerts per second allowed on average (token bucket); 0 or undefined: unlimited. */
  rate?: number;
  /** Bucket size (default: max(1, rate)). */
  burst?: number;
  /** Identical alerts (same rule and output) within this window are suppressed; 0: no dedup. */
  dedupWindowMs?: number;
  /** Clock in ms (tests and replay use event time). */
  now?: () => number;
}

export interface AlertGate {
  /** Whether to deliver this alert. */
  pass(a: Alert): boolean;
  readonly suppressed: { rate: number; duplicate: number };
}

/** Rate limiting and deduplication in front of every sink (Falco's outputs.rate / max_burst, plus dedup). */
export function createGate(opts: GateOptions = {}): AlertGate {
  const rate = opts.rate ?? 0;
  const burst = opts.burst ?? Math.max(1, rate);
  const window = opts.dedupWindowMs ?? 0;
  const now = opts.now ?? (() => Date.now());
  let tokens = burst;
  let last = now();
  const seen = new Map<string, number>();
  const suppressed = { rate: 0, duplicate: 0 };
  return {
    suppressed,
    pass(a) {
      const t = now();
      if (window > 0) {
        const key = `${a.rule}\u0000${a.output}`;
        const prev = seen.get(key);
        if (prev !== undefined && t - prev < window) {
          suppressed.duplicate++;
          return false;
        }
        seen.set(key, t);
        if (seen.size > 10_000) {
          for (const [k, v] of seen) if (t - v >= window) seen.delete(k);
          if (seen.size > 10_000) seen.clear();
        }
      }
      if (rate > 0) {
        tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate);
        last = t;
        if (tokens < 1) {
          suppressed.rate++;
          return false;
        }
        tokens -= 1;
      }
      return true;
    },
  };
}
