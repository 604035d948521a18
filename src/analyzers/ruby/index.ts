import type { LayerEntry } from '../../layer/types.ts';
import { baseName, langPackage, MAX_LOCKFILE_BYTES, packagesItem } from '../lang/common.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';

export const id = 'ruby';

/** Gems carry no `-` in their versions: what follows one in a lockfile spec is the platform. */
function gemVersion(v: string): string {
  const dash = v.indexOf('-');
  return dash > 0 ? v.slice(0, dash) : v;
}

/**
 * `Gemfile.lock`: specs of the GEM, GIT and PATH sections (`    name (version[-platform])`, their
 * dependencies indented by six spaces) and the DEPENDENCIES section naming the direct ones.
 */
export function parseGemfileLock(text: string, path: string, skip: (s: string) => void): Package[] {
  const specs: { name: string; version: string; deps: string[] }[] = [];
  const direct = new Set<string>();
  let section = '';
  let inSpecs = false;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (!line.startsWith(' ')) {
      section = line.trim();
      inSpecs = false;
      continue;
    }
    if (section === 'DEPENDENCIES') {
      const m = /^ {2}([^\s!(]+)/.exec(line);
      if (m?.[1]) direct.add(m[1]);
      continue;
    }
    if (section !== 'GEM' && section !== 'GIT' && section !== 'PATH') continue;
    if (line === '  specs:') {
      inSpecs = true;
      continue;
    }
    if (!inSpecs) continue;
    const spec = /^ {4}([^\s(]+) \(([^)]+)\)$/.exec(line);
    if (spec?.[1] && spec[2]) {
      specs.push({ name: spec[1], version: gemVersion(spec[2]), deps: [] });
      continue;
    }
    const dep = /^ {6}([^\s(]+)/.exec(line);
    if (dep?.[1]) specs.at(-1)?.deps.push(dep[1]);
  }
  const out: Package[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    // Platform variants of one gem (`nokogiri (1.13.3)` and `(1.13.3-x86_64-linux)`) are one package.
    if (seen.has(`${s.name}@${s.version}`)) continue;
    seen.add(`${s.name}@${s.version}`);
    const pkg = langPackage('gem', s.name, s.version, path, { dependsOn: s.deps, direct: direct.has(s.name) });
    if (pkg) out.push(pkg);
    else skip(s.name);
  }
  return out;
}

function rubyString(expr: string | undefined): string | undefined {
  const m = /^\s*["']([^"']*)["']/.exec(expr ?? '');
  return m?.[1];
}

/**
 * An installed gemspec (`specifications/<name>-<version>.gemspec`), as RubyGems writes it: Ruby code
 * with `s.name = "x".freeze` lines. It is read, never run: name, version and licences by pattern.
 */
export function parseGemspec(text: string, path: string): Package | undefined {
  const field = (f: string): string | undefined => new RegExp(`^\\s*\\w+\\.${f}\\s*=\\s*(.*)$`, 'm').exec(text)?.[1];
  const name = rubyString(field('name'));
  // `s.version = "1.2.3"` or `Gem::Version.new("1.2.3")`.
  const versionExpr = field('version');
  const version = rubyString(versionExpr) ?? /["']([^"']+)["']/.exec(versionExpr ?? '')?.[1];
  const licenses = [...(field('licenses') ?? field('license') ?? '').matchAll(/["']([^"']+)["']/g)].map(
    (m) => m[1] ?? '',
  );
  return langPackage('gem', name, version, path, { licenses: licenses.filter(Boolean) });
}

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  if (file.content.length > MAX_LOCKFILE_BYTES) return [];
  const text = file.content.toString('utf8');
  if (file.path.endsWith('.gemspec')) {
    const pkg = parseGemspec(text, file.path);
    if (!pkg) {
      ctx.warn('GEMSPEC_INVALID', 'gemspecs without a usable name and version were skipped', file.path);
      return [];
    }
    return packagesItem(id, file.path, [pkg]);
  }
  const ps = parseGemfileLock(text, file.path, (s) =>
    ctx.warn(
      'GEMFILE_RECORD_INVALID',
      'Gemfile.lock specs without a usable name or version were skipped',
      `${file.path}: ${s.slice(0, 120)}`,
    ),
  );
  return ps.length > 0 ? packagesItem(id, file.path, ps) : [];
}

export const rubyAnalyzer: Analyzer = {
  id,
  version: 1,
  wants(path: string, entry: LayerEntry): boolean {
    if (entry.type !== 'file') return false;
    if (path.endsWith('.gemspec')) return path.includes('/specifications/');
    return path.endsWith('Gemfile.lock') && baseName(path) === 'Gemfile.lock';
  },
  analyze,
};
