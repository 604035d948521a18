import type {
  AnalysisItem,
  Analyzer,
  InventoryDraft,
  LayerAnalysis,
  Package,
  SurvivingItem,
  Warning,
} from '../analyzers/types.ts';
import type { AnalyzerCoverage, Inventory } from '../scan/types.ts';
import { isWithin, resolveLinkTarget } from './path.ts';

/** A layer's analysis with its position in the image (undefined for a root filesystem). */
export interface AppliedLayer {
  index: number | undefined;
  analysis: LayerAnalysis;
}

export interface ApplyResult {
  inventory: Inventory;
  coverage: AnalyzerCoverage[];
  warnings: Warning[];
}

interface PathState {
  layer: number | undefined;
  items: AnalysisItem[];
}

/** Per package database path: which packages each successive version of the file held. */
type PackageHistory = { layer: number | undefined; keys: Set<string> }[];

/**
 * Squash layer analyses into the image as a container would see it: later layers replace files,
 * whiteouts delete them, opaque directories hide everything below them. Every package is attributed
 * to the layer since which it has been present without interruption in its database file.
 */
export function applyLayers(
  layers: readonly AppliedLayer[],
  analyzers: readonly Analyzer[],
  maxSymlinkHops: number,
): ApplyResult {
  const files = new Map<string, PathState>();
  const links = new Map<string, { type: 'symlink' | 'hardlink'; target: string; layer: number | undefined }>();
  const history = new Map<string, PackageHistory>();
  const deleted = (path: string, layer: number | undefined): void => {
    const h = history.get(path);
    if (h && (h.at(-1)?.keys.size ?? 0) > 0) h.push({ layer, keys: new Set() });
  };

  /** Remove everything at or below `dir` (or only below it, for opaque directories). Deleting while iterating a Map is well-defined. */
  const removeUnder = (dir: string, keepDir: boolean, layer: number | undefined): void => {
    for (const p of files.keys()) {
      if ((keepDir && p === dir) || !isWithin(p, dir)) continue;
      files.delete(p);
      deleted(p, layer);
    }
    for (const p of links.keys()) if (!(keepDir && p === dir) && isWithin(p, dir)) links.delete(p);
  };

  for (const { index, analysis } of layers) {
    for (const dir of analysis.opaqueDirs) removeUnder(dir, true, index);
    for (const w of analysis.whiteouts) removeUnder(w, false, index);
    const byPath = new Map<string, AnalysisItem[]>();
    for (const item of analysis.items) {
      const list = byPath.get(item.path);
      if (list) list.push(item);
      else byPath.set(item.path, [item]);
    }
    // Older cache entries have no `paths`: their item paths are the best record of what was present.
    for (const path of analysis.paths ?? []) if (!byPath.has(path)) byPath.set(path, []);
    // Any entry of this layer replaces what lower layers held at its path, wanted or not (a file
    // whose setuid bit a later layer removed is no longer wanted by the file-modes analyzer).
    if (analysis.present)
      for (const path of analysis.present.split('\0'))
        if (!byPath.has(path) && (files.has(path) || links.has(path))) byPath.set(path, []);
    for (const [path, items] of byPath) {
      files.set(path, { layer: index, items });
      links.delete(path);
      const keys = new Set<string>();
      for (const it of items) if (it.kind === 'packages') for (const p of it.packages) keys.add(packageKey(p));
      if (keys.size > 0 || history.has(path)) {
        const h = history.get(path) ?? [];
        h.push({ layer: index, keys });
        history.set(path, h);
      }
    }
    for (const l of analysis.links) {
      links.set(l.path, { type: l.type, target: l.target, layer: index });
      if (files.delete(l.path)) deleted(l.path, index);
    }
  }

  // A wanted link takes the items of the file it resolves to, inside the root.
  const resolve = (path: string): string | undefined => resolveInRoot(path, links, maxSymlinkHops);
  for (const [path, link] of links) {
    const target = resolve(link.type === 'hardlink' ? link.target : resolveLinkTarget(path, link.target));
    if (target === undefined || target === path) continue;
    const state = files.get(target);
    if (!state) continue;
    // A hard link is the file itself; a symlink has no mode of its own (file checks judge entries).
    const items = link.type === 'hardlink' ? state.items : state.items.filter((it) => it.kind !== 'file-meta');
    files.set(path, { layer: link.layer, items: items.map((it) => ({ ...it, path })) });
  }

  const warnings: Warning[] = [];
  const packages: Package[] = [];
  const draft: InventoryDraft = {
    os: undefined,
    packages,
    warn(code, message, sample) {
      warnings.push(sample === undefined ? { code, message, count: 1 } : { code, message, count: 1, sample });
    },
  };
  const surviving = new Map<string, SurvivingItem[]>();
  const paths = [...files.keys()].sort();
  for (const path of paths) {
    const state = files.get(path)!;
    for (const item of state.items) {
      const s: SurvivingItem = { ...item, layer: state.layer };
      const list = surviving.get(item.analyzer);
      if (list) list.push(s);
      else surviving.set(item.analyzer, [s]);
      if (item.kind !== 'packages') continue;
      const h = history.get(path);
      for (const p of item.packages) {
        const pkg: Package = { ...p, location: { path } };
        const origin = h ? originLayer(h, packageKey(p)) : state.layer;
        if (origin !== undefined) pkg.location.layer = origin;
        packages.push(pkg);
      }
    }
  }
  for (const a of analyzers) a.finalize?.(surviving.get(a.id) ?? [], draft);

  const counts = new Map<string, { files: number; errors: number }>();
  for (const { analysis } of layers) {
    for (const [id, c] of Object.entries(analysis.stats.analyzed ?? {})) {
      const t = counts.get(id) ?? { files: 0, errors: 0 };
      t.files += c.files;
      t.errors += c.errors;
      counts.set(id, t);
    }
  }
  const coverage: AnalyzerCoverage[] = analyzers.map((a) => {
    const c = counts.get(a.id) ?? { files: 0, errors: 0 };
    const status: AnalyzerCoverage['status'] =
      c.files === 0 ? 'no-files' : c.errors === 0 ? 'ok' : c.errors >= c.files ? 'error' : 'partial';
    const cov: AnalyzerCoverage = {
      id: a.id,
      version: a.version,
      files: c.files,
      items: surviving.get(a.id)?.length ?? 0,
      status,
    };
    if (c.errors > 0) cov.note = `failed on ${c.errors} of ${c.files} files`;
    return cov;
  });

  return {
    inventory: {
      os: draft.os,
      packages: sortPackages(packages),
      ...(draft.files ? { files: draft.files } : {}),
    },
    coverage,
    warnings: mergeWarnings([...layers.flatMap((l) => l.analysis.warnings), ...warnings]),
  };
}

export function packageKey(p: Pick<Package, 'type' | 'name' | 'version' | 'arch'>): string {
  return `${p.type}\0${p.name}\0${p.version}\0${p.arch ?? ''}`;
}

/** The earliest layer of the unbroken run of file versions, ending with the last, that list the package. */
function originLayer(h: PackageHistory, key: string): number | undefined {
  let origin: number | undefined;
  for (let i = h.length - 1; i >= 0; i--) {
    const step = h[i]!;
    if (!step.keys.has(key)) break;
    origin = step.layer;
  }
  return origin;
}

/**
 * Resolve a path inside the image root through the recorded symlinks of any of its components,
 * the way the kernel does under chroot (`..` stops at the root). Undefined after too many hops.
 */
export function resolveInRoot(
  path: string,
  links: ReadonlyMap<string, { type: 'symlink' | 'hardlink'; target: string }>,
  maxHops: number,
): string | undefined {
  let hops = 0;
  let parts = path.split('/').filter(Boolean);
  let i = 0;
  while (i < parts.length) {
    const prefix = parts.slice(0, i + 1).join('/');
    const link = links.get(prefix);
    if (link && link.type === 'symlink') {
      if (++hops > maxHops) return undefined;
      const resolved = resolveLinkTarget(prefix, link.target);
      parts = [...resolved.split('/').filter(Boolean), ...parts.slice(i + 1)];
      i = 0;
      continue;
    }
    i++;
  }
  return parts.join('/');
}

function sortPackages(ps: Package[]): Package[] {
  return ps.sort(
    (a, b) =>
      cmp(a.type, b.type) ||
      cmp(a.name, b.name) ||
      cmp(a.version, b.version) ||
      cmp(a.arch ?? '', b.arch ?? '') ||
      cmp(a.location.path, b.location.path),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function mergeWarnings(ws: readonly Warning[]): Warning[] {
  const m = new Map<string, Warning>();
  for (const w of ws) {
    const have = m.get(w.code);
    if (have) have.count += w.count;
    else m.set(w.code, { ...w });
  }
  return [...m.values()];
}
