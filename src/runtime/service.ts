import { hostname as osHostname } from 'node:os';
import type { AnyEvent, EventSourceName } from './events/types.ts';
import { type AlertGate, type AlertSink, createGate } from './outputs/index.ts';
import type { Responder } from './responders/index.ts';
import type { Alert, Engine } from './rules/engine.ts';
import type { EventSource } from './sources/types.ts';

/**
 * The runtime pipeline shared by the sensor and replay: source → (enrich) → engine → gate → sinks
 * and responders. Lost events become their own alert and a metric; malformed records are counted.
 */

export const LOST_EVENTS_RULE = 'Bollard internal: events lost';

export interface RuntimeMetrics {
  events: number;
  alerts: number;
  alertsByRule: Record<string, number>;
  lost: number;
  malformed: number;
  suppressedRate: number;
  suppressedDuplicate: number;
  evalErrors: number;
  sinkFailures: number;
}

export interface RunOptions {
  engine: Engine;
  source: EventSource;
  sinks: AlertSink[];
  gate?: AlertGate;
  responders?: Responder[];
  /** Fill container, user and drift fields before evaluation (the sensor's enricher). */
  enrich?: (e: AnyEvent) => AnyEvent | Promise<AnyEvent>;
  /** Called for every delivered alert (tests, metrics). */
  onAlert?: (a: Alert) => void;
  hostname?: string;
}

/** The alert announcing lost events (Falco announces syscall drops the same way). */
export function lostEventsAlert(
  source: EventSourceName,
  count: number,
  ts: number,
  total: number,
  backend: string,
): Alert {
  return {
    rule: LOST_EVENTS_RULE,
    priority: 'CRITICAL',
    source,
    tags: ['bollard', 'sensor'],
    ts,
    output: `Events were lost by the ${backend} event source (lost=${count} total_lost=${total}); detections may be missing for this interval`,
    outputFields: { 'bollard.lost': count, 'bollard.lost_total': total, 'bollard.backend': backend },
    hostname: undefined,
    event: { source: 'k8s_audit', ts, event: {} },
  };
}

export interface RuntimeRun {
  /** Resolves when the source ends (or is closed); the metrics at that point. */
  done: Promise<RuntimeMetrics>;
  metrics(): RuntimeMetrics;
  /** Deliver an alert that did not come from the engine (lost events, sensor health). */
  emit(a: Alert): void;
}

export function startRuntime(o: RunOptions): RuntimeRun {
  const gate = o.gate ?? createGate();
  const m: RuntimeMetrics = {
    events: 0,
    alerts: 0,
    alertsByRule: {},
    lost: 0,
    malformed: 0,
    suppressedRate: 0,
    suppressedDuplicate: 0,
    evalErrors: 0,
    sinkFailures: 0,
  };
  const snapshot = (): RuntimeMetrics => {
    const s = o.source.stats();
    return {
      ...m,
      alertsByRule: { ...m.alertsByRule },
      lost: s.lost,
      malformed: s.malformed,
      suppressedRate: gate.suppressed.rate,
      suppressedDuplicate: gate.suppressed.duplicate,
      evalErrors: o.engine.evalErrors,
      sinkFailures: o.sinks.reduce((n, k) => n + k.failed, 0),
    };
  };
  const deliver = (a: Alert, gated: boolean): void => {
    if (gated && !gate.pass(a)) return;
    m.alerts++;
    m.alertsByRule[a.rule] = (m.alertsByRule[a.rule] ?? 0) + 1;
    const withHost = a.hostname ? a : { ...a, hostname: o.hostname ?? osHostname() };
    for (const s of o.sinks) {
      try {
        s.write(withHost);
      } catch {
        // A broken sink never stops the sensor; its failures are counted by the sink.
      }
    }
    o.onAlert?.(withHost);
    for (const r of o.responders ?? []) r.handle(withHost);
  };
  const done = (async (): Promise<RuntimeMetrics> => {
    for await (const ev of o.source.events()) {
      m.events++;
      const e = o.enrich ? await o.enrich(ev) : ev;
      for (const a of o.engine.evaluate(e)) deliver(a, true);
    }
    await Promise.all(o.sinks.map((s) => s.close()));
    return snapshot();
  })();
  return {
    done,
    metrics: snapshot,
    emit: (a) => deliver(a, false),
  };
}
