import type { LayerEntry } from '../../layer/types.ts';
import { isBollardError } from '../../util/errors.ts';
import { isRecord } from '../../util/json.ts';
import { baseName, langPackage, MAX_LOCKFILE_BYTES, packagesItem, readJson } from '../lang/common.ts';
import { parseToml, type TomlTable } from '../lang/toml.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';

export const id = 'python';

/** PEP 503: lower case, runs of `-`, `_` and `.` become one `-`. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The name a requirement string starts with (`requests[socks] (>=2.0) ; extra == "x"` → `requests`). */
function requirementName(req: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(req);
  return m?.[1] ? normalizePythonName(m[1]) : undefined;
}

/**
 * Core metadata (`METADATA`, `PKG-INFO`): RFC 822 style headers up to the first blank line, with
 * continuation lines; the body is the description and is not read.
 */
export function parseCoreMetadata(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    last = headers.get(key);
    if (last) last.push(value);
    else {
      last = [value];
      headers.set(key, last);
    }
  }
  return headers;
}

function installedLicenses(h: Map<string, string[]>): string[] {
  const expr = h.get('license-expression')?.[0];
  if (expr) return [expr];
  const lic = h.get('license')?.[0];
  // Some packages put the whole licence text in the field: keep the first line when it is short.
  if (lic && lic !== 'UNKNOWN' && !lic.includes('\n') && lic.length <= 128) return [lic];
  const out: string[] = [];
  for (const c of h.get('classifier') ?? []) {
    if (c.startsWith('License :: ')) out.push(c.split(' :: ').at(-1) ?? c);
  }
  return out.filter((x) => x !== 'OSI Approved');
}

function analyzeInstalled(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const h = parseCoreMetadata(file.content.toString('utf8'));
  const name = h.get('name')?.[0];
  const deps: string[] = [];
  for (const r of h.get('requires-dist') ?? []) {
    // Dependencies of optional extras are not installed by default.
    if (/;\s*.*\bextra\s*==/.test(r)) continue;
    const n = requirementName(r);
    if (n) deps.push(n);
  }
  const pkg = langPackage(
    'pypi',
    name === undefined ? undefined : normalizePythonName(name),
    h.get('version')?.[0],
    file.path,
    {
      licenses: installedLicenses(h),
      dependsOn: deps,
    },
  );
  if (!pkg) {
    ctx.warn(
      'PYTHON_METADATA_INVALID',
      'installed distributions without a usable name and version were skipped',
      file.path,
    );
    return [];
  }
  return packagesItem(id, file.path, [pkg]);
}

/**
 * `requirements*.txt`: only pinned requirements (`name==1.2.3`, `name===1.2.3`) name a version;
 * options (`-r`, `--hash`), URLs and ranges are skipped.
 */
export function parseRequirements(text: string, path: string): Package[] {
  const out: Package[] = [];
  for (const raw of text.replace(/\\\r?\n/g, ' ').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '' || line.startsWith('-')) continue;
    const m =
      /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;,]+)\s*(?:;.*)?(?:\s--hash=\S+)*\s*$/.exec(
        line.replace(/\s--hash=\S+/g, ''),
      );
    if (!m || m[2]?.includes('*')) continue;
    const pkg = langPackage('pypi', normalizePythonName(m[1] ?? ''), m[2], path, { direct: true });
    if (pkg) out.push(pkg);
  }
  return out;
}

function tomlLock(file: AnalyzerFile, ctx: AnalyzerContext): TomlTable | undefined {
  try {
    return parseToml(file.content, {
      what: file.path,
      maxBytes: MAX_LOCKFILE_BYTES,
      maxDepth: ctx.limits.maxJsonDepth,
    });
  } catch (e) {
    ctx.warn('PYTHON_LOCKFILE_INVALID', isBollardError(e) ? e.message : 'lockfile could not be read', file.path);
    return undefined;
  }
}

function tables(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function depKeys(v: unknown): string[] {
  if (isRecord(v)) return Object.keys(v).map(normalizePythonName);
  return tables(v)
    .map((d) => (typeof d.name === 'string' ? normalizePythonName(d.name) : ''))
    .filter(Boolean);
}

/** `poetry.lock`: `[[package]]` tables; dev-only from `category = "dev"` (Poetry < 1.5) or `groups` without main. */
export function parsePoetryLock(doc: TomlTable, path: string, skip: (s: string) => void): Package[] {
  const out: Package[] = [];
  for (const p of tables(doc.package)) {
    const groups = Array.isArray(p.groups) ? p.groups : undefined;
    const dev = typeof p.category === 'string' ? p.category === 'dev' : groups ? !groups.includes('main') : undefined;
    const pkg = langPackage(
      'pypi',
      typeof p.name === 'string' ? normalizePythonName(p.name) : undefined,
      p.version,
      path,
      {
        dependsOn: depKeys(p.dependencies),
        ...(dev === undefined ? {} : { dev }),
      },
    );
    if (pkg) out.push(pkg);
    else skip(String(p.name));
  }
  return out;
}

/** `uv.lock`: `[[package]]` tables; the project itself (`source = { virtual | editable }`) names the direct dependencies. */
export function parseUvLock(doc: TomlTable, path: string, skip: (s: string) => void): Package[] {
  const out: Package[] = [];
  const all = tables(doc.package);
  const isProject = (p: Record<string, unknown>): boolean =>
    isRecord(p.source) && ('virtual' in p.source || 'editable' in p.source);
  const direct = new Set<string>();
  const devRoots = new Set<string>();
  for (const p of all.filter(isProject)) {
    for (const n of depKeys(p.dependencies)) direct.add(n);
    if (isRecord(p['optional-dependencies']))
      for (const v of Object.values(p['optional-dependencies'])) for (const n of depKeys(v)) direct.add(n);
    if (isRecord(p['dev-dependencies']))
      for (const v of Object.values(p['dev-dependencies'])) for (const n of depKeys(v)) devRoots.add(n);
  }
  for (const p of all) {
    if (isProject(p)) continue;
    const name = typeof p.name === 'string' ? normalizePythonName(p.name) : undefined;
    const pkg = langPackage('pypi', name, p.version, path, {
      dependsOn: depKeys(p.dependencies),
      ...(name ? { direct: direct.has(name) || devRoots.has(name) } : {}),
      ...(name && devRoots.has(name) && !direct.has(name) ? { dev: true } : {}),
    });
    if (pkg) out.push(pkg);
    else skip(String(p.name));
  }
  return out;
}

/** `Pipfile.lock`: JSON; `default` and `develop` sections of `name: { version: "==1.2.3" }`. */
export function parsePipfileLock(doc: unknown, path: string, skip: (s: string) => void): Package[] {
  const out: Package[] = [];
  if (!isRecord(doc)) return out;
  for (const [section, dev] of [
    ['default', false],
    ['develop', true],
  ] as const) {
    const deps = doc[section];
    if (!isRecord(deps)) continue;
    for (const [name, d] of Object.entries(deps)) {
      if (!isRecord(d) || typeof d.version !== 'string') continue; // path, VCS and editable entries have no version
      const pkg = langPackage('pypi', normalizePythonName(name), d.version.replace(/^===?/, ''), path, { dev });
      if (pkg) out.push(pkg);
      else skip(name);
    }
  }
  return out;
}

function isInstalledMetadata(path: string): boolean {
  return path.endsWith('.dist-info/METADATA') || path.endsWith('.egg-info/PKG-INFO') || path.endsWith('.egg-info');
}

function isRequirements(path: string): boolean {
  if (!path.endsWith('.txt')) return false;
  return baseName(path).startsWith('requirements');
}

const LOCKFILES = new Set(['poetry.lock', 'Pipfile.lock', 'uv.lock']);

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  if (isInstalledMetadata(file.path)) return analyzeInstalled(file, ctx);
  const name = baseName(file.path);
  const skip = (s: string): void =>
    ctx.warn(
      'PYTHON_RECORD_INVALID',
      'lockfile records without a usable name or version were skipped',
      `${file.path}: ${s.slice(0, 120)}`,
    );
  let packages: Package[];
  if (isRequirements(file.path)) packages = parseRequirements(file.content.toString('utf8'), file.path);
  else if (name === 'Pipfile.lock') {
    const doc = readJson(file.content, file.path, ctx, 'PYTHON_LOCKFILE_INVALID');
    if (doc === undefined) return [];
    packages = parsePipfileLock(doc, file.path, skip);
  } else {
    const doc = tomlLock(file, ctx);
    if (!doc) return [];
    packages = name === 'uv.lock' ? parseUvLock(doc, file.path, skip) : parsePoetryLock(doc, file.path, skip);
  }
  return packages.length > 0 ? packagesItem(id, file.path, packages) : [];
}

export const pythonAnalyzer: Analyzer = {
  id,
  version: 1,
  maxFileBytes: MAX_LOCKFILE_BYTES,
  wants(path: string, entry: LayerEntry): boolean {
    if (isInstalledMetadata(path)) return entry.type !== 'dir';
    return isRequirements(path) || LOCKFILES.has(baseName(path));
  },
  analyze,
};
