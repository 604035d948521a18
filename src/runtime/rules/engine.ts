import { BollardError } from '../../util/errors.ts';
import { type FieldRef, isKnownSource, resolveField } from '../events/fields.ts';
import type { AnyEvent, EventSourceName } from '../events/types.ts';
import { type CompileContext, CompileError, compileCondition, type MacroDef, type Predicate } from './compile.ts';
import { ConditionSyntaxError, type CondNode, excerpt, type LiteralItem, type Op, parseCondition } from './language.ts';
import {
  type ExceptionDef,
  type LoadIssue,
  type Location,
  loadRuleDefinitions,
  type Priority,
  priorityLevel,
  type RuleDef,
  type RulesFileInput,
} from './loader.ts';
import { type CompiledOutput, compileOutput, outputFieldValues, renderOutput } from './output.ts';

/**
 * The rule engine: definitions → compiled rules indexed by source and event type → alerts.
 * Pure TypeScript, shared by the sensor and by replay; evaluation never throws on an event.
 */

export interface CompiledRule {
  name: string;
  desc: string;
  priority: Priority;
  source: string;
  tags: string[];
  where: Location;
  /** Loaded and evaluated. */
  active: boolean;
  /** Why a rule is not active: `disabled in the rules file`, `needs fields ...`, `below --min-priority`. */
  reason?: string;
  missingFields: string[];
  /** Output `%fields` Bollard does not provide (rendered `<NA>`). */
  missingOutputFields: string[];
  evtTypes: ReadonlySet<string> | undefined;
  predicate: Predicate;
  output: CompiledOutput;
}

export interface Alert {
  rule: string;
  priority: Priority;
  source: EventSourceName;
  tags: string[];
  /** Event time, ns since the epoch. */
  ts: number;
  /** The rendered rule output (without Falco's `time: Priority` prefix). */
  output: string;
  outputFields: Record<string, unknown>;
  hostname: string | undefined;
  event: AnyEvent;
}

export interface EngineOptions {
  /** Rules below this priority are not loaded (Falco's `priority` / `--min-priority`). */
  minPriority?: Priority;
  /** `first`: only the first matching rule (in file order) fires per event, Falco's default. */
  ruleMatching?: 'first' | 'all';
  /**
   * Fields appended to output_fields of every alert of a source (Falco's `append_output`);
   * default for syscall: container id, name, image repository, tag and digest, k8s namespace and pod.
   */
  extraOutputFields?: Partial<Record<EventSourceName, string[]>>;
  /** Largest rules file accepted, bytes. */
  maxFileBytes?: number;
}

export const DEFAULT_EXTRA_FIELDS: Record<EventSourceName, string[]> = {
  syscall: [
    'container.id',
    'container.name',
    'container.image.repository',
    'container.image.tag',
    'container.image.digest',
    'k8s.ns.name',
    'k8s.pod.name',
    'proc.pid',
    'proc.exepath',
  ],
  k8s_audit: [],
};

export interface Engine {
  readonly rules: readonly CompiledRule[];
  readonly warnings: readonly LoadIssue[];
  /** Active rules per source. */
  activeCount(source?: EventSourceName): number;
  /** Event types the active syscall rules need; undefined when some rule can match any type. */
  syscallEventTypes(): ReadonlySet<string> | undefined;
  /** Every field the active rules of a source read (conditions and outputs), for the sensor. */
  fieldsUsed(source: EventSourceName): ReadonlySet<string>;
  /** Evaluate one event; returns the alerts (empty for most events). Never throws. */
  evaluate(e: AnyEvent): Alert[];
  /** Events whose evaluation threw (a bug or a hostile event), counted and skipped. */
  readonly evalErrors: number;
}

function issueText(i: LoadIssue): string {
  return `${i.file}:${i.line}: ${i.item}: ${i.message}`;
}

/** Load and compile rules files (in order). Throws INPUT_INVALID listing every error with file, line and item. */
export function createEngine(files: readonly RulesFileInput[], opts: EngineOptions = {}): Engine {
  const defs = loadRuleDefinitions(files, opts.maxFileBytes);
  const errors: LoadIssue[] = [...defs.errors];

  // Lists: expand list names inside lists (bounded, cycle-safe).
  const lists = new Map<string, LiteralItem[]>();
  const expanding = new Set<string>();
  const expandList = (name: string): LiteralItem[] => {
    const done = lists.get(name);
    if (done) return done;
    const raw = defs.lists.get(name);
    if (!raw) return [];
    if (expanding.has(name)) {
      errors.push({ ...raw.where, item: `list "${name}"`, message: 'list refers to itself' });
      return [];
    }
    expanding.add(name);
    const out: LiteralItem[] = [];
    for (const it of raw.items) {
      if (!it.quoted && defs.lists.has(it.value)) out.push(...expandList(it.value));
      else out.push(it);
    }
    expanding.delete(name);
    lists.set(name, out);
    return out;
  };
  for (const name of defs.lists.keys()) expandList(name);

  // Macros: parse every one (syntax errors are errors even when unused).
  const macros = new Map<string, MacroDef>();
  for (const m of defs.macros.values()) {
    try {
      macros.set(m.name, { name: m.name, ast: parseCondition(m.condition), where: `${m.where.file}:${m.where.line}` });
    } catch (e) {
      if (!(e instanceof ConditionSyntaxError)) throw e;
      errors.push({
        ...m.where,
        item: `macro "${m.name}"`,
        message: `condition: ${e.message} at offset ${e.pos}: ${excerpt(m.condition, e.pos)}`,
      });
    }
  }

  const rules: CompiledRule[] = [];
  const minLevel = opts.minPriority ? priorityLevel(opts.minPriority) : Number.POSITIVE_INFINITY;
  for (const r of defs.rules) {
    const c = compileRule(r, macros, lists, defs.macros, errors);
    if (!c) continue;
    if (c.active && priorityLevel(c.priority) > minLevel) {
      c.active = false;
      c.reason = `priority ${c.priority} is below the minimum ${opts.minPriority}`;
    }
    rules.push(c);
  }
  if (errors.length > 0) {
    const first = errors[0] as LoadIssue;
    throw new BollardError(
      'INPUT_INVALID',
      `${issueText(first)}${errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''}`,
      { details: { errors: errors.map(issueText) } },
    );
  }
  return buildEngine(rules, defs.warnings, opts);
}

function compileRule(
  r: RuleDef,
  macros: ReadonlyMap<string, MacroDef>,
  lists: ReadonlyMap<string, readonly LiteralItem[]>,
  rawMacros: ReadonlyMap<string, { where: Location }>,
  errors: LoadIssue[],
): CompiledRule | undefined {
  const item = `rule "${r.name}"`;
  const base = {
    name: r.name,
    desc: r.desc,
    priority: r.priority,
    source: r.source,
    tags: r.tags,
    where: r.where,
  };
  if (!isKnownSource(r.source)) {
    return {
      ...base,
      active: false,
      reason: `source "${r.source}" is not provided by Bollard`,
      missingFields: [],
      missingOutputFields: [],
      evtTypes: undefined,
      predicate: () => false,
      output: { parts: [], fields: [], missing: [] },
    };
  }
  const source = r.source;
  let ast: CondNode;
  try {
    ast = parseCondition(r.condition);
  } catch (e) {
    if (!(e instanceof ConditionSyntaxError)) throw e;
    errors.push({
      ...r.conditionAt,
      item,
      message: `condition: ${e.message} at offset ${e.pos}: ${excerpt(r.condition, e.pos)}`,
    });
    return undefined;
  }
  const ctx: CompileContext = { source, macros, lists };
  let compiled: ReturnType<typeof compileCondition>;
  try {
    compiled = compileCondition(ast, ctx);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    if (e.macro) {
      const w = rawMacros.get(e.macro)?.where;
      errors.push({
        ...(w ?? r.conditionAt),
        item: `${item} (in macro "${e.macro}")`,
        message: `condition: ${e.message}`,
      });
    } else
      errors.push({
        ...r.conditionAt,
        item,
        message: `condition: ${e.message} at offset ${e.pos}: ${excerpt(r.condition, e.pos)}`,
      });
    return undefined;
  }
  const missing = new Set(compiled.missingFields);
  let predicate = compiled.predicate;
  if (r.exceptions.length > 0) {
    const exc = compileExceptions(r.exceptions, ctx, item, errors, missing);
    if (exc === null) return undefined;
    if (exc) {
      const p = predicate;
      predicate = (e) => p(e) && !exc(e);
    }
  }
  const output = compileOutput(r.output, source);
  const active = r.enabled && missing.size === 0;
  let reason: string | undefined;
  if (!r.enabled) reason = 'disabled in the rules file (enabled: false)';
  else if (missing.size > 0)
    reason = `needs field${missing.size > 1 ? 's' : ''} Bollard does not provide: ${[...missing].join(', ')}`;
  return {
    ...base,
    active,
    ...(reason ? { reason } : {}),
    missingFields: [...missing],
    missingOutputFields: output.missing,
    evtTypes: compiled.evtTypes,
    predicate,
    output,
  };
}

const COMP_OPS = new Set<string>([
  '=',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'glob',
  'iglob',
  'in',
  'intersects',
  'pmatch',
]);

function asItems(v: unknown): LiteralItem[] | undefined {
  if (Array.isArray(v)) {
    const out: LiteralItem[] = [];
    for (const x of v) {
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
        out.push({ value: String(x), quoted: false, pos: -1 });
      else return undefined;
    }
    return out;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    return [{ value: String(v), quoted: false, pos: -1 }];
  return undefined;
}

/**
 * Exceptions → `not (any exception matches)`. Returns undefined when there is nothing to add,
 * null after an error (recorded).
 */
function compileExceptions(
  excs: readonly ExceptionDef[],
  ctx: CompileContext,
  item: string,
  errors: LoadIssue[],
  missing: Set<string>,
): Predicate | undefined | null {
  const alternatives: CondNode[] = [];
  for (const x of excs) {
    const fail = (message: string): null => {
      errors.push({ ...x.where, item, message: `exception "${x.name}": ${message}` });
      return null;
    };
    const fields = Array.isArray(x.fields) ? x.fields : [x.fields];
    const comps = x.comps === undefined ? undefined : Array.isArray(x.comps) ? x.comps : [x.comps];
    const compFor = (i: number): string => comps?.[i] ?? (Array.isArray(x.fields) ? '=' : 'in');
    for (let i = 0; i < fields.length; i++)
      if (!COMP_OPS.has(compFor(i))) return fail(`unknown operator "${compFor(i)}"`);
    const parsedFields = fields.map((f) => /^([A-Za-z_][A-Za-z0-9_.-]*)(?:\[([^\]]*)\])?$/.exec(f));
    const badField = parsedFields.findIndex((m) => !m);
    if (badField >= 0) return fail(`"${fields[badField]}" is not a field name`);
    const check = (i: number, value: unknown): CondNode | null => {
      const m = parsedFields[i] as RegExpExecArray;
      const op = (compFor(i) === '==' ? '=' : compFor(i)) as Op;
      const items = asItems(value);
      if (!items) return fail(`value ${JSON.stringify(value)} for ${fields[i]} is not a string, number or list`);
      const listOp = op === 'in' || op === 'intersects' || op === 'pmatch';
      if (!listOp && (Array.isArray(value) || items.length !== 1))
        return fail(`operator ${op} on ${fields[i]} takes one value, got a list`);
      return {
        kind: 'check',
        field: { name: m[1] as string, arg: m[2], transformers: [], pos: -1 },
        op,
        value: listOp ? { kind: 'list', items, pos: -1 } : { kind: 'literal', item: items[0] as LiteralItem },
        pos: -1,
      };
    };
    if (!Array.isArray(x.fields)) {
      // Single field: `field comp (values...)`.
      if (x.values.length === 0) continue;
      const c = check(
        0,
        compFor(0) === 'in' || compFor(0) === 'intersects' || compFor(0) === 'pmatch' ? x.values : x.values[0],
      );
      if (!c) return null;
      alternatives.push(c);
      continue;
    }
    for (const tuple of x.values) {
      if (!Array.isArray(tuple) || tuple.length !== fields.length)
        return fail(`each value must be a list of ${fields.length} item(s), got ${JSON.stringify(tuple)}`);
      const parts: CondNode[] = [];
      for (let i = 0; i < fields.length; i++) {
        const c = check(i, tuple[i]);
        if (!c) return null;
        parts.push(c);
      }
      alternatives.push(parts.length === 1 ? (parts[0] as CondNode) : { kind: 'and', items: parts, pos: -1 });
    }
  }
  if (alternatives.length === 0) return undefined;
  try {
    const r = compileCondition({ kind: 'or', items: alternatives, pos: -1 }, ctx);
    for (const f of r.missingFields) missing.add(f);
    return r.predicate;
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    errors.push({ ...(excs[0] as ExceptionDef).where, item, message: `exceptions: ${e.message}` });
    return null;
  }
}

function buildEngine(rules: CompiledRule[], warnings: readonly LoadIssue[], opts: EngineOptions): Engine {
  const firstOnly = (opts.ruleMatching ?? 'first') === 'first';
  const active = rules.filter((r) => r.active);
  const extra: Record<EventSourceName, FieldRef[]> = { syscall: [], k8s_audit: [] };
  for (const src of ['syscall', 'k8s_audit'] as const) {
    for (const name of opts.extraOutputFields?.[src] ?? DEFAULT_EXTRA_FIELDS[src]) {
      const br = name.indexOf('[');
      const ref = resolveField(src, br < 0 ? name : name.slice(0, br), br < 0 ? undefined : name.slice(br + 1, -1));
      if (ref === undefined || typeof ref === 'string')
        throw new BollardError('USAGE', `extra output field ${name} is not provided for source ${src}`);
      extra[src].push(ref);
    }
  }
  // Index: per source, per event type, the active rules in file order.
  const anyType: CompiledRule[] = [];
  const byType = new Map<string, CompiledRule[]>();
  const k8s: CompiledRule[] = [];
  for (const r of active) {
    if (r.source === 'k8s_audit') k8s.push(r);
    else if (r.evtTypes === undefined) anyType.push(r);
    else for (const t of r.evtTypes) byType.set(t, [...(byType.get(t) ?? []), r]);
  }
  const order = new Map(active.map((r, i) => [r, i]));
  for (const [t, list] of byType) {
    byType.set(
      t,
      [...list, ...anyType].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)),
    );
  }
  let evalErrors = 0;

  const fire = (r: CompiledRule, e: AnyEvent): Alert => {
    const src = e.source;
    const outputFields = outputFieldValues(r.output.fields, e);
    for (const f of extra[src]) if (!(f.text in outputFields)) outputFields[f.text] = f.get(e) ?? null;
    return {
      rule: r.name,
      priority: r.priority,
      source: src,
      tags: r.tags,
      ts: e.ts,
      output: renderOutput(r.output, e),
      outputFields,
      hostname: e.hostname,
      event: e,
    };
  };

  return {
    rules,
    warnings,
    get evalErrors() {
      return evalErrors;
    },
    activeCount(source) {
      return source ? active.filter((r) => r.source === source).length : active.length;
    },
    syscallEventTypes() {
      if (anyType.length > 0) return undefined;
      return new Set(byType.keys());
    },
    fieldsUsed(source) {
      const out = new Set<string>();
      for (const r of active) {
        if (r.source !== source) continue;
        for (const f of r.output.fields) out.add(f.def.name);
      }
      return out;
    },
    evaluate(e) {
      const list = e.source === 'k8s_audit' ? k8s : (byType.get(e.type) ?? anyType);
      let out: Alert[] | undefined;
      for (const r of list) {
        let hit: boolean;
        try {
          hit = r.predicate(e);
        } catch {
          evalErrors++;
          return out ?? [];
        }
        if (hit) {
          out ??= [];
          out.push(fire(r, e));
          if (firstOnly) break;
        }
      }
      return out ?? [];
    },
  };
}
