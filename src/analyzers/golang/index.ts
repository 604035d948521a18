import type { LayerEntry } from '../../layer/types.ts';
import { goSemverCompare } from '../../versioning/go/index.ts';
import { baseName, dirName, langPackage, packagesItem } from '../lang/common.ts';
import type {
  AnalysisItem,
  Analyzer,
  AnalyzerContext,
  AnalyzerFile,
  InventoryDraft,
  Package,
  SurvivingItem,
} from '../types.ts';
import { type GoBuildInfo, readBuildInfo, stdlibVersion } from './buildinfo.ts';
import { COMPLETE_GOMOD_SINCE, goModPackages, parseGoMod } from './gomod.ts';
import { goSumPackages, parseGoSum } from './gosum.ts';

export { parseModinfo, readBuildInfo, stdlibVersion } from './buildinfo.ts';
export { goModPackages, goModStdlib, parseGoMod } from './gomod.ts';
export { goSumPackages, parseGoSum } from './gosum.ts';

export const id = 'golang';

/** The smallest Go executables (stripped hello-world) are over 1 MiB: smaller files are not read. */
export const MIN_BINARY_BYTES = 512 * 1024;
const MAX_GOMOD_BYTES = 4 * 1024 * 1024;
/** go.sum of the largest monorepos is a few MiB. */
const MAX_GOSUM_BYTES = 16 * 1024 * 1024;

/** ELF, Mach-O (thin and fat) or PE: the formats Go writes build information into. */
function isExecutableFormat(b: Buffer): boolean {
  if (b.length < 4) return false;
  const m = b.readUInt32BE(0);
  return (
    m === 0x7f454c46 ||
    m === 0xfeedface ||
    m === 0xfeedfacf ||
    m === 0xcefaedfe ||
    m === 0xcffaedfe ||
    m === 0xcafebabe ||
    (b[0] === 0x4d && b[1] === 0x5a)
  );
}

/**
 * Packages of one binary: its dependencies (replacements applied), the main module when it carries
 * a real version, and the toolchain as `stdlib` (how OSV's Go records name the standard library).
 */
export function buildInfoPackages(info: GoBuildInfo, path: string): Package[] {
  const out: Package[] = [];
  const deps: Package[] = [];
  for (const d of info.deps) {
    // A replacement by a local directory has no version: the original module's code is what it stands in for.
    const m = d.replace?.version && d.replace.version !== '(devel)' ? d.replace : d;
    const pkg = langPackage('golang', m.path, m.version, path, m.sum ? { integrity: m.sum } : {});
    if (pkg) deps.push(pkg);
  }
  const std = stdlibVersion(info.goVersion);
  const stdlib = std ? langPackage('golang', 'stdlib', std, path) : undefined;
  const main = info.main;
  if (main?.version && main.version !== '(devel)') {
    const pkg = langPackage('golang', main.path, main.version, path, {
      dependsOn: [...deps.map((d) => d.name), ...(stdlib ? ['stdlib'] : [])],
      ...(main.sum ? { integrity: main.sum } : {}),
    });
    if (pkg) out.push(pkg);
  }
  for (const d of deps) d.direct = false;
  out.push(...deps);
  if (stdlib) out.push(stdlib);
  return out;
}

function analyzeBinary(file: AnalyzerFile): AnalysisItem[] {
  if (!isExecutableFormat(file.content)) return [];
  const info = readBuildInfo(file.content);
  if (!info) return [];
  const packages = buildInfoPackages(info, file.path);
  return packages.length > 0 ? packagesItem(id, file.path, packages) : [];
}

function analyzeGoMod(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  if (file.content.length > MAX_GOMOD_BYTES) {
    ctx.warn('GOMOD_TOO_LARGE', 'go.mod files larger than 4 MiB were skipped', file.path);
    return [];
  }
  const mod = parseGoMod(file.content.toString('utf8'));
  const packages = goModPackages(mod, file.path, (s) =>
    ctx.warn(
      'GOMOD_RECORD_INVALID',
      'go.mod requirements without a usable path or version were skipped',
      `${file.path}: ${s.slice(0, 120)}`,
    ),
  );
  return packages.length > 0 ? packagesItem(id, file.path, packages) : [];
}

function analyzeGoSum(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  if (file.content.length > MAX_GOSUM_BYTES) {
    ctx.warn('GOSUM_TOO_LARGE', 'go.sum files larger than 16 MiB were skipped', file.path);
    return [];
  }
  const skip = (s: string): void =>
    ctx.warn(
      'GOSUM_RECORD_INVALID',
      'go.sum lines that are not `module version hash` were skipped',
      `${file.path}: ${s.slice(0, 120)}`,
    );
  const packages = goSumPackages(parseGoSum(file.content.toString('utf8'), skip), file.path, skip);
  return packages.length > 0 ? packagesItem(id, file.path, packages) : [];
}

function isModuleFile(path: string, name: 'go.mod' | 'go.sum'): boolean {
  // Module files inside vendor/ or the module cache describe dependencies, not a project.
  return (path === name || path.endsWith(`/${name}`)) && !path.includes('/vendor/') && !path.includes('/pkg/mod/');
}

/**
 * A module directory with both go.mod and go.sum would list its modules twice. go.mod says which
 * modules are required (and which directly); go.sum lends them the hash of their code. Modules whose
 * code go.sum checks but go.mod does not require are kept, as indirect, only when the go.mod predates
 * Go 1.17 (its `go` line, seen through its `stdlib` package): before module graph pruning go.mod
 * listed only direct requirements, since then it lists every module the build needs.
 */
function finalize(items: SurvivingItem[], draft: InventoryDraft): void {
  const mods = new Map<string, string>();
  const sums = new Map<string, string>();
  for (const it of items) {
    if (it.kind !== 'packages') continue;
    const name = baseName(it.path);
    if (name === 'go.mod') mods.set(dirName(it.path), it.path);
    else if (name === 'go.sum') sums.set(dirName(it.path), it.path);
  }
  const pairs = new Map<string, string>(); // go.sum path → its go.mod's path
  for (const [dir, sum] of sums) {
    const mod = mods.get(dir);
    if (mod !== undefined) pairs.set(sum, mod);
  }
  if (pairs.size === 0) return;
  const byPath = new Map<string, Package[]>();
  for (const p of draft.packages) {
    if (p.type !== 'golang') continue;
    const list = byPath.get(p.location.path) ?? [];
    list.push(p);
    byPath.set(p.location.path, list);
  }
  const drop = new Set<Package>();
  for (const [sumPath, modPath] of pairs) {
    const fromSum = byPath.get(sumPath) ?? [];
    const fromMod = byPath.get(modPath) ?? [];
    const hashes = new Map(fromSum.map((p) => [`${p.name}@${p.version}`, p.integrity]));
    const required = new Set<string>();
    let complete = false;
    for (const p of fromMod) {
      if (p.name === 'stdlib') {
        complete = goSemverCompare(p.version, COMPLETE_GOMOD_SINCE) >= 0;
        continue;
      }
      required.add(p.name);
      const h = hashes.get(`${p.name}@${p.version}`);
      if (h) p.integrity = h;
    }
    for (const p of fromSum) {
      if (complete || required.has(p.name)) drop.add(p);
      else p.direct = false;
    }
  }
  if (drop.size === 0) return;
  let kept = 0;
  for (const p of draft.packages) if (!drop.has(p)) draft.packages[kept++] = p;
  draft.packages.length = kept;
}

export const golangAnalyzer: Analyzer = {
  id,
  version: 2,
  wants(path: string, entry: LayerEntry): boolean {
    if (entry.type !== 'file') return false;
    if (isModuleFile(path, 'go.mod') || isModuleFile(path, 'go.sum')) return true;
    return entry.size >= MIN_BINARY_BYTES && ((entry.mode & 0o111) !== 0 || path.endsWith('.exe'));
  },
  analyze(file, ctx) {
    const name = baseName(file.path);
    if (name === 'go.mod') return analyzeGoMod(file, ctx);
    if (name === 'go.sum') return analyzeGoSum(file, ctx);
    return analyzeBinary(file);
  },
  finalize,
};
