/**
 * Test-only writer of rpm header blobs (database form: intro, index, data; no magic), for headers
 * rpmbuild 4.18 cannot make (old FILENAMES, I18NSTRING names) and for hostile variations.
 */

import { RPM_TYPE } from '../header.ts';

export interface TestEntry {
  tag: number;
  type: number;
  /** STRING/I18NSTRING: string or string[]; STRING_ARRAY: string[]; INT32/INT16/INT8/CHAR: number[]; BIN: Buffer. */
  value: string | string[] | number[] | Buffer;
}

const ALIGN: Record<number, number> = { [RPM_TYPE.INT16]: 2, [RPM_TYPE.INT32]: 4, [RPM_TYPE.INT64]: 8 };

export function buildHeader(entries: TestEntry[]): Buffer {
  const chunks: Buffer[] = [];
  let size = 0;
  const index = Buffer.alloc(entries.length * 16);
  entries.forEach((e, i) => {
    const align = ALIGN[e.type] ?? 1;
    const pad = (align - (size % align)) % align;
    if (pad) {
      chunks.push(Buffer.alloc(pad));
      size += pad;
    }
    const { bytes, count } = encode(e);
    index.writeUInt32BE(e.tag, i * 16);
    index.writeUInt32BE(e.type, i * 16 + 4);
    index.writeUInt32BE(size, i * 16 + 8);
    index.writeUInt32BE(count, i * 16 + 12);
    chunks.push(bytes);
    size += bytes.length;
  });
  const intro = Buffer.alloc(8);
  intro.writeUInt32BE(entries.length, 0);
  intro.writeUInt32BE(size, 4);
  return Buffer.concat([intro, index, ...chunks]);
}

function encode(e: TestEntry): { bytes: Buffer; count: number } {
  const v = e.value;
  switch (e.type) {
    case RPM_TYPE.STRING:
    case RPM_TYPE.I18NSTRING:
    case RPM_TYPE.STRING_ARRAY: {
      const list = typeof v === 'string' ? [v] : (v as string[]);
      return { bytes: Buffer.concat(list.map((s) => Buffer.from(`${s}\0`, 'utf8'))), count: list.length };
    }
    case RPM_TYPE.INT32: {
      const list = v as number[];
      const b = Buffer.alloc(list.length * 4);
      for (const [i, n] of list.entries()) b.writeUInt32BE(n, i * 4);
      return { bytes: b, count: list.length };
    }
    case RPM_TYPE.INT16: {
      const list = v as number[];
      const b = Buffer.alloc(list.length * 2);
      for (const [i, n] of list.entries()) b.writeUInt16BE(n, i * 2);
      return { bytes: b, count: list.length };
    }
    case RPM_TYPE.CHAR:
    case RPM_TYPE.INT8:
      return { bytes: Buffer.from(v as number[]), count: (v as number[]).length };
    case RPM_TYPE.BIN:
      return { bytes: v as Buffer, count: (v as Buffer).length };
    default:
      throw new Error(`test header builder: unsupported type ${e.type}`);
  }
}

/** Byte offset of index entry `i` in a blob built by buildHeader (tag +0, type +4, offset +8, count +12). */
export function entryAt(i: number): number {
  return 8 + i * 16;
}
