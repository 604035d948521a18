import type { Readable } from 'node:stream';

/**
 * Split a byte stream into lines with a bound: a line longer than `maxLineBytes` is yielded as
 * `{ tooLong: true }` (its bytes are dropped as they arrive, never buffered whole).
 */
export type Line = { text: string; no: number; tooLong?: false } | { tooLong: true; no: number };

export async function* boundedLines(
  input: Readable | AsyncIterable<Buffer | string>,
  maxLineBytes: number,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let no = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (!overflow) {
          if (size + buf.length > maxLineBytes) {
            overflow = true;
            parts = [];
            size = 0;
          } else {
            parts.push(buf);
            size += buf.length;
          }
        }
        break;
      }
      no++;
      const head = buf.subarray(0, nl);
      if (overflow || size + head.length > maxLineBytes) yield { tooLong: true, no };
      else {
        parts.push(head);
        const text = Buffer.concat(parts).toString('utf8');
        if (text.trim() !== '') yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, no };
      }
      parts = [];
      size = 0;
      overflow = false;
      buf = buf.subarray(nl + 1);
    }
  }
  if (overflow) yield { tooLong: true, no: no + 1 };
  else if (size > 0) {
    const text = Buffer.concat(parts).toString('utf8');
    if (text.trim() !== '') yield { text, no: no + 1 };
  }
}
