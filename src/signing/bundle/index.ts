import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import {
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  bundleFromJSON,
  bundleToJSON,
  type SerializedBundle,
  toDSSEBundle,
  toMessageSignatureBundle,
} from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type Signer, toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { BollardError } from '../../util/errors.ts';
import { isRecord, parseJsonBounded } from '../../util/json.ts';
import { keyId, signBytes } from '../keys/index.ts';
import type { KeyAuthority, KeylessAuthority, SigningKey, VerificationAuthority } from '../types.ts';

/**
 * Sigstore bundles (v0.3, https://github.com/sigstore/protobuf-specs): building keyed bundles and
 * verifying keyed and keyless ones offline with sigstore-js. The cryptography of certificates, SCTs,
 * transparency-log inclusion and timestamps is @sigstore/verify's; this module chooses the trust
 * material and turns its errors into one precise reason.
 */

export const BUNDLE_MEDIA_TYPE = BUNDLE_V03_MEDIA_TYPE;
export const DSSE_INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;

/** DSSE pre-authentication encoding: what is really signed in an envelope. */
export function dssePae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** The hint a keyed bundle carries: base64 of the sha256 of the public key's DER (as cosign writes it). */
export function keyHint(key: KeyObject): string {
  return Buffer.from(keyId(key), 'hex').toString('base64');
}

/** A keyed bundle holding a DSSE envelope (attestations, and image signatures in cosign v3's format). */
export function buildDsseBundle(signer: SigningKey, payload: Buffer, payloadType: string): SerializedBundle {
  const signature = signBytes(signer.key, dssePae(payloadType, payload));
  return bundleToJSON(
    toDSSEBundle({
      artifact: payload,
      artifactType: payloadType,
      signature,
      keyHint: keyHint(signer.key),
    }),
  );
}

/** A keyed bundle holding a plain signature over a file's bytes (sign-blob). */
export function buildMessageBundle(signer: SigningKey, artifact: Buffer): SerializedBundle {
  return bundleToJSON(
    toMessageSignatureBundle({
      digest: createHash('sha256').update(artifact).digest(),
      signature: signBytes(signer.key, artifact),
      keyHint: keyHint(signer.key),
    }),
  );
}

/** Parse an untrusted bundle document. */
export function parseBundle(raw: Buffer | string, what = 'Sigstore bundle'): Bundle {
  const doc = parseJsonBounded(raw, { maxBytes: MAX_BUNDLE_BYTES, maxDepth: 32, what });
  try {
    return bundleFromJSON(doc);
  } catch (e) {
    throw new BollardError('INPUT_INVALID', `${what} is not a valid Sigstore bundle: ${(e as Error).message}`);
  }
}

/** Parse a trusted-root file (`trusted_root.json` of the Sigstore TUF repository, or a private one). */
export function parseTrustedRoot(raw: Buffer | string, what = 'trusted root'): TrustedRoot {
  const doc = parseJsonBounded(raw, { maxBytes: MAX_TRUSTED_ROOT_BYTES, maxDepth: 32, what });
  if (!isRecord(doc) || (!Array.isArray(doc.tlogs) && !Array.isArray(doc.certificateAuthorities))) {
    throw new BollardError(
      'INPUT_INVALID',
      `${what} is not a Sigstore trusted root (no tlogs or certificateAuthorities)`,
    );
  }
  try {
    return TrustedRoot.fromJSON(doc);
  } catch (e) {
    throw new BollardError('INPUT_INVALID', `${what} cannot be read: ${(e as Error).message}`);
  }
}

export interface BundleVerified {
  ok: true;
  /** Who signed: a key id, or the certificate's identity. */
  signer: string;
  authority: string;
  identity?: { subjectAlternativeName?: string; issuer?: string };
  /** The DSSE payload (in-toto statement), for DSSE bundles. */
  payload?: Buffer;
  payloadType?: string;
  /** Whether a transparency-log entry was verified (keyed bundles are checked without one unless a trusted root is given). */
  transparencyLog: 'verified' | 'not checked';
}

export type BundleVerification = BundleVerified | { ok: false; reason: string };

/**
 * Verify a bundle against each authority in turn; the first that accepts wins. `artifact` is the
 * signed bytes for message-signature bundles (files); DSSE bundles carry their payload.
 */
export function verifyBundle(
  bundle: Bundle,
  authorities: readonly VerificationAuthority[],
  artifact?: Buffer,
): BundleVerification {
  if (authorities.length === 0) return { ok: false, reason: 'no key or keyless identity to verify against' };
  const isKeyed = bundle.verificationMaterial.content.$case === 'publicKey';
  const reasons: string[] = [];
  const named = (a: VerificationAuthority, why: string): string => (authorities.length > 1 ? `${a.name}: ${why}` : why);
  for (const a of authorities) {
    if (a.kind === 'key' && !isKeyed) {
      reasons.push(named(a, 'the bundle is keyless (certificate), not signed by a key'));
      continue;
    }
    if (a.kind === 'keyless' && isKeyed) {
      reasons.push(named(a, 'the bundle is signed by a key, not by a certificate'));
      continue;
    }
    const r = a.kind === 'key' ? verifyKeyed(bundle, a, artifact) : verifyKeyless(bundle, a, artifact);
    if (r.ok) return r;
    reasons.push(named(a, r.reason));
  }
  return { ok: false, reason: reasons.join('; ') };
}

function verifyKeyed(bundle: Bundle, a: KeyAuthority, artifact: Buffer | undefined): BundleVerification {
  // Without a trusted root a keyed bundle is checked offline without its log entry (cosign's
  // --insecure-ignore-tlog); with one, its log entries must verify too.
  const root = a.trustedRoot;
  const checked: Bundle = root
    ? bundle
    : {
        ...bundle,
        verificationMaterial: {
          ...bundle.verificationMaterial,
          tlogEntries: [],
          timestampVerificationData: { rfc3161Timestamps: [] },
        },
      };
  const material = toTrustMaterial(root ?? emptyTrustedRoot(), () => ({
    publicKey: a.key,
    validFor: () => true,
  }));
  const verifier = new Verifier(material, {
    tlogThreshold: root ? 1 : 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  try {
    const entity = toSignedEntity(checked, artifact);
    verifier.verify(entity);
  } catch (e) {
    return { ok: false, reason: describeSigstoreError(e, 'key') };
  }
  const payload = dssePayload(bundle);
  return {
    ok: true,
    signer: `key ${a.keyId.slice(0, 16)}`,
    authority: a.name,
    ...payload,
    transparencyLog: root ? 'verified' : 'not checked',
  };
}

function verifyKeyless(bundle: Bundle, a: KeylessAuthority, artifact: Buffer | undefined): BundleVerification {
  const verifier = new Verifier(toTrustMaterial(a.trustedRoot), {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
  let signer: Signer;
  try {
    signer = verifier.verify(toSignedEntity(bundle, artifact));
  } catch (e) {
    return { ok: false, reason: expiredCertificate(bundle) ?? describeSigstoreError(e, 'certificate') };
  }
  const san = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  const idReason = checkIdentity(a, san, issuer);
  if (idReason) return { ok: false, reason: idReason };
  return {
    ok: true,
    signer: san ?? 'certificate without identity',
    authority: a.name,
    identity: { ...(san ? { subjectAlternativeName: san } : {}), ...(issuer ? { issuer } : {}) },
    ...dssePayload(bundle),
    transparencyLog: 'verified',
  };
}

/** Certificate identity and issuer constraints (exact or regular expression, anchored). */
export function checkIdentity(
  a: Pick<KeylessAuthority, 'identity' | 'identityRegexp' | 'issuer' | 'issuerRegexp'>,
  san: string | undefined,
  issuer: string | undefined,
): string | undefined {
  if (a.identity !== undefined && san !== a.identity) {
    return `certificate identity "${san ?? '(none)'}" is not "${a.identity}"`;
  }
  if (a.identityRegexp !== undefined && !anchored(a.identityRegexp).test(san ?? '')) {
    return `certificate identity "${san ?? '(none)'}" does not match /${a.identityRegexp}/`;
  }
  if (a.issuer !== undefined && issuer !== a.issuer) {
    return `certificate issuer "${issuer ?? '(none)'}" is not "${a.issuer}"`;
  }
  if (a.issuerRegexp !== undefined && !anchored(a.issuerRegexp).test(issuer ?? '')) {
    return `certificate issuer "${issuer ?? '(none)'}" does not match /${a.issuerRegexp}/`;
  }
  return undefined;
}

function anchored(re: string): RegExp {
  try {
    return new RegExp(`^(?:${re})$`);
  } catch {
    throw new BollardError('USAGE', `invalid regular expression /${re.slice(0, 100)}/`);
  }
}

/**
 * sigstore-js reports an expired leaf as a failed chain; say what happened when the log's time of
 * signing lies outside the certificate's validity (the usual case: a 10-minute Fulcio certificate).
 */
function expiredCertificate(bundle: Bundle): string | undefined {
  const m = bundle.verificationMaterial.content;
  const raw =
    m.$case === 'x509CertificateChain'
      ? m.x509CertificateChain.certificates[0]?.rawBytes
      : m.$case === 'certificate'
        ? m.certificate.rawBytes
        : undefined;
  if (!raw) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(raw);
  } catch {
    return undefined;
  }
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  for (const e of bundle.verificationMaterial.tlogEntries) {
    const t = Number(e.integratedTime);
    if (!Number.isFinite(t) || t <= 0) continue;
    const at = new Date(t * 1000);
    if (at < from || at > to) {
      return `certificate expired: valid ${from.toISOString()} to ${to.toISOString()}, but the log entry says it signed at ${at.toISOString()}`;
    }
  }
  return undefined;
}

function dssePayload(bundle: Bundle): { payload?: Buffer; payloadType?: string } {
  if (bundle.content.$case !== 'dsseEnvelope') return {};
  return { payload: bundle.content.dsseEnvelope.payload, payloadType: bundle.content.dsseEnvelope.payloadType };
}

/** sigstore-js error codes → one line a user can act on. */
function describeSigstoreError(e: unknown, signerKind: 'key' | 'certificate'): string {
  const code = isRecord(e) && typeof e.code === 'string' ? e.code : '';
  const msg = e instanceof Error ? e.message.split('\n')[0]!.slice(0, 200) : String(e);
  switch (code) {
    case 'SIGNATURE_ERROR':
      return signerKind === 'key'
        ? 'signature does not verify with the key (wrong key, or the signed content was altered)'
        : 'signature does not verify with the certificate key (the signed content was altered)';
    case 'PUBLIC_KEY_ERROR':
      return `public key not accepted: ${msg}`;
    case 'CERTIFICATE_ERROR':
      return `certificate not trusted: ${msg}`;
    case 'TIMESTAMP_ERROR':
      return `timestamp not trusted: ${msg}`;
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_BODY_ERROR':
    case 'TLOG_ERROR':
      return `transparency log entry rejected: ${msg}`;
    case 'UNTRUSTED_SIGNER_ERROR':
      return `signer not allowed: ${msg}`;
    default:
      return `bundle rejected: ${msg}`;
  }
}

function emptyTrustedRoot(): TrustedRoot {
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });
}

export type { Bundle, SerializedBundle };
