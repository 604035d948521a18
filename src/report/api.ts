import { cyclonedxReportWriter } from './cyclonedx/index.ts';
import { htmlReportWriter } from './html/index.ts';
import { jsonReportWriter } from './json/index.ts';
import { junitReportWriter } from './junit/index.ts';
import { sarifReportWriter } from './sarif/index.ts';
import { tableReportWriter } from './table/index.ts';
import type { ReportWriter } from './writer.ts';

/** Every report format, in the order help texts list them. */
export const reportWriters: readonly ReportWriter[] = [
  tableReportWriter,
  jsonReportWriter,
  sarifReportWriter,
  cyclonedxReportWriter,
  junitReportWriter,
  htmlReportWriter,
];

/** Other names accepted on the command line. */
const ALIASES: Record<string, ReportWriter['id']> = {
  cdx: 'cyclonedx',
  'cyclonedx-json': 'cyclonedx',
};

/** The writer named by an id or alias (case-insensitive), or undefined. */
export function findReportWriter(name: string): ReportWriter | undefined {
  const n = name.trim().toLowerCase();
  const id = ALIASES[n] ?? n;
  return reportWriters.find((w) => w.id === id);
}

/** All names `findReportWriter` accepts: ids first, then aliases. */
export function reportFormatNames(): string[] {
  return [...reportWriters.map((w) => w.id), ...Object.keys(ALIASES)];
}
