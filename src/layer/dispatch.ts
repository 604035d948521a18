import type { AnalysisItem, Analyzer, AnalyzerContext, LayerAnalysis, Warning } from '../analyzers/types.ts';
import type { LayerRef } from '../artifact/types.ts';
import type { Limits } from '../util/limits.ts';
import type { TempRoot } from '../util/tempdir.ts';
import type { LayerEntry } from './types.ts';

/**
 * Symlinks near the top of the tree are usually directory links (`lib -> usr/lib`, `var/run -> ../run`),
 * which the applier needs to resolve wanted links that pass through them. Deeper links are kept only
 * when an analyzer wants them.
 */
const SHALLOW_LINK_DEPTH = 2;

/**
 * Collects what the analyzers make of one layer (or one root filesystem): the walker feeds it
 * entries, it hands wanted files to their analyzers and assembles the cacheable LayerAnalysis.
 */
export interface LayerDispatcher {
  /** Analyzers that want this entry's content (regular files) or its link (symlinks, hard links). */
  wanted(entry: LayerEntry): Analyzer[];
  /** Largest content any of these analyzers accepts. */
  maxBytes(analyzers: Analyzer[]): number;
  /**
   * Offer a regular file: the analyzers that will read it and how many bytes they accept, or
   * undefined when nobody wants it or it is over their size limit (then skipped and counted).
   */
  claim(entry: LayerEntry): { analyzers: Analyzer[]; maxBytes: number } | undefined;
  /** Run the analyzers on a wanted file. A file seen again in the same layer replaces its items. */
  file(entry: LayerEntry, content: Buffer, analyzers: Analyzer[]): Promise<void>;
  /** A wanted file that could not be handed over (too large, unreadable): counted against each analyzer's coverage. */
  skip(entry: LayerEntry, analyzers: Analyzer[], code: string, message: string): void;
  link(entry: LayerEntry): void;
  whiteout(path: string): void;
  opaque(dir: string): void;
  /** Count an entry (every entry of the layer, wanted or not). */
  count(entry: LayerEntry): void;
  warn(code: string, message: string, sample?: string): void;
  finish(): LayerAnalysis;
}

export interface DispatcherOptions {
  analyzers: readonly Analyzer[];
  layer: LayerRef | undefined;
  limits: Limits;
  tempRoot: TempRoot;
}

export function createDispatcher(opts: DispatcherOptions): LayerDispatcher {
  const items = new Map<string, AnalysisItem[]>();
  const paths = new Set<string>();
  const links = new Map<string, LayerAnalysis['links'][number]>();
  const whiteouts = new Set<string>();
  const opaqueDirs = new Set<string>();
  const warnings = new Map<string, Warning>();
  const analyzed: Record<string, { files: number; errors: number }> = {};
  for (const a of opts.analyzers) analyzed[a.id] = { files: 0, errors: 0 };
  const stats = { entries: 0, files: 0, bytes: 0 };

  const warn = (code: string, message: string, sample?: string): void => {
    const w = warnings.get(code);
    if (w) w.count++;
    else warnings.set(code, sample === undefined ? { code, message, count: 1 } : { code, message, count: 1, sample });
  };

  const ctxFor = (analyzer: Analyzer): AnalyzerContext => ({
    layer: opts.layer,
    limits: opts.limits,
    tempRoot: opts.tempRoot,
    warn: (code, message, sample) => warn(`${analyzer.id}:${code}`, message, sample),
  });

  return {
    wanted(entry) {
      const out: Analyzer[] = [];
      for (const a of opts.analyzers) if (a.wants(entry.path, entry)) out.push(a);
      if (out.length > 0 && entry.type === 'file') paths.add(entry.path);
      return out;
    },
    maxBytes(analyzers) {
      let max = 0;
      for (const a of analyzers)
        max = Math.max(max, Math.min(a.maxFileBytes ?? opts.limits.maxFileBytes, opts.limits.maxFileBytes));
      return max;
    },
    claim(entry) {
      const analyzers = this.wanted(entry);
      if (analyzers.length === 0) return undefined;
      const maxBytes = this.maxBytes(analyzers);
      if (entry.size > maxBytes) {
        this.skip(
          entry,
          analyzers,
          'FILE_TOO_LARGE',
          `files larger than the analyzers' limit were skipped (limit ${maxBytes} bytes)`,
        );
        return undefined;
      }
      return { analyzers, maxBytes };
    },
    async file(entry, content, analyzers) {
      for (const a of analyzers) {
        const key = `${a.id}\0${entry.path}`;
        const counters = analyzed[a.id];
        if (counters) counters.files++;
        try {
          const found = await a.analyze({ path: entry.path, entry, content }, ctxFor(a));
          items.set(key, found);
        } catch (e) {
          if (counters) counters.errors++;
          items.delete(key);
          warn(`${a.id}:ANALYZER_ERROR`, `analyzer ${a.id} failed on a file: ${(e as Error).message}`, entry.path);
        }
      }
      links.delete(entry.path);
    },
    skip(entry, analyzers, code, message) {
      for (const a of analyzers) {
        const counters = analyzed[a.id];
        if (counters) {
          counters.files++;
          counters.errors++;
        }
        // The file still hides a lower layer's version of it.
        items.delete(`${a.id}\0${entry.path}`);
      }
      warn(code, message, entry.path);
    },
    link(entry) {
      if (entry.linkTarget === undefined) return;
      for (const key of items.keys()) if (key.endsWith(`\0${entry.path}`)) items.delete(key);
      paths.delete(entry.path);
      links.set(entry.path, {
        path: entry.path,
        type: entry.type === 'hardlink' ? 'hardlink' : 'symlink',
        target: entry.linkTarget,
      });
    },
    whiteout(path) {
      whiteouts.add(path);
    },
    opaque(dir) {
      opaqueDirs.add(dir);
    },
    count(entry) {
      stats.entries++;
      if (entry.type === 'file') {
        stats.files++;
        stats.bytes += entry.size;
      } else if (
        entry.type === 'symlink' &&
        entry.linkTarget !== undefined &&
        depth(entry.path) <= SHALLOW_LINK_DEPTH
      ) {
        if (!links.has(entry.path))
          links.set(entry.path, { path: entry.path, type: 'symlink', target: entry.linkTarget });
      }
    },
    warn,
    finish() {
      const versions: Record<string, number> = {};
      for (const a of opts.analyzers) versions[a.id] = a.version;
      return {
        schema: 1,
        analyzers: versions,
        items: [...items.values()].flat(),
        paths: [...paths].sort(),
        whiteouts: [...whiteouts].sort(),
        opaqueDirs: [...opaqueDirs].sort(),
        links: [...links.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
        stats: { ...stats, analyzed },
        warnings: [...warnings.values()],
      };
    },
  };
}

function depth(path: string): number {
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}
