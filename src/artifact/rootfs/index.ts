import { realpathSync, statSync } from 'node:fs';
import { BollardError } from '../../util/errors.ts';
import type { RootfsArtifact } from '../types.ts';

export { walkRootfs } from './walk.ts';

/** An unpacked root filesystem, read in place. */
export async function openRootfs(input: string, path: string): Promise<RootfsArtifact> {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    throw new BollardError('TARGET_NOT_FOUND', `directory ${path} does not exist`, { cause: e });
  }
  if (!statSync(real).isDirectory()) throw new BollardError('USAGE', `${path} is not a directory`);
  return {
    kind: 'rootfs',
    metadata: { kind: 'rootfs', input, name: real, path: real },
    async close() {},
  };
}
