import { isBollardError } from '../../util/errors.ts';
import { parseJsonBounded } from '../../util/json.ts';
import type { AnalysisItem, AnalyzerContext, LangPackageType, Package } from '../types.ts';

/** Lockfiles and metadata files larger than this are skipped: the largest real lockfiles are a few MB. */
export const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/** Names and versions longer than this are hostile or broken: the record is skipped. */
const MAX_NAME_CHARS = 512;
const MAX_VERSION_CHARS = 256;

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Join a directory and a name the way image paths are written (no leading `/`). */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

// Control characters (NUL included) never occur in a real package name or version.
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A name or version a lockfile may carry: non-empty, bounded, no control characters, no spaces. */
export function plausible(s: unknown, max: number): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= max && !hasControl(s) && !/\s/.test(s);
}

export interface LangPackageFields {
  licenses?: string[];
  dependsOn?: string[];
  direct?: boolean;
  dev?: boolean;
  integrity?: string;
}

/**
 * A language package found in `path`, or undefined when its name or version is not plausible
 * (the caller counts it). Only the fields that are known are set.
 */
export function langPackage(
  type: LangPackageType,
  name: unknown,
  version: unknown,
  path: string,
  fields: LangPackageFields = {},
): Package | undefined {
  if (!plausible(name, MAX_NAME_CHARS) || !plausible(version, MAX_VERSION_CHARS)) return undefined;
  const pkg: Package = { type, name, version, licenses: fields.licenses ?? [], location: { path } };
  if (fields.dependsOn && fields.dependsOn.length > 0) pkg.dependsOn = [...new Set(fields.dependsOn)];
  if (fields.direct !== undefined) pkg.direct = fields.direct;
  if (fields.dev !== undefined) pkg.dev = fields.dev;
  if (fields.integrity) pkg.integrity = fields.integrity;
  return pkg;
}

/** One `packages` item; analyzers return nothing for a file that yields no package. */
export function packagesItem(analyzer: string, path: string, packages: Package[]): AnalysisItem[] {
  return [{ kind: 'packages', analyzer, path, packages }];
}

/**
 * Parse a JSON file with the configured bounds. A file that is not JSON or breaks a bound is
 * reported (one warning code per analyzer) and yields undefined: a broken lockfile never stops a scan.
 */
export function readJson(content: Buffer, path: string, ctx: AnalyzerContext, code: string): unknown {
  try {
    return parseJsonBounded(content, {
      maxBytes: Math.min(MAX_LOCKFILE_BYTES, ctx.limits.maxJsonBytes * 4),
      maxDepth: ctx.limits.maxJsonDepth,
      what: path,
    });
  } catch (e) {
    ctx.warn(code, isBollardError(e) ? e.message : 'file is not valid JSON', path);
    return undefined;
  }
}

/** Licence strings as package metadata writes them: a string, `{ type }`, or a list of either. */
export function licenseStrings(v: unknown): string[] {
  const out: string[] = [];
  const add = (x: unknown): void => {
    if (typeof x === 'string') {
      const s = x.trim();
      if (s && s.length <= 512) out.push(s);
    } else if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      const t = (x as Record<string, unknown>).type ?? (x as Record<string, unknown>).name;
      if (typeof t === 'string') add(t);
    }
  };
  if (Array.isArray(v)) for (const x of v.slice(0, 64)) add(x);
  else add(v);
  return out;
}

/** Counts skipped records of one file under one warning code. */
export function skipper(ctx: AnalyzerContext, code: string, message: string, path: string): (sample?: string) => void {
  return (sample) => ctx.warn(code, message, sample === undefined ? path : `${path}: ${sample.slice(0, 120)}`);
}
