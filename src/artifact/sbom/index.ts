import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { OSInfo, Package, Warning } from '../../analyzers/types.ts';
import type { Inventory, InventoryResult } from '../../scan/types.ts';
import { BollardError, isBollardError } from '../../util/errors.ts';
import { isRecord, parseJsonBounded } from '../../util/json.ts';
import { type Limits, resolveLimits } from '../../util/limits.ts';
import { VERSION } from '../../version.ts';
import { readCycloneDx, type SbomDocument } from './cyclonedx.ts';
import { entryToPackage, osFromPurl } from './package.ts';
import { readSpdxJson, readSpdxTagValue } from './spdx.ts';

export const id = 'sbom';

export interface SbomReadResult {
  inventory: Inventory;
  format: 'cyclonedx' | 'spdx';
  /** `1.6` for CycloneDX, `2.3` for SPDX. */
  specVersion: string;
  /** The document's subject (CycloneDX metadata.component name, SPDX document name) or the file name. */
  name: string;
  /** purl of the document's subject (an image's `pkg:oci/…`), for VEX products with subcomponents. */
  subject?: string;
  warnings: Warning[];
}

/** Most components or packages read from one SBOM (a large image has a few tens of thousands). */
const MAX_COMPONENTS = 1_000_000;

/**
 * Read an SBOM as a scan target: CycloneDX JSON 1.2–1.7, SPDX 2.2/2.3 JSON or tag-value, sniffed from
 * the content. Size and nesting are bounded by `maxJsonBytes` and `maxJsonDepth` (defaults unless
 * overridden; a partial set of limits is accepted as the CLI's inventory options carry one).
 */
export async function readSbom(path: string, overrides: Partial<Limits> = {}): Promise<SbomReadResult> {
  const limits = resolveLimits(overrides);
  let content: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new BollardError('INPUT_INVALID', `${path} is not a regular file`);
    if (st.size > limits.maxJsonBytes) {
      throw new BollardError(
        'LIMIT_EXCEEDED',
        `SBOM ${path} is ${st.size} bytes, over the limit of ${limits.maxJsonBytes} (raise maxJsonBytes)`,
      );
    }
    content = readFileSync(path);
  } catch (e) {
    if (isBollardError(e)) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new BollardError('TARGET_NOT_FOUND', `${path}: no such file`);
    throw new BollardError('IO', `cannot read SBOM ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseSbom(content, path, limits);
}

/** Parse an SBOM from memory (`file` names it in messages and is the default package location). */
export function parseSbom(
  content: Buffer | string,
  file: string,
  limits: Pick<Limits, 'maxJsonBytes' | 'maxJsonDepth'>,
): SbomReadResult {
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > limits.maxJsonBytes) {
    throw new BollardError('LIMIT_EXCEEDED', `SBOM ${file} is ${size} bytes, over the limit of ${limits.maxJsonBytes}`);
  }
  const text = (typeof content === 'string' ? content : content.toString('utf8')).replace(/^\uFEFF/, '');
  const head = text.trimStart().slice(0, 4096);
  let doc: SbomDocument;
  if (head.startsWith('{')) {
    let json: unknown;
    try {
      json = parseJsonBounded(text, {
        maxBytes: limits.maxJsonBytes,
        maxDepth: limits.maxJsonDepth,
        what: `SBOM ${file}`,
      });
    } catch (e) {
      if (isBollardError(e, 'MANIFEST_INVALID')) {
        throw new BollardError('INPUT_INVALID', `${file} is not valid JSON`, { cause: e });
      }
      throw e;
    }
    if (isRecord(json) && json.bomFormat === 'CycloneDX') doc = readCycloneDx(json, file, MAX_COMPONENTS);
    else if (isRecord(json) && typeof json.spdxVersion === 'string') doc = readSpdxJson(json, file, MAX_COMPONENTS);
    else if (isRecord(json) && Array.isArray(json['@graph'])) {
      throw new BollardError('INPUT_INVALID', `${file}: SPDX 3 JSON-LD is not read (SPDX 2.2 and 2.3 are)`);
    } else {
      throw new BollardError('INPUT_INVALID', `${file} is JSON but neither a CycloneDX nor an SPDX document`);
    }
  } else if (head.startsWith('<')) {
    if (/cyclonedx\.org\/schema\/bom/.test(head)) {
      throw new BollardError(
        'INPUT_INVALID',
        `${file}: CycloneDX XML is not read; convert it to JSON (e.g. "cyclonedx convert --output-format json")`,
      );
    }
    throw new BollardError(
      'INPUT_INVALID',
      `${file} is XML but not a format Bollard reads (CycloneDX or SPDX JSON, SPDX tag-value)`,
    );
  } else if (/^SPDXVersion:/m.test(head)) {
    doc = readSpdxTagValue(text, file, MAX_COMPONENTS);
  } else {
    throw new BollardError('INPUT_INVALID', `${file} is not a CycloneDX or SPDX document`);
  }
  return toResult(doc, file);
}

function toResult(doc: SbomDocument, file: string): SbomReadResult {
  const warnings: Warning[] = [];
  const warn = (code: string, message: string, sample?: string): void => {
    const w = warnings.find((x) => x.code === code);
    if (w) w.count++;
    else warnings.push({ code, message, count: 1, ...(sample ? { sample } : {}) });
  };
  const packages: Package[] = [];
  const seen = new Set<string>();
  const osVotes = new Map<string, { os: OSInfo; count: number }>();
  for (const e of doc.entries) {
    const r = entryToPackage(e, file, warn);
    if (!r) continue;
    const key = `${r.pkg.purl}\u0000${r.pkg.location.path}`;
    if (seen.has(key)) {
      warn('SBOM_DUPLICATE', 'SBOM packages listed more than once were scanned once', r.pkg.purl);
      continue;
    }
    seen.add(key);
    packages.push(r.pkg);
    const os = osFromPurl(r.parsed);
    if (os) {
      const k = `${os.family}\u0000${os.release}`;
      const v = osVotes.get(k);
      if (v) v.count++;
      else osVotes.set(k, { os, count: 1 });
    }
  }
  let os = doc.os;
  if (!os && osVotes.size > 0) {
    // No OS component: the distro most OS packages name (several means a mixed or odd SBOM).
    const ranked = [...osVotes.values()].sort((a, b) => b.count - a.count);
    os = ranked[0]?.os;
    if (ranked.length > 1)
      warn(
        'SBOM_MIXED_DISTROS',
        'OS packages name more than one distribution; the most common was used',
        ranked.map((r) => `${r.os.family}-${r.os.release}`).join(', '),
      );
  }
  const result: SbomReadResult = {
    inventory: { os, packages },
    format: doc.format,
    specVersion: doc.specVersion,
    name: doc.name || basename(file),
    warnings,
  };
  if (doc.subject) result.subject = doc.subject;
  return result;
}

/** Open an SBOM as a scan target: the inventory of its packages, as the other targets give it. */
export async function readSbomTarget(path: string, limits: Partial<Limits> = {}): Promise<InventoryResult> {
  const started = performance.now();
  const sbom = await readSbom(path, limits);
  const skipped = sbom.warnings
    .filter((w) => w.code !== 'SBOM_DUPLICATE' && w.code !== 'SBOM_MIXED_DISTROS')
    .reduce((n, w) => n + w.count, 0);
  const items = sbom.inventory.packages.length;
  return {
    schemaVersion: 1,
    target: { kind: 'sbom', input: path, name: sbom.name, ...(sbom.subject ? { purl: sbom.subject } : {}) },
    inventory: sbom.inventory,
    coverage: [
      {
        id: 'sbom',
        version: 1,
        files: 1,
        items,
        status: skipped > 0 ? 'partial' : 'ok',
        note: `${sbom.format === 'cyclonedx' ? 'CycloneDX' : 'SPDX'} ${sbom.specVersion}${skipped > 0 ? `; ${skipped} entries not scanned (see warnings)` : ''}`,
      },
    ],
    warnings: sbom.warnings,
    stats: {
      layers: 0,
      layersFromCache: 0,
      layersWalked: 0,
      entries: items,
      bytesWalked: 0,
      durationMs: Math.round(performance.now() - started),
    },
    tool: { name: 'bollard', version: VERSION },
    createdAt: new Date().toISOString(),
  };
}

/** `openSbomTarget` is the name the other targets' openers follow. */
export { readSbomTarget as openSbomTarget };
