import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { BollardError } from '../util/errors.ts';

/**
 * Write a finished document to a file (created whole or not at all: temp file + rename, so a failed
 * run never leaves half a report where CI expects one) or to stdout.
 */
export async function writeOutput(text: string, path: string | undefined): Promise<void> {
  if (path && path !== '-') {
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to clean
      }
      throw new BollardError('IO', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (e) => (e ? reject(e) : resolve()));
  });
}

/** A plain text table (no colour codes, so it survives pipes); it lives with the report table writer. */
export { formatTable } from '../report/table/format.ts';
