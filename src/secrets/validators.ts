import { crc32 } from 'node:zlib';
import type { SecretValidator } from './types.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 of a 32-bit number, left-padded with zeros to 6 characters (GitHub's and npm's checksum). */
export function base62Checksum(n: number): string {
  let s = '';
  let v = n >>> 0;
  do {
    s = BASE62[v % 62] + s;
    v = Math.floor(v / 62);
  } while (v > 0);
  return s.padStart(6, '0');
}

/** `prefix_` + 30 random base62 characters + the base62 CRC32 of those 30 characters. */
export function validCrc32Base62(token: string): boolean {
  const us = token.indexOf('_');
  if (us < 0) return false;
  const body = token.slice(us + 1);
  if (body.length !== 36) return false;
  const random = body.slice(0, 30);
  return base62Checksum(crc32(Buffer.from(random, 'latin1'))) === body.slice(30);
}

function base64Decode(s: string): Buffer | undefined {
  const t = s.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

function printable(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 || c > 0x7e) return false;
  return true;
}

/** A JWT: the header is base64url JSON with an `alg`, the payload is base64url JSON. */
export function validJwt(token: string): boolean {
  const [h, p] = token.split('.');
  if (!h || !p) return false;
  try {
    const header = JSON.parse(base64Decode(h)?.toString('utf8') ?? '') as unknown;
    const payload = JSON.parse(base64Decode(p)?.toString('utf8') ?? '') as unknown;
    return (
      typeof header === 'object' &&
      header !== null &&
      typeof (header as { alg?: unknown }).alg === 'string' &&
      typeof payload === 'object' &&
      payload !== null
    );
  } catch {
    return false;
  }
}

/** base64 of `user:password` with a non-empty password, all printable. */
export function validBase64UserPass(s: string): boolean {
  const b = base64Decode(s);
  if (!b || b.length < 3 || !printable(b)) return false;
  const text = b.toString('latin1');
  const colon = text.indexOf(':');
  return colon > 0 && colon < text.length - 1;
}

/** base64 of a PEM private key. */
export function validBase64PrivateKey(s: string): boolean {
  const b = base64Decode(s);
  return b !== undefined && /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(b.subarray(0, 200).toString('latin1'));
}

export function runValidator(v: SecretValidator, secret: string): boolean {
  switch (v) {
    case 'crc32-base62':
      return validCrc32Base62(secret);
    case 'jwt':
      return validJwt(secret);
    case 'base64-userpass':
      return validBase64UserPass(secret);
    case 'base64-private-key':
      return validBase64PrivateKey(secret);
  }
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}
