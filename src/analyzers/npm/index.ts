import type { LayerEntry } from '../../layer/types.ts';
import { isBollardError } from '../../util/errors.ts';
import { isRecord } from '../../util/json.ts';
import {
  baseName,
  dirName,
  langPackage,
  licenseStrings,
  MAX_LOCKFILE_BYTES,
  packagesItem,
  readJson,
} from '../lang/common.ts';
import type {
  AnalysisItem,
  Analyzer,
  AnalyzerContext,
  AnalyzerFile,
  InventoryDraft,
  Package,
  SurvivingItem,
} from '../types.ts';
import { type ParseResult, parsePackageLock } from './package-lock.ts';
import { parsePnpmLock } from './pnpm.ts';
import { parseYarnLock } from './yarn.ts';

export { parsePackageLock } from './package-lock.ts';
export { parsePnpmKey, parsePnpmLock } from './pnpm.ts';
export { parseYarnLock } from './yarn.ts';

export const id = 'npm';

const NM = 'node_modules/';
const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml']);

/**
 * `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`: the manifest
 * of an installed package (not a package.json deeper inside one, which is the package's own data).
 */
export function isInstalledManifest(path: string): boolean {
  if (!path.endsWith('/package.json')) return false;
  const at = path.lastIndexOf(NM);
  if (at < 0 || (at > 0 && path.charCodeAt(at - 1) !== 0x2f)) return false;
  const rest = path.slice(at + NM.length, path.length - '/package.json'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return rest.length > 0 && rest[0] !== '.';
  return rest[0] === '@' && slash > 1 && slash < rest.length - 1 && rest.indexOf('/', slash + 1) < 0;
}

function isLockfile(path: string): boolean {
  // A lockfile shipped inside an installed package describes that package's development, not the image.
  return LOCKFILES.has(baseName(path)) && !path.includes(NM);
}

function analyzeInstalled(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const doc = readJson(file.content, file.path, ctx, 'NPM_MANIFEST_INVALID');
  if (!isRecord(doc)) return [];
  const deps: string[] = [];
  for (const f of ['dependencies', 'optionalDependencies'] as const) {
    if (isRecord(doc[f])) deps.push(...Object.keys(doc[f]));
  }
  const pkg = langPackage('npm', doc.name, doc.version, file.path, {
    licenses: licenseStrings(doc.license ?? doc.licenses),
    dependsOn: deps,
  });
  if (!pkg) {
    ctx.warn(
      'NPM_MANIFEST_INVALID',
      'installed package.json files without a usable name and version were skipped',
      file.path,
    );
    return [];
  }
  return packagesItem(id, file.path, [pkg]);
}

function analyzeLockfile(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const name = baseName(file.path);
  let result: ParseResult;
  try {
    if (name === 'yarn.lock') result = parseYarnLock(file.content.toString('utf8'), file.path);
    else if (name === 'pnpm-lock.yaml') result = parsePnpmLock(file.content.toString('utf8'), file.path);
    else {
      const doc = readJson(file.content, file.path, ctx, 'NPM_LOCKFILE_INVALID');
      if (doc === undefined) return [];
      result = parsePackageLock(doc, file.path);
    }
  } catch (e) {
    ctx.warn('NPM_LOCKFILE_INVALID', isBollardError(e) ? e.message : 'lockfile could not be read', file.path);
    return [];
  }
  for (const s of result.skipped)
    ctx.warn(
      'NPM_RECORD_INVALID',
      'lockfile records without a usable name or version were skipped',
      `${file.path}: ${s.slice(0, 120)}`,
    );
  return packagesItem(id, file.path, result.packages);
}

/**
 * An image that holds both a lockfile and the `node_modules` it produced would list every package
 * twice. The installed tree is what is really there; the lockfile adds what only it knows (direct,
 * dev, integrity), and its packages are dropped when the project's node_modules is present.
 */
function finalize(items: SurvivingItem[], draft: InventoryDraft): void {
  const lockDirs = new Map<string, string>();
  for (const it of items) if (it.kind === 'packages' && isLockfile(it.path)) lockDirs.set(dirName(it.path), it.path);
  if (lockDirs.size === 0) return;
  const facts = new Map<string, Package>();
  const installedIn = new Set<string>();
  for (const p of draft.packages) {
    if (p.type !== 'npm') continue;
    if (isLockfile(p.location.path)) facts.set(`${p.location.path}\0${p.name}@${p.version}`, p);
  }
  for (const p of draft.packages) {
    if (p.type !== 'npm' || isLockfile(p.location.path)) continue;
    const at = p.location.path.indexOf(NM);
    const project = at <= 0 ? '' : p.location.path.slice(0, at - 1);
    const lock = lockDirs.get(project);
    if (lock === undefined) continue;
    installedIn.add(lock);
    const f = facts.get(`${lock}\0${p.name}@${p.version}`);
    if (!f) continue;
    if (f.direct !== undefined) p.direct = f.direct;
    if (f.dev !== undefined) p.dev = f.dev;
    if (f.integrity) p.integrity = f.integrity;
  }
  if (installedIn.size === 0) return;
  let kept = 0;
  for (const p of draft.packages) {
    if (!(p.type === 'npm' && installedIn.has(p.location.path))) draft.packages[kept++] = p;
  }
  draft.packages.length = kept;
}

export const npmAnalyzer: Analyzer = {
  id,
  version: 1,
  maxFileBytes: MAX_LOCKFILE_BYTES,
  wants(path: string, _entry: LayerEntry): boolean {
    return isInstalledManifest(path) || isLockfile(path);
  },
  analyze(file, ctx) {
    return isInstalledManifest(file.path) ? analyzeInstalled(file, ctx) : analyzeLockfile(file, ctx);
  },
  finalize,
};
