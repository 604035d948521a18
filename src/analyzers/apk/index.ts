import type { LayerEntry } from '../../layer/types.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, InventoryDraft, SurvivingItem } from '../types.ts';
import { parseApkInstalled } from './installed.ts';

export { dependencyName, parseApkInstalled } from './installed.ts';

export const id = 'apk';

/** Where apk keeps its database; Wolfi's usr-merged images keep it under usr/ (lib → usr/lib). */
export const APK_DB = 'lib/apk/db/installed';
const APK_DB_USR = 'usr/lib/apk/db/installed';

/** Large Alpine images have databases of a few MB (file lists make most of it). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  if (file.path !== APK_DB && file.path !== APK_DB_USR) return [];
  if (file.content.length > Math.min(MAX_FILE_BYTES, ctx.limits.maxFileBytes)) {
    ctx.warn('APK_FILE_TOO_LARGE', 'apk database skipped: larger than the limit', file.path);
    return [];
  }
  const parsed = parseApkInstalled(file.content.toString('utf8'), file.path, ctx.limits.maxPathBytes);
  for (const p of parsed.problems) ctx.warn(p.code, p.message, p.sample);
  return [{ kind: 'packages', analyzer: id, path: file.path, packages: parsed.packages }];
}

/**
 * Both database paths can survive only in an image that is not usr-merged and has two databases;
 * apk reads `lib/apk/db/installed`, so the packages of the other one are dropped from the draft.
 */
function finalize(items: SurvivingItem[], draft: InventoryDraft): void {
  const paths = new Set(items.filter((i) => i.kind === 'packages').map((i) => i.path));
  if (!paths.has(APK_DB) || !paths.has(APK_DB_USR)) return;
  // In place: the applier may hold on to the same array.
  let kept = 0;
  for (const p of draft.packages) {
    if (!(p.type === 'apk' && p.location.path === APK_DB_USR)) draft.packages[kept++] = p;
  }
  const dropped = draft.packages.length - kept;
  draft.packages.length = kept;
  if (dropped > 0) {
    draft.warn('APK_DATABASE_DUPLICATE', 'two apk databases: usr/lib/apk/db/installed ignored', APK_DB_USR);
  }
}

export const apkAnalyzer: Analyzer = {
  id,
  version: 1,
  maxFileBytes: MAX_FILE_BYTES,
  wants(path: string, _entry: LayerEntry): boolean {
    return path === APK_DB || path === APK_DB_USR;
  },
  analyze,
  finalize,
};
