import type { ReportResult } from '../report/types.ts';
import type { InventoryResult } from '../scan/types.ts';
import type { SecretCollector } from './analyzer.ts';
import { sortFindings } from './analyzer.ts';
import { loadSecretConfig, scannerConfigFrom } from './config.ts';
import { scanImageConfig } from './image.ts';
import { createSecretScanner, type SecretScanner } from './scanner.ts';
import type { SecretFinding } from './types.ts';

export { createSecretAnalyzer, type SecretCollector, type SecretScanStats } from './analyzer.ts';
export { loadSecretConfig, parseSecretConfig, type SecretConfigFile, scannerConfigFrom } from './config.ts';
export { scanImageConfig } from './image.ts';
export { builtinSecretRules, RULE_PACKS } from './rules/api.ts';
export { createSecretScanner, type SecretScanner, type SecretScannerConfig } from './scanner.ts';
export type { SecretFinding, SecretMatch, SecretRule, SecretRulePack } from './types.ts';

/** The scanner for `--secret-config FILE` (built-in rules alone without one). */
export function secretScannerFor(configPath?: string): SecretScanner {
  return createSecretScanner(scannerConfigFrom(configPath ? loadSecretConfig(configPath) : undefined));
}

/** Every secret of an inventoried target: its files (from the collector) and, for images, its config. */
export function collectSecrets(
  inv: InventoryResult,
  collector: SecretCollector,
  scanner: SecretScanner,
): SecretFinding[] {
  const image = inv.target.image;
  const files = collector.findings(image?.layers);
  const config = image ? scanImageConfig(scanner, image) : [];
  return sortFindings([...config, ...files]);
}

/** One report result per file (and one for the image configuration), Trivy's layout. */
export function secretResults(findings: readonly SecretFinding[]): ReportResult[] {
  const byTarget = new Map<string, SecretFinding[]>();
  for (const f of findings) {
    const target = f.source === 'file' || f.source === 'kubernetes-secret' ? f.file : 'image config';
    const key = `${f.layer?.index ?? ''}\0${target}`;
    const list = byTarget.get(key);
    if (list) list.push(f);
    else byTarget.set(key, [f]);
  }
  return [...byTarget.values()].map((list) => {
    const first = list[0]!;
    const target = first.source === 'file' || first.source === 'kubernetes-secret' ? first.file : 'image config';
    return { target, class: 'secret', type: first.source === 'file' ? 'file' : first.source, secrets: list };
  });
}
