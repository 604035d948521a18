import type { LayerEntry } from '../../layer/types.ts';
import { isRecord } from '../../util/json.ts';
import { baseName, langPackage, MAX_LOCKFILE_BYTES, packagesItem, readJson } from '../lang/common.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';

export const id = 'dotnet';

/**
 * `packages.lock.json` (NuGet): `dependencies.<target framework>.<name> = { type, resolved, dependencies }`.
 * `Project` entries are the solution's own projects. A package locked for several frameworks is one package.
 */
export function parsePackagesLock(doc: unknown, path: string, skip: (s: string) => void): Package[] {
  const out = new Map<string, Package>();
  if (!isRecord(doc) || !isRecord(doc.dependencies)) return [];
  for (const deps of Object.values(doc.dependencies)) {
    if (!isRecord(deps)) continue;
    for (const [name, d] of Object.entries(deps)) {
      if (!isRecord(d) || d.type === 'Project') continue;
      const key = `${name}@${String(d.resolved)}`;
      const prior = out.get(key);
      if (prior) {
        if (d.type === 'Direct') prior.direct = true;
        continue;
      }
      const pkg = langPackage('nuget', name, d.resolved, path, {
        dependsOn: isRecord(d.dependencies) ? Object.keys(d.dependencies) : [],
        direct: d.type === 'Direct',
        ...(typeof d.contentHash === 'string' ? { integrity: `sha512-${d.contentHash}` } : {}),
      });
      if (pkg) out.set(key, pkg);
      else skip(name);
    }
  }
  return [...out.values()];
}

/** `<app>.deps.json`: `libraries` keyed `Name/Version`; only `type: package` entries come from NuGet. */
export function parseDepsJson(doc: unknown, path: string, skip: (s: string) => void): Package[] {
  if (!isRecord(doc) || !isRecord(doc.libraries)) return [];
  const deps = new Map<string, string[]>();
  if (isRecord(doc.targets)) {
    for (const target of Object.values(doc.targets)) {
      if (!isRecord(target)) continue;
      for (const [k, v] of Object.entries(target)) {
        if (isRecord(v) && isRecord(v.dependencies)) deps.set(k, Object.keys(v.dependencies));
      }
    }
  }
  const out: Package[] = [];
  for (const [key, lib] of Object.entries(doc.libraries)) {
    if (!isRecord(lib) || lib.type !== 'package') continue;
    const slash = key.lastIndexOf('/');
    const pkg = langPackage('nuget', key.slice(0, slash), key.slice(slash + 1), path, {
      dependsOn: deps.get(key) ?? [],
      ...(typeof lib.sha512 === 'string' ? { integrity: lib.sha512 } : {}),
    });
    if (pkg) out.push(pkg);
    else skip(key);
  }
  return out;
}

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const doc = readJson(file.content, file.path, ctx, 'NUGET_FILE_INVALID');
  if (doc === undefined) return [];
  const skip = (s: string): void =>
    ctx.warn(
      'NUGET_RECORD_INVALID',
      'NuGet packages without a usable name or version were skipped',
      `${file.path}: ${s.slice(0, 120)}`,
    );
  const ps = file.path.endsWith('.deps.json')
    ? parseDepsJson(doc, file.path, skip)
    : parsePackagesLock(doc, file.path, skip);
  return ps.length > 0 ? packagesItem(id, file.path, ps) : [];
}

export const dotnetAnalyzer: Analyzer = {
  id,
  version: 1,
  maxFileBytes: MAX_LOCKFILE_BYTES,
  wants(path: string, entry: LayerEntry): boolean {
    if (entry.type !== 'file') return false;
    return (
      path.endsWith('.deps.json') || (path.endsWith('packages.lock.json') && baseName(path) === 'packages.lock.json')
    );
  },
  analyze,
};
