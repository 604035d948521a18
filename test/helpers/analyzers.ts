import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type {
  AnalysisItem,
  Analyzer,
  AnalyzerContext,
  InventoryDraft,
  OSInfo,
  SurvivingItem,
  Warning,
} from '../../src/analyzers/types.ts';
import { defaultLimits, type Limits } from '../../src/util/limits.ts';
import type { TempRoot } from '../../src/util/tempdir.ts';
import { TEST_ENV_FILE, testEnv } from './env.ts';

export interface AnalyzerRun {
  items: AnalysisItem[];
  draft: InventoryDraft;
  os: OSInfo | undefined;
  warnings: Warning[];
}

const noTempRoot: TempRoot = {
  path: '/nonexistent',
  file() {
    throw new Error('this analyzer was expected to need no temp files');
  },
  dispose() {},
};

/**
 * Drive one analyzer the way the pipeline does, without layers: wants → analyze for each file,
 * packages into the draft, then finalize with every item surviving.
 */
export async function runAnalyzer(
  analyzer: Analyzer,
  files: ReadonlyMap<string, string | Buffer>,
  limits: Limits = defaultLimits,
): Promise<AnalyzerRun> {
  const warnings: Warning[] = [];
  const warn = (code: string, message: string, sample?: string): void => {
    const w = warnings.find((x) => x.code === code);
    if (w) w.count++;
    else warnings.push({ code, message, count: 1, ...(sample === undefined ? {} : { sample }) });
  };
  const ctx: AnalyzerContext = { layer: undefined, limits, tempRoot: noTempRoot, warn };
  const items: AnalysisItem[] = [];
  for (const [path, data] of files) {
    const content = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const entry = { path, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: content.length };
    if (!analyzer.wants(path, entry)) continue;
    items.push(...(await analyzer.analyze({ path, entry, content }, ctx)));
  }
  const draft: InventoryDraft = { os: undefined, packages: [], warn };
  for (const item of items) if (item.kind === 'packages') draft.packages.push(...item.packages);
  const surviving: SurvivingItem[] = items.map((i) => ({ ...i, layer: undefined }));
  analyzer.finalize?.(surviving, draft);
  return { items, draft, os: draft.os, warnings };
}

/** Every regular file under `dir`, keyed by its path relative to `dir` (an image path). */
export function fileTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Deterministic bytes that look like nothing (a hash chain), NULs included. */
export function garbage(bytes: number, seed = 'bollard'): Buffer {
  const out = Buffer.alloc(bytes);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < bytes; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** The debootstrap bookworm root of the test environment (or this machine's default place). */
export function bookwormRoot(): string {
  const root = existsSync(TEST_ENV_FILE) ? testEnv().rootfs : '/var/lib/bollard-test/rootfs-bookworm';
  if (!existsSync(join(root, 'var/lib/dpkg/status'))) {
    throw new Error(`no debootstrap bookworm root at ${root}: run "sudo scripts/test-env.sh up" first`);
  }
  return root;
}
