import { readFileSync, statSync } from 'node:fs';
import type { Warning } from '../../../analyzers/types.ts';
import { type ParsedPurl, parsePurl, purlMatches } from '../../../artifact/sbom/purl-parse.ts';
import { BollardError, isBollardError } from '../../../util/errors.ts';
import { asString, isRecord, parseJsonBounded } from '../../../util/json.ts';
import type { VulnFinding } from '../../types.ts';

export const id = 'vex';

/** Status of a statement in OpenVEX's vocabulary; CycloneDX states are mapped onto it. */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** A product a statement is about, with the components inside it the statement names (OpenVEX). */
export interface VexProduct {
  /** The product's purl, parsed; undefined when its identifier is not a purl (then only subcomponents can match). */
  purl: ParsedPurl | undefined;
  /** The identifier as written. */
  id: string;
  subcomponents: { id: string; purl: ParsedPurl | undefined }[];
}

export interface VexStatement {
  /** Vulnerability names, ids and aliases, upper-cased for comparison. */
  vulnIds: string[];
  products: VexProduct[];
  status: VexStatus;
  /** The status as the document wrote it (`false_positive`, `resolved`, `not_affected`). */
  rawStatus: string;
  justification?: string;
  impactStatement?: string;
  actionStatement?: string;
  /** Statement timestamp (or the document's) in ms; later statements override earlier ones. */
  timestamp: number | undefined;
  /** Position in the document, to break ties between equal timestamps. */
  index: number;
}

export interface LoadedVex {
  file: string;
  format: 'openvex' | 'cyclonedx';
  statements: VexStatement[];
  warnings: Warning[];
}

export interface VexLoadOptions {
  /** Largest document (default 16 MiB). */
  maxBytes?: number;
  /** Deepest JSON nesting (default 64). */
  maxDepth?: number;
  /** Most statements or vulnerabilities (default 100,000). */
  maxStatements?: number;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_STATEMENTS = 100_000;
/** Most products, subcomponents, aliases or affects entries per statement. */
const MAX_LIST = 10_000;
/** Most components resolved through nested `components` of a CycloneDX document. */
const MAX_COMPONENTS = 1_000_000;

const OPENVEX_STATUSES = new Set<string>(['not_affected', 'affected', 'fixed', 'under_investigation']);
const CDX_STATES: Readonly<Record<string, VexStatus>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

/** Read a VEX document (OpenVEX or CycloneDX VEX JSON), sniffed from its content; synchronous, read once before a scan. */
export function loadVex(path: string, options: VexLoadOptions = {}): LoadedVex {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let content: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new BollardError('INPUT_INVALID', `VEX document ${path} is not a regular file`);
    if (st.size > maxBytes) {
      throw new BollardError(
        'LIMIT_EXCEEDED',
        `VEX document ${path} is ${st.size} bytes, over the limit of ${maxBytes}`,
      );
    }
    content = readFileSync(path);
  } catch (e) {
    if (isBollardError(e)) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BollardError('TARGET_NOT_FOUND', `VEX document ${path} does not exist`);
    }
    throw new BollardError('IO', `cannot read VEX document ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseVex(content, path, options);
}

/** Parse a VEX document from memory. */
export function parseVex(input: Buffer | string, file: string, options: VexLoadOptions = {}): LoadedVex {
  let doc: unknown;
  try {
    doc = parseJsonBounded(input, {
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      maxDepth: options.maxDepth ?? 64,
      what: `VEX document ${file}`,
    });
  } catch (e) {
    if (isBollardError(e, 'MANIFEST_INVALID')) {
      throw new BollardError(
        'INPUT_INVALID',
        `VEX document ${file} is not JSON (OpenVEX and CycloneDX JSON are read)`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
  const max = options.maxStatements ?? DEFAULT_MAX_STATEMENTS;
  if (isRecord(doc)) {
    const context = asString(doc['@context']);
    if ((context?.startsWith('https://openvex.dev/ns') ?? false) || Array.isArray(doc.statements)) {
      return parseOpenVex(doc, file, max);
    }
    if (doc.bomFormat === 'CycloneDX') return parseCycloneDxVex(doc, file, max);
  }
  throw new BollardError('INPUT_INVALID', `${file} is neither an OpenVEX nor a CycloneDX VEX document`);
}

function fail(file: string, where: string, message: string): never {
  throw new BollardError('INPUT_INVALID', `VEX document ${file}, ${where}: ${message}`);
}

function addWarning(warnings: Warning[], code: string, message: string, sample?: string): void {
  const w = warnings.find((x) => x.code === code);
  if (w) w.count++;
  else warnings.push({ code, message, count: 1, ...(sample ? { sample: sample.slice(0, 200) } : {}) });
}

function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

function list(v: unknown, file: string, where: string, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(file, where, `${what} must be a list`);
  if (v.length > MAX_LIST) fail(file, where, `more than ${MAX_LIST} ${what}`);
  return v;
}

/** Vulnerability ids are compared upper-cased; an IRI `@id` also contributes the CVE/GHSA id it names. */
function idsOf(values: readonly unknown[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (typeof v !== 'string' || v === '' || v.length > 1024) continue;
    out.add(v.toUpperCase());
    const m = /(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})/i.exec(v);
    if (m?.[1]) out.add(m[1].toUpperCase());
  }
  return [...out];
}

/** OpenVEX 0.2.0 (and the 0.0.x shapes: string vulnerability, string products, statement-level subcomponents). */
function parseOpenVex(doc: Record<string, unknown>, file: string, max: number): LoadedVex {
  const warnings: Warning[] = [];
  const statements = list(doc.statements, file, 'document', 'statements');
  if (doc.statements === undefined) fail(file, 'document', 'has no "statements" list');
  if (statements.length > max) {
    throw new BollardError('LIMIT_EXCEEDED', `VEX document ${file} has more than ${max} statements`);
  }
  const docTime = parseTime(doc.last_updated) ?? parseTime(doc.timestamp);
  const out: VexStatement[] = [];
  statements.forEach((s, index) => {
    const where = `statement ${index + 1}`;
    if (!isRecord(s)) fail(file, where, 'must be an object');
    const vuln = s.vulnerability;
    let vulnIds: string[];
    if (typeof vuln === 'string') vulnIds = idsOf([vuln]);
    else if (isRecord(vuln)) {
      vulnIds = idsOf([vuln.name, vuln['@id'], ...list(vuln.aliases, file, where, 'aliases')]);
    } else vulnIds = [];
    if (vulnIds.length === 0) fail(file, where, 'has no vulnerability name');
    const status = s.status;
    if (typeof status !== 'string' || !OPENVEX_STATUSES.has(status)) {
      fail(
        file,
        where,
        `unknown status "${String(status).slice(0, 40)}" (not_affected, affected, fixed, under_investigation)`,
      );
    }
    const justification = asString(s.justification);
    const impactStatement = asString(s.impact_statement);
    if (status === 'not_affected' && !justification && !impactStatement) {
      addWarning(
        warnings,
        'VEX_NO_JUSTIFICATION',
        'not_affected statements without justification or impact statement',
        where,
      );
    }
    const topSubs = list(s.subcomponents, file, where, 'subcomponents').map((x) => component(x, file, where));
    const products: VexProduct[] = [];
    for (const p of list(s.products, file, where, 'products')) {
      const prod = component(p, file, where);
      const subs = isRecord(p)
        ? list(p.subcomponents, file, where, 'subcomponents').map((x) => component(x, file, where))
        : [];
      products.push({ ...prod, subcomponents: [...subs, ...topSubs] });
    }
    if (products.length === 0) fail(file, where, 'names no products');
    for (const p of [...products, ...products.flatMap((x) => x.subcomponents)]) {
      if (!p.purl)
        addWarning(warnings, 'VEX_PRODUCT_NOT_PURL', 'product identifiers that are not purls (not matched)', p.id);
    }
    const st: VexStatement = {
      vulnIds,
      products,
      status: status as VexStatus,
      rawStatus: status as string,
      timestamp: parseTime(s.timestamp) ?? parseTime(s.last_updated) ?? docTime,
      index,
    };
    if (justification) st.justification = justification;
    if (impactStatement) st.impactStatement = impactStatement;
    const action = asString(s.action_statement);
    if (action) st.actionStatement = action;
    out.push(st);
  });
  return { file, format: 'openvex', statements: out, warnings };
}

/** An OpenVEX component: a string (0.0.x) or `{ "@id", identifiers: { purl } }`. */
function component(v: unknown, file: string, where: string): { id: string; purl: ParsedPurl | undefined } {
  if (typeof v === 'string') return { id: v, purl: parsePurl(v) };
  if (!isRecord(v)) fail(file, where, 'a product must be a string or an object');
  const atId = asString(v['@id']);
  const identifiers = isRecord(v.identifiers) ? v.identifiers : {};
  const purlText = asString(identifiers.purl);
  const purl = (purlText ? parsePurl(purlText) : undefined) ?? (atId ? parsePurl(atId) : undefined);
  const idText = atId ?? purlText;
  if (!idText) fail(file, where, 'a product has neither "@id" nor identifiers.purl');
  return { id: idText, purl };
}

/** CycloneDX VEX (1.4+): `vulnerabilities[].analysis.state` and `affects[].ref`, bom-refs resolved through `components`. */
function parseCycloneDxVex(doc: Record<string, unknown>, file: string, max: number): LoadedVex {
  const warnings: Warning[] = [];
  const refs = componentRefs(doc, file);
  const vulns = list(doc.vulnerabilities, file, 'document', 'vulnerabilities');
  if (vulns.length > max) {
    throw new BollardError('LIMIT_EXCEEDED', `VEX document ${file} has more than ${max} vulnerabilities`);
  }
  const docTime = isRecord(doc.metadata) ? parseTime(doc.metadata.timestamp) : undefined;
  const out: VexStatement[] = [];
  vulns.forEach((v, index) => {
    const where = `vulnerability ${index + 1}`;
    if (!isRecord(v)) fail(file, where, 'must be an object');
    const aliases = list(v.references, file, where, 'references').map((r) => (isRecord(r) ? r.id : undefined));
    const vulnIds = idsOf([v.id, ...aliases]);
    if (vulnIds.length === 0) fail(file, where, 'has no id');
    if (!isRecord(v.analysis) || v.analysis.state === undefined) {
      // A vulnerability without analysis is a finding, not a VEX statement.
      addWarning(
        warnings,
        'VEX_NO_ANALYSIS',
        'vulnerabilities without analysis.state (not statements)',
        asString(v.id),
      );
      return;
    }
    const state = v.analysis.state;
    const status = typeof state === 'string' ? CDX_STATES[state] : undefined;
    if (!status) {
      fail(
        file,
        where,
        `unknown analysis.state "${String(state).slice(0, 40)}" (${Object.keys(CDX_STATES).join(', ')})`,
      );
    }
    const products: VexProduct[] = [];
    for (const a of list(v.affects, file, where, 'affects')) {
      const ref = isRecord(a) ? asString(a.ref) : undefined;
      if (!ref) fail(file, where, 'an affects entry has no ref');
      const purl = resolveRef(ref, refs);
      if (!purl) addWarning(warnings, 'VEX_UNRESOLVED_REF', 'affects refs that resolve to no purl (not matched)', ref);
      products.push({ id: ref, purl, subcomponents: [] });
    }
    if (products.length === 0) fail(file, where, 'has no affects entries');
    const st: VexStatement = {
      vulnIds,
      products,
      status,
      rawStatus: state as string,
      timestamp: parseTime(v.analysis.lastUpdated) ?? parseTime(v.updated) ?? parseTime(v.published) ?? docTime,
      index,
    };
    const justification = asString(v.analysis.justification);
    if (justification) st.justification = justification;
    const detail = asString(v.analysis.detail);
    if (detail) st.impactStatement = detail;
    const response = v.analysis.response;
    if (Array.isArray(response) && response.every((r) => typeof r === 'string') && response.length > 0) {
      st.actionStatement = (response as string[]).join(', ');
    }
    out.push(st);
  });
  return { file, format: 'cyclonedx', statements: out, warnings };
}

/** bom-ref → purl of every component (nested ones included, iteratively) and of metadata.component. */
function componentRefs(doc: Record<string, unknown>, file: string): Map<string, string> {
  const refs = new Map<string, string>();
  const stack: unknown[] = [];
  if (isRecord(doc.metadata) && doc.metadata.component !== undefined) stack.push(doc.metadata.component);
  if (Array.isArray(doc.components)) stack.push(...doc.components);
  let seen = 0;
  while (stack.length > 0) {
    const c = stack.pop();
    if (++seen > MAX_COMPONENTS) {
      throw new BollardError('LIMIT_EXCEEDED', `VEX document ${file} has more than ${MAX_COMPONENTS} components`);
    }
    if (!isRecord(c)) continue;
    const ref = asString(c['bom-ref']);
    const purl = asString(c.purl);
    if (ref && purl) refs.set(ref, purl);
    if (Array.isArray(c.components)) stack.push(...c.components);
  }
  return refs;
}

/** A ref is a bom-ref of this document, a BOM-Link (`urn:cdx:serial/version#bom-ref`), or a purl itself. */
function resolveRef(ref: string, refs: Map<string, string>): ParsedPurl | undefined {
  const direct = refs.get(ref);
  if (direct) return parsePurl(direct);
  if (ref.startsWith('urn:cdx:')) {
    const hash = ref.indexOf('#');
    if (hash >= 0) {
      let fragment = ref.slice(hash + 1);
      try {
        fragment = decodeURIComponent(fragment);
      } catch {
        // keep as written
      }
      const linked = refs.get(fragment);
      return parsePurl(linked ?? fragment);
    }
    return undefined;
  }
  return parsePurl(ref);
}

/** Options for matching VEX statements to findings. */
export interface VexMatchContext {
  /** purls of the scanned artifact itself (the image `pkg:oci/…`), for products with subcomponents. */
  targets?: readonly ParsedPurl[];
}

/**
 * The statement that decides a finding: of all statements across the documents that name one of the
 * finding's ids and whose product matches its package, the latest (by timestamp, then document
 * order, then statement order). Undefined when none applies or the package has no purl.
 */
export function decidingStatement(
  finding: VulnFinding,
  docs: readonly LoadedVex[],
  ctx: VexMatchContext = {},
): { statement: VexStatement; file: string } | undefined {
  const pkgPurl = finding.package.purl ? parsePurl(finding.package.purl) : undefined;
  if (!pkgPurl) return undefined;
  const ids = new Set(
    [finding.id, ...finding.aliases, ...(finding.cve ? [finding.cve] : [])].map((x) => x.toUpperCase()),
  );
  let best: { statement: VexStatement; file: string; docIndex: number } | undefined;
  docs.forEach((doc, docIndex) => {
    for (const st of doc.statements) {
      if (!st.vulnIds.some((x) => ids.has(x))) continue;
      if (!st.products.some((p) => productApplies(p, pkgPurl, ctx))) continue;
      if (!best || later(st, docIndex, best.statement, best.docIndex))
        best = { statement: st, file: doc.file, docIndex };
    }
  });
  return best ? { statement: best.statement, file: best.file } : undefined;
}

function later(a: VexStatement, aDoc: number, b: VexStatement, bDoc: number): boolean {
  const ta = a.timestamp ?? Number.NEGATIVE_INFINITY;
  const tb = b.timestamp ?? Number.NEGATIVE_INFINITY;
  if (ta !== tb) return ta > tb;
  if (aDoc !== bDoc) return aDoc > bDoc;
  return a.index > b.index;
}

/**
 * A product applies to a package when the product is the package, or when the product has
 * subcomponents, one of them is the package and the product is the package itself or one of the
 * scanned artifact's purls. A product without subcomponents that is the scanned artifact applies to
 * every package in it.
 */
function productApplies(p: VexProduct, pkg: ParsedPurl, ctx: VexMatchContext): boolean {
  const targets = ctx.targets ?? [];
  const isTarget = p.purl !== undefined && targets.some((t) => purlMatches(p.purl as ParsedPurl, t));
  if (p.subcomponents.length === 0) return p.purl !== undefined && (purlMatches(p.purl, pkg) || isTarget);
  if (!p.subcomponents.some((s) => s.purl !== undefined && purlMatches(s.purl, pkg))) return false;
  return isTarget || (p.purl !== undefined && purlMatches(p.purl, pkg));
}

/** Does this status suppress a finding? `not_affected` and `fixed` (CycloneDX: not_affected, false_positive, resolved). */
export function suppresses(status: VexStatus): boolean {
  return status === 'not_affected' || status === 'fixed';
}
