/**
 * One error type for the whole project. Expected failures on untrusted input carry a code from this
 * union, so the CLI can map them to one-line messages and exit codes instead of stack traces.
 */
export type ErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'TARGET_NOT_FOUND' // a path, image or tag that does not exist
  | 'TARGET_UNRECOGNISED' // a file whose format could not be sniffed
  | 'REFERENCE_INVALID' // an image reference that does not parse
  | 'PLATFORM_NOT_FOUND' // no manifest for the requested platform in an index
  | 'MANIFEST_INVALID' // a manifest, index or config that is malformed
  | 'MANIFEST_UNSUPPORTED' // a media type or schema version we do not read (schema1, foreign artifacts)
  | 'ARCHIVE_INVALID' // a tar/gzip/zstd stream that is malformed or truncated
  | 'DIGEST_MISMATCH' // content that does not hash to the digest that names it
  | 'LIMIT_EXCEEDED' // a configured limit (bytes, entries, ratio, depth, time) was reached
  | 'PATH_ESCAPE' // an entry or link that points outside the image root
  | 'REGISTRY_AUTH' // 401/403 from a registry, or a credential helper failure
  | 'REGISTRY_HTTP' // any other unexpected HTTP status from a registry
  | 'REGISTRY_INSECURE' // plain HTTP or bad TLS to a registry not allowed to use it
  | 'NETWORK' // connection refused, reset, DNS failure, redirect loop
  | 'TIMEOUT' // a network operation took longer than its timeout
  | 'DAEMON_UNAVAILABLE' // no container engine answering on the socket
  | 'CACHE' // the cache directory is unusable
  | 'IO' // a local file system error
  | 'DB_NOT_FOUND' // no vulnerability database where one was expected
  | 'DB_INVALID' // a vulnerability database that is corrupt, of another schema, or half-written
  | 'FEED_INVALID' // a vulnerability feed (zip, OSV, tracker JSON, secdb, KEV, EPSS) that cannot be read at all
  | 'INPUT_INVALID' // a user-supplied document (SBOM, VEX, ignore file, rules, manifest, policy) that is malformed
  | 'INTERNAL'; // a bug: should never reach a user

export interface BollardErrorOptions {
  cause?: unknown;
  /** Structured context for logs and JSON output (never secrets). */
  details?: Record<string, unknown>;
}

export class BollardError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: C, message: string, options: BollardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BollardError';
    this.code = code;
    this.details = options.details;
  }
}

export function isBollardError(e: unknown, code?: ErrorCode): e is BollardError {
  return e instanceof BollardError && (code === undefined || e.code === code);
}

/** Process exit status for an error code: 2 for usage mistakes, 1 for everything else. */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'USAGE' ? 2 : 1;
}

/**
 * Turn anything thrown into a BollardError: Node system errors become IO/NETWORK/TIMEOUT,
 * everything unknown becomes INTERNAL (keeping the original as cause).
 */
export function toBollardError(e: unknown, context?: string): BollardError {
  if (e instanceof BollardError) return e;
  const prefix = context ? `${context}: ` : '';
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new BollardError('TARGET_NOT_FOUND', `${prefix}${e.message}`, { cause: e });
    if (
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      code === 'ENOTFOUND' ||
      code === 'EAI_AGAIN' ||
      code === 'EPIPE'
    )
      return new BollardError('NETWORK', `${prefix}${e.message}`, { cause: e });
    if (
      code === 'ETIMEDOUT' ||
      e.name === 'TimeoutError' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT'
    )
      return new BollardError('TIMEOUT', `${prefix}${e.message}`, { cause: e });
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      return new BollardError('IO', `${prefix}${e.message}`, { cause: e });
    return new BollardError('INTERNAL', `${prefix}${e.message}`, { cause: e });
  }
  return new BollardError('INTERNAL', `${prefix}${String(e)}`);
}
