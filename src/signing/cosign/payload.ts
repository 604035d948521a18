import type { Digest } from '../../util/digest.ts';
import { BollardError } from '../../util/errors.ts';
import { asString, isRecord, parseJsonBounded } from '../../util/json.ts';

/** cosign's simple-signing payload (a descendant of containers/image "atomic" signatures). */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface SimpleSigningPayload {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/** The payload cosign signs, byte for byte as its Go encoder writes it (field order matters to nobody, but keeps diffs small). */
export function buildPayload(
  dockerReference: string,
  digest: Digest,
  annotations: Record<string, string> = {},
): Buffer {
  const payload: SimpleSigningPayload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: Object.keys(annotations).length > 0 ? annotations : null,
  };
  return Buffer.from(JSON.stringify(payload));
}

/** Parse an untrusted payload; throws INPUT_INVALID with what is wrong. */
export function parsePayload(raw: Buffer): SimpleSigningPayload {
  const doc = parseJsonBounded(raw, { maxBytes: MAX_PAYLOAD_BYTES, maxDepth: 16, what: 'signature payload' });
  if (!isRecord(doc) || !isRecord(doc.critical)) {
    throw new BollardError('INPUT_INVALID', 'signature payload has no "critical" section');
  }
  const c = doc.critical;
  const ref = isRecord(c.identity) ? asString(c.identity['docker-reference']) : undefined;
  const digest = isRecord(c.image) ? asString(c.image['docker-manifest-digest']) : undefined;
  const type = asString(c.type);
  if (digest === undefined || type === undefined) {
    throw new BollardError(
      'INPUT_INVALID',
      'signature payload lacks critical.image.docker-manifest-digest or critical.type',
    );
  }
  const optional = isRecord(doc.optional) ? doc.optional : null;
  return {
    critical: { identity: { 'docker-reference': ref ?? '' }, image: { 'docker-manifest-digest': digest }, type },
    optional,
  };
}

/** Parse `k=v` annotation flags. */
export function parseAnnotations(specs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new BollardError('USAGE', `annotation "${s.slice(0, 100)}" is not key=value`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

/** The first required annotation the signed ones do not satisfy, as a reason; undefined when all match. */
export function annotationMismatch(
  required: Record<string, string>,
  signed: Record<string, unknown> | null | undefined,
): string | undefined {
  for (const [k, v] of Object.entries(required)) {
    const have = signed?.[k];
    if (have === undefined) return `annotation ${k} is required (=${v}) but the signature has none`;
    if (String(have) !== v) return `annotation ${k}: signed value "${String(have).slice(0, 100)}", required "${v}"`;
  }
  return undefined;
}
