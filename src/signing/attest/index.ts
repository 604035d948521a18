import type { Digest } from '../../util/digest.ts';
import { BollardError, isBollardError } from '../../util/errors.ts';
import { asString, isRecord, parseJsonBounded } from '../../util/json.ts';
import { VERSION } from '../../version.ts';
import { BUNDLE_MEDIA_TYPE, buildDsseBundle, DSSE_INTOTO_PAYLOAD_TYPE, dssePae } from '../bundle/index.ts';
import {
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_PREDICATE_ANNOTATION,
  imageStatement,
  type ParsedStatement,
  parseStatement,
  type RegistryContext,
  type SignatureVerdict,
  type VerifyImageOptions,
  verifyBundleReferrer,
} from '../cosign/index.ts';
import { SIGNATURE_ANNOTATION } from '../cosign/payload.ts';
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
} from '../oci.ts';
import type { SigningKey } from '../types.ts';

/**
 * Attestations: in-toto statements about an image digest in DSSE envelopes, stored as cosign does
 * (`sha256-<hex>.att`, one envelope per layer, `predicateType` annotation) and optionally as Sigstore
 * bundle referrers.
 */

export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';

/** cosign's `--type` shorthands. */
export const PREDICATE_TYPES = {
  cyclonedx: 'https://cyclonedx.org/bom',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  openvex: 'https://openvex.dev/ns',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
} as const satisfies Record<string, string>;

export type PredicateShorthand = keyof typeof PREDICATE_TYPES;

/** `--type` value → predicate type URI (a URI passes through). */
export function predicateTypeOf(type: string): string {
  const known = (PREDICATE_TYPES as Record<string, string>)[type.toLowerCase()];
  if (known) return known;
  if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(type)) return type;
  throw new BollardError(
    'USAGE',
    `unknown attestation type "${type.slice(0, 80)}" (use ${Object.keys(PREDICATE_TYPES).join(', ')}, or a predicate type URI)`,
  );
}

const MAX_PREDICATE_BYTES = 64 * 1024 * 1024;

/**
 * The predicate for a file, as cosign builds it: JSON documents as they are; `vuln` wraps a scan
 * report in cosign's vulnerability predicate (scanner, result, scan times) unless it already is one;
 * `custom` wraps any text as `{Data, Timestamp}`.
 */
export function buildPredicate(predicateType: string, file: Buffer, what: string, now = new Date()): unknown {
  if (predicateType === PREDICATE_TYPES.custom) {
    return { Data: file.toString('utf8'), Timestamp: now.toISOString() };
  }
  const doc = parseJsonBounded(file, { maxBytes: MAX_PREDICATE_BYTES, maxDepth: 128, what });
  if (predicateType !== PREDICATE_TYPES.vuln || (isRecord(doc) && isRecord(doc.scanner))) return doc;
  const created = isRecord(doc) ? asString(doc.createdAt) : undefined;
  const tool = isRecord(doc) && isRecord(doc.tool) ? doc.tool : undefined;
  const finished = created && !Number.isNaN(Date.parse(created)) ? created : now.toISOString();
  return {
    invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
    scanner: {
      uri: 'https://github.com/bollard-dev/bollard',
      version: asString(tool?.version) ?? VERSION,
      db: { uri: '', version: '' },
      result: doc,
    },
    metadata: { scanStartedOn: finished, scanFinishedOn: finished },
  };
}

export interface AttestOptions extends RegistryContext {
  predicateType: string;
  predicate: unknown;
  /** Also attach a Sigstore bundle referrer. */
  bundle?: boolean;
}

export interface AttestResult {
  reference: string;
  digest: Digest;
  predicateType: string;
  attestationTag: string;
  attestations: number;
  appended: boolean;
  bundle?: ReferrerPush;
}

export async function attestImage(input: string, signer: SigningKey, o: AttestOptions): Promise<AttestResult> {
  const image = await resolveImage(o.client, input, o.limits, o.signal);
  const statement = imageStatement(dockerReference(image.reference), image.digest, o.predicateType, o.predicate);
  const sig = signBytes(signer.key, dssePae(DSSE_INTOTO_PAYLOAD_TYPE, statement));
  const envelope = Buffer.from(
    JSON.stringify({
      payloadType: DSSE_INTOTO_PAYLOAD_TYPE,
      payload: statement.toString('base64'),
      signatures: [{ keyid: '', sig: sig.toString('base64') }],
    }),
  );
  const tag = attachedTag(image.digest, 'att');
  const r = await appendAttachmentLayer(
    o.client,
    image.repo,
    tag,
    envelope,
    DSSE_ENVELOPE_MEDIA_TYPE,
    { [SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: o.predicateType },
    o.limits,
  );
  const out: AttestResult = {
    reference: `${image.reference.registry}/${image.reference.repository}@${image.digest}`,
    digest: image.digest,
    predicateType: o.predicateType,
    attestationTag: tag,
    attestations: r.layers,
    appended: r.appended,
  };
  if (o.bundle) {
    const bundle = buildDsseBundle(signer, statement, DSSE_INTOTO_PAYLOAD_TYPE);
    out.bundle = await pushReferrer(
      o.client,
      image.repo,
      { mediaType: image.mediaType, digest: image.digest, size: image.size },
      BUNDLE_MEDIA_TYPE,
      Buffer.from(JSON.stringify(bundle)),
      {
        [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
        [BUNDLE_PREDICATE_ANNOTATION]: o.predicateType,
        'org.opencontainers.image.created': new Date().toISOString(),
      },
      o.limits,
    );
  }
  return out;
}

export interface AttestationVerdict extends SignatureVerdict {
  predicateType?: string;
  statement?: ParsedStatement;
}

export interface VerifyAttestationOptions extends VerifyImageOptions {
  /** Only attestations of this predicate type count (default: all). */
  predicateType?: string;
}

export interface AttestationVerification {
  reference: string;
  digest: Digest;
  verified: boolean;
  attestations: AttestationVerdict[];
}

export async function verifyAttestations(input: string, o: VerifyAttestationOptions): Promise<AttestationVerification> {
  const image = await resolveImage(o.client, input, o.limits, o.signal);
  return verifyResolvedAttestations(image, o);
}

export async function verifyResolvedAttestations(
  image: ResolvedImage,
  o: VerifyAttestationOptions,
): Promise<AttestationVerification> {
  const out: AttestationVerdict[] = [];
  const schemes = o.schemes ?? ['cosign-tag', 'sigstore-bundle'];
  if (schemes.includes('cosign-tag')) out.push(...(await verifyAttTag(image, o)));
  if (schemes.includes('sigstore-bundle')) {
    for (const d of await listReferrers(o.client, image.repo, image.digest, BUNDLE_MEDIA_TYPE, o.limits)) {
      const pt = d.annotations?.[BUNDLE_PREDICATE_ANNOTATION];
      if (pt === 'https://sigstore.dev/cosign/sign/v1') continue;
      if (o.predicateType && pt !== undefined && pt !== o.predicateType) continue;
      const r = await verifyBundleReferrer(image, d, o, o.predicateType);
      if (r.kind === 'skip') continue;
      if (r.kind === 'rejected') {
        out.push(r.verdict);
        continue;
      }
      const why = subjectMismatch(r.statement, image.digest);
      out.push(
        why
          ? { ...r.verdict, verified: false, reason: why, payload: undefined }
          : { ...r.verdict, predicateType: r.statement.predicateType, statement: r.statement },
      );
    }
  }
  return {
    reference: `${image.reference.registry}/${image.reference.repository}@${image.digest}`,
    digest: image.digest,
    verified: out.some((a) => a.verified),
    attestations: out,
  };
}

async function verifyAttTag(image: ResolvedImage, o: VerifyAttestationOptions): Promise<AttestationVerdict[]> {
  const tag = attachedTag(image.digest, 'att');
  const att = await getOptionalManifest(o.client, image.repo, tag, o.limits);
  if (att?.document.kind !== 'manifest') return [];
  const keys = o.authorities.filter((a) => a.kind === 'key');
  const out: AttestationVerdict[] = [];
  for (const [i, layer] of att.document.manifest.layers.entries()) {
    const location = `${tag} layer ${i}`;
    const annotated = layer.annotations?.[PREDICATE_TYPE_ANNOTATION];
    if (o.predicateType && annotated !== undefined && annotated !== o.predicateType) continue;
    const reject = (reason: string): AttestationVerdict => ({
      scheme: 'cosign-tag',
      location,
      verified: false,
      reason,
      ...(annotated ? { predicateType: annotated } : {}),
    });
    if (layer.mediaType !== DSSE_ENVELOPE_MEDIA_TYPE) {
      out.push(reject(`layer type ${layer.mediaType.slice(0, 80)} is not a DSSE envelope`));
      continue;
    }
    if (keys.length === 0) {
      out.push(reject('tag-scheme attestations are verified with a key (--key)'));
      continue;
    }
    let raw: Buffer;
    try {
      raw = await o.client.getBlobBuffer(image.repo, layer.digest, MAX_SIGNATURE_BLOB_BYTES * 16);
    } catch (e) {
      if (isBollardError(e, 'DIGEST_MISMATCH')) {
        out.push(reject('the envelope blob does not hash to its digest (altered in the registry)'));
        continue;
      }
      throw e;
    }
    let env: { payloadType: string; payload: Buffer; sigs: Buffer[] };
    try {
      env = parseEnvelope(raw);
    } catch (e) {
      out.push(reject((e as Error).message));
      continue;
    }
    if (env.payloadType !== DSSE_INTOTO_PAYLOAD_TYPE) {
      out.push(reject(`envelope payload type ${env.payloadType.slice(0, 80)} is not ${DSSE_INTOTO_PAYLOAD_TYPE}`));
      continue;
    }
    const pae = dssePae(env.payloadType, env.payload);
    let signer: string | undefined;
    let malformed = 0;
    let tried = 0;
    for (const k of keys) {
      for (const s of env.sigs) {
        tried++;
        const r = verifyBytes(k.key, pae, s);
        if (r === 'ok') signer = `key ${k.keyId.slice(0, 16)}`;
        else if (r === 'malformed') malformed++;
        if (signer) break;
      }
      if (signer) break;
    }
    if (!signer) {
      out.push(
        reject(
          malformed === tried
            ? 'the envelope signature is malformed (truncated?)'
            : 'the envelope signature does not verify with the given key(s) (wrong key, or the statement was altered)',
        ),
      );
      continue;
    }
    let statement: ParsedStatement;
    try {
      statement = parseStatement(env.payload);
    } catch (e) {
      out.push(reject((e as Error).message));
      continue;
    }
    if (o.predicateType && statement.predicateType !== o.predicateType) continue;
    const why = subjectMismatch(statement, image.digest);
    if (why) {
      out.push(reject(why));
      continue;
    }
    out.push({
      scheme: 'cosign-tag',
      location,
      verified: true,
      signer,
      predicateType: statement.predicateType,
      payload: statement.raw,
      statement,
      transparencyLog: 'not checked',
    });
  }
  return out;
}

function subjectMismatch(st: ParsedStatement, digest: Digest): string | undefined {
  if (st.subjects.some((s) => s.digest === digest)) return undefined;
  return `the statement is about ${st.subjects.map((s) => s.digest.slice(0, 80)).join(', ')}, not ${digest}`;
}

/** Parse an untrusted DSSE envelope. */
export function parseEnvelope(raw: Buffer): { payloadType: string; payload: Buffer; sigs: Buffer[] } {
  const doc = parseJsonBounded(raw, { maxBytes: MAX_SIGNATURE_BLOB_BYTES * 16, maxDepth: 8, what: 'DSSE envelope' });
  if (!isRecord(doc)) throw new BollardError('INPUT_INVALID', 'DSSE envelope is not a JSON object');
  const payloadType = asString(doc.payloadType);
  const payload = asString(doc.payload);
  if (!payloadType || payload === undefined)
    throw new BollardError('INPUT_INVALID', 'DSSE envelope lacks payloadType or payload');
  const sigs: Buffer[] = [];
  for (const s of Array.isArray(doc.signatures) ? doc.signatures : []) {
    const sig = isRecord(s) ? asString(s.sig) : undefined;
    if (sig) sigs.push(Buffer.from(sig, 'base64'));
  }
  if (sigs.length === 0) throw new BollardError('INPUT_INVALID', 'DSSE envelope has no signatures');
  return { payloadType, payload: Buffer.from(payload, 'base64'), sigs };
}
