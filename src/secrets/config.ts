import { readFileSync } from 'node:fs';
import { SEVERITIES, type Severity } from '../detect/types.ts';
import { BollardError } from '../util/errors.ts';
import { parseYamlBounded } from '../util/yaml.ts';
import { builtinSecretRules } from './rules/api.ts';
import type { SecretScannerConfig } from './scanner.ts';
import { DEFAULT_SECRET_MAX_FILE_BYTES } from './scanner.ts';
import type { SecretAllowList, SecretRule, SecretValidator } from './types.ts';

/**
 * The `--secret-config` file (YAML):
 *
 * ```yaml
 * rules:                 # custom rules; an id of a built-in rule replaces it
 *   - id: acme-token
 *     title: ACME API token
 *     severity: HIGH
 *     keywords: [acme_]
 *     regex: 'acme_[a-z0-9]{32}'
 *     entropy: 3.5
 *     allow: { paths: ['^test/'] }
 * disable-rules: [jwt]   # built-in or custom ids
 * allow:                 # applied to every rule
 *   paths: ['(^|/)fixtures/']
 *   regexes: ['^AKIA0000']
 *   stopwords: [dummy]
 * allow-rules:           # Trivy's form of the same (id, description, path, regex)
 *   - { id: tests, path: '^tests/' }
 * rule-allow:            # per-rule additions
 *   generic-password: { paths: ['^etc/ssl/'] }
 * max-file-bytes: 8388608
 * ```
 */
export interface SecretConfigFile {
  rules: SecretRule[];
  disable: string[];
  allow: SecretAllowList;
  ruleAllow: Record<string, SecretAllowList>;
  maxFileBytes?: number;
}

const TOP_KEYS = new Set(['rules', 'disable-rules', 'allow', 'allow-rules', 'rule-allow', 'max-file-bytes']);
const RULE_KEYS = new Set([
  'id',
  'title',
  'severity',
  'category',
  'keywords',
  'regex',
  'pattern',
  'flags',
  'entropy',
  'validate',
  'allow',
  'paths',
  'priority',
  'reveal',
  'references',
]);
const VALIDATORS: readonly SecretValidator[] = ['crc32-base62', 'jwt', 'base64-userpass', 'base64-private-key'];
const MAX_RULES = 1000;
const ID_RE = /^[a-z0-9][a-z0-9._-]{0,99}$/;

function fail(what: string, msg: string): never {
  throw new BollardError('INPUT_INVALID', `${what}: ${msg}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(what, 'expected a list of strings');
  return v as string[];
}

function allowList(v: unknown, what: string): SecretAllowList {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) fail(what, 'expected a mapping with paths, regexes, stopwords');
  for (const k of Object.keys(v))
    if (!['paths', 'regexes', 'stopwords', 'description'].includes(k)) fail(what, `unknown key "${k}"`);
  const out: SecretAllowList = {};
  const paths = strings(v.paths, `${what}.paths`);
  const regexes = strings(v.regexes, `${what}.regexes`);
  const stopwords = strings(v.stopwords, `${what}.stopwords`);
  if (paths.length) out.paths = paths;
  if (regexes.length) out.regexes = regexes;
  if (stopwords.length) out.stopwords = stopwords;
  if (typeof v.description === 'string') out.description = v.description;
  return out;
}

function mergeAllow(a: SecretAllowList | undefined, b: SecretAllowList): SecretAllowList {
  const out: SecretAllowList = { ...a };
  for (const k of ['paths', 'regexes', 'stopwords'] as const) {
    const list = [...(a?.[k] ?? []), ...(b[k] ?? [])];
    if (list.length) out[k] = list;
  }
  return out;
}

function parseRule(v: unknown, i: number, what: string): SecretRule {
  const at = `${what}: rules[${i}]`;
  if (!isRecord(v)) fail(at, 'expected a mapping');
  for (const k of Object.keys(v)) if (!RULE_KEYS.has(k)) fail(at, `unknown key "${k}"`);
  const id = v.id;
  if (typeof id !== 'string' || !ID_RE.test(id)) fail(at, 'id must be lower-case letters, digits, ".", "_" or "-"');
  const pattern = v.regex ?? v.pattern;
  if (typeof pattern !== 'string' || pattern === '') fail(`${at} (${id})`, 'regex is required');
  const severity = typeof v.severity === 'string' ? v.severity.toUpperCase() : 'MEDIUM';
  if (!SEVERITIES.includes(severity as Severity)) fail(`${at} (${id})`, `unknown severity "${String(v.severity)}"`);
  const rule: SecretRule = {
    id,
    title: typeof v.title === 'string' ? v.title : id,
    severity: severity as Severity,
    category: typeof v.category === 'string' ? v.category : 'custom',
    keywords: strings(v.keywords, `${at}.keywords`).map((k) => k.toLowerCase()),
    pattern,
  };
  if (v.flags !== undefined) {
    if (typeof v.flags !== 'string' || !/^[imsu]*$/.test(v.flags))
      fail(`${at} (${id})`, 'flags may only hold i, m, s, u');
    rule.flags = v.flags;
  }
  if (v.entropy !== undefined) {
    if (typeof v.entropy !== 'number' || v.entropy < 0 || v.entropy > 8) fail(`${at} (${id})`, 'entropy must be 0-8');
    rule.entropy = v.entropy;
  }
  if (v.validate !== undefined) {
    if (!VALIDATORS.includes(v.validate as SecretValidator))
      fail(`${at} (${id})`, `validate must be one of ${VALIDATORS.join(', ')}`);
    rule.validate = v.validate as SecretValidator;
  }
  if (v.allow !== undefined) rule.allow = allowList(v.allow, `${at}.allow`);
  const paths = strings(v.paths, `${at}.paths`);
  if (paths.length) rule.paths = paths;
  if (v.priority !== undefined) {
    if (typeof v.priority !== 'number') fail(`${at} (${id})`, 'priority must be a number');
    rule.priority = v.priority;
  }
  if (v.reveal !== undefined) {
    if (typeof v.reveal !== 'number' || v.reveal < 0 || v.reveal > 16) fail(`${at} (${id})`, 'reveal must be 0-16');
    rule.reveal = v.reveal;
  }
  const refs = strings(v.references, `${at}.references`);
  if (refs.length) rule.references = refs;
  return rule;
}

/** Parse a secret configuration document (YAML or JSON text). */
export function parseSecretConfig(text: string | Buffer, what = 'secret config'): SecretConfigFile {
  const doc = parseYamlBounded(text, { what, maxBytes: 4 * 1024 * 1024 });
  if (doc === null) return { rules: [], disable: [], allow: {}, ruleAllow: {} };
  if (!isRecord(doc)) fail(what, 'expected a mapping at the top level');
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) fail(what, `unknown key "${k}"`);
  const rawRules = doc.rules ?? [];
  if (!Array.isArray(rawRules)) fail(what, 'rules must be a list');
  if (rawRules.length > MAX_RULES) fail(what, `more than ${MAX_RULES} rules`);
  const rules = rawRules.map((r, i) => parseRule(r, i, what));
  let allow = allowList(doc.allow, `${what}: allow`);
  const allowRules = doc['allow-rules'] ?? [];
  if (!Array.isArray(allowRules)) fail(what, 'allow-rules must be a list');
  allowRules.forEach((a, i) => {
    if (!isRecord(a)) fail(`${what}: allow-rules[${i}]`, 'expected a mapping');
    for (const k of Object.keys(a))
      if (!['id', 'description', 'path', 'regex'].includes(k)) fail(`${what}: allow-rules[${i}]`, `unknown key "${k}"`);
    allow = mergeAllow(allow, {
      paths: strings(a.path, `${what}: allow-rules[${i}].path`),
      regexes: strings(a.regex, `${what}: allow-rules[${i}].regex`),
    });
  });
  const ruleAllow: Record<string, SecretAllowList> = {};
  const ra = doc['rule-allow'] ?? {};
  if (!isRecord(ra)) fail(what, 'rule-allow must map rule ids to allow-lists');
  for (const [id, v] of Object.entries(ra)) ruleAllow[id] = allowList(v, `${what}: rule-allow.${id}`);
  const out: SecretConfigFile = {
    rules,
    disable: strings(doc['disable-rules'], `${what}: disable-rules`),
    allow,
    ruleAllow,
  };
  const max = doc['max-file-bytes'];
  if (max !== undefined) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 256 * 1024 * 1024)
      fail(what, 'max-file-bytes must be an integer from 1 to 268435456');
    out.maxFileBytes = max;
  }
  return out;
}

/** Built-in rules combined with a configuration: custom rules added or replacing, disabled ones removed. */
export function scannerConfigFrom(file: SecretConfigFile | undefined): SecretScannerConfig {
  const byId = new Map(builtinSecretRules().map((r) => [r.id, r]));
  if (!file) return { rules: [...byId.values()], maxFileBytes: DEFAULT_SECRET_MAX_FILE_BYTES };
  for (const r of file.rules) byId.set(r.id, r);
  for (const id of file.disable) {
    if (!byId.has(id))
      throw new BollardError('INPUT_INVALID', `secret config: disable-rules names unknown rule "${id}"`);
    byId.delete(id);
  }
  for (const [id, a] of Object.entries(file.ruleAllow)) {
    const r = byId.get(id);
    if (!r) throw new BollardError('INPUT_INVALID', `secret config: rule-allow names unknown rule "${id}"`);
    byId.set(id, { ...r, allow: mergeAllow(r.allow, a) });
  }
  return {
    rules: [...byId.values()],
    allow: file.allow,
    maxFileBytes: file.maxFileBytes ?? DEFAULT_SECRET_MAX_FILE_BYTES,
  };
}

/** Read `--secret-config FILE`. */
export function loadSecretConfig(path: string): SecretConfigFile {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BollardError(code === 'ENOENT' ? 'TARGET_NOT_FOUND' : 'IO', `${path}: cannot read secret config`);
  }
  return parseSecretConfig(text, path);
}
