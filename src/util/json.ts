import { BollardError } from './errors.ts';

export interface JsonBounds {
  maxBytes: number;
  maxDepth: number;
  /** What the document is, for the error message ("manifest", "index.json"...). */
  what: string;
}

/**
 * Parse untrusted JSON with a size and nesting bound. The depth is measured on the raw text before
 * parsing (a linear scan that skips strings), so a hostile document never reaches the parser.
 */
export function parseJsonBounded(input: Buffer | string, bounds: JsonBounds): unknown {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > bounds.maxBytes) {
    throw new BollardError('LIMIT_EXCEEDED', `${bounds.what} is ${size} bytes, over the limit of ${bounds.maxBytes}`);
  }
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const depth = jsonDepth(text);
  if (depth > bounds.maxDepth) {
    throw new BollardError('LIMIT_EXCEEDED', `${bounds.what} nests deeper than ${bounds.maxDepth} levels`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BollardError('MANIFEST_INVALID', `${bounds.what} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Maximum bracket nesting of a JSON text, ignoring brackets inside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return max;
}

/** Narrowing helpers for untrusted parsed JSON. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function asStringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

export function asStringRecord(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}
