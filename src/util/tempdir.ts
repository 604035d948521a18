import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private directory (mode 0700) for everything Bollard must spool to disk: daemon exports,
 * compressed archives, rpm databases. Nothing read from an image is ever written anywhere else,
 * and no path inside it is derived from an image's entry names.
 */
export interface TempRoot {
  readonly path: string;
  /** A fresh file name inside the root (the file is not created). */
  file(label: string): string;
  dispose(): void;
}

const live = new Set<TempRoot>();
let hooked = false;

export function createTempRoot(prefix = 'bollard-', parent: string = process.env.BOLLARD_TMPDIR ?? tmpdir()): TempRoot {
  const path = mkdtempSync(join(parent, prefix));
  let n = 0;
  const root: TempRoot = {
    path,
    file(label: string): string {
      n++;
      // Labels come from our code, never from image content; sanitise anyway.
      return join(path, `${n}-${label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}`);
    },
    dispose(): void {
      live.delete(root);
      rmSync(path, { recursive: true, force: true });
    },
  };
  live.add(root);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const r of live) r.dispose();
    });
  }
  return root;
}
