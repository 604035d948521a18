import type { AnalysisItem, Analyzer, SurvivingItem } from '../analyzers/types.ts';
import type { LayerRef } from '../artifact/types.ts';
import type { SecretScanner } from './scanner.ts';
import type { SecretFinding, SecretMatch } from './types.ts';

export const SECRET_ANALYZER_ID = 'secret';

/**
 * Items are filed under `/.bollard-secrets/<diffID>/<path>`: no image path starts with `/`, so no
 * later layer's file, whiteout or opaque directory can replace them, and the applier hands every
 * layer's findings to `finalize`, deleted and overwritten files included. (A whiteout of the root
 * itself, which no real tool writes, would hide them.)
 */
const ITEM_ROOT = '/.bollard-secrets/';

/** Files whose format cannot hold a readable secret; skipped before their content is read. */
const BINARY_EXT =
  /\.(?:png|jpe?g|gif|bmp|ico|icns|webp|tiff?|mp[34]|ogg|wav|flac|avi|mov|mkv|woff2?|ttf|otf|eot|pyc|pyo|class|o|a|so(?:\.\d+)*|dll|exe|gz|bz2|xz|zst|lz4|zip|jar|war|whl|egg|deb|rpm|apk|tgz|7z|mo|gmo|db|sqlite|pack|idx)$/i;

/** How many bytes at the start of a file decide that it is binary (a NUL byte). */
const SNIFF_BYTES = 8000;

export interface SecretScanStats {
  files: number;
  bytes: number;
  binary: number;
  tooLarge: number;
}

export interface SecretCollector {
  /** Add this analyzer to an inventory run (`InventoryOptions.analyzers`). */
  readonly analyzer: Analyzer;
  /** Findings of every layer, once the inventory has finished (finalize has run). */
  findings(layers?: readonly LayerRef[]): SecretFinding[];
  /** Files scanned and skipped in layers walked by this run (cached layers are not re-read). */
  stats(): SecretScanStats;
}

export function isBinary(content: Buffer): boolean {
  return content.subarray(0, SNIFF_BYTES).includes(0);
}

/**
 * An analyzer that hands every regular text file of every layer to the secret scanner. Its version
 * is derived from the scanner's fingerprint, so a change of rules or allow-lists never reuses cached
 * layer results produced under other rules.
 */
export function createSecretAnalyzer(scanner: SecretScanner): SecretCollector {
  const stats: SecretScanStats = { files: 0, bytes: 0, binary: 0, tooLarge: 0 };
  let collected: { file: string; layer: number | undefined; secrets: SecretMatch[] }[] = [];
  const analyzer: Analyzer = {
    id: SECRET_ANALYZER_ID,
    version: Number.parseInt(scanner.fingerprint.slice(0, 8), 16),
    maxFileBytes: scanner.maxFileBytes,
    wants(path, entry) {
      if (entry.type !== 'file' || entry.size === 0 || BINARY_EXT.test(path)) return false;
      // Too large to read: counted here, never handed over (the dispatcher would call it an error).
      if (entry.size > scanner.maxFileBytes) {
        stats.tooLarge++;
        return false;
      }
      return !scanner.skipsPath(path);
    },
    analyze(file, ctx): AnalysisItem[] {
      if (file.content.length > scanner.maxFileBytes) return [];
      if (isBinary(file.content)) {
        stats.binary++;
        return [];
      }
      stats.files++;
      stats.bytes += file.content.length;
      const secrets = scanner.scan(file.content, file.path);
      if (secrets.length === 0) return [];
      const layerKey = ctx.layer ? ctx.layer.diffId : 'rootfs';
      return [
        {
          kind: 'secrets',
          analyzer: SECRET_ANALYZER_ID,
          path: `${ITEM_ROOT}${layerKey}/${file.path}`,
          file: file.path,
          secrets,
        },
      ];
    },
    finalize(items: SurvivingItem[]) {
      collected = [];
      for (const it of items)
        if (it.kind === 'secrets') collected.push({ file: it.file, layer: it.layer, secrets: it.secrets });
    },
  };
  return {
    analyzer,
    stats: () => ({ ...stats }),
    findings(layers) {
      const out: SecretFinding[] = [];
      for (const c of collected) {
        const ref = c.layer === undefined ? undefined : layers?.[c.layer];
        for (const s of c.secrets) {
          const f: SecretFinding = { ...s, source: s.resource ? 'kubernetes-secret' : 'file', file: c.file };
          if (ref) f.layer = layerInfo(ref);
          out.push(f);
        }
      }
      return sortFindings(out);
    },
  };
}

/** The layer of a finding. Its `created_by` is left out: it is image content, and may hold the very secret. */
export function layerInfo(ref: LayerRef): NonNullable<SecretFinding['layer']> {
  return { index: ref.index, diffId: ref.diffId };
}

export function sortFindings(fs: SecretFinding[]): SecretFinding[] {
  return fs.sort(
    (a, b) =>
      (a.layer?.index ?? -1) - (b.layer?.index ?? -1) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.startLine - b.startLine ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
}
