import type { OsDetector } from '../types.ts';
import { sourceKey } from '../types.ts';

const CODENAMES: Record<string, string> = { sid: 'unstable', unstable: 'unstable' };

/** Debian: records of `Debian:<major>` (OSV and the security tracker), matched by source package. */
export const debian: OsDetector = {
  id: 'debian',
  families: ['debian'],
  packageType: 'deb',
  ecosystems(os) {
    const major = /^\d+/.exec(os.release)?.[0];
    if (major) return [`Debian:${major}`];
    const named = CODENAMES[os.codename ?? os.release];
    return named ? [`Debian:${named}`] : [];
  },
  matchKey: sourceKey,
};
