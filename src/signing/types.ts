import type { KeyObject } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';

/** A private key ready to sign, with the id of its public half. */
export interface SigningKey {
  key: KeyObject;
  keyId: string;
}

/** A public key trusted to sign (cosign's `--key`). */
export interface KeyAuthority {
  kind: 'key';
  /** For messages: the file it came from, or a policy name. */
  name: string;
  key: KeyObject;
  keyId: string;
  /** When given, log entries in bundles must verify against it. */
  trustedRoot?: TrustedRoot;
}

/** A keyless (Fulcio certificate) signer, constrained by identity and issuer, verified offline. */
export interface KeylessAuthority {
  kind: 'keyless';
  name: string;
  trustedRoot: TrustedRoot;
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
}

export type VerificationAuthority = KeyAuthority | KeylessAuthority;
