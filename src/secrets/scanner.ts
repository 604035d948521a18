import { createHash } from 'node:crypto';
import { BollardError } from '../util/errors.ts';
import { decodeKubernetesSecrets } from './k8s.ts';
import { buildKeywordMatcher, type KeywordMatcher } from './prefilter.ts';
import { DEFAULT_REVEAL, redactSecret } from './redact.ts';
import { builtinSecretRules } from './rules/api.ts';
import type { SecretAllowList, SecretMatch, SecretRule } from './types.ts';
import { runValidator, shannonEntropy } from './validators.ts';

/** What a scanner is built from: the rules to use and what to allow globally. */
export interface SecretScannerConfig {
  /** Rules (default: every built-in rule). */
  rules?: readonly SecretRule[];
  /** Allow-list applied to every rule. */
  allow?: SecretAllowList;
  /** Largest file scanned, in bytes (default 8 MiB). */
  maxFileBytes?: number;
}

export interface SecretScanner {
  readonly rules: readonly SecretRule[];
  /** Hash of the rule set and allow-lists: what produced a result, for cache keys. */
  readonly fingerprint: string;
  readonly maxFileBytes: number;
  /** Is this path allowed (skipped) by the global allow-list? */
  skipsPath(path: string): boolean;
  /** Scan one text. `path` is used for path-restricted rules and allow-lists. */
  scan(content: Buffer | string, path: string): SecretMatch[];
}

export const DEFAULT_SECRET_MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Bounds on what one file can produce: a hostile file full of tokens cannot grow a report without end. */
const MAX_MATCHES_PER_RULE = 64;
const MAX_MATCHES_PER_FILE = 256;
const MAX_PATTERN_LENGTH = 4096;
/**
 * A rule's pattern runs from this many bytes before its first keyword to this many after its last:
 * long enough for the longest built-in match (a PEM body of 400 lines), the rest of the file is skipped.
 */
const WINDOW_BEFORE = 256;
const WINDOW_AFTER = 64 * 1024;

interface Compiled {
  rule: SecretRule;
  re: RegExp;
  paths: RegExp[] | undefined;
  allowRes: RegExp[];
  allowPaths: RegExp[];
  stopwords: string[];
  keywordIds: number[];
  reveal: number;
}

interface Hit {
  c: Compiled;
  start: number;
  end: number;
  secret: string;
  resource?: SecretMatch['resource'];
  /** Fixed line (decoded values carry the line of their key). */
  line?: number;
  /** A match already redacted by an inner scan (a token inside a decoded Secret value). */
  pre?: SecretMatch;
}

function compileRegex(source: string, flags: string, what: string): RegExp {
  if (source.length > MAX_PATTERN_LENGTH)
    throw new BollardError('INPUT_INVALID', `${what}: pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new BollardError('INPUT_INVALID', `${what}: invalid regular expression: ${(e as Error).message}`);
  }
}

function uniqueFlags(extra: string | undefined, base: string): string {
  return [...new Set(`${base}${extra ?? ''}`.replace(/[gyd]/g, '').split(''))].join('') + base;
}

/** Compile a rule set once; scanning is then safe to call on any number of files. */
export function createSecretScanner(config: SecretScannerConfig = {}): SecretScanner {
  const rules = config.rules ?? builtinSecretRules();
  const globalAllow = config.allow ?? {};
  const keywordIndex = new Map<string, number>();
  const keywords: string[] = [];
  const compiled: Compiled[] = [];
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id)) throw new BollardError('INPUT_INVALID', `secret rule ${rule.id}: duplicate id`);
    ids.add(rule.id);
    const what = `secret rule ${rule.id}`;
    const keywordIds = rule.keywords.map((k) => {
      const kw = k.toLowerCase();
      let i = keywordIndex.get(kw);
      if (i === undefined) {
        i = keywords.length;
        keywords.push(kw);
        keywordIndex.set(kw, i);
      }
      return i;
    });
    compiled.push({
      rule,
      re: compileRegex(rule.pattern, uniqueFlags(rule.flags, 'g'), what),
      paths: rule.paths?.map((p) => compileRegex(p, '', `${what} paths`)),
      allowRes: (rule.allow?.regexes ?? []).map((r) => compileRegex(r, '', `${what} allow`)),
      allowPaths: (rule.allow?.paths ?? []).map((r) => compileRegex(r, '', `${what} allow paths`)),
      stopwords: (rule.allow?.stopwords ?? []).map((s) => s.toLowerCase()),
      keywordIds,
      reveal: rule.reveal ?? DEFAULT_REVEAL,
    });
  }
  const byId = new Map(compiled.map((c) => [c.rule.id, c]));
  const globalRes = (globalAllow.regexes ?? []).map((r) => compileRegex(r, '', 'secret allow-list'));
  const globalPaths = (globalAllow.paths ?? []).map((r) => compileRegex(r, '', 'secret allow-list paths'));
  const globalStop = (globalAllow.stopwords ?? []).map((s) => s.toLowerCase());
  const matcher: KeywordMatcher = buildKeywordMatcher(keywords);
  const first = new Int32Array(keywords.length);
  const last = new Int32Array(keywords.length);
  // Rules without keywords (possible in user files) run on every text.
  const always = compiled.filter((c) => c.keywordIds.length === 0);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ rules, allow: globalAllow, max: config.maxFileBytes ?? DEFAULT_SECRET_MAX_FILE_BYTES }))
    .digest('hex')
    .slice(0, 16);

  const skipsPath = (path: string): boolean => globalPaths.some((r) => r.test(path));

  const allowed = (c: Compiled, secret: string): boolean => {
    const lower = secret.toLowerCase();
    if (c.allowRes.some((r) => r.test(secret)) || globalRes.some((r) => r.test(secret))) return true;
    return c.stopwords.some((w) => lower.includes(w)) || globalStop.some((w) => lower.includes(w));
  };

  const accept = (c: Compiled, secret: string): boolean => {
    if (secret.length === 0) return false;
    if (c.rule.entropy !== undefined && shannonEntropy(secret) < c.rule.entropy) return false;
    if (c.rule.validate && !runValidator(c.rule.validate, secret)) return false;
    return !allowed(c, secret);
  };

  const scanner: SecretScanner = {
    rules,
    fingerprint,
    maxFileBytes: config.maxFileBytes ?? DEFAULT_SECRET_MAX_FILE_BYTES,
    skipsPath,
    scan(content, path) {
      if (skipsPath(path)) return [];
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      // Reused between calls (scanning is synchronous; a nested scan of a decoded value starts after
      // this call has finished reading them).
      first.fill(-1);
      const found = keywords.length > 0 ? matcher.scan(bytes, first, last) : 0;
      if (found === 0 && always.length === 0) return [];
      const candidates: { c: Compiled; from: number; to: number }[] = [];
      for (const c of found === 0 ? always : compiled) {
        let from = 0;
        let to = bytes.length;
        if (c.keywordIds.length > 0) {
          // Only the stretch of text around the rule's keywords can hold a match.
          from = Number.POSITIVE_INFINITY;
          to = -1;
          for (const k of c.keywordIds) {
            if (first[k] === -1) continue;
            from = Math.min(from, first[k]! - keywords[k]!.length + 1);
            to = Math.max(to, last[k]!);
          }
          if (to < 0) continue;
          from = Math.max(0, from - WINDOW_BEFORE);
          to = Math.min(bytes.length, to + WINDOW_AFTER);
        }
        if (c.paths && !c.paths.some((r) => r.test(path))) continue;
        if (c.allowPaths.some((r) => r.test(path))) continue;
        candidates.push({ c, from, to });
      }
      if (candidates.length === 0) return [];
      // latin1: one character per byte, so offsets are byte offsets; secrets are ASCII.
      const text = bytes.toString('latin1');
      const hits: Hit[] = [];
      for (const { c, from, to } of candidates) {
        if (hits.length >= MAX_MATCHES_PER_FILE) break;
        if (c.rule.decode === 'kubernetes-secret') {
          c.re.lastIndex = 0;
          if (!c.re.test(text)) continue;
          const inner = (value: string): SecretMatch[] => scanValue(value, path, c.rule.id);
          for (const d of decodeKubernetesSecrets(bytes, path, inner)) {
            if (d.inner.length > 0) {
              for (const m of d.inner) {
                const ic = byId.get(m.ruleId);
                if (ic)
                  hits.push({ c: ic, start: -1, end: -1, secret: '', resource: d.resource, line: d.line, pre: m });
              }
            } else if (accept(c, d.value)) {
              hits.push({ c, start: -1, end: -1, secret: d.value, resource: d.resource, line: d.line });
            }
          }
          continue;
        }
        const re = c.re;
        re.lastIndex = 0;
        let n = 0;
        // A slice is O(1) in V8; offsets below are relative to it.
        const window = from === 0 && to === text.length ? text : text.slice(from, to);
        for (let m = re.exec(window); m !== null && n < MAX_MATCHES_PER_RULE; m = re.exec(window)) {
          if (m[0].length === 0) {
            re.lastIndex++;
            continue;
          }
          const secret = m.groups?.secret ?? m[1] ?? m[0];
          if (!accept(c, secret)) continue;
          // A labelled secret (a PEM body) is located by its whole block, header line included.
          const at = from + m.index;
          const start = c.rule.label !== undefined ? at : at + Math.max(0, m[0].indexOf(secret));
          const end = c.rule.label !== undefined ? at + m[0].length : start + secret.length;
          hits.push({ c, start, end, secret });
          n++;
        }
      }
      return toMatches(resolveOverlaps(hits), text);
    },
  };
  /** Scan a decoded value (a Kubernetes Secret entry) with every rule but the decoder itself. */
  function scanValue(value: string, path: string, decoderId: string): SecretMatch[] {
    return scanner.scan(value, path).filter((m) => m.ruleId !== decoderId);
  }

  return scanner;
}

/** Overlapping hits (a key inside a service-account file, a token inside a URL): the highest priority wins. */
function resolveOverlaps(hits: Hit[]): Hit[] {
  const positioned = hits.filter((h) => h.start >= 0).sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Hit[] = [];
  for (const h of positioned) {
    const clash = kept.findIndex((k) => h.start < k.end && k.start < h.end);
    if (clash < 0) {
      kept.push(h);
      continue;
    }
    const k = kept[clash]!;
    const hp = h.c.rule.priority ?? 0;
    const kp = k.c.rule.priority ?? 0;
    if (hp > kp || (hp === kp && h.end - h.start > k.end - k.start)) kept[clash] = h;
  }
  return [...kept, ...hits.filter((h) => h.start < 0)];
}

function toMatches(hits: Hit[], text: string): SecretMatch[] {
  let newlines: number[] | undefined;
  const lineOf = (offset: number): number => {
    if (!newlines) {
      newlines = [];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
    }
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const out: SecretMatch[] = [];
  const seen = new Set<string>();
  for (const h of hits) {
    const pre = h.pre;
    const rule = h.c.rule;
    const startLine = h.line ?? lineOf(h.start);
    const endLine = h.line ?? lineOf(Math.max(h.start, h.end - 1));
    const red = pre ? { match: pre.match, hash: pre.hash } : redactSecret(h.secret, h.c.reveal, rule.label);
    const key = `${rule.id}\0${startLine}\0${red.hash}\0${h.resource?.key ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const m: SecretMatch = {
      ruleId: rule.id,
      category: rule.category,
      severity: rule.severity,
      title: rule.title,
      startLine,
      endLine,
      match: red.match,
      hash: red.hash,
    };
    if (h.resource) m.resource = h.resource;
    out.push(m);
  }
  // A stringData value is in the text as written and also decoded: keep the finding that names its Secret.
  const decoded = new Set(out.filter((m) => m.resource).map((m) => `${m.ruleId}\0${m.startLine}\0${m.hash}`));
  return out
    .filter((m) => m.resource !== undefined || !decoded.has(`${m.ruleId}\0${m.startLine}\0${m.hash}`))
    .sort((a, b) => a.startLine - b.startLine || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
}
