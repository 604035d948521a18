import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BollardError } from './errors.ts';

/** An OCI content digest such as `sha256:<64 hex>`. Only sha256 and sha512 are accepted. */
export type Digest = `${'sha256' | 'sha512'}:${string}`;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

export function parseDigest(s: unknown, what = 'digest'): Digest {
  if (!isDigest(s)) {
    throw new BollardError(
      'MANIFEST_INVALID',
      `${what} is not a valid sha256/sha512 digest: ${String(s).slice(0, 80)}`,
    );
  }
  return s;
}

export function digestAlgorithm(d: Digest): 'sha256' | 'sha512' {
  return d.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

export function digestOf(data: Buffer | string, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** Throw DIGEST_MISMATCH unless `data` hashes to `expected`. */
export function verifyDigest(data: Buffer, expected: Digest, what: string): void {
  const actual = digestOf(data, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new BollardError('DIGEST_MISMATCH', `${what}: content hashes to ${actual}, expected ${expected}`, {
      details: { expected, actual },
    });
  }
}

/**
 * A pass-through stream that hashes what flows through it and counts bytes.
 * With `expected`, the stream errors with DIGEST_MISMATCH at its end when the hash differs,
 * so no consumer ever sees a successful end on tampered content.
 */
export class DigestingStream extends Transform {
  readonly #hash: Hash;
  readonly #algorithm: 'sha256' | 'sha512';
  readonly #expected: Digest | undefined;
  readonly #what: string;
  bytes = 0;
  digest: Digest | undefined;

  constructor(options: { expected?: Digest; algorithm?: 'sha256' | 'sha512'; what?: string } = {}) {
    super();
    this.#algorithm = options.expected ? digestAlgorithm(options.expected) : (options.algorithm ?? 'sha256');
    this.#hash = createHash(this.#algorithm);
    this.#expected = options.expected;
    this.#what = options.what ?? 'blob';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digest = `${this.#algorithm}:${this.#hash.digest('hex')}` as Digest;
    if (this.#expected && this.digest !== this.#expected) {
      cb(
        new BollardError(
          'DIGEST_MISMATCH',
          `${this.#what}: content hashes to ${this.digest}, expected ${this.#expected}`,
          {
            details: { expected: this.#expected, actual: this.digest },
          },
        ),
      );
      return;
    }
    cb();
  }
}
