import type { InventoryResult } from '../scan/types.ts';
import { cyclonedxFormat } from './cyclonedx/index.ts';
import { spdxJsonFormat } from './spdx/index.ts';

/** What the writers need besides the inventory: injectable time and randomness, for golden tests. */
export interface SbomWriteOptions {
  /** Clock for the document's creation time (default: the current time). */
  now?: () => Date;
  /** Source of the random UUID in the serial number / document namespace (default: crypto.randomUUID). */
  uuid?: () => string;
}

/** One SBOM format. Apart from the UUID and the timestamp, `write` is a pure function of its input. */
export interface SbomFormat {
  readonly id: string;
  /** Other names accepted on the command line. */
  readonly aliases: readonly string[];
  readonly description: string;
  readonly mediaType: string;
  readonly fileExtension: string;
  /** The document, serialised, ending with a newline. */
  write(result: InventoryResult, options?: SbomWriteOptions): string;
}

/** Every SBOM format, in the order help texts list them. */
export const sbomFormats: readonly SbomFormat[] = [cyclonedxFormat, spdxJsonFormat];

/** The format named by an id or alias (case-insensitive), or undefined. */
export function findSbomFormat(name: string): SbomFormat | undefined {
  const n = name.trim().toLowerCase();
  return sbomFormats.find((f) => f.id === n || f.aliases.includes(n));
}

/** All names `findSbomFormat` accepts: ids first, then aliases. */
export function sbomFormatNames(): string[] {
  return [...sbomFormats.map((f) => f.id), ...sbomFormats.flatMap((f) => f.aliases)];
}
