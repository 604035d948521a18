import { createHash } from 'node:crypto';
import { BollardError } from '../../util/errors.ts';
import { type Bundle, buildMessageBundle, parseBundle, type SerializedBundle, verifyBundle } from '../bundle/index.ts';
import { parseStatement } from '../cosign/index.ts';
import { signBytes, verifyBytes } from '../keys/index.ts';
import type { SigningKey, VerificationAuthority } from '../types.ts';

/**
 * Files (database bundles, rule bundles, reports): a bare base64 signature as `cosign sign-blob`
 * writes it, and/or a Sigstore bundle (message signature over the file).
 */

export interface SignedBlob {
  /** base64 of the DER signature over the file's bytes. */
  signature: string;
  bundle: SerializedBundle;
  sha256: string;
}

export function signBlob(data: Buffer, signer: SigningKey): SignedBlob {
  return {
    signature: signBytes(signer.key, data).toString('base64'),
    bundle: buildMessageBundle(signer, data),
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

export interface BlobVerification {
  verified: boolean;
  reason?: string;
  signer?: string;
  identity?: { subjectAlternativeName?: string; issuer?: string };
  transparencyLog?: 'verified' | 'not checked';
  /** For DSSE bundles: the statement's predicate type, and whether its subject was compared with a file. */
  predicateType?: string;
  subjectChecked?: boolean;
}

/** Verify a bare signature (base64 or raw DER) over a file with any of the keys. */
export function verifyBlobSignature(
  data: Buffer,
  signatureText: Buffer,
  authorities: readonly VerificationAuthority[],
): BlobVerification {
  const keys = authorities.filter((a) => a.kind === 'key');
  if (keys.length === 0) return { verified: false, reason: 'a bare signature is verified with a key (--key)' };
  const text = signatureText.toString('latin1').trim();
  const sig = /^[A-Za-z0-9+/\s]*={0,2}$/.test(text) ? Buffer.from(text, 'base64') : signatureText;
  let malformed = 0;
  for (const k of keys) {
    const r = verifyBytes(k.key, data, sig);
    if (r === 'ok') return { verified: true, signer: `key ${k.keyId.slice(0, 16)}`, transparencyLog: 'not checked' };
    if (r === 'malformed') malformed++;
  }
  return {
    verified: false,
    reason:
      malformed === keys.length
        ? 'the signature is malformed (truncated, or not a DER signature)'
        : 'the signature does not verify (wrong key, or the file was altered)',
  };
}

/**
 * Verify a Sigstore bundle for a file. Message-signature bundles need the file; DSSE bundles carry
 * a statement whose subject digest must be the file's (checked when the file is given).
 */
export function verifyBlobBundle(
  bundleText: Buffer | string | Bundle,
  data: Buffer | undefined,
  authorities: readonly VerificationAuthority[],
): BlobVerification {
  const bundle = typeof bundleText === 'string' || Buffer.isBuffer(bundleText) ? parseBundle(bundleText) : bundleText;
  const isDsse = bundle.content.$case === 'dsseEnvelope';
  if (!isDsse && data === undefined) {
    throw new BollardError('USAGE', 'a message-signature bundle is verified against the file it signs');
  }
  if (!isDsse && data !== undefined && bundle.content.$case === 'messageSignature') {
    const want = bundle.content.messageSignature.messageDigest?.digest;
    const have = createHash('sha256').update(data).digest();
    if (want && !have.equals(want)) {
      return { verified: false, reason: 'the file does not match the digest the bundle signs (file altered)' };
    }
  }
  const r = verifyBundle(bundle, authorities, isDsse ? undefined : data);
  if (!r.ok) return { verified: false, reason: r.reason };
  const out: BlobVerification = {
    verified: true,
    signer: r.signer,
    transparencyLog: r.transparencyLog,
    ...(r.identity ? { identity: r.identity } : {}),
  };
  if (isDsse && r.payload) {
    let st: ReturnType<typeof parseStatement>;
    try {
      st = parseStatement(r.payload);
    } catch (e) {
      return { verified: false, reason: (e as Error).message };
    }
    out.predicateType = st.predicateType;
    out.subjectChecked = data !== undefined;
    if (data !== undefined) {
      const digests = new Set(
        (['sha256', 'sha384', 'sha512'] as const).map((a) => `${a}:${createHash(a).update(data).digest('hex')}`),
      );
      if (!st.subjects.some((s) => digests.has(s.digest))) {
        return {
          verified: false,
          reason: `the statement's subject (${st.subjects.map((s) => s.digest.slice(0, 80)).join(', ')}) is not this file`,
        };
      }
    }
  }
  return out;
}
