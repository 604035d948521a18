import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { parseYamlDocuments, type YamlDocument } from '../../util/yaml.ts';
import type { LiteralItem } from './language.ts';

/**
 * Falco rules files → definitions, applied in file order like Falco's `-r`: `rule`, `macro`,
 * `list`, `required_engine_version`, `required_plugin_versions`; `append: true` and `override:`
 * merge into earlier definitions. Every problem carries file, line and item name.
 */

/** Falco engine version whose rules this engine accepts (the upstream files ask for 0.57.0). */
export const ENGINE_VERSION = '0.57.0';

/** Plugins whose fields Bollard provides natively (requirements on them are met). */
export const BUILTIN_PLUGINS = new Set([
  'container',
  'k8saudit',
  'k8saudit-aks',
  'k8saudit-eks',
  'k8saudit-gke',
  'k8saudit-ovh',
  'json',
]);

export type Priority = 'EMERGENCY' | 'ALERT' | 'CRITICAL' | 'ERROR' | 'WARNING' | 'NOTICE' | 'INFORMATIONAL' | 'DEBUG';
export const PRIORITIES: readonly Priority[] = [
  'EMERGENCY',
  'ALERT',
  'CRITICAL',
  'ERROR',
  'WARNING',
  'NOTICE',
  'INFORMATIONAL',
  'DEBUG',
];

/** Parse a priority name as Falco does (case-insensitive, INFO = INFORMATIONAL). */
export function parsePriority(s: unknown): Priority | undefined {
  if (typeof s !== 'string') return undefined;
  const u = s.trim().toUpperCase();
  if (u === 'INFO') return 'INFORMATIONAL';
  return (PRIORITIES as readonly string[]).includes(u) ? (u as Priority) : undefined;
}

/** Lower is more severe (EMERGENCY = 0, DEBUG = 7). */
export function priorityLevel(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

export interface Location {
  file: string;
  line: number;
}

export interface LoadIssue extends Location {
  /** `rule "X"`, `macro "Y"`, `list "Z"`, or the key. */
  item: string;
  message: string;
}

export interface ExceptionDef {
  name: string;
  fields: string | string[];
  comps: string | string[] | undefined;
  values: unknown[];
  where: Location;
}

export interface RuleDef {
  name: string;
  desc: string;
  condition: string;
  /** Location of the condition text (for syntax errors). */
  conditionAt: Location;
  output: string;
  priority: Priority;
  source: string;
  tags: string[];
  enabled: boolean;
  exceptions: ExceptionDef[];
  skipIfUnknownFilter: boolean;
  where: Location;
}

export interface MacroDefRaw {
  name: string;
  condition: string;
  where: Location;
}

export interface ListDefRaw {
  name: string;
  items: LiteralItem[];
  where: Location;
}

export interface RuleDefinitions {
  rules: RuleDef[];
  macros: Map<string, MacroDefRaw>;
  lists: Map<string, ListDefRaw>;
  errors: LoadIssue[];
  warnings: LoadIssue[];
  requiredEngineVersion: string | undefined;
  requiredPlugins: { name: string; version: string }[];
}

export interface RulesFileInput {
  /** Shown in messages (a path, or `upstream/falco_rules.yaml`). */
  path: string;
  text: string | Buffer;
}

const RULE_KEYS = new Set([
  'rule',
  'desc',
  'condition',
  'output',
  'priority',
  'source',
  'tags',
  'enabled',
  'exceptions',
  'append',
  'override',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
]);
const OVERRIDE_APPEND = new Set(['condition', 'output', 'desc', 'tags', 'exceptions']);
const OVERRIDE_REPLACE = new Set([
  'condition',
  'output',
  'desc',
  'tags',
  'exceptions',
  'priority',
  'enabled',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
]);

/** Most items in one rules file (a bound on hostile input; upstream has a few hundred). */
export const MAX_RULE_ITEMS = 100_000;

/** `0.57.0` or an old integer `15` (= 0.15.0) → comparable triple. */
export function parseEngineVersion(v: unknown): [number, number, number] | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return [0, v, 0];
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^[0-9]+$/.test(s)) return [0, Number(s), 0];
  const m = /^([0-9]+)\.([0-9]+)\.([0-9]+)$/.exec(s);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmpVersion(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

/** Unquote a list item as Falco does: `'"(systemd)"'` in YAML is the literal `(systemd)`. */
function listItem(v: unknown, pos: number): LiteralItem | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return { value: String(v), quoted: false, pos };
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) {
    const q = s[0];
    let out = '';
    for (let i = 1; i < s.length - 1; i++) {
      const c = s[i] as string;
      if (c === '\\' && i + 1 < s.length - 1) {
        out += s[++i];
        continue;
      }
      out += c;
    }
    void q;
    return { value: out, quoted: true, pos };
  }
  return { value: s, quoted: false, pos };
}

function lineOf(doc: YamlDocument, node: Node | null | undefined): number {
  const r = node?.range;
  return r ? doc.lineCounter.linePos(r[0]).line : doc.startLine;
}

function valueNode(map: YAMLMap, key: string): Node | undefined {
  for (const p of map.items) {
    if (isScalar(p.key) && p.key.value === key) return (p.value as Node | null) ?? undefined;
  }
  return undefined;
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Load one or more rules files (in order) into definitions; never throws on content. */
export function loadRuleDefinitions(files: readonly RulesFileInput[], maxBytes = 16 * 1024 * 1024): RuleDefinitions {
  const defs: RuleDefinitions = {
    rules: [],
    macros: new Map(),
    lists: new Map(),
    errors: [],
    warnings: [],
    requiredEngineVersion: undefined,
    requiredPlugins: [],
  };
  const ruleIndex = new Map<string, RuleDef>();
  for (const f of files) loadFile(f, defs, ruleIndex, maxBytes);
  return defs;
}

function loadFile(f: RulesFileInput, defs: RuleDefinitions, ruleIndex: Map<string, RuleDef>, maxBytes: number): void {
  const err = (line: number, item: string, message: string): void => {
    defs.errors.push({ file: f.path, line, item, message });
  };
  const warn = (line: number, item: string, message: string): void => {
    defs.warnings.push({ file: f.path, line, item, message });
  };
  let docs: YamlDocument[];
  try {
    docs = parseYamlDocuments(f.text, { what: f.path, maxBytes, maxDepth: 32 });
  } catch (e) {
    const m = /\(line (\d+)/.exec((e as Error).message);
    err(m ? Number(m[1]) : 1, 'file', (e as Error).message.replace(`${f.path} `, '').replace(`${f.path}: `, ''));
    return;
  }
  for (const doc of docs) {
    if (doc.value === null || doc.value === undefined) continue;
    if (!Array.isArray(doc.value) || !isSeq(doc.doc.contents)) {
      err(doc.startLine, 'file', 'a rules file is a YAML list of rule, macro and list items');
      continue;
    }
    const seq = doc.doc.contents;
    if (seq.items.length > MAX_RULE_ITEMS) {
      err(doc.startLine, 'file', `more than ${MAX_RULE_ITEMS} items`);
      continue;
    }
    seq.items.forEach((node, idx) => {
      const v = (doc.value as unknown[])[idx];
      const line = lineOf(doc, node as Node);
      if (!isMap(node) || typeof v !== 'object' || v === null || Array.isArray(v)) {
        err(line, `item ${idx + 1}`, 'each item must be a mapping (rule, macro, list...)');
        return;
      }
      const item = v as Record<string, unknown>;
      const at = (key: string): number => lineOf(doc, valueNode(node, key) ?? (node as Node));
      const where: Location = { file: f.path, line };
      if ('required_engine_version' in item) {
        const want = parseEngineVersion(item.required_engine_version);
        if (!want) {
          err(line, 'required_engine_version', `not a version: ${String(item.required_engine_version)}`);
          return;
        }
        const have = parseEngineVersion(ENGINE_VERSION) as [number, number, number];
        if (cmpVersion(want, have) > 0)
          err(
            line,
            'required_engine_version',
            `rules need engine version ${want.join('.')}, Bollard provides ${ENGINE_VERSION}`,
          );
        defs.requiredEngineVersion = want.join('.');
        return;
      }
      if ('required_plugin_versions' in item) {
        const list = item.required_plugin_versions;
        if (!Array.isArray(list)) {
          err(line, 'required_plugin_versions', 'must be a list of {name, version}');
          return;
        }
        for (const p of list) {
          const name = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).name : undefined;
          const version = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).version : undefined;
          if (typeof name !== 'string' || typeof version !== 'string') {
            err(line, 'required_plugin_versions', 'each entry needs a name and a version');
            continue;
          }
          const alts = (p as Record<string, unknown>).alternatives;
          const altNames = Array.isArray(alts)
            ? alts.map((a) => (typeof a === 'object' && a !== null ? (a as Record<string, unknown>).name : undefined))
            : [];
          defs.requiredPlugins.push({ name, version });
          if (!BUILTIN_PLUGINS.has(name) && !altNames.some((a) => typeof a === 'string' && BUILTIN_PLUGINS.has(a)))
            warn(
              line,
              'required_plugin_versions',
              `plugin "${name}" is not provided by Bollard; rules using its fields are disabled`,
            );
        }
        return;
      }
      if ('list' in item) {
        loadList(item, where, at, defs, err);
        return;
      }
      if ('macro' in item) {
        loadMacro(item, where, at, defs, err);
        return;
      }
      if ('rule' in item) {
        loadRule(item, where, at, defs, ruleIndex, err, warn);
        return;
      }
      err(
        line,
        `item ${idx + 1}`,
        `unknown item (keys: ${Object.keys(item).join(', ')}); expected rule, macro or list`,
      );
    });
  }
}

type Report = (line: number, item: string, message: string) => void;

function overrideOf(
  item: Record<string, unknown>,
  line: number,
  what: string,
  err: Report,
): Record<string, string> | undefined {
  if (!('override' in item)) return undefined;
  const o = item.override;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    err(line, what, 'override must be a mapping of key: append|replace');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== 'append' && v !== 'replace') {
      err(line, what, `override of ${k} must be append or replace, got ${String(v)}`);
      continue;
    }
    out[k] = v;
  }
  return out;
}

function loadList(
  item: Record<string, unknown>,
  where: Location,
  at: (k: string) => number,
  defs: RuleDefinitions,
  err: Report,
): void {
  const name = item.list;
  const what = `list "${String(name)}"`;
  if (typeof name !== 'string' || name === '') {
    err(where.line, 'list', 'list name must be a non-empty string');
    return;
  }
  const raw = item.items;
  if (!Array.isArray(raw)) {
    err(at('items'), what, 'items must be a list');
    return;
  }
  const items: LiteralItem[] = [];
  raw.forEach((x, i) => {
    const it = listItem(x, i);
    if (it) items.push(it);
    else err(at('items'), what, `item ${i + 1} is not a string or number`);
  });
  const ov = overrideOf(item, where.line, what, err);
  const append = item.append === true || ov?.items === 'append';
  const prev = defs.lists.get(name);
  if (append) {
    if (!prev) {
      err(where.line, what, 'append to a list that is not defined');
      return;
    }
    prev.items.push(...items);
    return;
  }
  defs.lists.set(name, { name, items, where });
}

function loadMacro(
  item: Record<string, unknown>,
  where: Location,
  at: (k: string) => number,
  defs: RuleDefinitions,
  err: Report,
): void {
  const name = item.macro;
  const what = `macro "${String(name)}"`;
  if (typeof name !== 'string' || name === '') {
    err(where.line, 'macro', 'macro name must be a non-empty string');
    return;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    err(where.line, what, 'macro names are letters, digits and _');
    return;
  }
  const cond = item.condition;
  if (typeof cond !== 'string' || cond.trim() === '') {
    err(at('condition'), what, 'condition must be a non-empty string');
    return;
  }
  const ov = overrideOf(item, where.line, what, err);
  const append = item.append === true || ov?.condition === 'append';
  const prev = defs.macros.get(name);
  if (append) {
    if (!prev) {
      err(where.line, what, 'append to a macro that is not defined');
      return;
    }
    prev.condition = `${prev.condition} ${cond}`;
    return;
  }
  defs.macros.set(name, { name, condition: cond, where: { file: where.file, line: at('condition') } });
}

function parseExceptions(raw: unknown, where: Location, what: string, err: Report): ExceptionDef[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    err(where.line, what, 'exceptions must be a list');
    return [];
  }
  const out: ExceptionDef[] = [];
  for (const x of raw) {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) {
      err(where.line, what, 'each exception must be a mapping with name, fields, comps, values');
      continue;
    }
    const e = x as Record<string, unknown>;
    if (typeof e.name !== 'string' || e.name === '') {
      err(where.line, what, 'an exception needs a name');
      continue;
    }
    const fields = e.fields;
    if (!(typeof fields === 'string' || isStringList(fields))) {
      err(where.line, what, `exception "${e.name}": fields must be a field name or a list of field names`);
      continue;
    }
    const comps = e.comps;
    if (!(comps === undefined || typeof comps === 'string' || isStringList(comps))) {
      err(where.line, what, `exception "${e.name}": comps must be an operator or a list of operators`);
      continue;
    }
    if (Array.isArray(fields) && Array.isArray(comps) && comps.length !== fields.length) {
      err(where.line, what, `exception "${e.name}": ${fields.length} fields but ${comps.length} comps`);
      continue;
    }
    const values = e.values === undefined || e.values === null ? [] : e.values;
    if (!Array.isArray(values)) {
      err(where.line, what, `exception "${e.name}": values must be a list`);
      continue;
    }
    out.push({ name: e.name, fields, comps, values, where });
  }
  return out;
}

function mergeExceptions(prev: ExceptionDef[], add: ExceptionDef[]): void {
  for (const a of add) {
    const p = prev.find((x) => x.name === a.name);
    if (p) p.values.push(...a.values);
    else prev.push(a);
  }
}

function loadRule(
  item: Record<string, unknown>,
  where: Location,
  at: (k: string) => number,
  defs: RuleDefinitions,
  index: Map<string, RuleDef>,
  err: Report,
  warn: Report,
): void {
  const name = item.rule;
  const what = `rule "${String(name)}"`;
  if (typeof name !== 'string' || name.trim() === '') {
    err(where.line, 'rule', 'rule name must be a non-empty string');
    return;
  }
  for (const k of Object.keys(item)) if (!RULE_KEYS.has(k)) warn(where.line, what, `unknown key "${k}" ignored`);
  const ov = overrideOf(item, where.line, what, err);
  const prev = index.get(name);
  const str = (k: string): string | undefined => {
    const v = item[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      err(at(k), what, `${k} must be a string`);
      return undefined;
    }
    return v;
  };
  if (item.enabled !== undefined && typeof item.enabled !== 'boolean')
    err(at('enabled'), what, 'enabled must be true or false');
  if (item.tags !== undefined && !isStringList(item.tags)) err(at('tags'), what, 'tags must be a list of strings');
  let priority: Priority | undefined;
  if (item.priority !== undefined) {
    priority = parsePriority(item.priority);
    if (!priority) err(at('priority'), what, `unknown priority "${String(item.priority)}"`);
  }
  const exceptions = parseExceptions(item.exceptions, { file: where.file, line: at('exceptions') }, what, err);
  const tags = isStringList(item.tags) ? item.tags : undefined;
  const enabled = typeof item.enabled === 'boolean' ? item.enabled : undefined;

  if (ov !== undefined || item.append === true) {
    if (!prev) {
      err(where.line, what, `${ov ? 'override' : 'append'} of a rule that is not defined`);
      return;
    }
    const mode = (k: string): string | undefined =>
      ov ? ov[k] : item.append === true && k in item ? 'append' : undefined;
    for (const k of Object.keys(item)) {
      if (k === 'rule' || k === 'override' || k === 'append') continue;
      const m = mode(k);
      if (ov && m === undefined) err(where.line, what, `key ${k} is given but not named in override`);
      if (m === 'append' && !OVERRIDE_APPEND.has(k)) err(where.line, what, `key ${k} cannot be appended`);
      if (m === 'replace' && !OVERRIDE_REPLACE.has(k)) err(where.line, what, `key ${k} cannot be replaced`);
    }
    if (ov)
      for (const k of Object.keys(ov))
        if (!(k in item)) err(where.line, what, `override names ${k}, which is not given`);
    const cond = str('condition');
    if (cond !== undefined) {
      if (mode('condition') === 'append') prev.condition = `${prev.condition} ${cond}`;
      else {
        prev.condition = cond;
        prev.conditionAt = { file: where.file, line: at('condition') };
      }
    }
    const out = str('output');
    if (out !== undefined) prev.output = mode('output') === 'append' ? `${prev.output} ${out}` : out;
    const desc = str('desc');
    if (desc !== undefined) prev.desc = mode('desc') === 'append' ? `${prev.desc} ${desc}` : desc;
    if (tags) prev.tags = mode('tags') === 'append' ? [...prev.tags, ...tags] : tags;
    if (priority) prev.priority = priority;
    if (enabled !== undefined) prev.enabled = enabled;
    if (item.exceptions !== undefined) {
      if (mode('exceptions') === 'append') mergeExceptions(prev.exceptions, exceptions);
      else prev.exceptions = exceptions;
    }
    return;
  }

  // `- rule: X` with only `enabled:` toggles an existing rule (Falco's legacy form).
  if (prev && Object.keys(item).every((k) => k === 'rule' || k === 'enabled') && enabled !== undefined) {
    prev.enabled = enabled;
    return;
  }
  const condition = str('condition');
  const output = str('output');
  if (condition === undefined || condition.trim() === '') err(at('condition'), what, 'condition is required');
  if (output === undefined) err(where.line, what, 'output is required');
  if (item.priority === undefined) err(where.line, what, 'priority is required');
  if (condition === undefined || output === undefined || !priority) return;
  const source = item.source === undefined ? 'syscall' : item.source;
  if (typeof source !== 'string') {
    err(at('source'), what, 'source must be a string');
    return;
  }
  const def: RuleDef = {
    name,
    desc: str('desc') ?? '',
    condition,
    conditionAt: { file: where.file, line: at('condition') },
    output: output.trim(),
    priority,
    source,
    tags: tags ?? [],
    enabled: enabled ?? true,
    exceptions,
    skipIfUnknownFilter: item['skip-if-unknown-filter'] === true,
    where,
  };
  if (prev) {
    // A redefinition replaces the rule and keeps its place in the order.
    const i = defs.rules.indexOf(prev);
    defs.rules[i] = def;
  } else defs.rules.push(def);
  index.set(name, def);
}
