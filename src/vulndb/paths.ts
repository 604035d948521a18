import { join, resolve } from 'node:path';
import { defaultCacheDir } from '../layer/cache.ts';

/**
 * Where the database lives: `--db FILE`, else `BOLLARD_DB`, else `<cache dir>/db/bollard.db`
 * (`cacheDir` from `--cache-dir`/`BOLLARD_CACHE_DIR`, default `defaultCacheDir()`).
 */
export function resolveDbPath(flag?: string, cacheDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  const fromEnv = env.BOLLARD_DB;
  if (fromEnv) return resolve(fromEnv);
  return defaultDbPath(cacheDir);
}

export function defaultDbPath(cacheDir?: string): string {
  return join(cacheDir ?? defaultCacheDir(), 'db', 'bollard.db');
}
