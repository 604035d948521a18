import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { RegistryClient } from '../oci/registry.ts';
import { attestImage, buildPredicate, predicateTypeOf, verifyAttestations } from '../signing/attest/index.ts';
import { type BlobVerification, signBlob, verifyBlobBundle, verifyBlobSignature } from '../signing/blob/index.ts';
import { parseTrustedRoot } from '../signing/bundle/index.ts';
import { type ImageVerification, type SignatureScheme, signImage, verifyImage } from '../signing/cosign/index.ts';
import { parseAnnotations } from '../signing/cosign/payload.ts';
import {
  generateKeyPair,
  keyId,
  loadPrivateKey,
  loadPublicKey,
  privateKeyNeedsPassphrase,
} from '../signing/keys/index.ts';
import { readPassphrase } from '../signing/keys/passphrase.ts';
import { evaluatePolicy, loadPolicy } from '../signing/policy/index.ts';
import type { SigningKey, VerificationAuthority } from '../signing/types.ts';
import { BollardError } from '../util/errors.ts';
import { type Limits, resolveLimits } from '../util/limits.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { requestExitCode } from './exit.ts';
import { parseDuration, parseLimitOverrides } from './options.ts';
import { writeOutput } from './output.ts';

/**
 * `bollard keygen | sign | verify | attest | verify-attestation | sign-blob | verify-blob`: cosign-
 * compatible signing. The key passphrase comes from BOLLARD_PASSWORD / COSIGN_PASSWORD or a prompt;
 * registry credentials therefore use --registry-password / BOLLARD_REGISTRY_PASSWORD, never
 * BOLLARD_PASSWORD.
 */

interface RegistryFlags {
  insecure?: boolean;
  username?: string;
  registryPassword?: string;
  registryToken?: string;
  limit: string[];
  timeout: string;
  quiet?: boolean;
  debug?: boolean;
  logFormat: string;
}

interface VerifierFlags extends RegistryFlags {
  key: string[];
  trustedRoot?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  format: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option('--insecure', 'allow plain HTTP and unverified TLS for registries that are not on loopback')
    .addOption(new Option('--username <name>', 'registry user name').env('BOLLARD_USERNAME'))
    .addOption(new Option('--registry-password <secret>', 'registry password').env('BOLLARD_REGISTRY_PASSWORD'))
    .addOption(new Option('--registry-token <token>', 'registry bearer token').env('BOLLARD_REGISTRY_TOKEN'))
    .option('--limit <name=value>', 'override a safety limit (repeatable; see docs/limits.md)', collect, [])
    .option('--timeout <duration>', 'give up after this long (e.g. 90s, 5m)', '5m')
    .option('-q, --quiet', 'no warnings on stderr')
    .option('--debug', 'debug logging on stderr')
    .addOption(new Option('--log-format <format>', 'log format on stderr').choices(['text', 'json']).default('text'));
}

function addVerifierFlags(cmd: Command): Command {
  return cmd
    .option('--key <file>', 'public key (PEM) to verify with; repeatable', collect, [])
    .option('--trusted-root <file>', 'Sigstore trusted root (trusted_root.json) for keyless bundles and log entries')
    .option('--certificate-identity <id>', 'keyless: the exact certificate identity (SAN)')
    .option('--certificate-identity-regexp <re>', 'keyless: a regular expression the identity must match')
    .option('--certificate-oidc-issuer <url>', 'keyless: the exact OIDC issuer')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: a regular expression the issuer must match')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'));
}

interface Context {
  client: RegistryClient;
  limits: Limits;
  logger: Logger;
  signal: AbortSignal;
}

function registryContext(flags: RegistryFlags): Context {
  const level = flags.debug ? 'debug' : flags.quiet ? 'error' : 'warn';
  const logger = createLogger({ level, format: flags.logFormat === 'json' ? 'json' : 'text' });
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new BollardError('USAGE', `--timeout: "${flags.timeout}" is not a duration`);
  const signal = AbortSignal.timeout(timeoutMs);
  const limits = resolveLimits(parseLimitOverrides(flags.limit));
  const client = new RegistryClient({
    limits,
    logger,
    signal,
    ...(flags.insecure ? { insecure: true } : {}),
    ...(flags.username !== undefined ? { username: flags.username } : {}),
    ...(flags.registryPassword !== undefined ? { password: flags.registryPassword } : {}),
    ...(flags.registryToken !== undefined ? { registryToken: flags.registryToken } : {}),
  });
  return { client, limits, logger, signal };
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new BollardError('TARGET_NOT_FOUND', `${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** Load the signing key, asking for the passphrase only when the key is encrypted. */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  const text = readFile(path, 'key');
  const pass = privateKeyNeedsPassphrase(text) ? await readPassphrase(`decrypt ${path}`) : '';
  const key = loadPrivateKey(text, () => pass, `key ${path}`);
  return { key, keyId: keyId(key) };
}

function authoritiesFrom(flags: VerifierFlags, required = true): VerificationAuthority[] {
  const root = flags.trustedRoot
    ? parseTrustedRoot(readFile(flags.trustedRoot, 'trusted root'), `trusted root ${flags.trustedRoot}`)
    : undefined;
  const out: VerificationAuthority[] = flags.key.map((p) => {
    const key = loadPublicKey(readFile(p, 'key'), `key ${p}`);
    return { kind: 'key', name: p, key, keyId: keyId(key), ...(root ? { trustedRoot: root } : {}) };
  });
  const keyless =
    flags.certificateIdentity ??
    flags.certificateIdentityRegexp ??
    flags.certificateOidcIssuer ??
    flags.certificateOidcIssuerRegexp;
  if (keyless !== undefined || (root && flags.key.length === 0)) {
    if (!root) throw new BollardError('USAGE', 'keyless verification needs --trusted-root');
    if (flags.certificateIdentity === undefined && flags.certificateIdentityRegexp === undefined) {
      throw new BollardError(
        'USAGE',
        'keyless verification needs --certificate-identity or --certificate-identity-regexp',
      );
    }
    if (flags.certificateOidcIssuer === undefined && flags.certificateOidcIssuerRegexp === undefined) {
      throw new BollardError(
        'USAGE',
        'keyless verification needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp',
      );
    }
    out.push({
      kind: 'keyless',
      name: 'keyless',
      trustedRoot: root,
      ...(flags.certificateIdentity !== undefined ? { identity: flags.certificateIdentity } : {}),
      ...(flags.certificateIdentityRegexp !== undefined ? { identityRegexp: flags.certificateIdentityRegexp } : {}),
      ...(flags.certificateOidcIssuer !== undefined ? { issuer: flags.certificateOidcIssuer } : {}),
      ...(flags.certificateOidcIssuerRegexp !== undefined ? { issuerRegexp: flags.certificateOidcIssuerRegexp } : {}),
    });
  }
  if (required && out.length === 0) {
    throw new BollardError(
      'USAGE',
      'give --key, or --trusted-root with --certificate-identity and --certificate-oidc-issuer',
    );
  }
  return out;
}

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('generate an ECDSA P-256 key pair in cosign format (PREFIX.key encrypted, PREFIX.pub)')
    .option('--output-key-prefix <prefix>', 'file name prefix', 'cosign')
    .option('--force', 'overwrite existing files')
    .action(async (flags: { outputKeyPrefix: string; force?: boolean }) => {
      const keyFile = `${flags.outputKeyPrefix}.key`;
      const pubFile = `${flags.outputKeyPrefix}.pub`;
      for (const f of [keyFile, pubFile]) {
        if (existsSync(f) && !flags.force) throw new BollardError('USAGE', `${f} exists; use --force to overwrite`);
      }
      const pass = await readPassphrase(`encrypt ${keyFile}`, { confirm: true });
      const kp = generateKeyPair(pass);
      try {
        writeFileSync(keyFile, kp.privateKeyPem, { mode: 0o600 });
        writeFileSync(pubFile, kp.publicKeyPem, { mode: 0o644 });
      } catch (e) {
        throw new BollardError('IO', `cannot write the key pair: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      process.stderr.write(
        `Private key written to ${keyFile}\nPublic key written to ${pubFile} (key id ${kp.keyId.slice(0, 16)})\n`,
      );
    });
}

export function signCommand(): Command {
  const cmd = new Command('sign')
    .description('sign an image manifest digest in cosign format (sha256-<hex>.sig), optionally with a Sigstore bundle')
    .argument('<image>', 'image reference (the tag is resolved to its digest, which is what gets signed)')
    .requiredOption('--key <file>', 'private key: cosign encrypted PEM or plain PEM')
    .option('-a, --annotations <key=value>', 'annotation to sign along (repeatable)', collect, [])
    .option(
      '--bundle',
      'also attach a Sigstore bundle (v0.3) as an OCI 1.1 referrer (tag fallback without the referrers API)',
    )
    .option('--recursive', 'for a multi-platform index, also sign every manifest it lists')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'));
  return addRegistryFlags(cmd).action(
    async (
      image: string,
      flags: RegistryFlags & {
        key: string;
        annotations: string[];
        bundle?: boolean;
        recursive?: boolean;
        format: string;
      },
    ) => {
      const annotations = parseAnnotations(flags.annotations);
      const signer = await loadSigningKey(flags.key);
      const ctx = registryContext(flags);
      try {
        const r = await signImage(image, signer, {
          ...ctx,
          annotations,
          recursive: flags.recursive === true,
          bundle: flags.bundle === true,
        });
        if (flags.format === 'json') await writeOutput(`${JSON.stringify(r, null, 2)}\n`, undefined);
        else {
          const lines = r.signed.map(
            (s) =>
              `signed ${s.digest}${s.platform ? ` (${s.platform})` : ''}: ${s.signatureTag} (${s.signatures} signature${s.signatures === 1 ? '' : 's'}${s.appended ? '' : ', already present'})${s.bundle ? `; bundle ${s.bundle.digest} via ${s.bundle.via}` : ''}`,
          );
          await writeOutput(`${lines.join('\n')}\n`, undefined);
        }
      } finally {
        await ctx.client.close();
      }
    },
  );
}

export function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description('verify cosign signatures and Sigstore bundles of an image, or evaluate a trust policy (--policy)')
    .argument('<image>', 'image reference')
    .option('-a, --annotations <key=value>', 'annotation the signature must carry (repeatable)', collect, [])
    .option('--signed-identity <name>', 'expected docker-reference (default: the repository being verified)')
    .addOption(
      new Option('--scheme <scheme>', 'which signatures to look at')
        .choices(['all', 'cosign-tag', 'sigstore-bundle'])
        .default('all'),
    )
    .option('--policy <file>', 'evaluate a trust policy file instead of --key/keyless flags');
  return addRegistryFlags(addVerifierFlags(cmd)).action(
    async (
      image: string,
      flags: VerifierFlags & { annotations: string[]; signedIdentity?: string; scheme: string; policy?: string },
    ) => {
      const ctx = registryContext(flags);
      try {
        if (flags.policy) {
          const policy = loadPolicy(flags.policy);
          const v = await evaluatePolicy(policy, image, ctx);
          if (flags.format === 'json') await writeOutput(`${JSON.stringify(v, null, 2)}\n`, undefined);
          else {
            const lines = [`${v.allowed ? 'ALLOWED' : 'DENIED'} ${v.image}${v.rule ? ` (rule ${v.rule})` : ''}`];
            for (const c of v.checks) lines.push(`  ${c.status === 'passed' ? 'pass' : 'FAIL'} ${c.name}: ${c.reason}`);
            await writeOutput(`${lines.join('\n')}\n`, undefined);
          }
          if (!v.allowed) requestExitCode(1);
          return;
        }
        const authorities = authoritiesFrom(flags);
        const schemes: SignatureScheme[] =
          flags.scheme === 'all' ? ['cosign-tag', 'sigstore-bundle'] : [flags.scheme as SignatureScheme];
        const v = await verifyImage(image, {
          ...ctx,
          authorities,
          annotations: parseAnnotations(flags.annotations),
          schemes,
          ...(flags.signedIdentity ? { identity: flags.signedIdentity } : {}),
        });
        await reportVerification(v, flags.format);
      } finally {
        await ctx.client.close();
      }
    },
  );
}

async function reportVerification(v: ImageVerification, format: string): Promise<void> {
  if (format === 'json') await writeOutput(`${JSON.stringify(v, null, 2)}\n`, undefined);
  else {
    for (const s of v.signatures) {
      process.stderr.write(
        s.verified
          ? `verified: ${s.scheme} ${s.location} signed by ${s.signer}${s.transparencyLog === 'not checked' ? ' (transparency log not checked)' : ''}\n`
          : `rejected: ${s.scheme} ${s.location}: ${s.reason}\n`,
      );
    }
    const payloads = v.signatures.filter((s) => s.verified).map((s) => s.payload);
    if (payloads.length > 0) await writeOutput(`${JSON.stringify(payloads)}\n`, undefined);
  }
  if (!v.verified) {
    const why =
      v.signatures.length === 0
        ? `no signatures found for ${v.digest}`
        : [...new Set(v.signatures.map((s) => s.reason))].join('; ');
    process.stderr.write(`bollard: verification of ${v.reference} failed: ${why}\n`);
    requestExitCode(1);
  }
}

export function attestCommand(): Command {
  const cmd = new Command('attest')
    .description('attach a signed in-toto attestation (DSSE) to an image in cosign format (sha256-<hex>.att)')
    .argument('<image>', 'image reference')
    .requiredOption('--key <file>', 'private key')
    .requiredOption('--predicate <file>', 'predicate file (SBOM, VEX, scan report, any JSON; any text for custom)')
    .option(
      '--type <type>',
      'cyclonedx, spdx, openvex, vuln, custom, slsaprovenance, or a predicate type URI',
      'custom',
    )
    .option('--bundle', 'also attach a Sigstore bundle referrer')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'));
  return addRegistryFlags(cmd).action(
    async (
      image: string,
      flags: RegistryFlags & { key: string; predicate: string; type: string; bundle?: boolean; format: string },
    ) => {
      const predicateType = predicateTypeOf(flags.type);
      const predicate = buildPredicate(
        predicateType,
        readFile(flags.predicate, 'predicate'),
        `predicate ${flags.predicate}`,
      );
      const signer = await loadSigningKey(flags.key);
      const ctx = registryContext(flags);
      try {
        const r = await attestImage(image, signer, { ...ctx, predicateType, predicate, bundle: flags.bundle === true });
        await writeOutput(
          flags.format === 'json'
            ? `${JSON.stringify(r, null, 2)}\n`
            : `attested ${r.digest} (${r.predicateType}): ${r.attestationTag} (${r.attestations} attestation${r.attestations === 1 ? '' : 's'})${r.bundle ? `; bundle ${r.bundle.digest} via ${r.bundle.via}` : ''}\n`,
          undefined,
        );
      } finally {
        await ctx.client.close();
      }
    },
  );
}

export function verifyAttestationCommand(): Command {
  const cmd = new Command('verify-attestation')
    .description('verify in-toto attestations of an image (cosign .att tag scheme and Sigstore bundles)')
    .argument('<image>', 'image reference')
    .option('--type <type>', 'only this attestation type (cyclonedx, spdx, openvex, vuln, custom, or a URI)');
  return addRegistryFlags(addVerifierFlags(cmd)).action(
    async (image: string, flags: VerifierFlags & { type?: string }) => {
      const authorities = authoritiesFrom(flags);
      const ctx = registryContext(flags);
      try {
        const v = await verifyAttestations(image, {
          ...ctx,
          authorities,
          ...(flags.type ? { predicateType: predicateTypeOf(flags.type) } : {}),
        });
        if (flags.format === 'json') {
          await writeOutput(
            `${JSON.stringify({ ...v, attestations: v.attestations.map(({ statement: _s, ...a }) => a) }, null, 2)}\n`,
            undefined,
          );
        } else {
          for (const a of v.attestations) {
            process.stderr.write(
              a.verified
                ? `verified: ${a.scheme} ${a.location} ${a.predicateType} signed by ${a.signer}\n`
                : `rejected: ${a.scheme} ${a.location}: ${a.reason}\n`,
            );
          }
          const statements = v.attestations.filter((a) => a.verified).map((a) => JSON.stringify(a.payload));
          if (statements.length > 0) await writeOutput(`${statements.join('\n')}\n`, undefined);
        }
        if (!v.verified) {
          const why =
            v.attestations.length === 0
              ? 'no attestations found'
              : [...new Set(v.attestations.map((a) => a.reason))].join('; ');
          process.stderr.write(`bollard: verification of attestations of ${v.reference} failed: ${why}\n`);
          requestExitCode(1);
        }
      } finally {
        await ctx.client.close();
      }
    },
  );
}

export function signBlobCommand(): Command {
  return new Command('sign-blob')
    .description('sign a file: base64 signature (cosign sign-blob) and/or a Sigstore bundle')
    .argument('<file>', 'file to sign')
    .requiredOption('--key <file>', 'private key')
    .option('--output-signature <file>', 'write the base64 signature here (default: stdout)')
    .option('--bundle <file>', 'write a Sigstore bundle (v0.3) here')
    .action(async (file: string, flags: { key: string; outputSignature?: string; bundle?: string }) => {
      const data = readFile(file, 'file');
      const signer = await loadSigningKey(flags.key);
      const r = signBlob(data, signer);
      if (flags.bundle) await writeOutput(`${JSON.stringify(r.bundle, null, 2)}\n`, flags.bundle);
      if (flags.outputSignature) await writeOutput(r.signature, flags.outputSignature);
      else if (!flags.bundle) await writeOutput(`${r.signature}\n`, undefined);
    });
}

export function verifyBlobCommand(): Command {
  const cmd = new Command('verify-blob')
    .description('verify a file against a signature (--signature) or a Sigstore bundle (--bundle)')
    .argument('[file]', 'the signed file (optional for DSSE bundles: then their subject is not compared)')
    .option('--signature <file>', 'base64 signature file')
    .option('--bundle <file>', 'Sigstore bundle file');
  return addVerifierFlags(cmd).action(
    async (file: string | undefined, flags: VerifierFlags & { signature?: string; bundle?: string }) => {
      if (!flags.signature === !flags.bundle)
        throw new BollardError('USAGE', 'give exactly one of --signature and --bundle');
      const authorities = authoritiesFrom(flags);
      const data = file !== undefined ? readFile(file, 'file') : undefined;
      let r: BlobVerification;
      if (flags.signature) {
        if (!data) throw new BollardError('USAGE', 'verify-blob --signature needs the file');
        r = verifyBlobSignature(data, readFile(flags.signature, 'signature'), authorities);
      } else {
        r = verifyBlobBundle(readFile(flags.bundle as string, 'bundle'), data, authorities);
      }
      if (flags.format === 'json') await writeOutput(`${JSON.stringify(r, null, 2)}\n`, undefined);
      else if (r.verified) {
        process.stderr.write(
          `Verified OK: signed by ${r.signer}${r.transparencyLog === 'verified' ? ', transparency log entry verified' : ''}${r.subjectChecked === false ? ' (no file given: statement subject not compared)' : ''}\n`,
        );
      }
      if (!r.verified) {
        process.stderr.write(`bollard: verification failed: ${r.reason}\n`);
        requestExitCode(1);
      }
    },
  );
}
