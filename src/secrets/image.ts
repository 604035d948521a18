import type { ImageMetadata } from '../artifact/types.ts';
import { layerInfo } from './analyzer.ts';
import type { SecretScanner } from './scanner.ts';
import type { SecretFinding, SecretSource } from './types.ts';

/**
 * Secrets in the image configuration: each ENV entry, each LABEL and each history `created_by`
 * (a `RUN` with a token, an `ENV` of an earlier stage) is scanned as one line. `line` is the
 * 1-based position of the entry in its list; history entries carry the layer they produced.
 */
export function scanImageConfig(scanner: SecretScanner, image: ImageMetadata): SecretFinding[] {
  const out: SecretFinding[] = [];
  const add = (source: SecretSource, file: string, text: string, line: number, layer?: number): void => {
    for (const m of scanner.scan(text, file)) {
      const f: SecretFinding = { ...m, startLine: line, endLine: line, source, file };
      const ref = layer === undefined ? undefined : image.layers[layer];
      if (ref) f.layer = layerInfo(ref);
      out.push(f);
    }
  };
  const cfg = image.config.config ?? {};
  (cfg.Env ?? []).forEach((e, i) => {
    if (typeof e === 'string') add('env', 'ENV', e, i + 1);
  });
  Object.entries(cfg.Labels ?? {}).forEach(([k, v], i) => {
    add('label', 'LABEL', `${k}=${typeof v === 'string' ? v : ''}`, i + 1);
  });
  let layer = 0;
  (image.config.history ?? []).forEach((h, i) => {
    const produced = h.empty_layer === true ? undefined : layer++;
    if (typeof h.created_by === 'string' && h.created_by !== '')
      add('history', 'history', h.created_by, i + 1, produced);
  });
  return out;
}

/**
 * The report carries the image metadata, config included: ENV entries, labels and history lines in
 * which secrets were found are replaced by a note naming the rule, so the report never repeats what
 * the findings redact. Returns a copy; the inventory's metadata is left as it is.
 */
export function redactImageMetadata(image: ImageMetadata, findings: readonly SecretFinding[]): ImageMetadata {
  const env = new Map<number, string>();
  const labels = new Map<number, string>();
  const history = new Map<number, string>();
  for (const f of findings) {
    const target =
      f.source === 'env' ? env : f.source === 'label' ? labels : f.source === 'history' ? history : undefined;
    if (target && !target.has(f.startLine - 1)) target.set(f.startLine - 1, f.ruleId);
  }
  if (env.size + labels.size + history.size === 0) return image;
  const note = (rule: string): string =>
    `<redacted by bollard: ${rule} ${findings.find((f) => f.ruleId === rule)?.hash ?? ''}>`;
  const cfg = image.config.config ?? {};
  const out: ImageMetadata = { ...image, config: { ...image.config, config: { ...cfg } } };
  if (cfg.Env && env.size > 0) {
    out.config.config.Env = cfg.Env.map((e, i) => {
      const rule = env.get(i);
      if (rule === undefined) return e;
      const eq = e.indexOf('=');
      return `${eq > 0 ? e.slice(0, eq) : 'ENV'}=${note(rule)}`;
    });
  }
  if (cfg.Labels && labels.size > 0) {
    out.config.config.Labels = Object.fromEntries(
      Object.entries(cfg.Labels).map(([k, v], i) => {
        const rule = labels.get(i);
        return [k, rule === undefined ? v : note(rule)];
      }),
    );
  }
  if (history.size > 0) {
    const redactedLayers = new Set<number>();
    let layer = 0;
    out.config.history = (image.config.history ?? []).map((h, i) => {
      const produced = h.empty_layer === true ? undefined : layer++;
      const rule = history.get(i);
      if (rule === undefined) return h;
      if (produced !== undefined) redactedLayers.add(produced);
      return { ...h, created_by: note(rule) };
    });
    // A layer's createdBy is copied from its history entry: redact it the same way.
    out.layers = image.layers.map((l) =>
      redactedLayers.has(l.index) && l.createdBy !== undefined ? { ...l, createdBy: '<redacted by bollard>' } : l,
    );
  }
  return out;
}
