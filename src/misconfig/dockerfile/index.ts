import type { Severity } from '../../detect/types.ts';
import type { MisconfigFinding, ReportResult } from '../../report/types.ts';
import { BollardError } from '../../util/errors.ts';
import { parseYamlBounded } from '../../util/yaml.ts';
import { toFindings } from '../findings.ts';
import { checkMatches, type RulePack, skipped } from '../types.ts';
import {
  type DockerfileCheck,
  type DockerfileConfig,
  type DockerfileInput,
  emptyDockerfileConfig,
  type LabelType,
} from './context.ts';
import { type Dockerfile, parseDockerfile } from './parser.ts';
import { cisRules } from './rules-cis.ts';
import { instructionRules } from './rules-instructions.ts';
import { runRules } from './rules-run.ts';

export type { DockerfileConfig, DockerfileInput } from './context.ts';
export { parseDockerfile } from './parser.ts';

export const id = 'dockerfile';

/** Every Dockerfile check, in id order. */
export const dockerfileChecks: readonly DockerfileCheck[] = [...cisRules, ...instructionRules, ...runRules].sort(
  (a, b) => a.id.localeCompare(b.id),
);

export const dockerfilePack: RulePack<DockerfileInput> = { id, kind: 'dockerfile', checks: dockerfileChecks };

/** Is this file name a Dockerfile or Containerfile (`Dockerfile`, `Dockerfile.prod`, `app.dockerfile`)? */
export function isDockerfileName(name: string): boolean {
  const base = name.split(/[\\/]/).pop() ?? name;
  return /^(Dockerfile|Containerfile)([.-][\w.-]+)?$/i.test(base) || /\.(dockerfile|containerfile)$/i.test(base);
}

const LEVELS: Record<string, Severity> = { error: 'HIGH', warning: 'MEDIUM', info: 'LOW', style: 'LOW' };
const LABEL_TYPES = new Set(['text', 'url', 'email', 'rfc3339', 'semver', 'hash', 'spdx']);

export interface HadolintConfig extends DockerfileConfig {
  /** `failure-threshold`, as a Bollard severity (none: never fail). */
  failureThreshold?: Severity | 'none';
  /** `override:` severities per check id or DL code. */
  severityOverrides: Record<string, Severity>;
  /** `disable-ignore-pragma: true`: inline ignore comments are not honoured. */
  disableIgnorePragma: boolean;
}

/** Read a `.hadolint.yaml` (bounded YAML): `ignored`, `trustedRegistries`, `failure-threshold`, `override`, `label-schema`, `strict-labels`. */
export function parseHadolintConfig(text: string | Buffer, file: string): HadolintConfig {
  const doc = parseYamlBounded(text, { what: file, maxBytes: 1024 * 1024 });
  const cfg: HadolintConfig = {
    ...emptyDockerfileConfig(),
    file,
    severityOverrides: {},
    disableIgnorePragma: false,
  };
  if (doc === null) return cfg;
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new BollardError('INPUT_INVALID', `${file}: expected a mapping at the top level`);
  const d = doc as Record<string, unknown>;
  const strings = (key: string): string[] => {
    const v = d[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new BollardError('INPUT_INVALID', `${file}: ${key} must be a list of strings`);
    return v as string[];
  };
  cfg.ignored = strings('ignored');
  cfg.trustedRegistries = [...strings('trustedRegistries'), ...strings('trusted-registries')];
  cfg.enabled = strings('enabled');
  const ft = d['failure-threshold'];
  if (typeof ft === 'string') {
    const lv = ft.toLowerCase();
    if (lv === 'none' || lv === 'ignore') cfg.failureThreshold = 'none';
    else if (LEVELS[lv]) cfg.failureThreshold = LEVELS[lv];
    else throw new BollardError('INPUT_INVALID', `${file}: unknown failure-threshold "${ft}"`);
  }
  const ov = d.override;
  if (ov && typeof ov === 'object' && !Array.isArray(ov)) {
    for (const [level, codes] of Object.entries(ov as Record<string, unknown>)) {
      const sev = LEVELS[level.toLowerCase()];
      if (!Array.isArray(codes)) continue;
      for (const c of codes) {
        if (typeof c !== 'string') continue;
        if (level.toLowerCase() === 'ignore') cfg.ignored.push(c);
        else if (sev) cfg.severityOverrides[c.toUpperCase()] = sev;
      }
    }
  }
  const ls = d['label-schema'];
  if (ls && typeof ls === 'object' && !Array.isArray(ls)) {
    for (const [k, v] of Object.entries(ls as Record<string, unknown>)) {
      if (typeof v === 'string' && LABEL_TYPES.has(v)) cfg.labelSchema[k] = v as LabelType;
      else throw new BollardError('INPUT_INVALID', `${file}: label-schema ${k} has unknown type ${String(v)}`);
    }
  }
  cfg.strictLabels = d['strict-labels'] === true;
  cfg.disableIgnorePragma = d['disable-ignore-pragma'] === true;
  return cfg;
}

interface Pragma {
  ids: string[];
  text: string;
  /** The instruction line it applies to; undefined: the whole file (`global ignore`). */
  line?: number;
}

/** `# hadolint ignore=DL3008,DL3009`, `# bollard ignore=BD-DF-001` (next instruction) and `# hadolint global ignore=...`. */
function inlinePragmas(df: Dockerfile): Pragma[] {
  const out: Pragma[] = [];
  for (const c of df.comments) {
    const m = /^#\s*(hadolint|bollard)\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9.,\s_-]+?)\s*$/i.exec(c.text);
    if (!m) continue;
    const ids = m[3]!.split(/[,\s]+/).filter(Boolean);
    if (m[2]) {
      out.push({ ids, text: c.text });
      continue;
    }
    const next = df.instructions.find((i) => i.startLine > c.line);
    // Only when nothing but comments and blank lines stand between the pragma and the instruction.
    if (next) out.push({ ids, text: c.text, line: next.startLine });
  }
  return out;
}

export interface DockerfileRunOptions {
  config?: HadolintConfig;
  /** Check ids (or DL codes) to run even though they are opt-in. */
  enable?: string[];
}

/** Run every Dockerfile check over one file: a `config` result with passed, failed and skipped entries. */
export function checkDockerfile(text: string | Buffer, file: string, options: DockerfileRunOptions = {}): ReportResult {
  const df = parseDockerfile(text, { what: file });
  const config = options.config ?? { ...emptyDockerfileConfig(), severityOverrides: {}, disableIgnorePragma: false };
  const input: DockerfileInput = { df, file, config };
  const pragmas = config.disableIgnorePragma ? [] : inlinePragmas(df);
  const enabled = [...(options.enable ?? []), ...config.enabled];
  const findings: MisconfigFinding[] = [];
  for (const check of dockerfileChecks) {
    let out =
      check.optIn && !enabled.some((e) => checkMatches(check, e))
        ? skipped('opt-in check (enable it with --enable or `enabled:` in .hadolint.yaml)')
        : runSafely(check, input);
    if (df.stages.length === 0 && out.status !== 'skipped' && check.id !== 'BD-DF-3061')
      out = out.status === 'failed' ? out : skipped('no FROM instruction');
    const fs = toFindings(check, out, { file, startLine: 1, endLine: Math.max(1, df.lineCount) });
    const override = [check.id, ...check.aliases]
      .map((a) => config.severityOverrides[a.toUpperCase()])
      .find((s) => s !== undefined);
    for (const f of fs) {
      if (override) f.severity = override;
      if (f.status !== 'failed') continue;
      const byFile = config.ignored.find((i) => checkMatches(check, i));
      if (byFile !== undefined) {
        f.suppressed = { by: 'ignorefile', file: config.file ?? '.hadolint.yaml', reason: `ignored: ${byFile}` };
        continue;
      }
      const p = pragmas.find(
        (x) => x.ids.some((i) => checkMatches(check, i)) && (x.line === undefined || x.line === f.startLine),
      );
      if (p) f.suppressed = { by: 'inline', file, reason: p.text };
    }
    findings.push(...fs);
  }
  return { target: file, class: 'config', type: 'dockerfile', misconfigurations: findings };
}

function runSafely(check: DockerfileCheck, input: DockerfileInput) {
  try {
    return check.run(input);
  } catch (e) {
    // A bug in one check must not hide the others: report it as skipped with the reason.
    return skipped(`check failed: ${(e as Error).message}`);
  }
}
