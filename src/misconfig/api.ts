import { dockerfilePack } from './dockerfile/index.ts';
import { imageConfigPack } from './image-config/index.ts';
import { hardeningPack } from './kubernetes/hardening/index.ts';
import type { KubeInput } from './kubernetes/input.ts';
import { pssPack } from './kubernetes/pss/index.ts';
import { rbacPack } from './kubernetes/rbac/index.ts';
import type { CheckMeta, RulePack } from './types.ts';

/** The built-in rule packs, listed explicitly (no import side effects). CEL policies are added per run. */
export const kubernetesPacks: readonly RulePack<KubeInput>[] = [pssPack, hardeningPack, rbacPack];

export const rulePacks = [dockerfilePack, imageConfigPack, ...kubernetesPacks] as const;

/** Every built-in check's metadata, for `--list-checks`, docs and compliance mappings. */
export function allChecks(): CheckMeta[] {
  const out: CheckMeta[] = [];
  for (const p of rulePacks)
    for (const c of p.checks)
      out.push({
        id: c.id,
        aliases: c.aliases,
        severity: c.severity,
        title: c.title,
        remediation: c.remediation,
        controls: c.controls,
        references: c.references,
      });
  return out;
}
