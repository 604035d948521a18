import type { LayerEntry } from '../../layer/types.ts';
import { baseName, langPackage, packagesItem } from '../lang/common.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';
import { type GoBuildInfo, readBuildInfo, stdlibVersion } from './buildinfo.ts';
import { goModPackages, parseGoMod } from './gomod.ts';

export { parseModinfo, readBuildInfo, stdlibVersion } from './buildinfo.ts';
export { goModPackages, parseGoMod } from './gomod.ts';

export const id = 'golang';

/** The smallest Go executables (stripped hello-world) are over 1 MiB: smaller files are not read. */
export const MIN_BINARY_BYTES = 512 * 1024;
const MAX_GOMOD_BYTES = 4 * 1024 * 1024;

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

export const golangAnalyzer: Analyzer = {
  id,
  version: 1,
  wants(path: string, entry: LayerEntry): boolean {
    if (entry.type !== 'file') return false;
    if (path.endsWith('/go.mod') || path === 'go.mod') return !path.includes('/vendor/') && !path.includes('/pkg/mod/');
    return entry.size >= MIN_BINARY_BYTES && ((entry.mode & 0o111) !== 0 || path.endsWith('.exe'));
  },
  analyze(file, ctx) {
    return baseName(file.path) === 'go.mod' ? analyzeGoMod(file, ctx) : analyzeBinary(file);
  },
};
