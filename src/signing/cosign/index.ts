import { formatReference } from '../../oci/reference.ts';
import type { RegistryClient } from '../../oci/registry.ts';
import type { Descriptor } from '../../oci/types.ts';
import { type Digest, digestHex } from '../../util/digest.ts';
import { BollardError, isBollardError } from '../../util/errors.ts';
import { asString, isRecord } from '../../util/json.ts';
import type { Limits } from '../../util/limits.ts';
import { type Logger, silentLogger } from '../../util/logger.ts';
import {
  BUNDLE_MEDIA_TYPE,
  buildDsseBundle,
  DSSE_INTOTO_PAYLOAD_TYPE,
  parseBundle,
  verifyBundle,
} from '../bundle/index.ts';
import { signBytes, verifyBytes } from '../keys/index.ts';
import {
  appendAttachmentLayer,
  attachedTag,
  dockerReference,
  getOptionalManifest,
  listReferrers,
  MAX_SIGNATURE_BLOB_BYTES,
  pushReferrer,
  type ReferrerPush,
  type ResolvedImage,
  resolveImage,
  sameRepository,
} from '../oci.ts';
import type { SigningKey, VerificationAuthority } from '../types.ts';
import {
  annotationMismatch,
  buildPayload,
  COSIGN_SIGNATURE_TYPE,
  parsePayload,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from './payload.ts';

/**
 * Image signatures in cosign's two layouts:
 * - the tag scheme: an image at `sha256-<hex>.sig` whose layers are simple-signing payloads, each with
 *   its signature in the `dev.cosignproject.cosign/signature` annotation (cosign 1.x/2.x default);
 * - Sigstore bundles (cosign v3's format): a DSSE envelope around an in-toto statement of type
 *   `https://sigstore.dev/cosign/sign/v1`, attached as an OCI 1.1 referrer.
 */

export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const INTOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
const STATEMENT_TYPE_KEY = '_type';
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';

export interface RegistryContext {
  client: RegistryClient;
  limits: Limits;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface SignImageOptions extends RegistryContext {
  annotations?: Record<string, string>;
  /** For an index: sign every manifest it lists too. */
  recursive?: boolean;
  /** Also attach a Sigstore bundle as a referrer. */
  bundle?: boolean;
}

export interface SignedTarget {
  digest: Digest;
  platform?: string;
  signatureTag: string;
  /** Signatures under the tag after this one was added. */
  signatures: number;
  /** False when an identical signature was already there. */
  appended: boolean;
  bundle?: ReferrerPush;
}

export interface SignImageResult {
  reference: string;
  digest: Digest;
  signed: SignedTarget[];
}

/** Sign the manifest digest a reference resolves to (never the tag), appending to existing signatures. */
export async function signImage(input: string, signer: SigningKey, o: SignImageOptions): Promise<SignImageResult> {
  const log = o.logger ?? silentLogger;
  const image = await resolveImage(o.client, input, o.limits, o.signal);
  const targets: { digest: Digest; mediaType: string; size: number; platform?: string }[] = [
    { digest: image.digest, mediaType: image.mediaType, size: image.size },
  ];
  if (o.recursive && image.document.kind === 'index') {
    for (const d of image.document.index.manifests) {
      targets.push({
        digest: d.digest,
        mediaType: d.mediaType,
        size: d.size,
        ...(d.platform ? { platform: platformString(d) } : {}),
      });
    }
  }
  const identity = dockerReference(image.reference);
  const annotations = o.annotations ?? {};
  const signed: SignedTarget[] = [];
  for (const t of targets) {
    const payload = buildPayload(identity, t.digest, annotations);
    const signature = signBytes(signer.key, payload).toString('base64');
    const tag = attachedTag(t.digest, 'sig');
    const r = await appendAttachmentLayer(
      o.client,
      image.repo,
      tag,
      payload,
      SIMPLE_SIGNING_MEDIA_TYPE,
      { [SIGNATURE_ANNOTATION]: signature },
      o.limits,
    );
    const out: SignedTarget = {
      digest: t.digest,
      signatureTag: tag,
      signatures: r.layers,
      appended: r.appended,
      ...(t.platform ? { platform: t.platform } : {}),
    };
    if (o.bundle) {
      const statement = imageStatement(identity, t.digest, COSIGN_SIGN_PREDICATE, {}, annotations);
      const bundle = buildDsseBundle(signer, statement, DSSE_INTOTO_PAYLOAD_TYPE);
      out.bundle = await pushReferrer(
        o.client,
        image.repo,
        { mediaType: t.mediaType, digest: t.digest, size: t.size },
        BUNDLE_MEDIA_TYPE,
        Buffer.from(JSON.stringify(bundle)),
        {
          [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
          [BUNDLE_PREDICATE_ANNOTATION]: COSIGN_SIGN_PREDICATE,
          'org.opencontainers.image.created': new Date().toISOString(),
        },
        o.limits,
      );
    }
    log.info('signed image', { digest: t.digest, tag, keyId: signer.keyId.slice(0, 16) });
    signed.push(out);
  }
  return { reference: formatReference(image.reference), digest: image.digest, signed };
}

/** An in-toto v1 statement about one image digest. */
export function imageStatement(
  name: string,
  digest: Digest,
  predicateType: string,
  predicate: unknown,
  annotations: Record<string, string> = {},
): Buffer {
  const subject: Record<string, unknown> = {
    name,
    digest: { [digest.slice(0, digest.indexOf(':'))]: digestHex(digest) },
  };
  if (Object.keys(annotations).length > 0) subject.annotations = annotations;
  return Buffer.from(JSON.stringify({ _type: INTOTO_STATEMENT_V1, subject: [subject], predicateType, predicate }));
}

export type SignatureScheme = 'cosign-tag' | 'sigstore-bundle';

export interface SignatureVerdict {
  scheme: SignatureScheme;
  /** Where the signature was found (tag and layer, or referrer digest). */
  location: string;
  verified: boolean;
  /** Why it was not accepted. */
  reason?: string;
  /** Who signed (key id or certificate identity), when the signature verified. */
  signer?: string;
  /** The signed claims: the simple-signing payload or the in-toto statement (verified ones only). */
  payload?: unknown;
  transparencyLog?: 'verified' | 'not checked';
}

export interface VerifyImageOptions extends RegistryContext {
  authorities: readonly VerificationAuthority[];
  /** Annotations the signature must carry (`-a k=v`). */
  annotations?: Record<string, string>;
  /** Expected `docker-reference` (default: the repository of the reference being verified). */
  identity?: string;
  schemes?: readonly SignatureScheme[];
}

export interface ImageVerification {
  reference: string;
  digest: Digest;
  mediaType: string;
  verified: boolean;
  signatures: SignatureVerdict[];
}

/** Verify every signature found for an image; `verified` only when one satisfies every constraint. */
export async function verifyImage(input: string, o: VerifyImageOptions): Promise<ImageVerification> {
  const image = await resolveImage(o.client, input, o.limits, o.signal);
  return verifyResolvedImage(image, o);
}

export async function verifyResolvedImage(image: ResolvedImage, o: VerifyImageOptions): Promise<ImageVerification> {
  const schemes = o.schemes ?? ['cosign-tag', 'sigstore-bundle'];
  const expected = o.identity ?? dockerReference(image.reference);
  const verdicts: SignatureVerdict[] = [];
  if (schemes.includes('cosign-tag')) verdicts.push(...(await verifyTagScheme(image, expected, o)));
  if (schemes.includes('sigstore-bundle')) verdicts.push(...(await verifyBundles(image, expected, o)));
  return {
    reference: formatReference(image.reference),
    digest: image.digest,
    mediaType: image.mediaType,
    verified: verdicts.some((v) => v.verified),
    signatures: verdicts,
  };
}

async function verifyTagScheme(
  image: ResolvedImage,
  expected: string,
  o: VerifyImageOptions,
): Promise<SignatureVerdict[]> {
  const tag = attachedTag(image.digest, 'sig');
  const sig = await getOptionalManifest(o.client, image.repo, tag, o.limits);
  if (!sig) return [];
  if (sig.document.kind !== 'manifest') {
    return [
      { scheme: 'cosign-tag', location: tag, verified: false, reason: `${tag} is an index, not a signature image` },
    ];
  }
  const keys = o.authorities.filter((a) => a.kind === 'key');
  const out: SignatureVerdict[] = [];
  for (const [i, layer] of sig.document.manifest.layers.entries()) {
    const location = `${tag} layer ${i}`;
    const reject = (reason: string): SignatureVerdict => ({ scheme: 'cosign-tag', location, verified: false, reason });
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) {
      out.push(reject(`layer type ${layer.mediaType.slice(0, 80)} is not a simple-signing payload`));
      continue;
    }
    const sigText = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (sigText === undefined || sigText === '') {
      out.push(reject('no signature annotation on the payload layer'));
      continue;
    }
    if (keys.length === 0) {
      out.push(
        reject('tag-scheme signatures are verified with a key (--key); keyless verification needs a Sigstore bundle'),
      );
      continue;
    }
    let payload: Buffer;
    try {
      payload = await o.client.getBlobBuffer(image.repo, layer.digest, MAX_SIGNATURE_BLOB_BYTES);
    } catch (e) {
      if (isBollardError(e, 'DIGEST_MISMATCH')) {
        out.push(reject('the payload blob does not hash to the digest its layer names (altered in the registry)'));
        continue;
      }
      if (isBollardError(e, 'TARGET_NOT_FOUND')) {
        out.push(reject(`the payload blob ${layer.digest} is missing from the registry`));
        continue;
      }
      throw e;
    }
    const signature = strictBase64(sigText);
    if (!signature) {
      out.push(reject('the signature annotation is not valid base64'));
      continue;
    }
    let signer: string | undefined;
    let malformed = 0;
    for (const k of keys) {
      const r = verifyBytes(k.key, payload, signature);
      if (r === 'ok') {
        signer = `key ${k.keyId.slice(0, 16)}`;
        break;
      }
      if (r === 'malformed') malformed++;
    }
    if (!signer) {
      out.push(
        reject(
          malformed === keys.length
            ? `the signature is malformed (${signature.length} bytes, not a complete ASN.1 DER signature: truncated?)`
            : `the signature does not verify with ${keys.length === 1 ? `key ${keys[0]!.keyId.slice(0, 16)}` : `any of the ${keys.length} keys`} (wrong key, or the payload was altered)`,
        ),
      );
      continue;
    }
    let claims: ReturnType<typeof parsePayload>;
    try {
      claims = parsePayload(payload);
    } catch (e) {
      out.push(reject((e as Error).message));
      continue;
    }
    const why = claimMismatch(
      claims.critical.type === COSIGN_SIGNATURE_TYPE
        ? undefined
        : `payload type "${claims.critical.type.slice(0, 80)}" is not "${COSIGN_SIGNATURE_TYPE}"`,
      claims.critical.image['docker-manifest-digest'],
      claims.critical.identity['docker-reference'],
      claims.optional,
      image,
      expected,
      o.annotations ?? {},
    );
    if (why) {
      out.push(reject(why));
      continue;
    }
    out.push({
      scheme: 'cosign-tag',
      location,
      verified: true,
      signer,
      payload: claims,
      transparencyLog: 'not checked',
    });
  }
  return out;
}

async function verifyBundles(
  image: ResolvedImage,
  expected: string,
  o: VerifyImageOptions,
): Promise<SignatureVerdict[]> {
  const refs = await listReferrers(o.client, image.repo, image.digest, BUNDLE_MEDIA_TYPE, o.limits);
  const out: SignatureVerdict[] = [];
  for (const d of refs) {
    const predicate = d.annotations?.[BUNDLE_PREDICATE_ANNOTATION];
    if (predicate !== undefined && predicate !== COSIGN_SIGN_PREDICATE) continue; // an attestation
    const r = await verifyBundleReferrer(image, d, o, COSIGN_SIGN_PREDICATE);
    if (r.kind === 'skip') continue;
    if (r.kind === 'rejected') {
      out.push(r.verdict);
      continue;
    }
    const st = r.statement;
    const subject = st.subjects.find((s) => s.digest === image.digest);
    const why = claimMismatch(
      undefined,
      subject?.digest ?? st.subjects[0]?.digest ?? '(none)',
      subject?.name ?? '',
      subject?.annotations ?? null,
      image,
      expected,
      o.annotations ?? {},
    );
    out.push(why ? { ...r.verdict, verified: false, reason: why, payload: undefined } : r.verdict);
  }
  return out;
}

export interface StatementSubject {
  name: string;
  digest: string;
  annotations?: Record<string, unknown>;
}

export interface ParsedStatement {
  predicateType: string;
  subjects: StatementSubject[];
  predicate: unknown;
  raw: unknown;
}

/** Fetch a bundle referrer, check it names this image, verify it; the statement when it verifies. */
export async function verifyBundleReferrer(
  image: ResolvedImage,
  d: Descriptor,
  o: VerifyImageOptions,
  wantPredicate: string | undefined,
): Promise<
  | { kind: 'skip' }
  | { kind: 'rejected'; verdict: SignatureVerdict }
  | { kind: 'verified'; verdict: SignatureVerdict; statement: ParsedStatement }
> {
  const location = `referrer ${d.digest}`;
  const reject = (reason: string): { kind: 'rejected'; verdict: SignatureVerdict } => ({
    kind: 'rejected',
    verdict: { scheme: 'sigstore-bundle', location, verified: false, reason },
  });
  const m = await getOptionalManifest(o.client, image.repo, d.digest, o.limits);
  if (m?.document.kind !== 'manifest') return reject('the referrer manifest is missing or not a manifest');
  const man = m.document.manifest;
  if (man.subject?.digest !== image.digest)
    return reject(`the referrer's subject is ${man.subject?.digest ?? 'missing'}, not ${image.digest}`);
  const layer = man.layers.find(
    (l) => l.mediaType === BUNDLE_MEDIA_TYPE || l.mediaType.startsWith('application/vnd.dev.sigstore.bundle'),
  );
  if (!layer) return reject('the referrer holds no Sigstore bundle layer');
  let raw: Buffer;
  try {
    raw = await o.client.getBlobBuffer(image.repo, layer.digest, MAX_SIGNATURE_BLOB_BYTES);
  } catch (e) {
    if (isBollardError(e, 'DIGEST_MISMATCH'))
      return reject('the bundle blob does not hash to its digest (altered in the registry)');
    throw e;
  }
  let verdict: ReturnType<typeof verifyBundle>;
  try {
    const bundle = parseBundle(raw, `bundle ${layer.digest}`);
    if (bundle.content.$case !== 'dsseEnvelope')
      return reject('the image bundle holds a message signature, not a DSSE statement');
    verdict = verifyBundle(bundle, o.authorities);
  } catch (e) {
    if (e instanceof BollardError && e.code === 'INPUT_INVALID') return reject(e.message);
    throw e;
  }
  if (!verdict.ok) return reject(verdict.reason);
  if (verdict.payloadType !== DSSE_INTOTO_PAYLOAD_TYPE || !verdict.payload) {
    return reject(
      `the envelope's payload type is ${verdict.payloadType ?? 'missing'}, not ${DSSE_INTOTO_PAYLOAD_TYPE}`,
    );
  }
  let statement: ParsedStatement;
  try {
    statement = parseStatement(verdict.payload);
  } catch (e) {
    return reject((e as Error).message);
  }
  if (wantPredicate !== undefined && statement.predicateType !== wantPredicate) return { kind: 'skip' };
  return {
    kind: 'verified',
    verdict: {
      scheme: 'sigstore-bundle',
      location,
      verified: true,
      signer: verdict.signer,
      payload: statement.raw,
      transparencyLog: verdict.transparencyLog,
    },
    statement,
  };
}

/** Parse an in-toto statement (v0.1 or v1) from untrusted bytes. */
export function parseStatement(raw: Buffer): ParsedStatement {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BollardError('INPUT_INVALID', 'the signed statement is not JSON');
  }
  if (!isRecord(doc)) throw new BollardError('INPUT_INVALID', 'the signed statement is not a JSON object');
  const type = asString(doc[STATEMENT_TYPE_KEY]);
  if (type !== INTOTO_STATEMENT_V1 && type !== 'https://in-toto.io/Statement/v0.1') {
    throw new BollardError(
      'INPUT_INVALID',
      `the signed statement has _type ${String(type).slice(0, 80)}, not an in-toto statement`,
    );
  }
  const predicateType = asString(doc.predicateType);
  if (!predicateType) throw new BollardError('INPUT_INVALID', 'the signed statement has no predicateType');
  const subjects: StatementSubject[] = [];
  for (const s of Array.isArray(doc.subject) ? doc.subject : []) {
    if (!isRecord(s) || !isRecord(s.digest)) continue;
    for (const [alg, hex] of Object.entries(s.digest)) {
      if (typeof hex !== 'string') continue;
      subjects.push({
        name: asString(s.name) ?? '',
        digest: `${alg}:${hex}`,
        ...(isRecord(s.annotations) ? { annotations: s.annotations } : {}),
      });
    }
  }
  if (subjects.length === 0) throw new BollardError('INPUT_INVALID', 'the signed statement has no subject');
  return { predicateType, subjects, predicate: doc.predicate, raw: doc };
}

function claimMismatch(
  typeProblem: string | undefined,
  signedDigest: string,
  signedReference: string,
  signedAnnotations: Record<string, unknown> | null,
  image: ResolvedImage,
  expected: string,
  required: Record<string, string>,
): string | undefined {
  if (typeProblem) return typeProblem;
  if (signedDigest !== image.digest) {
    return `the signature is for ${signedDigest.slice(0, 80)}, but ${formatReference(image.reference)} resolves to ${image.digest}`;
  }
  if (!sameRepository(signedReference, expected)) {
    return `the signed identity (docker-reference) is "${signedReference.slice(0, 200)}", expected "${expected}"`;
  }
  return annotationMismatch(required, signedAnnotations);
}

function strictBase64(s: string): Buffer | undefined {
  const t = s.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return undefined;
  return Buffer.from(t, 'base64');
}

function platformString(d: Descriptor): string | undefined {
  const p = d.platform;
  return p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : undefined;
}
