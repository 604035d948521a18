import type { AnyEvent, EventSourceName } from '../events/types.ts';

/**
 * What every event source backend implements (bpftrace, replay, k8s-audit file and webhook; a
 * native CO-RE helper later). The engine only sees this: an async stream of events, counters,
 * and a way to stop. A backend never drops silently: whatever it loses is counted in `lost` and
 * announced through `onLost`, and malformed input is counted in `malformed` and announced through
 * `onMalformed`.
 */
export interface EventSource {
  readonly name: string;
  readonly source: EventSourceName;
  /** The events, in arrival order. Ends when the input ends or after close(). */
  events(): AsyncIterable<AnyEvent>;
  stats(): SourceStats;
  close(): Promise<void>;
}

export interface SourceStats {
  /** Events delivered. */
  events: number;
  /** Events the backend knows it lost (kernel buffer overruns, queue overflow). */
  lost: number;
  /** Input records that could not be decoded (skipped). */
  malformed: number;
}

export interface SourceHooks {
  /** `count` events were lost at `ts` (ns). */
  onLost?: (count: number, ts: number) => void;
  /** A record was skipped; `where` is e.g. `file:12`. */
  onMalformed?: (where: string, message: string) => void;
}
