import type { InventoryResult } from '../scan/types.ts';
import type { Report } from './types.ts';

/** Format ids, as `--format` accepts them. */
export type ReportFormatId = 'table' | 'json' | 'sarif' | 'cyclonedx' | 'junit' | 'html';

/** What a writer needs besides the report. */
export interface WriteContext {
  /** The inventory the report was made from: the CycloneDX writer lists its components. */
  inventory?: InventoryResult;
  /** Colour the table by severity (the CLI decides from TTY and NO_COLOR). */
  color: boolean;
  /** Terminal width for the table: the Title column is cut to fit. Unset: no cutting. */
  width?: number;
}

/**
 * One report format. `write` is a pure function of its input (no clock, no randomness): the same
 * report gives byte-identical output, which the golden tests rely on.
 */
export interface ReportWriter {
  id: ReportFormatId;
  mediaType: string;
  /** Suggested file name extension, with its dot. */
  fileExtension: string;
  description: string;
  /** The document, serialised, ending with a newline. */
  write(report: Report, ctx: WriteContext): string;
}
