import { createHash } from 'node:crypto';

/** Characters shown by default; never more than a quarter of the secret. */
export const DEFAULT_REVEAL = 4;

/**
 * The only form in which a secret leaves the scanner: a short prefix (or a rule's non-secret label,
 * such as a PEM header) and a truncated SHA-256 that lets a reader tell two findings of the same
 * secret apart from two different ones without seeing either.
 */
export function redactSecret(secret: string, reveal = DEFAULT_REVEAL, label?: string): { match: string; hash: string } {
  const hash = `sha256:${createHash('sha256').update(secret, 'latin1').digest('hex').slice(0, 16)}`;
  if (label !== undefined) return { match: `${label}…`, hash };
  const n = Math.max(0, Math.min(reveal, Math.floor(secret.length / 4)));
  return { match: `${secret.slice(0, n)}…`, hash };
}
