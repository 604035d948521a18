import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RulesFileInput } from './loader.ts';

/**
 * The upstream Falco rules shipped with Bollard (Apache-2.0, see upstream/LICENSE), unmodified:
 * `falco_rules.yaml` (syscall) and `k8s_audit_rules.yaml` (Kubernetes audit).
 */
export type UpstreamRules = 'falco_rules.yaml' | 'k8s_audit_rules.yaml';

export function upstreamRulesPath(name: UpstreamRules): string {
  return fileURLToPath(new URL(`./upstream/${name}`, import.meta.url));
}

export function upstreamRules(name: UpstreamRules): RulesFileInput {
  return { path: `upstream/${name}`, text: readFileSync(upstreamRulesPath(name)) };
}

/** Bollard's own rules (drift on `bollard.exe_in_image`), loaded with `--rules` like any file. */
export function bollardDriftRules(): RulesFileInput {
  const path = fileURLToPath(new URL('./bollard/drift_rules.yaml', import.meta.url));
  return { path: 'bollard/drift_rules.yaml', text: readFileSync(path) };
}

export function bollardDriftRulesPath(): string {
  return fileURLToPath(new URL('./bollard/drift_rules.yaml', import.meta.url));
}
