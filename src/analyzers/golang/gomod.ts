import { langPackage } from '../lang/common.ts';
import type { Package } from '../types.ts';
import { stdlibVersion } from './buildinfo.ts';

export interface GoModFile {
  module?: string;
  go?: string;
  toolchain?: string;
  requires: { path: string; version: string; indirect: boolean }[];
  /** old path (and version, when the left side names one) → new path and version (none for a local directory). */
  replaces: { from: string; fromVersion?: string; to: string; toVersion?: string }[];
  /** Versions the main module refuses: a requirement of one of them is ignored. */
  excludes: { path: string; version: string }[];
}

function unquote(s: string): string {
  return s.length >= 2 && (s[0] === '"' || s[0] === '`') && s.at(-1) === s[0] ? s.slice(1, -1) : s;
}

/** `go.mod`: module, go, toolchain, require, replace and exclude directives, single-line or in blocks. */
export function parseGoMod(text: string): GoModFile {
  const out: GoModFile = { requires: [], replaces: [], excludes: [] };
  let block: string | undefined;
  for (const raw of text.split('\n')) {
    const comment = raw.indexOf('//');
    const indirect = comment >= 0 && /^\/\/\s*indirect\b/.test(raw.slice(comment));
    const line = (comment >= 0 ? raw.slice(0, comment) : raw).trim();
    if (line === '') continue;
    if (block !== undefined) {
      if (line === ')') {
        block = undefined;
        continue;
      }
      directive(block, line.split(/\s+/).map(unquote), indirect, out);
      continue;
    }
    const words = line.split(/\s+/).map(unquote);
    const verb = words[0] ?? '';
    if (words[1] === '(') {
      block = verb;
      continue;
    }
    directive(verb, words.slice(1), indirect, out);
  }
  return out;
}

function directive(verb: string, args: string[], indirect: boolean, out: GoModFile): void {
  switch (verb) {
    case 'module':
      if (args[0]) out.module = args[0];
      break;
    case 'go':
      if (args[0]) out.go = args[0];
      break;
    case 'toolchain':
      if (args[0]) out.toolchain = args[0];
      break;
    case 'require':
      if (args[0] && args[1]) out.requires.push({ path: args[0], version: args[1], indirect });
      break;
    case 'exclude':
      if (args[0] && args[1]) out.excludes.push({ path: args[0], version: args[1] });
      break;
    case 'replace': {
      const arrow = args.indexOf('=>');
      if (arrow < 1) break;
      const [from, fromVersion] = args.slice(0, arrow);
      const [to, toVersion] = args.slice(arrow + 1);
      if (!from || !to) break;
      out.replaces.push({ from, to, ...(fromVersion ? { fromVersion } : {}), ...(toVersion ? { toVersion } : {}) });
      break;
    }
    default:
      break;
  }
}

/**
 * The Go release a go.mod asks for, as OSV names the standard library: the `toolchain` directive,
 * else the `go` directive (`1.21` → `v1.21.0`). The `go` line is a minimum: a newer toolchain may
 * build the module, so this is the oldest standard library the project can be built with.
 */
export function goModStdlib(mod: GoModFile): string | undefined {
  const fromToolchain = mod.toolchain ? stdlibVersion(mod.toolchain) : undefined;
  if (fromToolchain) return fromToolchain;
  return mod.go && /^[0-9]/.test(mod.go) ? stdlibVersion(`go${mod.go}`) : undefined;
}

/** The first `go` version whose go.mod lists every module the build needs (module graph pruning). */
export const COMPLETE_GOMOD_SINCE = 'v1.17.0';

/**
 * The modules a go.mod requires, with replacements applied (a replacement by a local directory keeps
 * the required module, whose code the directory stands in for) and excluded versions left out (go
 * ignores a requirement of one), then the standard library (`stdlib`, see goModStdlib). Since Go
 * 1.17 go.mod lists every module the build needs, indirect ones marked `// indirect`.
 */
export function goModPackages(mod: GoModFile, path: string, skip: (s: string) => void): Package[] {
  const out: Package[] = [];
  for (const r of mod.requires) {
    if (mod.excludes.some((x) => x.path === r.path && x.version === r.version)) continue;
    let name = r.path;
    let version = r.version;
    const rep = mod.replaces.find(
      (x) => x.from === r.path && (x.fromVersion === undefined || x.fromVersion === r.version),
    );
    if (rep?.toVersion) {
      name = rep.to;
      version = rep.toVersion;
    }
    const pkg = langPackage('golang', name, version, path, { direct: !r.indirect });
    if (pkg) out.push(pkg);
    else skip(r.path);
  }
  const std = goModStdlib(mod);
  const stdlib = std ? langPackage('golang', 'stdlib', std, path) : undefined;
  if (stdlib) out.push(stdlib);
  return out;
}
