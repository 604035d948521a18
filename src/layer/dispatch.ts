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
  /**
   * Offer an entry's header (every entry, directories included) to the metadata-only analyzers and
   * record its path as present. Never reads content: walkers call it for every counted entry.
   */
  header(entry: LayerEntry): void;
  warn(code: string, message: string, sample?: string): void;
  finish(): LayerAnalysis;
}

export interface DispatcherOptions {
  analyzers: readonly Analyzer[];
  layer: LayerRef | undefined;
  limits: Limits;
  tempRoot: TempRoot;
}

/** Per metadata-only analyzer: its items in this layer by path, and the entries it failed on. */
interface MetaState {
  analyzer: Analyzer;
  items: Map<string, AnalysisItem[]>;
  /**
   * How many item paths have each length: most entries differ in length from every item, which
   * spares them the hashing of a map look-up when checking whether they replace an item.
   */
  lengths: Uint32Array;
  errors: number;
}

/** How many paths of a layer's presence list are joined into one string at a time. */
const PRESENT_CHUNK = 1024;

/** What a metadata-only analyzer is handed instead of content. */
const NO_CONTENT = Buffer.alloc(0);

export function createDispatcher(opts: DispatcherOptions): LayerDispatcher {
  // Metadata-only analyzers never see `wanted`/`claim`, so they can never cause a content read.
  const readers = opts.analyzers.filter((a) => a.metadataOnly !== true);
  const metas: MetaState[] = opts.analyzers
    .filter((a) => a.metadataOnly === true)
    .map((analyzer) => ({
      analyzer,
      items: new Map(),
      lengths: new Uint32Array(opts.limits.maxPathBytes + 1),
      errors: 0,
    }));
  // Presence matters only between layers of an image (a root filesystem is one layer). Paths are
  // joined a thousand at a time: retaining one string per entry costs the walk in garbage collection.
  const recordPresence = metas.length > 0 && opts.layer !== undefined;
  const presentParts: string[] = [];
  let presentChunk: string[] = [];
  let presentBytes = 0;
  let presentComplete = true;
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

  const lengthSlot = (m: MetaState, path: string): number => Math.min(path.length, m.lengths.length - 1);
  /** Forget a metadata-only analyzer's items for a path (a later entry of the same path replaced it). */
  const drop = (m: MetaState, path: string): void => {
    const slot = lengthSlot(m, path);
    if (m.lengths[slot] !== 0 && m.items.delete(path)) m.lengths[slot]!--;
  };
  /** Record a metadata-only analyzer's items for a path, within the per-layer cap. */
  const keep = (m: MetaState, path: string, found: AnalysisItem[]): void => {
    if (found.length === 0) drop(m, path);
    else if (m.items.has(path)) m.items.set(path, found);
    else if (m.items.size < opts.limits.maxMetadataItems) {
      m.items.set(path, found);
      m.lengths[lengthSlot(m, path)]!++;
    } else
      warn(
        `${m.analyzer.id}:ITEM_LIMIT`,
        `entries beyond the per-layer limit of ${opts.limits.maxMetadataItems} (maxMetadataItems) were not recorded: the checks that use them are incomplete`,
        path,
      );
  };

  return {
    wanted(entry) {
      const out: Analyzer[] = [];
      for (const a of readers) if (a.wants(entry.path, entry)) out.push(a);
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
    header(entry) {
      if (metas.length === 0) return;
      const path = entry.path;
      for (const m of metas) {
        // A hard link is the inode of its target, an earlier entry of this layer: it takes the
        // target's items whatever its own header says (a header can lie about the mode).
        if (entry.type === 'hardlink' && entry.linkTarget !== undefined && m.items.size > 0) {
          const same = m.items.get(entry.linkTarget);
          if (same) {
            keep(
              m,
              path,
              same.map((it) => ({ ...it, path })),
            );
            continue;
          }
        }
        if (!m.analyzer.wants(path, entry)) {
          // A later entry of the same path in this layer replaces an earlier one's item.
          drop(m, path);
          continue;
        }
        let found: ReturnType<Analyzer['analyze']>;
        try {
          found = m.analyzer.analyze({ path, entry, content: NO_CONTENT }, ctxFor(m.analyzer));
        } catch (e) {
          m.errors++;
          drop(m, path);
          warn(
            `${m.analyzer.id}:ANALYZER_ERROR`,
            `analyzer ${m.analyzer.id} failed on an entry: ${(e as Error).message}`,
            path,
          );
          continue;
        }
        if (!Array.isArray(found)) {
          // Waiting would stall the tar stream on an entry whose body is being skipped.
          found.catch(() => undefined);
          m.errors++;
          drop(m, path);
          warn(
            `${m.analyzer.id}:ANALYZER_ERROR`,
            `metadata-only analyzer ${m.analyzer.id} did not answer synchronously`,
            path,
          );
          continue;
        }
        keep(m, path, found);
      }
      if (recordPresence && presentComplete) {
        presentBytes += path.length + 1;
        if (presentBytes > opts.limits.maxPresenceBytes) {
          presentComplete = false;
          warn(
            'PRESENCE_LIMIT',
            `the layer's paths exceed maxPresenceBytes (${opts.limits.maxPresenceBytes}): entries it may replace in lower layers are reported from the lower layer`,
            path,
          );
        } else if (path.indexOf('\0') === -1) {
          // NUL separates the paths; only a hostile PAX name holds one (left out: its lower items stay).
          presentChunk.push(path);
          if (presentChunk.length === PRESENT_CHUNK) {
            presentParts.push(presentChunk.join('\0'));
            presentChunk = [];
          }
        }
      }
    },
    warn,
    finish() {
      const versions: Record<string, number> = {};
      for (const a of opts.analyzers) versions[a.id] = a.version;
      const allItems = [...items.values()].flat();
      for (const m of metas) {
        for (const found of m.items.values()) for (const it of found) allItems.push(it);
        // A metadata-only analyzer judged every entry of the layer.
        analyzed[m.analyzer.id] = { files: stats.entries, errors: m.errors };
      }
      const out: LayerAnalysis = {
        schema: 1,
        analyzers: versions,
        items: allItems,
        paths: [...paths].sort(),
        whiteouts: [...whiteouts].sort(),
        opaqueDirs: [...opaqueDirs].sort(),
        links: [...links.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
        stats: { ...stats, analyzed },
        warnings: [...warnings.values()],
      };
      if (recordPresence) {
        if (presentChunk.length > 0) presentParts.push(presentChunk.join('\0'));
        presentChunk = [];
        out.present = presentParts.join('\0');
        out.presentComplete = presentComplete;
      }
      return out;
    },
  };
}

function depth(path: string): number {
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}
