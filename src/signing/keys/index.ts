import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  scryptSync,
  X509Certificate,
} from 'node:crypto';
import { secretbox } from '@noble/ciphers/salsa.js';
import { BollardError } from '../../util/errors.ts';
import { asNumber, asString, isRecord, parseJsonBounded } from '../../util/json.ts';

/**
 * Key material in cosign's formats. A cosign private key is PEM whose body is base64 of the JSON
 * envelope of go-securesystemslib's `encrypted` package: scrypt derives a 32-byte key from the
 * passphrase, NaCl secretbox (XSalsa20-Poly1305) seals the PKCS#8 DER of the private key.
 *
 * Secrets rule: nothing here puts a passphrase, key bytes or decrypted material in an error
 * message, a log field or an error `details` object. Errors name the file and the failure only.
 */

export const SIGSTORE_PEM_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** Label of cosign releases before 1.13; read, never written. */
export const COSIGN_PEM_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** cosign's defaults (go-securesystemslib `encrypted.ScryptParams`). */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 32768, r: 8, p: 1 });

/** Upper bounds on KDF cost read from a key file: a hostile file must not make us allocate gigabytes. */
const MAX_SCRYPT_N = 1 << 20;
const MAX_SCRYPT_R = 32;
const MAX_SCRYPT_P = 16;
const MAX_KEY_FILE_BYTES = 64 * 1024;

export interface GeneratedKeyPair {
  /** `ENCRYPTED SIGSTORE PRIVATE KEY` PEM. */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo `PUBLIC KEY` PEM. */
  publicKeyPem: string;
  /** sha256 of the public key's DER, hex: the key's id in outputs and bundles. */
  keyId: string;
}

/** A new ECDSA P-256 key pair, the private key encrypted with `passphrase` the way cosign does it. */
export function generateKeyPair(passphrase: string, o: { scrypt?: ScryptParams } = {}): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: encryptPrivateKey(privateKey, passphrase, o.scrypt),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyId(publicKey),
  };
}

/** Seal a private key in cosign's encrypted PEM. */
export function encryptPrivateKey(key: KeyObject, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): string {
  checkScrypt(params);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const boxKey = deriveKey(passphrase, salt, params);
  const sealed = secretbox(boxKey, nonce).seal(der);
  boxKey.fill(0);
  der.fill(0);
  const envelope = {
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(sealed).toString('base64'),
  };
  return pem(SIGSTORE_PEM_LABEL, Buffer.from(JSON.stringify(envelope)));
}

/**
 * Read a private key: cosign's encrypted PEM (either label), or plain PEM (PKCS#8, SEC1 EC, PKCS#1
 * RSA, encrypted PKCS#8). `passphrase` is asked for only when the key is encrypted.
 */
export function loadPrivateKey(text: string | Buffer, passphrase: () => string, what = 'private key'): KeyObject {
  const s = boundedText(text, what);
  const block = findPem(s, [SIGSTORE_PEM_LABEL, COSIGN_PEM_LABEL]);
  if (block) return decryptCosignKey(block.body, passphrase(), what);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(s)) {
    try {
      return checkKeyType(createPrivateKey({ key: s, format: 'pem', passphrase: passphrase() }), what);
    } catch (e) {
      if (e instanceof BollardError) throw e;
      throw new BollardError('INPUT_INVALID', `${what}: cannot decrypt: wrong passphrase or corrupt key`);
    }
  }
  if (/-----BEGIN (?:EC |RSA )?PRIVATE KEY-----/.test(s)) {
    try {
      return checkKeyType(createPrivateKey({ key: s, format: 'pem' }), what);
    } catch (e) {
      if (e instanceof BollardError) throw e;
      throw new BollardError('INPUT_INVALID', `${what}: not a readable PEM private key`);
    }
  }
  throw new BollardError(
    'INPUT_INVALID',
    `${what}: no private key found (expected "${SIGSTORE_PEM_LABEL}", "${COSIGN_PEM_LABEL}" or "PRIVATE KEY" PEM)`,
  );
}

/** Is this text a private key that needs a passphrase? (so the CLI prompts only when it must) */
export function privateKeyNeedsPassphrase(text: string | Buffer): boolean {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  return /-----BEGIN (?:ENCRYPTED SIGSTORE|ENCRYPTED COSIGN|ENCRYPTED) PRIVATE KEY-----/.test(s);
}

/**
 * Read a verification key: `PUBLIC KEY` PEM, a `CERTIFICATE` (its key), or a private key file in plain
 * PEM (its public half; encrypted private keys are refused so verify never needs a passphrase).
 */
export function loadPublicKey(text: string | Buffer, what = 'public key'): KeyObject {
  const s = boundedText(text, what);
  if (/-----BEGIN PUBLIC KEY-----/.test(s)) {
    try {
      return checkKeyType(createPublicKey({ key: s, format: 'pem' }), what);
    } catch (e) {
      if (e instanceof BollardError) throw e;
      throw new BollardError('INPUT_INVALID', `${what}: not a readable PEM public key`);
    }
  }
  if (/-----BEGIN CERTIFICATE-----/.test(s)) {
    try {
      return checkKeyType(new X509Certificate(s).publicKey, what);
    } catch (e) {
      if (e instanceof BollardError) throw e;
      throw new BollardError('INPUT_INVALID', `${what}: not a readable PEM certificate`);
    }
  }
  if (/-----BEGIN (?:EC |RSA )?PRIVATE KEY-----/.test(s)) {
    return createPublicKey(loadPrivateKey(s, () => '', what));
  }
  throw new BollardError('INPUT_INVALID', `${what}: no "PUBLIC KEY" PEM found`);
}

/** sha256 (hex) of a public key's SubjectPublicKeyInfo DER. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ format: 'der', type: 'spki' }))
    .digest('hex');
}

export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'pem', type: 'spki' }).toString();
}

/**
 * Sign the way cosign does: SHA-256 for ECDSA (ASN.1 DER signature) and RSA (PKCS#1 v1.5), pure Ed25519.
 */
export function signBytes(key: KeyObject, data: Buffer): Buffer {
  return cryptoSign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, key);
}

export type SignatureCheck = 'ok' | 'malformed' | 'mismatch';

/**
 * Verify a signature, telling a malformed signature (truncated, not DER) apart from one that is well
 * formed but made by another key or over other bytes.
 */
export function verifyBytes(key: KeyObject, data: Buffer, signature: Buffer): SignatureCheck {
  if (key.asymmetricKeyType === 'ec' && !isDerEcdsaSignature(signature)) return 'malformed';
  if (key.asymmetricKeyType === 'ed25519' && signature.length !== 64) return 'malformed';
  try {
    return cryptoVerify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, key, signature)
      ? 'ok'
      : 'mismatch';
  } catch {
    return 'malformed';
  }
}

/** An ECDSA signature as ASN.1 DER: SEQUENCE { INTEGER r, INTEGER s } and nothing after it. */
export function isDerEcdsaSignature(sig: Buffer): boolean {
  if (sig.length < 8 || sig[0] !== 0x30) return false;
  let i = 1;
  let len = sig[i++]!;
  if (len === 0x81) len = sig[i++]!;
  else if (len > 0x80) return false;
  if (i + len !== sig.length) return false;
  for (let n = 0; n < 2; n++) {
    if (sig[i++] !== 0x02) return false;
    const l = sig[i++];
    if (l === undefined || l === 0 || l > 0x7f || i + l > sig.length) return false;
    i += l;
  }
  return i === sig.length;
}

function decryptCosignKey(body: Buffer, passphrase: string, what: string): KeyObject {
  const env = parseJsonBounded(body, { maxBytes: MAX_KEY_FILE_BYTES, maxDepth: 4, what });
  const bad = (why: string): BollardError => new BollardError('INPUT_INVALID', `${what}: ${why}`);
  if (!isRecord(env) || !isRecord(env.kdf) || !isRecord(env.cipher)) throw bad('not a cosign encrypted key envelope');
  if (env.kdf.name !== 'scrypt') throw bad(`unsupported key derivation "${String(env.kdf.name).slice(0, 40)}"`);
  if (env.cipher.name !== 'nacl/secretbox') throw bad(`unsupported cipher "${String(env.cipher.name).slice(0, 40)}"`);
  const params = isRecord(env.kdf.params) ? env.kdf.params : {};
  const scrypt: ScryptParams = {
    N: asNumber(params.N) ?? Number.NaN,
    r: asNumber(params.r) ?? Number.NaN,
    p: asNumber(params.p) ?? Number.NaN,
  };
  try {
    checkScrypt(scrypt);
  } catch {
    throw bad('scrypt parameters out of range');
  }
  const salt = b64(asString(env.kdf.salt));
  const nonce = b64(asString(env.cipher.nonce));
  const ciphertext = b64(asString(env.ciphertext));
  if (!salt || !nonce || nonce.length !== 24 || !ciphertext || ciphertext.length < 17) {
    throw bad('malformed salt, nonce or ciphertext');
  }
  const boxKey = deriveKey(passphrase, salt, scrypt);
  let der: Uint8Array;
  try {
    der = secretbox(boxKey, nonce).open(ciphertext);
  } catch {
    throw new BollardError('INPUT_INVALID', `${what}: cannot decrypt: wrong passphrase or corrupt key`);
  } finally {
    boxKey.fill(0);
  }
  try {
    return checkKeyType(createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }), what);
  } catch (e) {
    if (e instanceof BollardError) throw e;
    throw bad('decrypted content is not a PKCS#8 private key');
  } finally {
    der.fill(0);
  }
}

function deriveKey(passphrase: string, salt: Buffer, p: ScryptParams): Buffer {
  return scryptSync(Buffer.from(passphrase, 'utf8'), salt, 32, {
    N: p.N,
    r: p.r,
    p: p.p,
    maxmem: 256 * p.N * p.r + 1024 * 1024,
  });
}

function checkScrypt(p: ScryptParams): void {
  const pow2 = Number.isSafeInteger(p.N) && p.N >= 2 && (p.N & (p.N - 1)) === 0;
  if (
    !pow2 ||
    p.N > MAX_SCRYPT_N ||
    !Number.isSafeInteger(p.r) ||
    p.r < 1 ||
    p.r > MAX_SCRYPT_R ||
    !Number.isSafeInteger(p.p) ||
    p.p < 1 ||
    p.p > MAX_SCRYPT_P
  ) {
    throw new BollardError('INPUT_INVALID', 'scrypt parameters out of range');
  }
}

function checkKeyType(key: KeyObject, what: string): KeyObject {
  const t = key.asymmetricKeyType;
  if (t === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1' && curve !== 'secp384r1' && curve !== 'secp521r1') {
      throw new BollardError('INPUT_INVALID', `${what}: unsupported elliptic curve ${String(curve)}`);
    }
    return key;
  }
  if (t === 'rsa' || t === 'ed25519') return key;
  throw new BollardError('INPUT_INVALID', `${what}: unsupported key type ${String(t)}`);
}

function b64(s: string | undefined): Buffer | undefined {
  if (s === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

function boundedText(text: string | Buffer, what: string): string {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (size > MAX_KEY_FILE_BYTES) {
    throw new BollardError('LIMIT_EXCEEDED', `${what} is ${size} bytes, over the limit of ${MAX_KEY_FILE_BYTES}`);
  }
  return typeof text === 'string' ? text : text.toString('utf8');
}

function findPem(s: string, labels: string[]): { label: string; body: Buffer } | undefined {
  for (const label of labels) {
    const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`);
    const m = re.exec(s);
    if (m) return { label, body: Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') };
  }
  return undefined;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
