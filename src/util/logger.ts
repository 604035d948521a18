import { pino } from 'pino';

/**
 * Structured logging: static messages, data in fields. `json` writes one JSON object per line
 * (pino), `text` a short human line; both go to stderr so stdout carries only the document.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where to write (default: stderr, fd 2). */
  destination?: NodeJS.WritableStream;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'warn';
  if (level === 'silent') return silentLogger;
  if ((options.format ?? 'text') === 'json') {
    const p = pino(
      { level, base: { name: 'bollard' } },
      options.destination ?? pino.destination({ fd: 2, sync: true }),
    );
    return wrapPino(p);
  }
  return textLogger(level, options.destination ?? process.stderr, {});
}

function wrapPino(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (bindings) => wrapPino(p.child(bindings)),
  };
}

function textLogger(level: LogLevel, out: NodeJS.WritableStream, bindings: Record<string, unknown>): Logger {
  const min = ORDER[level];
  const write = (l: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[l] < min) return;
    const all = { ...bindings, ...fields };
    const kv = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    out.write(`${l.toUpperCase().padEnd(5)} ${msg}${kv ? ` ${kv}` : ''}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (b) => textLogger(level, out, { ...bindings, ...b }),
  };
}
