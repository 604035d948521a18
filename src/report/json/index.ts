import { escapeJsonText, normalizeReport } from '../common.ts';
import type { Report } from '../types.ts';
import type { ReportWriter } from '../writer.ts';

export const id = 'json';

/**
 * The report object itself (schema: docs/report-schema.json, versioned by `schemaVersion`), with
 * findings in risk order and checks in severity order.
 */
export function writeJson(report: Report): string {
  return `${escapeJsonText(JSON.stringify(normalizeReport(report), null, 2))}\n`;
}

export const jsonReportWriter: ReportWriter = {
  id,
  mediaType: 'application/json',
  fileExtension: '.json',
  description: 'the report as JSON (schema: docs/report-schema.json)',
  write: writeJson,
};
