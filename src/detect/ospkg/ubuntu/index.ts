import type { OsDetector } from '../types.ts';
import { sourceKey } from '../types.ts';

/** Ubuntu: OSV publishes `Ubuntu:22.04:LTS`, `Ubuntu:Pro:22.04:LTS` and `Ubuntu:23.10`. */
export const ubuntu: OsDetector = {
  id: 'ubuntu',
  families: ['ubuntu'],
  packageType: 'deb',
  ecosystems(os, available) {
    const r = os.release || os.version;
    const candidates = [`Ubuntu:${r}:LTS`, `Ubuntu:${r}`];
    const found = candidates.filter((c) => available.has(c));
    return found.length > 0 ? found : [candidates[0] as string];
  },
  matchKey: sourceKey,
};
