import type { Severity } from '../detect/types.ts';

/** Named checks that a match must pass beyond its pattern (checksums, decodable structure). */
export type SecretValidator =
  /** GitHub and npm tokens: the last 6 characters are the base62 CRC32 of the 30 random ones. */
  | 'crc32-base62'
  /** A JSON Web Token whose header decodes to JSON naming an `alg`. */
  | 'jwt'
  /** base64 that decodes to `user:password` (Docker config.json `auth`, npm `_auth`). */
  | 'base64-userpass'
  /** base64 that decodes to a PEM private key (kubeconfig `client-key-data`). */
  | 'base64-private-key';

/** Matches that are known not to be secrets: examples, placeholders, test paths. */
export interface SecretAllowList {
  /** Why these entries are allowed (shown in docs, kept for reviewers). */
  description?: string;
  /** Regular expressions tested against the secret itself. */
  regexes?: string[];
  /** Regular expressions tested against the file path (relative to the scanned root). */
  paths?: string[];
  /** Substrings (case-insensitive) that mark the secret as a placeholder. */
  stopwords?: string[];
}

/** One detection rule, as data. Built-in rule packs and user YAML files share this shape. */
export interface SecretRule {
  /** Stable kebab-case id (`aws-access-key-id`); disable or override a rule by it. */
  id: string;
  title: string;
  severity: Severity;
  /** `cloud`, `vcs`, `ci`, `chat`, `mail`, `payment`, `registry`, `private-key`, `jwt`, `database`, `generic`, `kubernetes`, `saas`. */
  category: string;
  /**
   * Lower-case literals of which at least one must occur in the text (case-insensitively) before the
   * pattern runs at all: the prefilter that keeps the scanner fast.
   */
  keywords: string[];
  /** JavaScript regular expression source. The secret is the named group `secret`, else group 1, else the whole match. */
  pattern: string;
  /** Extra regex flags (`i`, `m`, `s`); `g` is always added. */
  flags?: string;
  /** Minimum Shannon entropy (bits per character) of the secret. */
  entropy?: number;
  validate?: SecretValidator;
  /**
   * The pattern marks a document to decode rather than a secret: `kubernetes-secret` parses the
   * manifest and reports each `data`/`stringData` value (base64-decoded), scanned with every rule.
   */
  decode?: 'kubernetes-secret';
  allow?: SecretAllowList;
  /** Only scan files whose path matches one of these regular expressions. */
  paths?: string[];
  /** When findings of two rules overlap, the higher priority wins (provider rules 0, generic rules below). */
  priority?: number;
  /** Characters of the secret shown in the redacted match (default 4, never more than a quarter of it). */
  reveal?: number;
  /** When set, this literal replaces the revealed prefix (a PEM header is not secret, its body is). */
  label?: string;
  references?: string[];
}

/** A group of rules in one folder (`src/secrets/rules/<pack>/`). */
export interface SecretRulePack {
  id: string;
  description: string;
  rules: readonly SecretRule[];
}

/** What the scanner reports for one match. Never the secret itself. */
export interface SecretMatch {
  ruleId: string;
  category: string;
  severity: Severity;
  title: string;
  /** 1-based lines of the secret in the scanned text. */
  startLine: number;
  endLine: number;
  /** A short prefix of the secret followed by `…` (or the rule's label). */
  match: string;
  /** `sha256:` and the first 16 hex digits of the SHA-256 of the secret: the same secret gives the same hash. */
  hash: string;
  /** For a value of a Kubernetes Secret manifest: the resource and the data key holding it. */
  resource?: { kind: string; namespace?: string; name: string; key: string };
}

/** Where a secret finding was made. */
export type SecretSource =
  | 'file' // a file of a layer or directory
  | 'env' // image config ENV
  | 'label' // image config LABEL
  | 'history' // image config history (created_by)
  | 'kubernetes-secret'; // a decoded data value of a Kubernetes Secret manifest

/** A secret finding as reports carry it. */
export interface SecretFinding extends SecretMatch {
  source: SecretSource;
  /** File path (no leading `/`), or `ENV`, `LABEL`, `history` for the image config. */
  file: string;
  /**
   * The layer holding the file, even when a later layer deletes or replaces it. Its history line is
   * not copied here: it is image content and may hold the secret itself.
   */
  layer?: { index: number; diffId: string };
}
