import type { Node } from 'yaml';
import { lineRange, parseYamlDocuments } from '../util/yaml.ts';
import type { SecretMatch } from './types.ts';

export interface DecodedSecretValue {
  resource: { kind: string; namespace?: string; name: string; key: string };
  /** The value (base64-decoded for `data`, as written for `stringData`). */
  value: string;
  /** 1-based line of the value in the manifest. */
  line: number;
  /** What the rules found inside the value. */
  inner: SecretMatch[];
}

const MAX_VALUES = 1000;
const MAX_VALUE_BYTES = 1024 * 1024;

interface SecretLike {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  data?: unknown;
  stringData?: unknown;
  items?: unknown;
}

/**
 * Every `data` (base64) and `stringData` value of the Kubernetes Secrets in a YAML or JSON stream,
 * decoded and scanned with `scanValue`. A stream that does not parse yields nothing: a manifest
 * template (Helm) is not a Secret with data.
 */
export function decodeKubernetesSecrets(
  content: Buffer,
  path: string,
  scanValue: (value: string) => SecretMatch[],
): DecodedSecretValue[] {
  let docs: ReturnType<typeof parseYamlDocuments>;
  try {
    docs = parseYamlDocuments(content, { what: path, maxBytes: content.length + 1, maxDocuments: 10_000 });
  } catch {
    return [];
  }
  const out: DecodedSecretValue[] = [];
  for (const d of docs) {
    const visit = (obj: unknown, at: (string | number)[]): void => {
      if (out.length >= MAX_VALUES || typeof obj !== 'object' || obj === null) return;
      const o = obj as SecretLike;
      if (o.kind === 'List' && Array.isArray(o.items)) {
        o.items.forEach((item, i) => {
          visit(item, [...at, 'items', i]);
        });
        return;
      }
      if (o.kind !== 'Secret') return;
      const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '';
      const namespace = typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : undefined;
      for (const field of ['data', 'stringData'] as const) {
        const values = o[field];
        if (typeof values !== 'object' || values === null || Array.isArray(values)) continue;
        for (const [key, raw] of Object.entries(values as Record<string, unknown>)) {
          if (out.length >= MAX_VALUES) return;
          if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_VALUE_BYTES) continue;
          let value = raw;
          if (field === 'data') {
            const compact = raw.replace(/\s+/g, '');
            if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) continue;
            value = Buffer.from(compact, 'base64').toString('latin1');
          }
          if (value.length === 0) continue;
          const node = d.doc.getIn([...at, field, key], true) as Node | undefined;
          const line = lineRange(node ?? null, d.lineCounter)?.startLine ?? d.startLine;
          const resource: DecodedSecretValue['resource'] = { kind: 'Secret', name, key };
          if (namespace !== undefined) resource.namespace = namespace;
          out.push({ resource, value, line, inner: scanValue(value) });
        }
      }
    };
    visit(d.value, []);
  }
  return out;
}
