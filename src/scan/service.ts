import { defaultAnalyzers } from '../analyzers/api.ts';
import type { Analyzer, LayerAnalysis } from '../analyzers/types.ts';
import { openArtifact } from '../artifact/open.ts';
import { walkRootfs } from '../artifact/rootfs/index.ts';
import type { Artifact, DaemonOptions, ImageArtifact, RegistryOptions } from '../artifact/types.ts';
import { type AppliedLayer, applyLayers } from '../layer/applier.ts';
import { analyzersKey, defaultCacheDir, type LayerCache, openLayerCache } from '../layer/cache.ts';
import { createDispatcher } from '../layer/dispatch.ts';
import { walkLayer } from '../layer/walk.ts';
import { packagePurl } from '../sbom/purl.ts';
import { type Limits, resolveLimits } from '../util/limits.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { type Progress, silentProgress } from '../util/progress.ts';
import { createTempRoot, type TempRoot } from '../util/tempdir.ts';
import { VERSION } from '../version.ts';
import type { InventoryResult, ScanTarget } from './types.ts';

export interface InventoryOptions {
  /** Overrides of the default limits. */
  limits?: Partial<Limits>;
  /** Layer cache directory; `false` disables the cache. Default: ~/.cache/bollard. */
  cacheDir?: string | false;
  /** `os/arch[/variant]` for multi-platform images; default: the host's. */
  platform?: string;
  registry?: RegistryOptions;
  daemon?: DaemonOptions;
  logger?: Logger;
  progress?: Progress;
  /** Analyzers to run (default: all registered ones). */
  analyzers?: readonly Analyzer[];
  /** Layers walked at once (default 3). */
  layerConcurrency?: number;
  signal?: AbortSignal;
}

/**
 * The pipeline of the spine: open a target, walk each layer once (or read it from the cache),
 * squash, and return the inventory with coverage and warnings.
 */
export async function inventoryTarget(target: string, options: InventoryOptions = {}): Promise<InventoryResult> {
  const limits = resolveLimits(options.limits);
  const logger = options.logger ?? silentLogger;
  const progress = options.progress ?? silentProgress;
  const tempRoot = createTempRoot();
  try {
    const artifact = await openArtifact(target, {
      limits,
      tempRoot,
      logger,
      progress,
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.daemon ? { daemon: options.daemon } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      return await inventoryArtifact(artifact, { ...options, limits }, tempRoot);
    } finally {
      await artifact.close();
    }
  } finally {
    tempRoot.dispose();
  }
}

/** Inventory an artifact the caller has already opened. */
export async function inventoryArtifact(
  artifact: Artifact,
  options: Omit<InventoryOptions, 'limits'> & { limits: Limits },
  tempRoot: TempRoot,
): Promise<InventoryResult> {
  const started = performance.now();
  const { limits } = options;
  const logger = options.logger ?? silentLogger;
  const progress = options.progress ?? silentProgress;
  const analyzers = options.analyzers ?? defaultAnalyzers();
  const stats = { layers: 0, layersFromCache: 0, layersWalked: 0, entries: 0, bytesWalked: 0, durationMs: 0 };
  let applied: AppliedLayer[];
  let target: ScanTarget;

  if (artifact.kind === 'rootfs') {
    const d = createDispatcher({ analyzers, layer: undefined, limits, tempRoot });
    const task = progress.task(`walking ${artifact.metadata.path}`, undefined, 'items');
    try {
      await walkRootfs(artifact.metadata.path, d, limits, { progress: task });
      task.done();
    } catch (e) {
      task.fail();
      throw e;
    }
    const analysis = d.finish();
    stats.layers = 1;
    stats.layersWalked = 1;
    stats.entries = analysis.stats.entries;
    stats.bytesWalked = analysis.stats.bytes;
    applied = [{ index: undefined, analysis }];
    target = {
      kind: 'rootfs',
      input: artifact.metadata.input,
      name: artifact.metadata.name,
      path: artifact.metadata.path,
    };
  } else {
    const cache = options.cacheDir === false ? undefined : openLayerCache(options.cacheDir ?? defaultCacheDir());
    const key = analyzersKey(analyzers, limits);
    const results = await analyzeLayers(artifact, {
      analyzers,
      limits,
      tempRoot,
      cache,
      key,
      logger,
      progress,
      concurrency: options.layerConcurrency ?? 3,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    stats.layers = results.length;
    for (const r of results) {
      if (r.fromCache) stats.layersFromCache++;
      else {
        stats.layersWalked++;
        stats.bytesWalked += r.bytes;
      }
      stats.entries += r.analysis.stats.entries;
    }
    applied = results.map((r, index) => ({ index, analysis: r.analysis }));
    const md = artifact.metadata;
    target = { kind: md.kind, input: md.input, name: md.name, image: md };
  }

  const { inventory, coverage, warnings } = applyLayers(applied, analyzers, limits.maxSymlinkHops);
  // A package whose name cannot form a purl (empty, only slashes) is hostile or broken input: drop it, counted.
  inventory.packages = inventory.packages.filter((p) => {
    try {
      p.purl = packagePurl(p, inventory.os);
      return true;
    } catch {
      const w = warnings.find((x) => x.code === 'INVALID_PACKAGE');
      if (w) w.count++;
      else
        warnings.push({
          code: 'INVALID_PACKAGE',
          message: 'packages without a usable name were skipped',
          count: 1,
          sample: p.name.slice(0, 80),
        });
      return false;
    }
  });
  for (const w of warnings)
    logger.warn('scan warning', { code: w.code, count: w.count, message: w.message, sample: w.sample });
  stats.durationMs = Math.round(performance.now() - started);
  return {
    schemaVersion: 1,
    target,
    inventory,
    coverage,
    warnings,
    stats,
    tool: { name: 'bollard', version: VERSION },
    createdAt: new Date().toISOString(),
  };
}

interface LayerJob {
  analyzers: readonly Analyzer[];
  limits: Limits;
  tempRoot: TempRoot;
  cache: LayerCache | undefined;
  key: string;
  logger: Logger;
  progress: Progress;
  concurrency: number;
  signal?: AbortSignal;
}

interface LayerOutcome {
  analysis: LayerAnalysis;
  fromCache: boolean;
  bytes: number;
}

async function analyzeLayers(artifact: ImageArtifact, job: LayerJob): Promise<LayerOutcome[]> {
  const layers = artifact.metadata.layers;
  const out: LayerOutcome[] = [];
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop && next < layers.length) {
      const i = next++;
      const layer = layers[i]!;
      job.signal?.throwIfAborted();
      const cached = job.cache?.get(layer.diffId, job.key);
      if (cached) {
        job.logger.debug('layer from cache', { index: i, diffId: layer.diffId });
        out[i] = { analysis: cached, fromCache: true, bytes: 0 };
        continue;
      }
      const label = `layer ${i + 1}/${layers.length} ${(layer.digest ?? layer.diffId).slice(7, 19)}`;
      const task = job.progress.task(label, layer.size, 'bytes');
      try {
        const raw = await artifact.openLayer(i, job.signal);
        const d = createDispatcher({ analyzers: job.analyzers, layer, limits: job.limits, tempRoot: job.tempRoot });
        const r = await walkLayer(raw, layer, d, job.limits, task, job.signal);
        task.done();
        job.logger.debug('layer walked', {
          index: i,
          diffId: layer.diffId,
          compression: r.compression,
          bytes: r.bytes,
          entries: r.analysis.stats.entries,
        });
        try {
          job.cache?.put(layer.diffId, job.key, r.analysis);
        } catch (e) {
          job.logger.warn('layer cache write failed', { error: (e as Error).message });
        }
        out[i] = { analysis: r.analysis, fromCache: false, bytes: r.bytes };
      } catch (e) {
        task.fail();
        stop = true;
        throw e;
      }
    }
  };
  const n = Math.max(1, Math.min(job.concurrency, layers.length));
  const workers = Array.from({ length: n }, worker);
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return out;
}
