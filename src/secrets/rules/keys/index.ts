import type { SecretRule, SecretRulePack } from '../../types.ts';

/** A line break as written, or escaped inside a JSON or code string. */
const NL = String.raw`(?:\\[rn]|\s)`;
const B64 = '[A-Za-z0-9+/=]';

/**
 * A PEM block with a real body: a first base64 line of 40 characters or more (an Ed25519 PKCS#8 key
 * is one 64-character line), then any number of lines. A header alone, or one around an elided
 * body (`MIIE...`), as parser code and documentation write them, is not a key. Lines are separated by real or escaped
 * newlines, so keys pasted into JSON or code strings are found too. The secret is the body.
 */
function pem(label: string, body: string = B64): string {
  return String.raw`-----BEGIN ${label}-----${NL}+(?:(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):[^\n\\]{0,200}${NL}+)*(?<secret>${body}{40,}(?:${NL}+${body}+){0,400})${NL}*-----END ${label}-----`;
}

function pemRule(id: string, title: string, label: string, severity: SecretRule['severity'], priority = 0): SecretRule {
  return {
    id,
    title,
    severity,
    category: 'private-key',
    keywords: [`-----begin ${label.toLowerCase()}-----`],
    pattern: pem(label),
    priority,
    label: `-----BEGIN ${label}-----`,
  };
}

/** Private keys: PEM (RSA, EC, DSA, PKCS#8), OpenSSH, PGP, PuTTY, SSH2, age, sigstore, WireGuard, OpenVPN. */
export const rules: readonly SecretRule[] = [
  pemRule('private-key-rsa', 'RSA private key (PKCS#1)', 'RSA PRIVATE KEY', 'HIGH'),
  pemRule('private-key-ec', 'EC private key (SEC 1)', 'EC PRIVATE KEY', 'HIGH'),
  pemRule('private-key-dsa', 'DSA private key', 'DSA PRIVATE KEY', 'HIGH'),
  pemRule('private-key-openssh', 'OpenSSH private key', 'OPENSSH PRIVATE KEY', 'HIGH'),
  pemRule('private-key-pkcs8', 'Private key (PKCS#8)', 'PRIVATE KEY', 'HIGH'),
  pemRule('private-key-pkcs8-encrypted', 'Encrypted private key (PKCS#8)', 'ENCRYPTED PRIVATE KEY', 'MEDIUM'),
  pemRule('private-key-sigstore', 'Sigstore/cosign private key', 'ENCRYPTED SIGSTORE PRIVATE KEY', 'MEDIUM'),
  {
    id: 'private-key-pem-other',
    title: 'Private key (other PEM type)',
    severity: 'HIGH',
    category: 'private-key',
    keywords: ['private key-----'],
    pattern: String.raw`-----BEGIN (?<type>[A-Z0-9]+(?: [A-Z0-9]+)*) PRIVATE KEY-----${NL}+(?:[A-Za-z-]+:[^\n\\]{0,200}${NL}+)*(?<secret>${B64}{40,}(?:${NL}+${B64}+){0,400})${NL}*-----END \k<type> PRIVATE KEY-----`,
    priority: -5,
    label: '-----BEGIN … PRIVATE KEY-----',
  },
  {
    id: 'private-key-pgp',
    title: 'PGP private key block',
    severity: 'HIGH',
    category: 'private-key',
    keywords: ['-----begin pgp private key block-----'],
    pattern: pem('PGP PRIVATE KEY BLOCK'),
    label: '-----BEGIN PGP PRIVATE KEY BLOCK-----',
  },
  {
    id: 'private-key-ssh2',
    title: 'SSH2 (RFC 4716 / ssh.com) private key',
    severity: 'HIGH',
    category: 'private-key',
    keywords: ['---- begin ssh2 encrypted private key ----'],
    pattern: String.raw`---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----${NL}+(?:[A-Za-z-]+: [^\n]{0,200}${NL}+)*(?<secret>${B64}{40,}(?:${NL}+${B64}+){0,400})${NL}*---- END SSH2 ENCRYPTED PRIVATE KEY ----`,
    label: '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----',
  },
  {
    id: 'private-key-putty',
    title: 'PuTTY private key (PPK)',
    severity: 'HIGH',
    category: 'private-key',
    keywords: ['putty-user-key-file-'],
    pattern: String.raw`PuTTY-User-Key-File-[23]: [^\r\n]{1,64}\r?\n[\s\S]{0,8192}?Private-Lines: \d{1,3}\r?\n(?<secret>(?:[A-Za-z0-9+/=]{4,}\r?\n?){1,128})`,
    label: 'PuTTY-User-Key-File',
  },
  {
    id: 'age-secret-key',
    title: 'age secret key',
    severity: 'HIGH',
    category: 'private-key',
    keywords: ['age-secret-key-1'],
    pattern: `(?<![A-Za-z0-9-])(AGE-SECRET-KEY-1[0-9A-Z]{58})(?![A-Za-z0-9])`,
    label: 'AGE-SECRET-KEY-1',
  },
  {
    id: 'wireguard-private-key',
    title: 'WireGuard private key',
    severity: 'HIGH',
    category: 'private-key',
    keywords: ['privatekey'],
    // 32 bytes in base64: 43 characters, the last one from the 16 that encode 4 bits, and "=".
    pattern: String.raw`PrivateKey\s*=\s*([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)`,
    entropy: 4,
  },
  {
    id: 'openvpn-static-key',
    title: 'OpenVPN static key',
    severity: 'HIGH',
    category: 'private-key',
    keywords: ['-----begin openvpn static key v1-----'],
    pattern: `-----BEGIN OpenVPN Static key V1-----${NL}+(?<secret>[0-9a-f]{32}(?:${NL}+[0-9a-f]{32}){7,31})${NL}*-----END OpenVPN Static key V1-----`,
    label: '-----BEGIN OpenVPN Static key V1-----',
  },
];

export const pack: SecretRulePack = { id: 'keys', description: 'private keys', rules };
