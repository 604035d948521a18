import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { walkRootfs } from '../../artifact/rootfs/walk.ts';
import { applyLayers } from '../../layer/applier.ts';
import { createDispatcher, type LayerDispatcher } from '../../layer/dispatch.ts';
import { packagePurl } from '../../sbom/purl.ts';
import type { InventoryResult } from '../../scan/types.ts';
import { BollardError } from '../../util/errors.ts';
import { type Limits, resolveLimits } from '../../util/limits.ts';
import { createTempRoot } from '../../util/tempdir.ts';
import { VERSION } from '../../version.ts';
import { languageAnalyzers } from '../api.ts';
import type { Analyzer, Warning } from '../types.ts';

/** One gitignore-style rule, compiled. */
interface Rule {
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

/** Glob (gitignore syntax) → regex source: `**` spans directories, `*` and `?` do not, `[...]` classes kept. */
function globSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) out += `\\${glob[++i]}`;
    else out += /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  }
  return out;
}

/**
 * gitignore-style patterns (`.gitignore` lines, `--skip-dirs`/`--skip-files` values): a pattern
 * without a slash matches a name at any depth, one with a leading or inner slash is anchored at the
 * root, a trailing slash matches directories only, `!` re-includes, and the last matching rule wins.
 */
export class SkipList {
  readonly #rules: Rule[] = [];

  add(pattern: string, opts: { dirOnly?: boolean } = {}): void {
    let p = pattern.replace(/\s+$/, '');
    if (p === '' || p.startsWith('#') || p.length > 4096) return;
    let negate = false;
    if (p.startsWith('!')) {
      negate = true;
      p = p.slice(1);
    }
    let dirOnly = opts.dirOnly === true;
    if (p.endsWith('/')) {
      dirOnly = true;
      p = p.replace(/\/+$/, '');
    }
    if (p.startsWith('./')) p = p.slice(2);
    const anchored = p.includes('/');
    p = p.replace(/^\/+/, '');
    if (p === '') return;
    // A matched directory skips everything below it.
    const re = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${globSource(p)}$`);
    this.#rules.push({ re, negate, dirOnly });
  }

  addLines(text: string): void {
    for (const line of text.split(/\r?\n/)) this.add(line);
  }

  get size(): number {
    return this.#rules.length;
  }

  /** Is this path (relative to the project root) skipped? */
  skips(path: string, isDir: boolean): boolean {
    let skipped = false;
    for (const r of this.#rules) {
      if (r.dirOnly && !isDir) continue;
      if (r.re.test(path)) skipped = !r.negate;
    }
    return skipped;
  }
}

/** Directories no project scan wants to enter: version control metadata. */
const ALWAYS_SKIPPED = new Set(['.git', '.hg', '.svn']);

/**
 * Walk a project directory into a dispatcher: the root filesystem walk (links never followed,
 * other file systems not entered), leaving out version-control directories and what the skip
 * list names; skipped directories are not entered at all.
 */
export function walkProject(root: string, d: LayerDispatcher, limits: Limits, skip: SkipList): Promise<number> {
  return walkRootfs(root, d, limits, {
    skip: (path, isDir) => (isDir && ALWAYS_SKIPPED.has(basename(path))) || skip.skips(path, isDir),
  });
}

export interface ProjectOptions {
  limits?: Partial<Limits>;
  /** gitignore-style patterns of directories to leave out. */
  skipDirs?: readonly string[];
  /** gitignore-style patterns of files to leave out. */
  skipFiles?: readonly string[];
  /** Honour the project's root `.gitignore` (default true). */
  gitignore?: boolean;
  analyzers?: readonly Analyzer[];
}

/**
 * The inventory of a project or source directory: lockfiles, manifests, installed package trees and
 * binaries found by the language analyzers, with the same coverage and warnings as an image scan.
 */
export async function inventoryProject(dir: string, options: ProjectOptions = {}): Promise<InventoryResult> {
  const started = performance.now();
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (e) {
    throw new BollardError('TARGET_NOT_FOUND', `${dir}: no such directory`, { cause: e });
  }
  if (!lstatSync(root).isDirectory()) throw new BollardError('USAGE', `${dir} is not a directory`);
  const limits = resolveLimits(options.limits);
  const skip = new SkipList();
  if (options.gitignore !== false) {
    try {
      skip.addLines(readFileSync(join(root, '.gitignore'), 'utf8').slice(0, 1024 * 1024));
    } catch {
      // No .gitignore: nothing to honour.
    }
  }
  for (const p of options.skipDirs ?? []) skip.add(p, { dirOnly: true });
  for (const p of options.skipFiles ?? []) skip.add(p);
  const analyzers = options.analyzers ?? languageAnalyzers;
  const tempRoot = createTempRoot();
  try {
    const d = createDispatcher({ analyzers, layer: undefined, limits, tempRoot });
    const skipped = await walkProject(root, d, limits, skip);
    const analysis = d.finish();
    const { inventory, coverage, warnings } = applyLayers(
      [{ index: undefined, analysis }],
      analyzers,
      limits.maxSymlinkHops,
    );
    inventory.packages = inventory.packages.filter((p) => {
      try {
        p.purl = packagePurl(p, inventory.os);
        return true;
      } catch {
        addWarning(warnings, 'INVALID_PACKAGE', 'packages without a usable name were skipped', p.name.slice(0, 80));
        return false;
      }
    });
    if (skipped > 0)
      addWarning(warnings, 'SKIPPED_BY_RULE', `${skipped} entries were left out by the skip lists and .gitignore`);
    return {
      schemaVersion: 1,
      target: { kind: 'filesystem', input: dir, name: root, path: root },
      inventory,
      coverage,
      warnings,
      stats: {
        layers: 1,
        layersFromCache: 0,
        layersWalked: 1,
        entries: analysis.stats.entries,
        bytesWalked: analysis.stats.bytes,
        durationMs: Math.round(performance.now() - started),
      },
      tool: { name: 'bollard', version: VERSION },
      createdAt: new Date().toISOString(),
    };
  } finally {
    tempRoot.dispose();
  }
}

function addWarning(warnings: Warning[], code: string, message: string, sample?: string): void {
  const w = warnings.find((x) => x.code === code);
  if (w) w.count++;
  else warnings.push(sample === undefined ? { code, message, count: 1 } : { code, message, count: 1, sample });
}
