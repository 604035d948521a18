import type { OsDetector } from '../types.ts';
import { sourceKey } from '../types.ts';

/** Alpine (`Alpine:v3.19`, from OSV and secdb), Wolfi and Chainguard (rolling, one ecosystem each). */
export const alpine: OsDetector = {
  id: 'alpine',
  families: ['alpine', 'wolfi', 'chainguard'],
  packageType: 'apk',
  ecosystems(os) {
    if (os.family === 'wolfi') return ['Wolfi'];
    if (os.family === 'chainguard') return ['Chainguard'];
    const m = /^(\d+)\.(\d+)/.exec(os.release || os.version);
    // Edge images report a version such as 3.21_alpha20240807: match the release it becomes.
    return m ? [`Alpine:v${m[1]}.${m[2]}`] : [];
  },
  // apk records are per origin (source) package; the origin version is the package's version.
  matchKey: sourceKey,
};
