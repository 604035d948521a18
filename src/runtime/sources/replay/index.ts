import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { BollardError } from '../../../util/errors.ts';
import { decodeLine, defaultRecordLimits, type RecordLimits } from '../../events/record.ts';
import type { AnyEvent, EventSourceName } from '../../events/types.ts';
import { boundedLines } from '../lines.ts';
import type { EventSource, SourceHooks, SourceStats } from '../types.ts';

export const id = 'replay';

export interface ReplayOptions extends SourceHooks {
  /** Which events to keep: sensor events (`syscall`) or Kubernetes audit events (`k8s_audit`). */
  source: EventSourceName;
  /** Shown in messages (`FILE:LINE`). */
  what?: string;
  limits?: RecordLimits;
}

/**
 * Replay a recording (the sensor's JSON lines, or Kubernetes audit events/EventLists one per line)
 * deterministically: events come out in file order with their recorded times. Records of the other
 * source are skipped and counted as malformed, with their line.
 */
export function replaySource(input: string | Readable, opts: ReplayOptions): EventSource {
  const lim = opts.limits ?? defaultRecordLimits;
  const what = opts.what ?? (typeof input === 'string' ? input : 'input');
  const st: SourceStats = { events: 0, lost: 0, malformed: 0 };
  let stream: Readable | undefined;
  let closed = false;
  const malformed = (line: number, msg: string): void => {
    st.malformed++;
    opts.onMalformed?.(`${what}:${line}`, msg);
  };
  return {
    name: id,
    source: opts.source,
    stats: () => ({ ...st }),
    async close() {
      closed = true;
      stream?.destroy();
    },
    async *events(): AsyncGenerator<AnyEvent> {
      if (typeof input === 'string') {
        stream = createReadStream(input);
        await new Promise<void>((resolve, reject) => {
          (stream as Readable).once('open', () => resolve());
          (stream as Readable).once('error', (e) =>
            reject(
              new BollardError(
                (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'TARGET_NOT_FOUND' : 'IO',
                `cannot read ${input}: ${e.message}`,
              ),
            ),
          );
        });
      } else stream = input;
      for await (const line of boundedLines(stream, lim.maxLineBytes)) {
        if (closed) return;
        if (line.tooLong) {
          malformed(line.no, `line is longer than ${lim.maxLineBytes} bytes`);
          continue;
        }
        const r = decodeLine(line.text, lim);
        if (!r.ok) {
          malformed(line.no, r.error);
          continue;
        }
        for (const e of r.events) {
          if (e.source !== opts.source) {
            malformed(line.no, `a ${e.source} event in a ${opts.source} replay`);
            continue;
          }
          st.events++;
          yield e;
        }
      }
    },
  };
}
