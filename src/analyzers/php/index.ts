import type { LayerEntry } from '../../layer/types.ts';
import { isRecord } from '../../util/json.ts';
import { baseName, langPackage, licenseStrings, MAX_LOCKFILE_BYTES, packagesItem, readJson } from '../lang/common.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';

export const id = 'php';

const INSTALLED = 'vendor/composer/installed.json';

function composerPackages(
  list: unknown,
  path: string,
  dev: (name: string) => boolean,
  skip: (s: string) => void,
): Package[] {
  const out: Package[] = [];
  if (!Array.isArray(list)) return out;
  for (const p of list) {
    if (!isRecord(p)) continue;
    const deps = isRecord(p.require) ? Object.keys(p.require).filter((n) => n.includes('/')) : [];
    const name = typeof p.name === 'string' ? p.name : undefined;
    const pkg = langPackage('composer', name, p.version, path, {
      licenses: licenseStrings(p.license),
      dependsOn: deps,
      ...(name ? { dev: dev(name) } : {}),
    });
    if (pkg) out.push(pkg);
    else skip(String(p.name));
  }
  return out;
}

/** `composer.lock`: `packages` and `packages-dev`. */
export function parseComposerLock(doc: unknown, path: string, skip: (s: string) => void): Package[] {
  if (!isRecord(doc)) return [];
  return [
    ...composerPackages(doc.packages, path, () => false, skip),
    ...composerPackages(doc['packages-dev'], path, () => true, skip),
  ];
}

/** `vendor/composer/installed.json`: Composer 1 writes a list, Composer 2 `{ packages, dev-package-names }`. */
export function parseInstalledJson(doc: unknown, path: string, skip: (s: string) => void): Package[] {
  if (Array.isArray(doc)) return composerPackages(doc, path, () => false, skip);
  if (!isRecord(doc)) return [];
  const devNames = new Set(Array.isArray(doc['dev-package-names']) ? doc['dev-package-names'] : []);
  return composerPackages(doc.packages, path, (n) => devNames.has(n), skip);
}

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const doc = readJson(file.content, file.path, ctx, 'COMPOSER_FILE_INVALID');
  if (doc === undefined) return [];
  const skip = (s: string): void =>
    ctx.warn(
      'COMPOSER_RECORD_INVALID',
      'Composer packages without a usable name or version were skipped',
      `${file.path}: ${s.slice(0, 120)}`,
    );
  const ps = file.path.endsWith(INSTALLED)
    ? parseInstalledJson(doc, file.path, skip)
    : parseComposerLock(doc, file.path, skip);
  return ps.length > 0 ? packagesItem(id, file.path, ps) : [];
}

export const phpAnalyzer: Analyzer = {
  id,
  version: 1,
  maxFileBytes: MAX_LOCKFILE_BYTES,
  wants(path: string, entry: LayerEntry): boolean {
    if (entry.type !== 'file') return false;
    if (path.endsWith(INSTALLED)) return path === INSTALLED || path.endsWith(`/${INSTALLED}`);
    // A lockfile inside vendor/ belongs to a dependency's own development.
    return path.endsWith('composer.lock') && baseName(path) === 'composer.lock' && !path.includes('vendor/');
  },
  analyze,
};
