import { closeSync, constants, type Dirent, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BollardError } from '../util/errors.ts';

/** Source files whose headers carry `SPDX-License-Identifier:` lines (REUSE, the Linux kernel, Zephyr...). */
const SOURCE_EXT =
  /\.(?:c|h|cc|cpp|cxx|hpp|hh|m|mm|s|S|asm|rs|go|java|kt|kts|scala|groovy|swift|cs|fs|js|mjs|cjs|jsx|ts|mts|cts|tsx|vue|svelte|py|pyi|rb|pl|pm|php|lua|sh|bash|zsh|fish|ps1|r|R|jl|dart|ex|exs|erl|hrl|hs|ml|mli|clj|cljs|el|lisp|scm|vhd|vhdl|v|sv|sql|proto|cmake|mk|bzl|nix|tf|hcl|yaml|yml|toml|css|scss|less|html|xml|dts|dtsi)$/;
/** The header is at the top: the first 4 KiB, like REUSE's tooling reads. */
const HEAD_BYTES = 4096;
const TAG = /SPDX-License-Identifier:\s*([^\r\n*]*?)\s*(?:\*\/|-->|\*\)|#\}|$)/m;
const SKIP_DIRS = new Set(['.git', '.hg', '.svn']);

export interface LicenseHeader {
  /** Path relative to the scanned directory. */
  file: string;
  line: number;
  /** The expression as written after the tag. */
  expression: string;
}

export interface HeaderScanOptions {
  /** Most files read (default 200,000); further files are counted as skipped. */
  maxFiles?: number;
  /** Deepest directory nesting walked (default 64). */
  maxDepth?: number;
  warn?: (code: string, message: string, sample?: string) => void;
}

/** The `SPDX-License-Identifier:` header of one file's first bytes, or undefined. */
export function licenseHeaderIn(head: string): { line: number; expression: string } | undefined {
  const m = TAG.exec(head);
  if (!m?.[1]) return undefined;
  let line = 1;
  for (let i = 0; i < m.index; i++) if (head.charCodeAt(i) === 10) line++;
  const expression = m[1].trim().replace(/^["']|["',;]$/g, '');
  return expression ? { line, expression } : undefined;
}

/**
 * Walk a directory (symlinks are never followed, so nothing outside it is read) and collect the
 * SPDX-License-Identifier header of each source file, reading only its first 4 KiB.
 */
export function scanLicenseHeaders(root: string, options: HeaderScanOptions = {}): LicenseHeader[] {
  const maxFiles = options.maxFiles ?? 200_000;
  const maxDepth = options.maxDepth ?? 64;
  const out: LicenseHeader[] = [];
  const buf = Buffer.alloc(HEAD_BYTES);
  let files = 0;
  let skipped = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > maxDepth) {
      options.warn?.(
        'LICENSE_HEADER_DEPTH',
        `directories deeper than ${maxDepth} levels were not searched`,
        relative(root, dir),
      );
      return;
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (depth === 0) throw new BollardError('TARGET_NOT_FOUND', `${root}: ${(e as Error).message}`);
      options.warn?.(
        'LICENSE_HEADER_UNREADABLE',
        'directories that could not be read were skipped',
        relative(root, dir),
      );
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p, depth + 1);
        continue;
      }
      if (!e.isFile() || !SOURCE_EXT.test(e.name)) continue;
      if (files >= maxFiles) {
        skipped++;
        continue;
      }
      files++;
      let fd: number | undefined;
      try {
        // O_NOFOLLOW: a file swapped for a symlink since the listing is not followed.
        fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW);
        const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
        const head = buf.subarray(0, n).toString('latin1');
        const h = licenseHeaderIn(head);
        if (h) out.push({ file: relative(root, p), line: h.line, expression: h.expression });
      } catch {
        options.warn?.('LICENSE_HEADER_UNREADABLE', 'files that could not be read were skipped', relative(root, p));
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
  };
  walk(root, 0);
  if (skipped > 0)
    options.warn?.(
      'LICENSE_HEADER_LIMIT',
      `only the first ${maxFiles} source files were searched for licence headers`,
      String(skipped),
    );
  return out;
}
