import { asString, isRecord } from '../../util/json.ts';
import { parseYamlBounded } from '../../util/yaml.ts';
import { langPackage } from '../lang/common.ts';
import type { ParseResult } from './package-lock.ts';

interface PnpmKey {
  name: string;
  version: string;
}

/**
 * A `packages` / `snapshots` key: `/name/1.0.0_peer@2` (lockfile 5.x), `/name@1.0.0(peer@2)` (6.x)
 * or `name@1.0.0(peer@2)` (9.x). Peer suffixes are dropped: they do not change what is installed.
 */
export function parsePnpmKey(key: string, major: number): PnpmKey | undefined {
  let k = key.startsWith('/') ? key.slice(1) : key;
  const paren = k.indexOf('(');
  if (paren > 0) k = k.slice(0, paren);
  if (major < 6) {
    const scoped = k.startsWith('@');
    const parts = k.split('/');
    const nameParts = scoped ? 2 : 1;
    if (parts.length !== nameParts + 1) return undefined;
    const version = (parts[nameParts] ?? '').split('_')[0] ?? '';
    return { name: parts.slice(0, nameParts).join('/'), version };
  }
  const at = k.indexOf('@', k.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  return { name: k.slice(0, at), version: k.slice(at + 1) };
}

/** The version a dependency map points to (`1.0.0`, `{ version: 1.0.0(peer) }`, `/name/1.0.0` in 5.x). */
function refVersion(v: unknown): string | undefined {
  const s = isRecord(v) ? asString(v.version) : typeof v === 'number' ? String(v) : asString(v);
  if (s === undefined) return undefined;
  const paren = s.indexOf('(');
  return (paren > 0 ? s.slice(0, paren) : s).split('_')[0];
}

/**
 * `pnpm-lock.yaml`, lockfile versions 5.x to 9.0. Direct dependencies come from the root (5.x, 6.x)
 * or `importers` (workspaces, 9.0); dev-only packages from the `dev` flag (5.x, 6.x) or, in 9.0
 * where that flag is gone, from what only the importers' devDependencies reach.
 */
export function parsePnpmLock(text: string, path: string): ParseResult {
  const out: ParseResult = { packages: [], skipped: [] };
  const doc = parseYamlBounded(text, { what: path });
  if (!isRecord(doc)) return out;
  const major = Number.parseInt(String(doc.lockfileVersion ?? '5'), 10) || 5;
  const packages = isRecord(doc.packages) ? doc.packages : {};
  const snapshots = isRecord(doc.snapshots) ? doc.snapshots : undefined;

  const importers: Record<string, unknown>[] = isRecord(doc.importers)
    ? Object.values(doc.importers).filter(isRecord)
    : [doc];
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const imp of importers) {
    for (const [field, list] of [
      ['dependencies', prodRoots],
      ['optionalDependencies', prodRoots],
      ['devDependencies', devRoots],
    ] as const) {
      const deps = imp[field];
      if (!isRecord(deps)) continue;
      for (const [name, ref] of Object.entries(deps)) {
        const v = refVersion(ref);
        if (v && !v.startsWith('link:')) list.push(`${name}@${v}`);
      }
    }
  }
  const direct = new Set([...prodRoots, ...devRoots]);

  // Dependencies of each installed name@version (9.0 keeps them in snapshots).
  const edges = new Map<string, string[]>();
  const graphSource = snapshots ?? packages;
  for (const [key, entry] of Object.entries(graphSource)) {
    const k = parsePnpmKey(key, major);
    if (!k || !isRecord(entry)) continue;
    const list: string[] = edges.get(`${k.name}@${k.version}`) ?? [];
    for (const field of ['dependencies', 'optionalDependencies'] as const) {
      const deps = entry[field];
      if (!isRecord(deps)) continue;
      for (const [name, ref] of Object.entries(deps)) {
        const v = refVersion(ref);
        if (v) list.push(`${name}@${major < 6 && v.startsWith('/') ? (parsePnpmKey(v, major)?.version ?? v) : v}`);
      }
    }
    edges.set(`${k.name}@${k.version}`, list);
  }
  const prodReached = reach(prodRoots, edges);

  const seen = new Set<string>();
  for (const [key, entry] of Object.entries(packages)) {
    const k = parsePnpmKey(key, major);
    if (!k || !isRecord(entry)) {
      out.skipped.push(key);
      continue;
    }
    // Tarball and git dependencies keep their version in the entry.
    const version = asString(entry.version) ?? k.version;
    const id = `${k.name}@${version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const resolution = isRecord(entry.resolution) ? entry.resolution : {};
    const deps = (edges.get(`${k.name}@${k.version}`) ?? []).map((d) => d.slice(0, d.indexOf('@', 1)));
    const dev = typeof entry.dev === 'boolean' ? entry.dev : snapshots ? !prodReached.has(id) : undefined;
    const pkg = langPackage('npm', k.name, version, path, {
      dependsOn: deps,
      direct: direct.has(`${k.name}@${k.version}`),
      ...(dev === undefined ? {} : { dev }),
      ...(typeof resolution.integrity === 'string' ? { integrity: resolution.integrity } : {}),
    });
    if (pkg) out.packages.push(pkg);
    else out.skipped.push(key);
  }
  return out;
}

function reach(roots: string[], edges: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const next of edges.get(id) ?? []) if (!seen.has(next)) stack.push(next);
  }
  return seen;
}
