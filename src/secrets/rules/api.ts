import type { SecretRule, SecretRulePack } from '../types.ts';
import { pack as chatMail } from './chat-mail/index.ts';
import { pack as cloud } from './cloud/index.ts';
import { pack as generic } from './generic/index.ts';
import { pack as keys } from './keys/index.ts';
import { pack as payment } from './payment/index.ts';
import { pack as registries } from './registries/index.ts';
import { pack as saas } from './saas/index.ts';
import { pack as vcsCi } from './vcs-ci/index.ts';

/** Every built-in rule pack, in the order their rules are evaluated. */
export const RULE_PACKS: readonly SecretRulePack[] = [cloud, vcsCi, chatMail, payment, registries, keys, saas, generic];

/** Every built-in rule, flattened. */
export function builtinSecretRules(): SecretRule[] {
  return RULE_PACKS.flatMap((p) => p.rules);
}
