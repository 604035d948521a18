import type { Logger } from '../../util/logger.ts';
import type { EngineApi } from '../enrich/engine-api.ts';
import type { Alert } from '../rules/engine.ts';
import { type Priority, priorityLevel } from '../rules/loader.ts';

/**
 * Responders act on alerts: kill the process, stop or pause the container through the engine API.
 * Off unless configured; each one matches by rule name and/or minimum priority, and `dryRun`
 * only reports what it would do. Actions run in the background and never throw into the sensor.
 */

export type ResponderAction = 'kill' | 'stop' | 'pause';

export interface ResponderConfig {
  action: ResponderAction;
  /** Rule names this responder acts on (any rule when absent). */
  rules?: string[];
  /** Act only on alerts at least this severe (any when absent). Rules or priority must be given. */
  minPriority?: Priority;
  dryRun: boolean;
}

export interface ResponderRecord {
  action: ResponderAction;
  rule: string;
  target: string;
  dryRun: boolean;
  ok: boolean;
  message: string;
}

export interface Responder {
  handle(a: Alert): void;
  /** What was done (or would have been, in dry-run), most recent last (bounded). */
  readonly records: readonly ResponderRecord[];
  /** Wait for actions in flight. */
  settle(): Promise<void>;
}

export interface ResponderDeps {
  api?: EngineApi;
  log?: Logger;
  /** Kill a host pid (default: process.kill(pid, 'SIGKILL')). */
  kill?: (pid: number) => void;
}

const MAX_RECORDS = 1000;

export function createResponder(cfg: ResponderConfig, deps: ResponderDeps = {}): Responder {
  const records: ResponderRecord[] = [];
  const inflight = new Set<Promise<void>>();
  const done = new Set<string>();
  const note = (r: ResponderRecord): void => {
    records.push(r);
    if (records.length > MAX_RECORDS) records.shift();
    deps.log?.warn('responder action', { ...r });
  };
  const matches = (a: Alert): boolean => {
    if (a.source !== 'syscall' || a.event.source !== 'syscall') return false;
    if (cfg.rules && !cfg.rules.includes(a.rule)) return false;
    if (cfg.minPriority && priorityLevel(a.priority) > priorityLevel(cfg.minPriority)) return false;
    return cfg.rules !== undefined || cfg.minPriority !== undefined;
  };
  return {
    records,
    async settle() {
      await Promise.all(inflight);
    },
    handle(a) {
      if (!matches(a) || a.event.source !== 'syscall') return;
      const ev = a.event;
      if (cfg.action === 'kill') {
        const pid = ev.proc.pid;
        const target = `pid ${pid}`;
        if (cfg.dryRun)
          return note({ action: 'kill', rule: a.rule, target, dryRun: true, ok: true, message: 'would kill' });
        try {
          (deps.kill ?? ((p: number) => process.kill(p, 'SIGKILL')))(pid);
          note({ action: 'kill', rule: a.rule, target, dryRun: false, ok: true, message: 'killed' });
        } catch (e) {
          note({ action: 'kill', rule: a.rule, target, dryRun: false, ok: false, message: (e as Error).message });
        }
        return;
      }
      const id = ev.container?.fullId ?? ev.container?.id;
      if (!id || id === 'host') return;
      const key = `${cfg.action}:${id}`;
      if (done.has(key)) return; // one stop/pause per container
      done.add(key);
      const target = `container ${id.slice(0, 12)}`;
      if (cfg.dryRun)
        return note({
          action: cfg.action,
          rule: a.rule,
          target,
          dryRun: true,
          ok: true,
          message: `would ${cfg.action}`,
        });
      const api = deps.api;
      if (!api)
        return note({ action: cfg.action, rule: a.rule, target, dryRun: false, ok: false, message: 'no engine API' });
      const path =
        cfg.action === 'stop'
          ? `/containers/${encodeURIComponent(id)}/stop?t=2`
          : `/containers/${encodeURIComponent(id)}/pause`;
      const p = api
        .post(path, `${cfg.action} ${target}`)
        .then((status) => {
          const ok = status === 204 || status === 304;
          note({ action: cfg.action, rule: a.rule, target, dryRun: false, ok, message: `engine answered ${status}` });
        })
        .catch((e: Error) =>
          note({ action: cfg.action, rule: a.rule, target, dryRun: false, ok: false, message: e.message }),
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
  };
}
