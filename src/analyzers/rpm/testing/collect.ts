/** Test-only helpers: a warning collector and a seeded random generator for hostile inputs. */

import type { HeaderRecord, ReadOptions } from '../header.ts';

export interface CollectedWarning {
  code: string;
  message: string;
  sample: string | undefined;
}

export function collectWarnings(label = 'test'): ReadOptions & { warnings: CollectedWarning[] } {
  const warnings: CollectedWarning[] = [];
  return { label, warnings, warn: (code, message, sample) => warnings.push({ code, message, sample }) };
}

/** Run a callback-style reader and return what it produced. */
export function collectRecords(read: (sink: (r: HeaderRecord) => void) => void): HeaderRecord[] {
  const out: HeaderRecord[] = [];
  read((r) => out.push(r));
  return out;
}

/** mulberry32: small, seeded, reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** A copy of `buf` with `flips` random bytes replaced. */
export function mutate(buf: Buffer, rand: () => number, flips: number): Buffer {
  const out = Buffer.from(buf);
  for (let i = 0; i < flips; i++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
  return out;
}
