import { asString, isRecord } from '../../util/json.ts';
import { langPackage } from '../lang/common.ts';
import type { Package } from '../types.ts';

export interface ParseResult {
  packages: Package[];
  /** Records skipped because their name or version is not usable. */
  skipped: string[];
}

const NM = 'node_modules/';

function depNames(...records: unknown[]): string[] {
  const out: string[] = [];
  for (const r of records) if (isRecord(r)) out.push(...Object.keys(r));
  return out;
}

/**
 * `package-lock.json` (and `npm-shrinkwrap.json`), lockfile versions 1, 2 and 3. Versions 2 and 3
 * list every installed folder under `packages` (keyed by `node_modules/...` path), which is what
 * `npm ls` reads; version 1 only has the nested `dependencies` tree. Links and workspace folders
 * are the project's own code, not dependencies, and are left out.
 */
export function parsePackageLock(doc: unknown, path: string): ParseResult {
  const out: ParseResult = { packages: [], skipped: [] };
  if (!isRecord(doc)) {
    out.skipped.push('not an object');
    return out;
  }
  if (isRecord(doc.packages)) parsePackages(doc.packages, path, out);
  else if (isRecord(doc.dependencies)) parseV1(doc.dependencies, path, out, 0);
  return out;
}

function parsePackages(packages: Record<string, unknown>, path: string, out: ParseResult): void {
  const root = isRecord(packages['']) ? packages[''] : {};
  const rootDeps = new Set(
    depNames(root.dependencies, root.devDependencies, root.optionalDependencies, root.peerDependencies),
  );
  for (const [key, entry] of Object.entries(packages)) {
    const at = key.lastIndexOf(NM);
    if (at < 0 || !isRecord(entry)) continue; // the root project and workspace folders
    if (entry.link === true) continue; // a symlink to a workspace folder, listed under its own key
    // An alias (`"x": "npm:y@1"`) installs y under the folder name x: the package is y.
    const name = asString(entry.name) ?? key.slice(at + NM.length);
    const pkg = langPackage('npm', name, entry.version, path, {
      licenses: typeof entry.license === 'string' ? [entry.license] : [],
      dependsOn: depNames(entry.dependencies, entry.optionalDependencies, entry.peerDependencies),
      // Only a top-level folder can be what the root's own dependency names resolve to.
      direct: at === 0 && rootDeps.has(key.slice(NM.length)),
      dev: entry.dev === true,
      ...(typeof entry.integrity === 'string' ? { integrity: entry.integrity } : {}),
    });
    if (pkg) out.packages.push(pkg);
    else out.skipped.push(key);
  }
}

/** Version 1: nested `dependencies` objects; `requires` names what each package depends on. */
function parseV1(deps: Record<string, unknown>, path: string, out: ParseResult, depth: number): void {
  // Real trees are a few levels deep; a deeper one is hostile (the JSON depth bound also applies).
  if (depth > 64) return;
  for (const [name, entry] of Object.entries(deps)) {
    if (!isRecord(entry)) {
      out.skipped.push(name);
      continue;
    }
    const version = asString(entry.version);
    // `file:` and `link:` versions are local folders, not registry packages.
    if (version?.startsWith('file:') || version?.startsWith('link:')) continue;
    const pkg = langPackage('npm', name, version, path, {
      dependsOn: depNames(entry.requires),
      dev: entry.dev === true,
      ...(typeof entry.integrity === 'string' ? { integrity: entry.integrity } : {}),
    });
    if (pkg) out.packages.push(pkg);
    else out.skipped.push(name);
    if (isRecord(entry.dependencies)) parseV1(entry.dependencies, path, out, depth + 1);
  }
}
