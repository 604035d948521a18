import type { LangPackageType, Package } from '../../analyzers/types.ts';

/** OSV ecosystem of each language package type (purl type → OSV name). */
export const LANG_ECOSYSTEMS: Record<LangPackageType, string> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  maven: 'Maven',
  cargo: 'crates.io',
  gem: 'RubyGems',
  composer: 'Packagist',
  nuget: 'NuGet',
};

/** Name as OSV records write it: PEP 503 for PyPI; Maven `group:artifact`; others as installed. */
export function langMatchName(pkg: Package): string {
  if (pkg.type === 'pypi') return pkg.name.toLowerCase().replace(/[-_.]+/g, '-');
  return pkg.name;
}
