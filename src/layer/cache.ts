import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Analyzer, LayerAnalysis } from '../analyzers/types.ts';
import { type Digest, digestHex } from '../util/digest.ts';
import { BollardError } from '../util/errors.ts';
import type { Limits } from '../util/limits.ts';

/** Bump when the cached document's shape changes. */
const CACHE_FORMAT = 'v1';

/**
 * Layer results keyed by diffID plus the versions of the analyzers that produced them, as Trivy
 * does: changing one analyzer invalidates only results that analyzer touched. Writes go to a
 * temporary file renamed into place, so concurrent scans never read a partial entry.
 */
export interface LayerCache {
  readonly dir: string;
  get(diffId: Digest, key: string): LayerAnalysis | undefined;
  put(diffId: Digest, key: string, analysis: LayerAnalysis): void;
}

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg?.startsWith('/') ? xdg : join(homedir(), '.cache'), 'bollard');
}

/**
 * The part of the cache key that depends on what ran: analyzer ids and versions, and the limits
 * that shape a layer's result (file size, path length; item and presence caps of metadata-only
 * analyzers, when one runs).
 */
export function analyzersKey(
  analyzers: readonly Analyzer[],
  limits: Pick<Limits, 'maxFileBytes' | 'maxPathBytes' | 'maxMetadataItems' | 'maxPresenceBytes'>,
): string {
  const parts = analyzers
    .map((a) => `${a.id}@${a.version}:${a.maxFileBytes ?? ''}${a.metadataOnly ? ':meta' : ''}`)
    .sort();
  parts.push(`maxFileBytes=${limits.maxFileBytes}`, `maxPathBytes=${limits.maxPathBytes}`);
  if (analyzers.some((a) => a.metadataOnly))
    parts.push(`maxMetadataItems=${limits.maxMetadataItems}`, `maxPresenceBytes=${limits.maxPresenceBytes}`);
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

export function openLayerCache(dir: string): LayerCache {
  const root = join(dir, 'layers', CACHE_FORMAT);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new BollardError('CACHE', `cache directory ${dir} is not usable: ${(e as Error).message}`, { cause: e });
  }
  const fileFor = (diffId: Digest, key: string): string => {
    const hex = digestHex(diffId);
    return join(root, hex.slice(0, 2), `${hex}-${key}.json`);
  };
  return {
    dir,
    get(diffId, key) {
      let text: string;
      try {
        text = readFileSync(fileFor(diffId, key), 'utf8');
      } catch {
        return undefined;
      }
      try {
        const doc = JSON.parse(text) as { diffId?: string; key?: string; analysis?: LayerAnalysis };
        // A damaged or foreign entry is a miss, never an error.
        if (doc.diffId !== diffId || doc.key !== key || doc.analysis?.schema !== 1) return undefined;
        return doc.analysis;
      } catch {
        return undefined;
      }
    },
    put(diffId, key, analysis) {
      const file = fileFor(diffId, key);
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
        writeFileSync(tmp, JSON.stringify({ diffId, key, analysis }), { mode: 0o600 });
        renameSync(tmp, file);
      } catch (e) {
        try {
          unlinkSync(tmp);
        } catch {
          // nothing to clean
        }
        throw new BollardError('CACHE', `could not write the layer cache in ${dir}: ${(e as Error).message}`, {
          cause: e,
        });
      }
    },
  };
}

export interface CacheInfo {
  dir: string;
  entries: number;
  bytes: number;
}

export function cacheInfo(dir: string): CacheInfo {
  const root = join(dir, 'layers', CACHE_FORMAT);
  let entries = 0;
  let bytes = 0;
  let shards: string[] = [];
  try {
    shards = readdirSync(root);
  } catch {
    return { dir, entries, bytes };
  }
  for (const s of shards) {
    for (const f of readdirSync(join(root, s))) {
      if (!f.endsWith('.json')) continue;
      entries++;
      bytes += statSync(join(root, s, f)).size;
    }
  }
  return { dir, entries, bytes };
}

export function cleanCache(dir: string): void {
  rmSync(join(dir, 'layers'), { recursive: true, force: true });
}
