import { type DbCounts, openVulnDb } from './query.ts';
import type { SourceInfo } from './types.ts';

export const DEFAULT_STALE_HOURS = 72;

export interface DbStatus {
  path: string;
  schemaVersion: number;
  builtAt: string;
  updatedAt: string;
  /** Hours since the last build, import or update. */
  ageHours: number;
  stale: boolean;
  staleAfterHours: number;
  counts: DbCounts;
  sources: SourceInfo[];
}

/** Age, sources and counts of the database at `path` (DB_NOT_FOUND / DB_INVALID as `openVulnDb`). */
export function dbStatus(path: string, options: { staleAfterHours?: number; now?: Date } = {}): DbStatus {
  const db = openVulnDb(path);
  try {
    const staleAfterHours = options.staleAfterHours ?? DEFAULT_STALE_HOURS;
    const now = (options.now ?? new Date()).getTime();
    const updated = Date.parse(db.updatedAt);
    const ageHours = Number.isFinite(updated) ? Math.max(0, (now - updated) / 3_600_000) : Number.POSITIVE_INFINITY;
    return {
      path,
      schemaVersion: db.schemaVersion,
      builtAt: db.builtAt,
      updatedAt: db.updatedAt,
      ageHours: Math.round(ageHours * 10) / 10,
      stale: ageHours > staleAfterHours,
      staleAfterHours,
      counts: db.counts(),
      sources: db.sources,
    };
  } finally {
    db.close();
  }
}

/** The status as a few lines for a person. */
export function formatStatus(s: DbStatus): string {
  const lines = [
    `Database: ${s.path}`,
    `Schema: ${s.schemaVersion}`,
    `Built: ${s.builtAt}`,
    `Updated: ${s.updatedAt} (${formatAge(s.ageHours)} ago)${s.stale ? `  STALE (older than ${s.staleAfterHours} h): run "bollard db update"` : ''}`,
    `Records: ${s.counts.advisories} advisories, ${s.counts.affected} affected packages in ${s.counts.ecosystems} ecosystems, ${s.counts.kev} KEV, ${s.counts.epss} EPSS`,
    'Sources:',
  ];
  for (const src of s.sources) {
    const skipped = Object.entries(src.skipped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `  ${src.id.padEnd(34)} ${String(src.records).padStart(7)} records  ${src.fetchedAt}  ${src.origin}${skipped ? `  (skipped: ${skipped})` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatAge(h: number): string {
  if (!Number.isFinite(h)) return 'unknown time';
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${h.toFixed(1)} h`;
  return `${(h / 24).toFixed(1)} days`;
}
