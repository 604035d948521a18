import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '../util/logger.ts';
import { createTempRoot } from '../util/tempdir.ts';
import type { EngineApi } from './enrich/engine-api.ts';
import { createEnricher, type Enricher } from './enrich/index.ts';
import { encodeEvent } from './events/record.ts';
import type { AnyEvent } from './events/types.ts';
import type { Engine } from './rules/engine.ts';
import { type BpftraceSource, bpftraceSource } from './sources/bpftrace/index.ts';
import { SUPPORTED_TYPES } from './sources/bpftrace/program.ts';

/**
 * The sensor: the bpftrace backend generated for the event types the active rules need, plus
 * enrichment. Returns the source and the enrich step for `startRuntime`, and resolves only once
 * every probe is attached.
 */
export interface SensorOptions {
  engine: Engine;
  log: Logger;
  api?: EngineApi;
  bpftrace?: string;
  perfPages?: number;
  sensitivePaths?: readonly string[];
  /** Also write every enriched event here (JSON lines for `runtime replay`). */
  record?: string;
  /** Lost events (kernel buffer overruns or queue overflow). */
  onLost?: (count: number, ts: number) => void;
}

export interface Sensor {
  source: BpftraceSource;
  enrich: (e: AnyEvent) => Promise<AnyEvent>;
  enricher: Enricher;
  /** Event types traced, and the ones the rules need that this kernel cannot trace. */
  traced: readonly string[];
  untraceable: readonly string[];
  probes: number;
  close(): Promise<void>;
}

export async function startSensor(o: SensorOptions): Promise<Sensor> {
  const wanted = o.engine.syscallEventTypes();
  const supported = new Set<string>(SUPPORTED_TYPES);
  const types = wanted === undefined ? undefined : new Set([...wanted].filter((t) => supported.has(t)));
  const untraceable = wanted === undefined ? [] : [...wanted].filter((t) => !supported.has(t));
  const tempRoot = createTempRoot('bollard-sensor-');
  const source = bpftraceSource({
    types,
    tempRoot,
    ...(o.bpftrace ? { bpftrace: o.bpftrace } : {}),
    ...(o.perfPages ? { perfPages: o.perfPages } : {}),
    ...(o.sensitivePaths ? { sensitivePaths: o.sensitivePaths } : {}),
    onLost: (n, ts) => {
      o.log.warn('events lost', { count: n });
      o.onLost?.(n, ts);
    },
    onMalformed: (where, message) => o.log.warn('bpftrace record skipped', { where, message }),
  });
  let probes: number;
  try {
    probes = (await source.ready()).probes;
  } catch (e) {
    await source.close();
    tempRoot.dispose();
    throw e;
  }
  const unsupportedByKernel = [...(types ?? supported)].filter(
    (t) =>
      !source.program.includes(`sys_enter_${t} `) &&
      !['execve', 'execveat', 'clone', 'fork', 'vfork', 'procexit'].includes(t),
  );
  const missing = [...untraceable, ...unsupportedByKernel];
  if (missing.length > 0) o.log.warn('event types the rules use that this sensor cannot trace', { types: missing });
  o.log.info('sensor attached', { probes });
  const enricher = createEnricher({ ...(o.api ? { api: o.api } : {}), log: o.log });
  enricher.watch();
  let rec: WriteStream | undefined;
  if (o.record) rec = createWriteStream(o.record, { flags: 'a', mode: 0o600 });
  const enrich = async (e: AnyEvent): Promise<AnyEvent> => {
    const out = await enricher.enrich(e);
    if (rec && out.source === 'syscall') rec.write(`${encodeEvent(out)}\n`);
    return out;
  };
  return {
    source,
    enrich,
    enricher,
    traced: types ? [...types] : [...supported],
    untraceable: missing,
    probes,
    async close() {
      await source.close();
      await enricher.close();
      if (rec) await new Promise<void>((r) => (rec as WriteStream).end(() => r()));
      tempRoot.dispose();
    },
  };
}
