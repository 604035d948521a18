/**
 * Bollard's programmatic API.
 *
 * ```ts
 * import { inventory, generateSbom } from 'bollard';
 * const result = await inventory('docker.io/library/debian:12');
 * console.log(result.inventory.os, result.inventory.packages.length);
 * const cdx = await generateSbom('oci-archive:image.tar', { format: 'cyclonedx' });
 * ```
 */
import { findSbomFormat, sbomFormatNames } from './sbom/api.ts';
import { type InventoryOptions, inventoryTarget } from './scan/service.ts';
import type { InventoryResult } from './scan/types.ts';
import { BollardError } from './util/errors.ts';

export type { AnalysisItem, Analyzer, Location, OSInfo, Package, PackageType, Warning } from './analyzers/types.ts';
export { openArtifact } from './artifact/open.ts';
export type { Artifact, ImageArtifact, ImageMetadata, LayerRef, RootfsArtifact, TargetKind } from './artifact/types.ts';
export type { Reference } from './oci/reference.ts';
export { formatReference, parseReference } from './oci/reference.ts';
export type { ImageConfig, Platform } from './oci/types.ts';
export type { InventoryOptions } from './scan/service.ts';
export { inventoryArtifact } from './scan/service.ts';
export type { AnalyzerCoverage, Inventory, InventoryResult, ScanStats, ScanTarget } from './scan/types.ts';
export { BollardError, type ErrorCode, isBollardError } from './util/errors.ts';
export { defaultLimits, type Limits } from './util/limits.ts';
export { VERSION } from './version.ts';

/**
 * Read an image (any target: `oci:`, `oci-archive:`, `docker-archive:`, a registry reference,
 * `docker-daemon:`, a directory) and return its OS and packages, with coverage and warnings.
 */
export function inventory(target: string, options?: InventoryOptions): Promise<InventoryResult> {
  return inventoryTarget(target, options);
}

export interface SbomOptions extends InventoryOptions {
  /** `cyclonedx` (CycloneDX 1.6 JSON, default) or `spdx-json` (SPDX 2.3 JSON). */
  format?: string;
}

/** Read a target and return its SBOM as a JSON string. */
export async function generateSbom(target: string, options: SbomOptions = {}): Promise<string> {
  const name = options.format ?? 'cyclonedx';
  const format = findSbomFormat(name);
  if (!format) throw new BollardError('USAGE', `unknown SBOM format "${name}" (use ${sbomFormatNames().join(', ')})`);
  return format.write(await inventoryTarget(target, options));
}

/** Write the SBOM of an inventory you already have. */
export function writeSbom(result: InventoryResult, format = 'cyclonedx'): string {
  const f = findSbomFormat(format);
  if (!f) throw new BollardError('USAGE', `unknown SBOM format "${format}" (use ${sbomFormatNames().join(', ')})`);
  return f.write(result);
}
